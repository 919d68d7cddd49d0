"""The bundled sample datasets (scikit-learn's tables and three generated point clouds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn import datasets

from cecore.checks import is_real_number, is_whole_number
from cecore.errors import DataError, data_errors_only


class SampleDataset(NamedTuple):
    """A bundled dataset: a one-line description, whether it is generated, its loader."""

    description: str
    synthetic: bool  # generated: load_sample's noise, n_samples and random_state apply
    load: Callable[..., pd.DataFrame]


def _bundled(loader: Callable) -> Callable[[], pd.DataFrame]:
    """A loader for an sklearn bundled dataset with the class names in a "target" column."""

    def load() -> pd.DataFrame:
        bunch = loader(as_frame=True)
        names = np.asarray(bunch.target_names).astype(str)
        return bunch.data.assign(target=pd.array(names[bunch.target.to_numpy()], dtype="str"))

    return load


def _moons(noise: float, n_samples: int, random_state: int | None) -> pd.DataFrame:
    """Two interleaving half circles, labelled "upper" and "lower"."""
    X, y = datasets.make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    return _points_frame(X, np.array(["upper", "lower"])[y])


def _circles(noise: float, n_samples: int, random_state: int | None) -> pd.DataFrame:
    """A circle of radius 0.5 inside one of radius 1, labelled "inner" and "outer"."""
    X, y = datasets.make_circles(n_samples=n_samples, noise=noise, factor=0.5,
                                 random_state=random_state)
    return _points_frame(X, np.array(["outer", "inner"])[y])


def _blobs(noise: float, n_samples: int, random_state: int | None) -> pd.DataFrame:
    """Three Gaussian clusters around the corners of a unit triangle, labelled A, B, C."""
    angles = np.deg2rad([90.0, 210.0, 330.0])
    centers = np.column_stack([np.cos(angles), np.sin(angles)])
    X, y = datasets.make_blobs(
        n_samples=n_samples, centers=centers, cluster_std=noise, random_state=random_state
    )
    return _points_frame(X, np.array(["A", "B", "C"])[y])


def _points_frame(X: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """A 2-D point cloud as columns x1, x2, target."""
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "target": pd.array(labels, dtype="str")})


SAMPLES: dict[str, SampleDataset] = {
    "iris": SampleDataset(
        "Iris flowers: 150 rows, 4 measurements, 3 species.", False, _bundled(datasets.load_iris)
    ),
    "wine": SampleDataset(
        "Wine: 178 rows, 13 chemical measurements, 3 cultivars.",
        False,
        _bundled(datasets.load_wine),
    ),
    "breast_cancer": SampleDataset(
        "Breast cancer (Wisconsin): 569 rows, 30 measurements, malignant or benign.",
        False,
        _bundled(datasets.load_breast_cancer),
    ),
    "digits": SampleDataset(
        "Handwritten digits: 1797 images of 8x8 pixels (64 columns), 10 classes.",
        False,
        _bundled(datasets.load_digits),
    ),
    "moons": SampleDataset(
        "Two moons: interleaving half circles in 2-D, 2 classes, not linearly separable.",
        True,
        _moons,
    ),
    "circles": SampleDataset(
        "Two circles: a ring around a disc in 2-D, 2 classes, separable with a polynomial "
        "degree of 2.",
        True,
        _circles,
    ),
    "blobs": SampleDataset("Three blobs: Gaussian clusters in 2-D, 3 classes.", True, _blobs),
}


@data_errors_only("loading the sample")
def load_sample(
    name: str, *, noise: float = 0.2, n_samples: int = 500, random_state: int | None = 0
) -> pd.DataFrame:
    """A fresh copy of a bundled dataset (see SAMPLES); the class column is "target".

    ``noise`` (the standard deviation of the points around their curve or center),
    ``n_samples`` and ``random_state`` apply to the synthetic "moons", "circles" and "blobs" only.
    """
    sample = SAMPLES.get(name)
    if sample is None:
        raise DataError(
            f"There is no sample dataset '{name}'. Choose one of: {', '.join(SAMPLES)}."
        )
    if not sample.synthetic:
        return sample.load()
    if not is_real_number(noise) or not 0 <= noise <= 10:
        raise DataError(f"The noise must be a number from 0 to 10, not {noise!r}.")
    if not is_whole_number(n_samples) or not 10 <= n_samples <= 1_000_000:
        raise DataError(
            f"The number of samples must be a whole number from 10 to 1,000,000, not {n_samples!r}."
        )
    return sample.load(noise=float(noise), n_samples=int(n_samples), random_state=random_state)
