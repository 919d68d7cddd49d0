"""What the pages cost on top of the numerics, measured through Streamlit's AppTest.

Run from the repository root:

    python benchmarks/app.py              # all sections
    python benchmarks/app.py --section explorer

Sections (BLAS pinned to one thread, medians, compared runs interleaved in one process):

* ``train``: 300 epochs on 100,000 training rows x 20 features through the training page (live
  chart, progress bar, readouts) against bare ``fit_iter`` on the same prepared data.
* ``explorer``: server time of one slider move on the binary explorer (a full script rerun
  with its three charts), and of a softmax logit move.
* ``csv``: ``read_csv`` + ``prepare`` of a ~100 MB numeric CSV: seconds and peak memory over
  the float64 matrix (the high-water mark of a child process's resident memory above its
  imports).
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthetic_csv(n_rows, n_features, seed=0):
    """Bytes of a numeric CSV with a binary ``label`` column driven by the features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    label = (X @ rng.normal(size=n_features) + rng.normal(size=n_rows) > 0).astype(int)
    buf = io.StringIO()
    buf.write(",".join([f"x{j}" for j in range(n_features)] + ["label"]) + "\n")
    np.savetxt(buf, np.column_stack([X, label]), delimiter=",",
               fmt=["%.6f"] * n_features + ["%d"])
    return buf.getvalue().encode()


def _app_test():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    return at


def train_section(repeats):
    from cecore import data
    from cecore.training import DataOptions, TrainConfig, build_estimator, prepare_data

    content = synthetic_csv(133_334, 20)                    # 100,000 rows after a 25% test split
    config = TrainConfig(epochs=300, tol=0.0, solver="gd", alpha=0.01)
    prepared = prepare_data(data.read_csv(content), "label", None, DataOptions(), 0)

    def bare():
        est = build_estimator(config, "logistic")
        start = time.perf_counter()
        for _ in est.fit_iter(prepared.X_train, prepared.y_train,
                              X_val=prepared.X_test, y_val=prepared.y_test):
            pass
        return time.perf_counter() - start

    def page():
        at = _app_test()
        at.switch_page("pages/train.py").run()
        at.segmented_control(key="train_source").set_value("upload").run()
        at.file_uploader(key="train_upload").upload("bench.csv", content, "text/csv").run()
        at.number_input(key="train_epochs").set_value(300)
        at.number_input(key="train_tol").set_value(0.0)
        at.selectbox(key="train_solver").set_value("gd").run()
        at.button(key="train_start").click().run()
        assert not at.exception, at.exception
        run = at.session_state["train_run"]
        assert len(run.history) == 300, len(run.history)
        cost = at.session_state["train_live_cost"]
        return cost["seconds"], cost["redraws"]

    bares, pages = [], []
    for _ in range(repeats):
        bares.append(bare())
        pages.append(page())
    b = statistics.median(bares)
    p = statistics.median(s for s, _ in pages)
    print(f"train: {prepared.X_train.shape[0]:,} x {prepared.X_train.shape[1]} rows, 300 epochs; "
          f"bare fit_iter {b:.3f} s, page with live chart {p:.3f} s "
          f"({statistics.median(r for _, r in pages):.0f} redraws): ratio {p / b:.3f} "
          "(target <= 1.15)")


def explorer_section(repeats):
    at = _app_test()
    at.switch_page("pages/loss_curves.py").run()
    times = []
    for i in range(repeats):
        slider = at.slider(key="p").set_value(0.1 + 0.8 * i / repeats)
        start = time.perf_counter()
        slider.run()
        times.append(time.perf_counter() - start)
        assert not at.exception
    print(f"explorer: binary page, slider move -> rerun with 3 charts: median "
          f"{1e3 * statistics.median(times):.0f} ms, max {1e3 * max(times):.0f} ms "
          f"over {repeats} moves (target < 150 ms)")
    at.switch_page("pages/softmax.py").run()
    times = []
    for i in range(repeats):
        slider = at.slider(key="z1").set_value(-5 + 10 * i / repeats)
        start = time.perf_counter()
        slider.run()
        times.append(time.perf_counter() - start)
        assert not at.exception
    print(f"explorer: softmax page, logit move -> rerun with the ternary map: median "
          f"{1e3 * statistics.median(times):.0f} ms, max {1e3 * max(times):.0f} ms")


_CSV_CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from cecore import data

def high_water_mark():
    # VmHWM is this process's own peak; ru_maxrss would include the parent's resident
    # memory at the time of the spawn (Linux carries it over exec)
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

base = high_water_mark()
start = time.perf_counter()
frame = data.read_csv({path!r})
read = time.perf_counter() - start
read_peak = high_water_mark()
prepared = data.prepare(frame, "label", test_size=0.25)
total = time.perf_counter() - start
peak = high_water_mark()
print(read, total, read_peak - base, peak - base, prepared.X_train.nbytes + prepared.X_test.nbytes)
"""


def csv_section(repeats):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "numeric.csv"
        with open(path, "wb") as f:                       # just under the 100 MB limit
            f.write(synthetic_csv(100_000, 20, seed=0))
            for seed in range(1, 100):
                chunk = synthetic_csv(100_000, 20, seed=seed).split(b"\n", 1)[1]
                if f.tell() + len(chunk) > 99 * 2**20:
                    break
                f.write(chunk)
        size_mb = path.stat().st_size / 2**20
        rows = []
        for _ in range(repeats):
            out = subprocess.run([sys.executable, "-c",
                                  _CSV_CHILD.format(root=str(ROOT), path=str(path))],
                                 capture_output=True, text=True, check=True)
            rows.append([float(v) for v in out.stdout.split()])
        read, total, read_peak, peak, matrix = (statistics.median(c)
                                                for c in zip(*rows, strict=True))
        print(f"csv: {size_mb:.0f} MB numeric CSV, medians of {repeats} runs: read_csv "
              f"{read:.2f} s, read_csv + prepare {total:.2f} s (target <= 2 s); peak memory "
              f"over the imports {peak / 2**20:.0f} MB = {peak / matrix:.2f}x the float64 "
              f"matrix of {matrix / 2**20:.0f} MB (target <= 3x; read_csv alone "
              f"{read_peak / matrix:.2f}x)")
        print("csv: seconds and peak ratio per run: " + ", ".join(
            f"{t:.2f} s {p / m:.2f}x" for _, t, _, p, m in rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=["train", "explorer", "csv"], nargs="*",
                        default=["explorer", "train", "csv"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    with threadpool_limits(limits=1):
        for section in args.section:
            {"train": train_section, "explorer": lambda r: explorer_section(4 * r),
             "csv": csv_section}[section](args.repeats)


if __name__ == "__main__":
    main()
