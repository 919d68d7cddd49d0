"""Wide tables in cecore: read_csv, prepare, describe_columns, suggest_target and
suggest_features on 100 rows x 20,000 numeric columns (a gene-expression shape), each
against ``pandas.read_csv`` of the same bytes.

Run from the repository root:

    python benchmarks/wide_tables.py                    # 100 x 20,000, median of 3
    python benchmarks/wide_tables.py --columns 5000 --repeats 5

Everything runs in this one process with BLAS pinned to one thread (threadpoolctl); the
calls are interleaved in each round (after one warm-up round), and the median wall time
of each is printed with its ratio to pandas.read_csv's median. The table: an id column
(``sample_001`` ...), the numeric columns (log-normal values written with 3 decimals, a
few missing) and a two-class ``label``. describe, suggest and prepare get a new shallow
copy of the frame each time, so nothing computed for one call is reused by the next.
"""

from __future__ import annotations

import argparse
import io
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import interleaved_medians  # noqa: E402

from cecore.data import (  # noqa: E402
    describe_columns,
    prepare,
    read_csv,
    suggest_features,
    suggest_target,
)


def wide_csv(n_rows: int = 100, n_columns: int = 20_000, seed: int = 0) -> bytes:
    """The benchmark's table as CSV bytes (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    values = rng.lognormal(2.0, 1.0, (n_rows, n_columns)).round(3)
    values[rng.random(values.shape) < 0.001] = np.nan
    frame = pd.DataFrame(values, columns=[f"gene_{j:05d}" for j in range(n_columns)])
    frame.insert(0, "sample", [f"sample_{i:03d}" for i in range(n_rows)])
    frame["label"] = np.where(np.arange(n_rows) % 2 == 0, "tumour", "normal")
    return frame.to_csv(index=False).encode()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--columns", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    content = wide_csv(args.rows, args.columns)
    frame = read_csv(content)
    assert frame.shape == (args.rows, args.columns + 2), frame.shape
    calls = {
        "pandas.read_csv": lambda: pd.read_csv(io.BytesIO(content)),
        "read_csv": lambda: read_csv(content),
        "describe_columns": lambda: describe_columns(frame.copy(deep=False)),
        "suggest_target": lambda: suggest_target(frame.copy(deep=False)),
        "suggest_features": lambda: suggest_features(frame.copy(deep=False), "label"),
        "prepare": lambda: prepare(frame.copy(deep=False), "label"),
    }
    with threadpool_limits(1):
        medians = interleaved_medians(calls, args.repeats)
    reference = medians["pandas.read_csv"]
    print(f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"{args.rows:,} rows x {args.columns:,} numeric columns (+ an id and a label), "
          f"{len(content) / 1e6:.1f} MB of CSV")
    print(f"median of {args.repeats} (in one process, interleaved, BLAS on one thread):")
    for name, seconds in medians.items():
        print(f"  {name:18s} {seconds:7.3f} s  {seconds / reference:5.2f}x pandas.read_csv")


if __name__ == "__main__":
    main()
