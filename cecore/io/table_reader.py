"""read_table: the front door over the table formats (CSV/TSV/TXT, Excel .xlsx/.xlsm, Parquet).

Modelled on pandas' io/parsers/readers.py: one entry point that finds the source's bytes,
decides the format and hands over to the engine module (csv_reader, excel, parquet), each of
which returns a DataFrame with plain-sentence notes in ``attrs["notes"]``.

The format is decided by the content, not the name: a ZIP archive holding
``xl/workbook.xml`` is an Excel workbook, ``PAR1`` starts a Parquet file, an OLE container
(``D0 CF 11 E0``) is an encrypted workbook or an old .xls (refused with what to do), another
known binary signature (image, PDF, gzip, SQLite) is refused, and anything else is text,
read as CSV. The file name's extension is only a hint: when it says another format than the
content, the content wins and a note says so. The upload limit (MAX_UPLOAD_MB) holds for
every format; Excel and Parquet files are also bounded in what they may expand to.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

import pandas as pd

from cecore.errors import DataError, data_errors_only
from cecore.io.archive import OLE_SIGNATURE, ZIP_SIGNATURE, refuse_ole
from cecore.io.csv_reader import read_csv
from cecore.io.encoding import BINARY_SIGNATURES
from cecore.io.excel import EXCEL_EXTENSIONS, excel_sheets, read_excel
from cecore.io.parquet import PARQUET_SIGNATURE, read_parquet
from cecore.io.source import first_bytes, load_source

CSV_EXTENSIONS = (".csv", ".tsv", ".txt")
PARQUET_EXTENSIONS = (".parquet", ".pq")
#: the file name extensions the upload widget should accept (read_table reads each)
TABLE_EXTENSIONS = CSV_EXTENSIONS + EXCEL_EXTENSIONS + PARQUET_EXTENSIONS

_FORMAT_NAMES = {"csv": "CSV text", "excel": "an Excel workbook", "parquet": "a Parquet file"}
_HINTS = {**dict.fromkeys(CSV_EXTENSIONS, "csv"), **dict.fromkeys(EXCEL_EXTENSIONS, "excel"),
          ".xls": "excel", **dict.fromkeys(PARQUET_EXTENSIONS, "parquet")}


@data_errors_only("reading the file")
def read_table(source, name: str | None = None, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/TXT, Excel (.xlsx, .xlsm) or Parquet file into a DataFrame.

    ``source`` is a path, bytes or a file object (a Streamlit UploadedFile works; file objects
    are read from the start); ``name`` is the file's name (only a hint of its format: the
    content decides), taken from ``source.name`` or the path when not given. ``sheet`` names
    the workbook's sheet to read; by default the first sheet with data (see
    :func:`list_sheets`); it is ignored for CSV and Parquet files.

    Notes on what was detected, skipped or changed are in ``df.attrs["notes"]``: for
    workbooks the sheet read ("Read sheet 'Data' (the workbook has 3 sheets: ...)."), title
    rows skipped, merged header cells, formulas without a saved value; for Parquet files the
    nested columns flattened or left out; for CSV what read_csv notes. Anything that cannot
    be read raises DataError with what to do.
    """
    data = load_source(source)
    kind = _content_format(data)
    if kind == "excel":
        frame = read_excel(data, sheet)
    elif kind == "parquet":
        frame = read_parquet(data)
    else:
        frame = read_csv(data)
    hint = _HINTS.get(PurePath(_file_name(source, name)).suffix.lower())
    if hint and hint != kind:
        note = (f"The file is named {_file_name(source, name)!r} but holds "
                f"{_FORMAT_NAMES[kind]}; it was read as such.")
        frame.attrs["notes"] = [note] + frame.attrs.get("notes", [])
    return frame


@data_errors_only("reading the workbook")
def list_sheets(source, name: str | None = None) -> list[str]:
    """The names of a workbook's worksheets in workbook order (chart sheets, which hold no
    cells, are not listed); [] for a CSV or Parquet file. For a sheet chooser: pass one of
    them to ``read_table(..., sheet=...)``. Raises DataError as read_table does."""
    data = load_source(source)
    return excel_sheets(data) if _content_format(data) == "excel" else []


def _content_format(data: Path | bytes) -> str:
    """"excel", "parquet" or "csv" from the first bytes; DataError for other binary files."""
    head = first_bytes(data, 16)
    if head.startswith(ZIP_SIGNATURE):
        return "excel"  # cecore.io.archive says what it is when not a workbook
    if head.startswith(PARQUET_SIGNATURE):
        return "parquet"
    if head.startswith(OLE_SIGNATURE):
        refuse_ole(data)
    for signature, description in BINARY_SIGNATURES:
        if head.startswith(signature):
            raise DataError(
                f"This looks like {description}, not a table. Choose a CSV, Excel (.xlsx) "
                "or Parquet file."
            )
    return "csv"


def _file_name(source, name: str | None) -> str:
    """The file's name: ``name``, else the path's or the file object's name, else ""."""
    if name:
        return str(name)
    if isinstance(source, (str, os.PathLike)):
        return PurePath(source).name
    found = getattr(source, "name", None)
    return PurePath(found).name if isinstance(found, str) else ""
