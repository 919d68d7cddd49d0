"""The optimiser race at 200,000 x 20 (binary and K = 5): each optimiser's time to
scikit-learn lbfgs's objective, over lbfgs's fit time.

Run from the repository root:

    python benchmarks/race.py                   # about 3 minutes
    python benchmarks/race.py --n 50000 --repeats 1

For each K, in this one process with BLAS pinned to one thread: ``LogisticRegression(C=1,
solver="lbfgs")`` is fitted (sklearn's default tol) and timed (median of ``--repeats``), and its
objective J_sk evaluated by cecore; then :class:`cecore.race.Race` runs every lane on the same
objective (alpha = 1/n, sklearn's C = 1) ``--repeats`` times, interleaved with the sklearn
fits. Printed per lane: epochs and seconds until J <= J_sk (1 + 1e-6) (medians) and the ratio
seconds / lbfgs fit time; "-" when a lane did not get there within its budget.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gradient import make_data  # noqa: E402

from cecore import LogisticRegressionGD, SoftmaxRegressionGD  # noqa: E402
from cecore.race import RACERS, Race  # noqa: E402
from cecore.surface import theta_of  # noqa: E402

GAP = 1e-6


def sklearn_fit(X, y):
    """Seconds of one lbfgs fit at sklearn's defaults (C = 1), and the fitted model."""
    started = time.perf_counter()
    model = LogisticRegression(C=1.0).fit(X, y)
    return time.perf_counter() - started, model


def race_once(X, y, k, max_epochs, max_seconds):
    estimator = (LogisticRegressionGD if k == 2 else SoftmaxRegressionGD)(alpha=1.0 / len(y))
    race = Race(estimator, X, y, max_epochs=max_epochs, max_seconds=max_seconds)
    for _ in race.steps():
        pass
    return race


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 5])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=5000)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    with threadpool_limits(limits=1):
        blas = sorted({f"{i['internal_api']} {i['version']}" for i in threadpool_info()
                       if i["user_api"] == "blas"})
        print(f"# {platform.processor() or platform.machine()}, Python "
              f"{platform.python_version()}, numpy {np.__version__}, {', '.join(blas)}, "
              f"1 BLAS thread; medians of {args.repeats} interleaved runs")
        for k in args.classes:
            X, y = make_data(args.n, args.d, k)
            fits, reached = [], {name: [] for name in RACERS}
            for _ in range(args.repeats):
                seconds, model = sklearn_fit(X, y)
                fits.append(seconds)
                race = race_once(X, y, k, args.max_epochs, args.max_seconds)
                target = race.objective.loss_objective_gradient(
                    theta_of(model.coef_, model.intercept_, k > 2))[1]
                for name, lane in race.lanes.items():
                    hit = next((r for r in lane.records
                                if r["objective"] <= target + GAP * abs(target)), None)
                    reached[name].append(None if hit is None else (hit["epoch"], hit["seconds"]))
            t_fit = statistics.median(fits)
            print(f"\n## {args.n:,} x {args.d}, K = {k}: sklearn lbfgs fit {1e3 * t_fit:.0f} ms "
                  f"({model.n_iter_[0]} iterations)")
            print("optimiser | epochs to J_sk | ms to J_sk | / lbfgs fit time")
            for name, hits in reached.items():
                got = [h for h in hits if h is not None]
                if len(got) < len(hits):
                    print(f"{RACERS[name]} | - | - | - (reached in {len(got)} of "
                          f"{len(hits)} runs)")
                    continue
                epochs = statistics.median(h[0] for h in got)
                seconds = statistics.median(h[1] for h in got)
                print(f"{RACERS[name]} | {epochs:g} | {1e3 * seconds:.0f} | "
                      f"{seconds / t_fit:.2f}", flush=True)


if __name__ == "__main__":
    main()
