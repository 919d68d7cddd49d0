"""read_csv: a CSV file as spreadsheets and libraries write it, into a DataFrame with notes."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cecore.allocator import return_free_memory
from cecore.errors import DataError, data_errors_only
from cecore.io.dialect import Dialect, delimiter_name, sniff_dialect
from cecore.io.encoding import as_utf8, reject_control_characters
from cecore.io.engines import parse_csv
from cecore.io.header import final_column_names
from cecore.io.source import SAMPLE_BYTES, all_bytes, byte_size, first_bytes, load_source

_LINE_END = re.compile(rb"\r\n|\r|\n")  # how the csv module and pyarrow end a line
_EXCEL_SEPARATOR = re.compile(r"sep=([,;\t|])\r?\n")  # a first line like "sep=;"


@data_errors_only("reading the file")
def read_csv(source) -> pd.DataFrame:
    """Read a CSV file into a DataFrame, detecting its encoding and dialect.

    ``source`` is a path (str or Path), bytes, or a binary or text file object (a
    Streamlit UploadedFile works; file objects are read from the start). Detected: the
    encoding (UTF-8 with or without BOM; UTF-16 or UTF-32 with BOM, or without one when the
    text is mostly in Latin script; else Windows-1252 / Latin-1),
    the delimiter among ``,`` ``;`` tab ``|``, a decimal comma, and whether the first row
    is a header (if not, columns are named ``column_1`` ...). Column names are stripped;
    empty names become ``column_N``; repeated names become ``name.1``, ``name.2`` ...
    Values stay plain strings unless a whole column is numbers, booleans or ISO dates.
    Each column's numbers are read with the decimal mark and thousands separator that all
    its values decide (``1.234.567``, ``0,5``, ``1,234.5``; cecore.io.numbers); when its
    values fit both readings (``1.234``: 1.234 or 1234?) the other columns decide, or the
    comma delimiter; a column still undecided stays text, with a note.

    What was detected or changed is listed, as plain sentences, in ``df.attrs["notes"]``.
    Anything that cannot be read raises DataError.
    """
    data = load_source(source)
    data, encoding = as_utf8(data)
    head = first_bytes(data, SAMPLE_BYTES).decode("utf-8", errors="ignore").removeprefix("\ufeff")
    if not head.strip():
        raise DataError("The file is empty.")
    reject_control_characters(head)
    complete = byte_size(data) <= SAMPLE_BYTES
    hint = _EXCEL_SEPARATOR.match(head)
    if hint:  # Excel's "sep=;" line names the delimiter; the table starts below it
        dialect = sniff_dialect(head[hint.end() :], complete, hint[1], skip_lines=1)
        dialect = dialect._replace(separator_line=True)
    else:
        dialect = sniff_dialect(head, complete)
    names, name_notes = final_column_names(dialect.header, dialect.n_columns)
    frame, notes = parse_csv(_table_data(data, dialect), dialect, complete, names)
    return_free_memory()
    if frame.empty:
        raise DataError("The file has a header row but no data rows.")
    frame.columns = names
    frame.attrs["notes"] = _reading_notes(encoding, dialect) + name_notes + notes
    return frame


def _table_data(data: Path | bytes, dialect: Dialect) -> Path | bytes:
    """The data from the table's first line on: the lines above it (``dialect.skip_lines``:
    Excel's "sep=" line, title lines) are cut off here rather than skipped by the parsers,
    which count them differently (pandas counts a quoted value over two lines as one row,
    and blank lines in old Mac files, ended by a lone CR, not at all)."""
    if not dialect.skip_lines:
        return data
    ends = _LINE_END.finditer(first_bytes(data, SAMPLE_BYTES))
    for _ in range(dialect.skip_lines):
        end = next(ends).end()
    return all_bytes(data)[end:]


def _reading_notes(encoding: str | None, dialect: Dialect) -> list[str]:
    """Notes on the detected encoding and decimal mark, when they are not the default."""
    notes = []
    if encoding:
        notes.append(f"The file is not UTF-8; it was read as {encoding} text.")
    if dialect.separator_line:
        notes.append(
            f"The first line only tells spreadsheets the delimiter "
            f"({delimiter_name(dialect.delimiter)}); it was skipped."
        )
    if dialect.title_lines:
        notes.append(_title_note(dialect))
    if dialect.decimal == ",":
        notes.append("Numbers are written with a decimal comma (1,5); they were read as numbers.")
    return notes


def _title_note(dialect: Dialect) -> str:
    """The note for short lines skipped above the table."""
    (start, first), (end, _) = dialect.title_lines[0], dialect.title_lines[-1]
    n = len(dialect.title_lines)
    fields = first.split(dialect.delimiter)
    if dialect.sklearn_header:
        return (
            f"Line {start} is scikit-learn's dataset header ({fields[0].strip()} samples, "
            f"{fields[1].strip()} features, classes {', '.join(f.strip() for f in fields[2:])} "
            f"coded {', '.join(map(str, range(len(fields) - 2)))} in the last column); "
            "it was skipped."
        )
    first = first if len(first) <= 60 else first[:57] + "..."
    where = f"Line {start} ({first!r})" if n == 1 else f"Lines {start} to {end}"
    verb = "has" if n == 1 else "have"
    return (
        f"{where} {verb} fewer values than the {dialect.n_columns} columns of the table below, "
        f"so {'it was' if n == 1 else 'they were'} read as a title and skipped."
    )
