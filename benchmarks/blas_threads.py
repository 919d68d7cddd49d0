"""Should the app's server run BLAS on one thread? Train -> results as the training page
computes it (``TrainingRun`` to its end, then ``evaluate``: the test metrics and the fit of
scikit-learn's ``LogisticRegression`` it is compared with), with OpenBLAS on one thread
against its default (one thread per core).

Run from the repository root:

    python benchmarks/blas_threads.py               # median of 5 per case
    python benchmarks/blas_threads.py --repeats 9 --busy 1

Cases: the training alone, 300 epochs at 200,000 x 20 (two classes); 100 rows x 20,000 columns (benchmarks/wide_tables.py's table, a gene-expression
shape) and 200,000 x 20 with two and five classes (synthetic numbers, as benchmarks/app.py
makes them), each prepared once and trained with the page's defaults (nesterov, "auto"
step, 1000 epochs, tol 1e-6). The two settings are interleaved in every round
(benchmarks/timing.py). ``--busy N`` runs N CPU-bound processes beside the measurement
(another visitor's training, or a browser drawing on the same machine): OpenBLAS's worker
threads wait for work by spinning, so on a machine whose cores are all busy they take
CPU from whoever else runs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import warnings
from pathlib import Path

from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from timing import interleaved_medians  # noqa: E402
from wide_tables import wide_csv  # noqa: E402


def synthetic_csv(n_rows, n_features, classes=2, seed=0):
    """Bytes of a numeric CSV whose ``label`` (0 .. classes-1) is the argmax of a noisy
    linear score of the features."""
    import io

    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    scores = X @ rng.normal(size=(n_features, classes)) + rng.normal(size=(n_rows, classes))
    buf = io.StringIO()
    buf.write(",".join([f"x{j}" for j in range(n_features)] + ["label"]) + "\n")
    np.savetxt(buf, np.column_stack([X, scores.argmax(axis=1)]), delimiter=",",
               fmt=["%.6f"] * n_features + ["%d"])
    return buf.getvalue().encode()


def spin():
    """A CPU-bound process that never ends (terminated by the parent)."""
    while True:
        pass


def prepared_cases():
    from cecore import data
    from cecore.training import DataOptions, prepare_data

    cases = {}
    for label, content in (("100 x 20,000, 2 classes", wide_csv(100, 20_000, seed=0)),
                           ("200,000 x 20, 2 classes", synthetic_csv(200_000, 20)),
                           ("200,000 x 20, 5 classes", synthetic_csv(200_000, 20, classes=5))):
        df = data.read_csv(content)
        cases[label] = prepare_data(df, "label", None, DataOptions(), 0)
    return cases


def train_to_results(prepared, threads, config=None, evaluate=True):
    from cecore.training import TrainConfig, TrainingRun

    def run():
        with threadpool_limits(limits=threads):
            training = TrainingRun(prepared, config or TrainConfig())
            for _ in training.records():
                pass
            if evaluate:
                training.evaluate()
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--busy", type=int, default=0,
                        help="CPU-bound processes running beside the measurement")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="Stopped after max_epochs")  # 300 on purpose
    blas = [f"{i['internal_api']} {i['version']} ({i['num_threads']} threads by default)"
            for i in threadpool_info() if i["user_api"] == "blas"]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{', '.join(blas)}; load average {os.getloadavg()[0]:.2f}")
    cases = prepared_cases()
    busy = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.busy)]
    for proc in busy:
        proc.start()
    try:
        from cecore.training import TrainConfig

        epochs = TrainConfig(epochs=300, tol=0.0)
        prepared = cases["200,000 x 20, 2 classes"]
        medians = interleaved_medians({
            "1 thread": train_to_results(prepared, 1, epochs, evaluate=False),
            "default": train_to_results(prepared, None, epochs, evaluate=False)},
            args.repeats)
        print(f"200,000 x 20, 2 classes, 300 epochs (the training alone): "
              f"{1e3 * medians['1 thread'] / 300:.2f} ms per epoch on one BLAS thread, "
              f"{1e3 * medians['default'] / 300:.2f} ms on the default: one / default "
              f"{medians['1 thread'] / medians['default']:.2f}", flush=True)
        for label, prepared in cases.items():
            medians = interleaved_medians({
                "1 thread": train_to_results(prepared, 1),
                "default": train_to_results(prepared, None),
            }, args.repeats)
            one, default = medians["1 thread"], medians["default"]
            print(f"{label} ({args.busy} busy processes beside): Train -> results "
                  f"{one:.2f} s on one BLAS thread, {default:.2f} s on the default: "
                  f"one / default {one / default:.2f}", flush=True)
    finally:
        for proc in busy:
            proc.terminate()
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
