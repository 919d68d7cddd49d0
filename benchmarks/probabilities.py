"""Server time of the probabilities section for 1,000,000 test rows (issue 13: under a second).

Prints the median of 5 runs of each step and the whole, BLAS pinned to one thread:
the report (log loss, ECE, Brier decomposition, reliability bins, one sort for the curves),
the counts at a threshold (what a slider move costs), and the three charts.

    python benchmarks/probabilities.py [--rows N]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cecore.charts.probabilities import (  # noqa: E402
    precision_recall_chart,
    reliability_diagram,
    roc_chart,
)
from cecore.probability_report import probability_report  # noqa: E402
from cecore.thresholds import cost_optimal_threshold  # noqa: E402


def median_seconds(call, repeat=5):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    n = parser.parse_args().rows
    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.03).astype(np.intp)
    p = 1 / (1 + np.exp(-(-4 + 2.2 * y + rng.normal(0, 1, n))))
    proba = np.column_stack([1 - p, p])
    with threadpool_limits(1):
        report = probability_report(y, proba, ["no", "yes"])
        steps = {
            "report (loss, ECE, Brier, bins, sort)": lambda: probability_report(
                y, proba, ["no", "yes"]),
            "counts at a threshold": lambda: report.curves.at(0.2),
            "reliability diagram": lambda: reliability_diagram(report.reliability,
                                                               report.scores),
            "ROC and PR charts": lambda: (
                roc_chart(report.curves, report.curves.at(0.2),
                          optimal=report.curves.at(cost_optimal_threshold(1, 5))),
                precision_recall_chart(report.curves, report.curves.at(0.2))),
        }
        total = 0.0
        print(f"{n:,} test rows, median of 5, one BLAS thread")
        for name, call in steps.items():
            seconds = median_seconds(call)
            total += seconds
            print(f"  {name:40s} {seconds * 1e3:8.1f} ms")
        print(f"  {'all of it':40s} {total * 1e3:8.1f} ms  ({total:.2f} of the 1 s budget)")


if __name__ == "__main__":
    main()
