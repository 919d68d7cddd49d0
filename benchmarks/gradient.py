"""Per-epoch cost of cecore's loss + gradient, against sklearn and against reading X once.

Run from the repository root:

    python benchmarks/gradient.py            # n=200,000, d=20, K=2 and 5 (about a minute)
    python benchmarks/gradient.py --large    # adds n=1,000,000 and d=100 (about 10 minutes)
    python benchmarks/gradient.py --n 1000000 --d 100 --classes 2 5 --skip-fit
    python benchmarks/gradient.py --dtype float32   # X in float32 (``dtype="float32"``)

Everything is timed in this one process with BLAS pinned to one thread (threadpoolctl), the
compared calls interleaved, and the median of ``--repeats`` runs reported, so the ratios hold
on a noisy machine even when the absolute times do not. Printed ratios:

(a) our epoch (mean loss + gradient, one call) / sklearn ``LinearModelLoss.loss_gradient``
(b) time for ``solver="nesterov"`` to reach lbfgs's objective within 1e-6 relative /
    ``LogisticRegression(solver="lbfgs")`` fit time (sklearn's default tol, and tol=1e-8)
(c) our epoch / ``X.sum()`` (one read of X: the memory floor). numpy's pairwise sum is
    itself partly compute-bound, so the table also prints the time of one BLAS pass over X
    (``w @ X``, the fastest read numpy has) and (c') our epoch / that.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._linear_loss import LinearModelLoss
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cecore.models import LogisticRegressionGD, SoftmaxRegressionGD  # noqa: E402
from cecore.objective import BinaryObjective, MultinomialObjective  # noqa: E402


def median_time(fn, repeats):
    """Median wall time of ``fn()`` over ``repeats`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(fns, repeats):
    """Median times of several callables, run in turn so machine noise hits all alike."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def make_data(n, d, k, seed=0, dtype=np.float64):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=min(d, 10),
                               n_redundant=0, n_classes=k, n_clusters_per_class=1,
                               random_state=seed)
    return np.ascontiguousarray(StandardScaler().fit_transform(X), dtype=dtype), y


def epoch_ratios(X, y, k, repeats):
    """(a) and (c): one loss+gradient evaluation, ours vs sklearn vs X.sum()."""
    n, d = X.shape
    if k == 2:
        ours = BinaryObjective(X, y, None, alpha=1e-4)
        theta = np.random.default_rng(0).normal(scale=0.1, size=d + 1)
        sk = LinearModelLoss(base_loss=HalfBinomialLoss(), fit_intercept=True)
        coef = theta.copy()
    else:
        ours = MultinomialObjective(X, y, None, n_classes=k, alpha=1e-4)
        theta = np.random.default_rng(0).normal(scale=0.1, size=(d + 1, k))
        sk = LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=k), fit_intercept=True)
        coef = np.ascontiguousarray(np.vstack([theta[:d], theta[d:]]).T)  # (k, d + 1)
    y_float = y.astype(X.dtype)
    coef = coef.astype(X.dtype)
    row_weights = np.full(n, 1.0 / n, dtype=X.dtype)
    ours_loss = ours.loss_objective_gradient(theta)[1]
    sk_loss = sk.loss_gradient(coef, X, y_float, l2_reg_strength=1e-4, n_threads=1)[0]
    agree = 1e-9 if X.dtype == np.float64 else 1e-5
    assert abs(ours_loss - sk_loss) <= agree * abs(sk_loss), (ours_loss, sk_loss)
    t_ours, t_sk, t_read, t_blas_read = interleaved_medians(
        [lambda: ours.loss_objective_gradient(theta),
         lambda: sk.loss_gradient(coef, X, y_float, l2_reg_strength=1e-4, n_threads=1),
         lambda: X.sum(),
         lambda: row_weights @ X],
        repeats)
    return t_ours, t_sk, t_read, t_blas_read


def time_to_lbfgs_objective(X, y, k, tol, repeats):
    """(b): seconds for nesterov to reach lbfgs's objective (within 1e-6), and lbfgs's own."""
    n = X.shape[0]
    alpha = 1.0 / n                                  # sklearn's default C = 1
    lbfgs = LogisticRegression(C=1.0, tol=tol, max_iter=10_000)
    t_lbfgs = median_time(lambda: lbfgs.fit(X, y), repeats)
    P = lbfgs.predict_proba(X)
    target = (-np.mean(np.log(P[np.arange(n), np.searchsorted(lbfgs.classes_, y)]))
              + 0.5 * alpha * float((lbfgs.coef_ ** 2).sum()))
    cls = LogisticRegressionGD if k == 2 else SoftmaxRegressionGD
    epochs = []

    def ours():
        model = cls(solver="nesterov", alpha=alpha, tol=0.0, max_epochs=100_000,
                    dtype=X.dtype.name)
        for record in model.fit_iter(X, y):
            if record["objective"] <= target * (1 + 1e-6):
                epochs.append(record["epoch"])
                return
        raise RuntimeError("never reached lbfgs's objective")

    t_ours = median_time(ours, repeats)
    return t_ours, t_lbfgs, epochs[-1], lbfgs.n_iter_[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[200_000])
    parser.add_argument("--d", type=int, nargs="+", default=[20])
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 5])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--fit-repeats", type=int, default=3)
    parser.add_argument("--skip-fit", action="store_true", help="only (a) and (c)")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--large", action="store_true",
                        help="also n=1,000,000 and d=100 (fits only at the default size)")
    args = parser.parse_args(argv)
    sizes = [(n, d) for n in args.n for d in args.d]
    if args.large:
        sizes += [s for s in [(200_000, 100), (1_000_000, 20), (1_000_000, 100)]
                  if s not in sizes]

    with threadpool_limits(limits=1):
        blas = [f"{i['internal_api']} {i['version']} ({i.get('architecture')}, "
                f"{i['num_threads']} thread)" for i in threadpool_info()]
        print(f"# {platform.processor() or platform.machine()}, Python "
              f"{platform.python_version()}, numpy {np.__version__}, BLAS: {', '.join(blas)}")
        print(f"# medians of {args.repeats} interleaved runs (fits: {args.fit_repeats}); "
              f"X in {args.dtype}")
        header = ("n", "d", "K", "ours ms", "sklearn ms", "X.sum ms", "w@X ms",
                  "(a) ours/sklearn", "(c) ours/read", "(c') ours/w@X", "(b) nesterov/lbfgs",
                  "(b) tol=1e-8")
        print(" | ".join(header))
        for i, (n, d) in enumerate(sizes):
            fit = not args.skip_fit and (i < len(args.n) * len(args.d))
            for k in args.classes:
                X, y = make_data(n, d, k, dtype=args.dtype)
                t_ours, t_sk, t_read, t_blas = epoch_ratios(X, y, k, args.repeats)
                row = [f"{n:,}", str(d), str(k), f"{1e3 * t_ours:.2f}", f"{1e3 * t_sk:.2f}",
                       f"{1e3 * t_read:.2f}", f"{1e3 * t_blas:.2f}", f"{t_ours / t_sk:.2f}",
                       f"{t_ours / t_read:.2f}", f"{t_ours / t_blas:.2f}"]
                if not fit:
                    row += ["-", "-"]
                else:
                    for tol in (1e-4, 1e-8):
                        t_fit, t_lbfgs, ep, it = time_to_lbfgs_objective(
                            X, y, k, tol, args.fit_repeats)
                        row.append(f"{t_fit / t_lbfgs:.2f} ({t_fit:.2f}s/{t_lbfgs:.2f}s, "
                                   f"{ep} epochs vs {it} iters)")
                print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
