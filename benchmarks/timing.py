"""Timing helpers shared by the benchmark scripts (run as ``python benchmarks/NAME.py``)."""

import statistics
import time


def interleaved_medians(calls: dict, repeats: int) -> dict[str, float]:
    """Median wall time of each callable, run in turn (after one warm-up round), so that a
    change in the machine's load reaches every candidate alike."""
    times = {name: [] for name in calls}
    for round_ in range(repeats + 1):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}
