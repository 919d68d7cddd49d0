"""Time of the regularisation path (cecore.regularization_path) on the tables the page must
stay usable with, against cold starts and against scikit-learn's own warm-started path.

Run from the repository root:

    python benchmarks/regularization_path.py              # median of 3
    python benchmarks/regularization_path.py --repeats 5

Three tables: 100,000 x 20 (two classes), 100,000 x 20 (five classes) and 100 x 20,000 (issue
14's wide table: 5 informative columns, the rest noise), each split as the page does (25%
test rows, then 20% of the training rows held out to choose alpha). On each, the path over
the page's grid (19 alphas over six decades from ten times the loss's curvature bound,
holding alpha = 0.01; tol 1e-8 on the gradient norm) with warm starts, the same path from
cold starts (the same losses computed at each alpha), and ``LogisticRegression(warm_start=True)`` (lbfgs, tol 1e-8) over the same Cs.
Everything runs in this one process with BLAS pinned to one thread (threadpoolctl), the three
interleaved in each round; the median of each and the ratios are printed, with the epochs.
"""

from __future__ import annotations

import argparse
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import interleaved_medians  # noqa: E402

from cecore import LogisticRegressionGD, SoftmaxRegressionGD  # noqa: E402
from cecore.prepare.split import split_positions  # noqa: E402
from cecore.regularization_path import (  # noqa: E402
    PATH_VALIDATION_SHARE,
    alpha_grid,
    regularization_path,
)


def table(n, d, k, informative, seed=0):
    """Standardised Gaussian features; the class of the largest of k noisy linear scores of
    ``informative`` columns."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    scores = X[:, :informative] @ rng.normal(size=(informative, k if k > 2 else 1))
    scores += rng.logistic(size=scores.shape)
    y = scores.argmax(axis=1) if k > 2 else (scores[:, 0] > 0).astype(np.intp)
    return X, y


def split(X, y, seed=0):
    """The page's rows: 75% training rows, of which 20% choose alpha."""
    classes = np.unique(y)
    train, test = split_positions(y, classes, 0.25, seed)
    fit, held = split_positions(y[train], classes, PATH_VALIDATION_SHARE, seed,
                                parts=("fitted", "validation"))
    return X[train][fit], y[train][fit], X[train][held], y[train][held], X[test], y[test]


def sklearn_path(X, y, Cs):
    model = LogisticRegression(warm_start=True, tol=1e-8, max_iter=10_000)
    iterations = 0
    for C in Cs:
        model.set_params(C=C).fit(X, y)
        iterations += int(np.max(model.n_iter_))
    return iterations


def measure(name, shape, cls, repeats):
    """Time the three ways over the page's grid on one table and print them."""
    X, y, X_val, y_val, X_test, y_test = split(*table(*shape))
    alphas = alpha_grid(X, y, shape[2], multinomial=cls is SoftmaxRegressionGD, include=0.01)
    rows = {"X_validation": X_val, "y_validation": y_val, "X_test": X_test, "y_test": y_test}
    found = {}
    calls = {
        "path (warm)": lambda: found.update(
            path=regularization_path(cls(), X, y, alphas, **rows)),
        "cold starts": lambda: found.update(
            cold=regularization_path(cls(), X, y, alphas, warm_start=False, **rows)),
        "sklearn lbfgs (warm)": lambda: found.update(
            sklearn=sklearn_path(X, y, found["path"].C)),
    }
    times = interleaved_medians(calls, repeats)
    path = found["path"]
    print(f"\n{name}: {len(alphas)} alphas from {alphas[0]:.3g} to {alphas[-1]:.3g}, "
          f"best {path.best_alpha:.3g}, all converged: {bool(path.converged.all())}")
    epochs = {"path (warm)": int(path.epochs.sum()),
              "cold starts": int(found["cold"].epochs.sum()),
              "sklearn lbfgs (warm)": found["sklearn"]}
    for what, seconds in times.items():
        print(f"  {what:22s} {seconds:7.3f} s  {epochs[what]:6d} epochs/iterations  "
              f"{seconds / times['path (warm)']:.2f}x the path")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"{platform.processor() or platform.machine()}, numpy {np.__version__}, "
          f"BLAS pinned to 1 thread, median of {args.repeats}")
    cases = [("100,000 x 20, K = 2", (100_000, 20, 2, 20), LogisticRegressionGD),
             ("100,000 x 20, K = 5", (100_000, 20, 5, 20), SoftmaxRegressionGD),
             ("100 x 20,000, K = 2", (100, 20_000, 2, 5), LogisticRegressionGD)]
    with threadpool_limits(1):
        for name, shape, cls in cases:
            measure(name, shape, cls, args.repeats)


if __name__ == "__main__":
    main()
