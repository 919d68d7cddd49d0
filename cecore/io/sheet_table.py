"""A sheet's cells as a table: title rows, the header row, merged header cells, typed columns.

The input is what a spreadsheet engine gives for the used area of a sheet: rows of Python
values (float, int, str, bool, datetime, date, time, timedelta; "" for an empty cell), the
position of its top-left cell and the merged ranges. The conventions are read_csv's, so a
table reads the same from a workbook as from its CSV export:

- rows without any value are left out; rows above the table with fewer values than half its
  columns (a title, often merged across the columns) are skipped as titles
  (:func:`cecore.io.titles.count_title_lines`, on the rows written as text);
- the first row is a header unless it looks like data (:func:`cecore.io.header.looks_like_header`);
  names are stripped, empty ones become ``column_N``, repeated ones ``name.1``
  (:func:`cecore.io.header.final_column_names`); a header cell merged across columns names
  each of them (``size``, ``size.1``), with a note;
- a column of numbers is int64 when every value is whole (and none is missing), else
  float64; cells formatted as dates are datetimes (so a column of them is datetime64);
  booleans stay booleans; the missing markers of CSV files (``NA``, ``n/a``, ...) are missing;
  any other mix of types is text, numbers written as Excel shows them (``3``, ``0.25``,
  ``TRUE``, dates in ISO form).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cecore.errors import DataError
from cecore.io.header import final_column_names, looks_like_header
from cecore.io.source import SNIFF_RECORDS
from cecore.io.titles import count_title_lines
from cecore.io.values import MISSING_MARKERS, STRING_DTYPE

_MISSING = frozenset(MISSING_MARKERS)
_NUMBERS = (float, int)
_DATES = (dt.datetime, dt.date)


def column_letter(index: int) -> str:
    """Excel's letters for a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(value) -> str:
    """A cell as text, written as Excel shows it in a CSV export."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def sheet_frame(
    rows: list[list], origin: tuple[int, int], merged: list | None
) -> tuple[pd.DataFrame, list[str]]:
    """The table in the sheet's rows and the notes on how it was read.

    ``origin`` is the 0-based (row, column) of ``rows[0][0]`` in the sheet, ``merged`` the
    merged ranges as ((first row, first column), (last row, last column)) in the sheet.
    DataError when the rows hold a header but no data.
    """
    kept = [i for i, row in enumerate(rows) if row.count("") < len(row)]
    records = [(origin[0] + i + 1, _trimmed_text(rows[i])) for i in kept[:SNIFF_RECORDS]]
    complete = len(kept) <= SNIFF_RECORDS
    n_titles, sklearn = count_title_lines(records, complete) if len(records) > 2 else (0, False)
    notes = [_title_note(records[:n_titles], sklearn)] if n_titles else []
    table = kept[n_titles:]
    texts = [fields for _, fields in records[n_titles:]]
    n_columns = max(map(_width, (rows[i] for i in table)))
    has_header = looks_like_header(texts)
    first_row, first_column = origin[0] + table[0], origin[1]
    if (first_row, first_column) != (0, 0) and not n_titles:
        notes.append(f"The table starts at cell {column_letter(first_column)}{first_row + 1}.")
    if has_header:
        header = [cell_text(v).strip() for v in rows[table[0]][:n_columns]]
        header, merge_notes = _merged_header(header, rows, table[0], origin, merged or [])
        notes += merge_notes
        body = table[1:]
    else:
        header, body = None, table
    if not body:
        raise DataError("The sheet has a header row but no data rows.")
    names, name_notes = final_column_names(header, n_columns)
    notes += name_notes
    notes += _merged_data_note(merged or [], origin[0] + (table[0] if has_header else -1))
    columns = {}
    for j in range(n_columns):
        columns[j] = _typed_column([rows[i][j] for i in body])
    frame = pd.DataFrame(columns)
    frame.columns = names
    return frame, notes


def _width(row: list) -> int:
    """The number of cells up to the row's last value."""
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    return end


def _trimmed_text(row: list) -> list[str]:
    """The row's cells as one-line text, without the empty cells after its last value."""
    return [cell_text(v).replace("\r", " ").replace("\n", " ") for v in row[: _width(row)]]


def _title_note(titles: list, sklearn: bool) -> str:
    """The note for the rows skipped above the table."""
    if sklearn:
        return f"Row {titles[0][0]} is scikit-learn's dataset header; it was skipped."
    first = " ".join(v.strip() for v in titles[0][1] if v.strip())
    first = first if len(first) <= 60 else first[:57] + "..."
    if len(titles) == 1:
        return (f"Row {titles[0][0]} ({first!r}) has fewer values than the table below, so "
                "it was read as a title and skipped.")
    return (f"Rows {titles[0][0]} to {titles[-1][0]} have fewer values than the table below, "
            "so they were read as titles and skipped.")


def _merged_header(
    header: list[str], rows: list[list], header_index: int, origin: tuple[int, int], merged: list
) -> tuple[list[str], list[str]]:
    """The header with each merged header cell's text on every column it spans, and notes."""
    row = origin[0] + header_index
    notes = []
    for (r0, c0), (r1, c1) in sorted(merged):
        first, last = c0 - origin[1], min(c1 - origin[1], len(header) - 1)
        if not r0 <= row <= r1 or last <= first or first < 0:
            continue
        text = cell_text(rows[r0 - origin[0]][first]).strip() if r0 >= origin[0] else ""
        if not text:
            continue
        for j in range(first, last + 1):
            header[j] = text
        notes.append(
            f"The header cell {text!r} is merged across columns {column_letter(c0)} to "
            f"{column_letter(c0 + last - first)}; each of them is named after it."
        )
    return header, notes


def _merged_data_note(merged: list, header_row: int) -> list[str]:
    """A note on merged cells below the header: only their first cell holds the value."""
    n = sum(r0 > header_row for (r0, _), _ in merged)
    if not n:
        return []
    ranges = "range" if n == 1 else "ranges"
    return [f"The data has {n} merged cell {ranges}: only the first cell of each holds its "
            "value, the other cells were read as missing."]


def _typed_column(values: list):
    """One column's cells as a numpy array or pandas array (see the module docstring)."""
    kinds = set(map(type, values))
    if str in kinds:
        values = [None if type(v) is str and v.strip() in _MISSING else v for v in values]
        kinds = set(map(type, values))
    missing = type(None) in kinds
    kinds.discard(type(None))
    if not kinds:
        return np.full(len(values), np.nan)
    if kinds <= {float, int}:
        numbers = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        whole = not missing and np.all(np.abs(numbers) < 2**53) and np.all(numbers % 1 == 0)
        return numbers.astype(np.int64) if whole else numbers
    if kinds == {bool}:
        return np.array(values, dtype=bool if not missing else object)
    if all(issubclass(kind, _DATES) for kind in kinds):
        return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy()
    text = [None if v is None else cell_text(v) for v in values]
    return pd.array(text, dtype=STRING_DTYPE)
