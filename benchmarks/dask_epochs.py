"""One full-batch epoch on a Dask cluster (cecore.distributed) against the in-memory epoch.

Run from the repository root (about five minutes; ``--rows 1000000`` alone: one):

    python benchmarks/dask_epochs.py
    python benchmarks/dask_epochs.py --rows 1000000 10000000 --workers 1 2 --chunk-rows 250000

For each number of workers, a LocalCluster of that many single-threaded worker processes
(BLAS pinned to one thread there and here) generates X (n x 20, float64) and y on the
workers, chunk by chunk (X never exists on the client), and keeps the DaskObjective's
per-chunk objectives there. Timed, interleaved, medians of ``--repeats`` (after a warm-up):

* the Dask epoch: ``DaskObjective.loss_objective_gradient(theta)``: theta sent to every
  chunk, each chunk's loss and gradient summed on the client (what ``fit`` does per epoch);
* the scheduler's share of it: the same epoch over as many chunks of one row each;
* the in-memory epoch: ``BinaryObjective.loss_objective_gradient`` in this process, on a
  numpy X of 1,000,000 rows; for more rows it is that time scaled by the rows (the epoch
  is linear in n: README, Performance), unless ``--memory-rows`` builds them here too.

Printed: the medians, dask / in memory, the overhead's share, how the epoch grows from the
smallest to the largest row count, and 1 worker / 2 workers.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"         # the workers are spawned with this environment

from timing import interleaved_medians  # noqa: E402

D, ALPHA, MEMORY_ROWS = 20, 0.01, 1_000_000


def _labels(block, w):
    """y of one block: a noisy linear rule, so that both classes are common."""
    noise = np.random.default_rng(int(abs(block[0, 0]) * 1e6)).normal(size=len(block))
    return (block @ w + noise > 0).astype(np.int64)


def dask_data(n, chunk_rows, seed=0):
    """X (n, D) and y as Dask arrays generated on the workers, chunk by chunk."""
    import dask.array as da

    X = da.random.default_rng(seed).normal(size=(n, D), chunks=(chunk_rows, D))
    w = np.random.default_rng(seed + 1).normal(size=D)
    y = X.map_blocks(_labels, w, drop_axis=1, dtype=np.int64)
    return X, y


def memory_epoch_call(n, seed=0):
    from cecore.objective import BinaryObjective

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, D))
    y = (X @ rng.normal(size=D) + rng.normal(size=n) > 0).astype(np.int64)
    objective = BinaryObjective(X, y, None, alpha=ALPHA)
    theta = np.random.default_rng(2).normal(scale=0.1, size=D + 1)
    return lambda: objective.loss_objective_gradient(theta)


def dask_epoch_calls(n, chunk_rows):
    """The Dask epoch over n rows and the same epoch over as many one-row chunks."""
    import dask

    from cecore.distributed import DaskObjective

    X, y = dask_data(n, chunk_rows)
    X, y = dask.persist(X, y)
    objective = DaskObjective(X, y, None, np.array([0, 1]), multinomial=False, alpha=ALPHA)
    chunks = len(X.chunks[0])
    tiny_X, tiny_y = dask_data(chunks, 1, seed=5)
    tiny = DaskObjective(*dask.persist(tiny_X, tiny_y), None, np.array([0, 1]),
                         multinomial=False, alpha=ALPHA)
    theta = np.random.default_rng(2).normal(scale=0.1, size=D + 1)
    return chunks, (lambda: objective.loss_objective_gradient(theta),
                    lambda: tiny.loss_objective_gradient(theta)), (objective, tiny, X, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--memory-rows", type=int, nargs="*", default=[MEMORY_ROWS],
                        help="row counts whose in-memory epoch is measured here (the others "
                             "are scaled from the largest of these)")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with threadpool_limits(1):
        memory = {n: interleaved_medians({"memory": memory_epoch_call(n)}, args.repeats)
                  ["memory"] for n in args.memory_rows}
    base = max(memory)
    results = {}
    for workers in args.workers:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
                Client(cluster):
            for n in args.rows:
                chunks, (epoch, overhead), keep = dask_epoch_calls(n, args.chunk_rows)
                with threadpool_limits(1):
                    times = interleaved_medians({"dask": epoch, "overhead": overhead},
                                                args.repeats)
                results[workers, n] = (chunks, times["dask"], times["overhead"])
                del keep

    print(f"\nfull-batch epoch, n x {D} float64, binary, chunks of {args.chunk_rows:,} rows, "
          f"medians of {args.repeats}")
    print(f"{'rows':>11} {'workers':>7} {'chunks':>6} {'dask':>9} {'in memory':>10} "
          f"{'dask/mem':>8} {'overhead':>9} {'overhead share':>14}")
    for (workers, n), (chunks, dask_time, overhead) in sorted(results.items(),
                                                              key=lambda kv: kv[0][::-1]):
        mem = memory.get(n, memory[base] * n / base)
        scaled = "" if n in memory else "*"
        print(f"{n:>11,} {workers:>7} {chunks:>6} {dask_time * 1e3:>7.1f}ms "
              f"{mem * 1e3:>8.1f}ms{scaled:1} {dask_time / mem:>8.2f} "
              f"{overhead * 1e3:>7.1f}ms {overhead / dask_time:>14.0%}")
    if any(n not in memory for _, n in results):
        print(f"* the in-memory epoch of {base:,} rows scaled by the rows")
    low, high = min(args.rows), max(args.rows)
    for workers in args.workers:
        if low != high:
            ratio = results[workers, high][1] / results[workers, low][1]
            print(f"{workers} worker(s): epoch at {high:,} rows / at {low:,} rows = "
                  f"{ratio:.2f} (rows x{high / low:.0f})")
    if len(args.workers) > 1:
        one, most = min(args.workers), max(args.workers)
        for n in args.rows:
            print(f"{n:,} rows: epoch with {one} worker / with {most} workers = "
                  f"{results[one, n][1] / results[most, n][1]:.2f}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
