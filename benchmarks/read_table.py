"""Time to read a 10 MB .xlsx of 100,000 rows x 10 numbers: python-calamine vs openpyxl,
and cecore's read_table (calamine plus the archive checks and the typed columns), the same
table as CSV and as Parquet.

Run from the repository root:

    python benchmarks/read_table.py              # median of 3
    python benchmarks/read_table.py --repeats 5

Everything runs in this one process; the calls are interleaved in each round (after one
warm-up round) and the median wall time of each is printed. The workbook is written once by
openpyxl (write_only) into a temporary folder. The engines' rows are the sheet's values as
Python lists (what read_table builds its columns from); the figures chose the engine of
cecore/io/excel.py (see its docstring).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import python_calamine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import interleaved_medians  # noqa: E402

from cecore.data import read_csv, read_table  # noqa: E402


def write_files(folder: Path, n_rows: int, n_columns: int) -> dict[str, Path]:
    """The same table of random numbers (10 significant digits) as .xlsx, .csv, .parquet."""
    values = np.random.default_rng(0).normal(size=(n_rows, n_columns)).round(10)
    names = [f"x{j}" for j in range(n_columns)]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append(names)
    for row in values.tolist():
        sheet.append(row)
    paths = {"xlsx": folder / "table.xlsx", "csv": folder / "table.csv",
             "parquet": folder / "table.parquet"}
    book.save(paths["xlsx"])
    frame = pd.DataFrame(values, columns=names)
    frame.to_csv(paths["csv"], index=False)
    frame.to_parquet(paths["parquet"], index=False)
    return paths


def calamine_rows(path: Path) -> list[list]:
    with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
        return book.get_sheet_by_index(0).to_python()


def openpyxl_rows(path: Path) -> list[list]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        paths = write_files(Path(folder), args.rows, args.columns)
        sizes = {kind: path.stat().st_size / 1e6 for kind, path in paths.items()}
        assert calamine_rows(paths["xlsx"])[1:] == openpyxl_rows(paths["xlsx"])[1:]
        calls = {
            "python-calamine rows (engine)": lambda: calamine_rows(paths["xlsx"]),
            "openpyxl read_only rows (engine)": lambda: openpyxl_rows(paths["xlsx"]),
            "read_table .xlsx": lambda: read_table(paths["xlsx"]),
            "read_table .parquet": lambda: read_table(paths["parquet"]),
            "read_table .csv": lambda: read_table(paths["csv"]),
            "read_csv .csv": lambda: read_csv(paths["csv"]),
        }
        medians = interleaved_medians(calls, args.repeats)
    print(f"python {platform.python_version()}, python-calamine {version('python-calamine')}, "
          f"openpyxl {version('openpyxl')}, pandas {pd.__version__}")
    print(f"{args.rows:,} rows x {args.columns} numbers; files: "
          + ", ".join(f"{kind} {mb:.1f} MB" for kind, mb in sizes.items()))
    print(f"median of {args.repeats} (in one process, interleaved):")
    for name, seconds in medians.items():
        print(f"  {name:34s} {seconds:7.3f} s")
    ratio = medians["openpyxl read_only rows (engine)"] / medians["python-calamine rows (engine)"]
    print(f"openpyxl / calamine: {ratio:.1f}x")


if __name__ == "__main__":
    main()
