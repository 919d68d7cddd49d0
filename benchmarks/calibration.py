"""Time of cecore.calibration's functions on 1,000,000 rows, against sklearn's
calibration_curve and brier_score_loss.

Run from the repository root:

    python benchmarks/calibration.py                  # n = 1,000,000, median of 5
    python benchmarks/calibration.py --n 200000 --repeats 9

Everything runs in this one process with BLAS pinned to one thread (threadpoolctl); all the
calls, ours and sklearn's, are interleaved in each of ``--repeats`` rounds and the median time
of each reported, so the ratios (ours / calibration_curve uniform, ours / brier_score_loss)
compare times measured side by side in one run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cecore.calibration import (  # noqa: E402
    brier_decomposition,
    expected_calibration_error,
    fit_temperature,
    reliability_curve,
)


def interleaved_medians(calls, repeats):
    """Median wall time of each callable, run in turn (after one warm-up round)."""
    for call in calls.values():
        call()
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def make_data(n, n_classes, seed=0):
    """Logits of a calibrated model, labels drawn from them, and the softmax probabilities."""
    gen = np.random.default_rng(seed)
    logits = gen.normal(scale=2.0, size=(n, n_classes))
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    y = (gen.random(n)[:, None] > np.cumsum(proba, axis=1)).sum(axis=1)
    return logits, proba, np.minimum(y, n_classes - 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--classes", type=int, default=10, help="K of the multiclass rows")
    args = parser.parse_args(argv)

    binary_logits, binary_proba, y2 = make_data(args.n, 2, seed=1)
    z = binary_logits[:, 1] - binary_logits[:, 0]            # logits [0, z] <=> [z0, z1]
    p = binary_proba[:, 1]
    logits, proba, y = make_data(args.n, args.classes, seed=2)
    k = args.classes

    prob_true, prob_pred = calibration_curve(y2, p, n_bins=10, strategy="quantile")
    curve = reliability_curve(y2, p, strategy="quantile")
    assert np.array_equal(curve["observed"], prob_true)
    assert np.array_equal(curve["mean_predicted"], prob_pred)
    assert abs(brier_decomposition(y2, p)["brier"] - brier_score_loss(y2, p)) < 1e-12

    calls = {
        "sklearn calibration_curve, uniform": lambda: calibration_curve(y2, p, n_bins=10),
        "sklearn calibration_curve, quantile":
            lambda: calibration_curve(y2, p, n_bins=10, strategy="quantile"),
        "sklearn brier_score_loss": lambda: brier_score_loss(y2, p),
        "reliability_curve, positive, uniform": lambda: reliability_curve(y2, p),
        "reliability_curve, positive, quantile":
            lambda: reliability_curve(y2, p, strategy="quantile"),
        f"reliability_curve, top-label, K = {k}":
            lambda: reliability_curve(y, proba, kind="top-label"),
        "expected_calibration_error, (n,) p": lambda: expected_calibration_error(y2, p),
        f"expected_calibration_error, K = {k}": lambda: expected_calibration_error(y, proba),
        "brier_decomposition": lambda: brier_decomposition(y2, p),
        "fit_temperature, (n,) z, 3x overconfident": lambda: fit_temperature(3 * z, y2),
        f"fit_temperature, K = {k}, 3x overconfident": lambda: fit_temperature(3 * logits, y),
        f"fit_temperature, K = {k}, 2x underconfident": lambda: fit_temperature(logits / 2, y),
    }
    with threadpool_limits(limits=1):
        blas = [f"{i['internal_api']} {i['version']} ({i['num_threads']} thread)"
                for i in threadpool_info()]
        print(f"# {platform.processor() or platform.machine()}, Python "
              f"{platform.python_version()}, numpy {np.__version__}, BLAS: {', '.join(blas)}")
        print(f"# n = {args.n:,} rows, median of {args.repeats} interleaved rounds")
        medians = interleaved_medians(calls, args.repeats)
    curve_time = medians["sklearn calibration_curve, uniform"]
    brier_time = medians["sklearn brier_score_loss"]
    print(" | ".join(["call", "ms", "/ calibration_curve (uniform)", "/ brier_score_loss"]))
    for name, seconds in medians.items():
        print(f"{name} | {1e3 * seconds:.1f} | {seconds / curve_time:.2f} | "
              f"{seconds / brier_time:.2f}", flush=True)
    print(f"# fitted temperatures: (n,) z {fit_temperature(3 * z, y2):.4f}, "
          f"K = {k}: {fit_temperature(3 * logits, y):.4f} and {fit_temperature(logits / 2, y):.4f}"
          " (3 and 0.5 expected)")


if __name__ == "__main__":
    main()
