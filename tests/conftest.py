"""Shared test helpers in this folder (``hostile_files``) are importable from every test,
the browser tests in tests/e2e included."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


import pytest  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_wine  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


@pytest.fixture(scope="session")
def cancer():
    """Breast cancer (569 x 30, two classes), standardised."""
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def wine():
    """Wine (178 x 13, three classes), standardised."""
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def dask_client():
    """A Client of one real local cluster (two worker processes) shared by the Dask tests."""
    from dask_cluster import local_cluster, require_dask

    require_dask()
    from distributed import Client

    with local_cluster() as cluster, Client(cluster) as client:
        yield client
