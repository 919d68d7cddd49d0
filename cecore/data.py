"""Reading, checking and preparing a user's table for the classifiers.

Data flows one way: bytes -> :func:`read_csv` -> DataFrame -> :func:`prepare` -> :class:`Prepared`
(a float matrix, class indices, a stratified split and the fitted sklearn preprocessing).
Every problem with a user's data raises :class:`DataError` with a message a person can act on;
the public functions (except escape_spreadsheet_cells) never raise any other exception.

This module never imports streamlit. Text from a user's file is kept verbatim as plain
strings: rendering it safely is the page's job.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import math
import numbers
import os
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sklearn import datasets
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from cecore.allocator import return_free_memory

__all__ = [
    "MAX_UPLOAD_MB",
    "SAMPLES",
    "DataError",
    "Prepared",
    "SampleDataset",
    "describe_columns",
    "escape_spreadsheet_cells",
    "load_sample",
    "prepare",
    "read_csv",
    "suggest_features",
    "suggest_target",
]

MAX_UPLOAD_MB = 100
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
SAMPLE_BYTES = 1024 * 1024  # how much of the file is used to detect the dialect
SNIFF_RECORDS = 200  # records per candidate delimiter used to detect the dialect
MAX_TITLE_LINES = 5  # most short lines above a table that are skipped as its title
DELIMITERS = ("\t", ";", "|", ",")  # ties are broken in this order (see _delimiter_score)
MISSING_MARKERS = ("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "<NA>")

MIN_ROWS = 4  # fewest usable rows prepare accepts
MAX_CLASSES = 50  # prepare's default limit on the number of classes
MAX_CATEGORIES = 20  # one-hot columns per categorical input, the rarest values grouped
MAX_ABS_VALUE = 1e100  # larger numbers overflow when squared by scaling or training
CONTINUOUS_MIN_DISTINCT = 10  # a non-integer target with more values than this is continuous
SUGGESTED_MAX_CLASSES = 20  # suggest_target's limit when no column has a target-like name
FREE_TEXT_MIN_DISTINCT = 20  # text with more different values (and > half the rows) is free text
UNEXPECTED = "Unexpected problem while"

_BINARY_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "an Excel workbook or a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Office document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NUMBER = re.compile(
    r"\s*[+-]?(?:(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:e[+-]?\d+)?|inf(?:inity)?)\s*", re.IGNORECASE
)
# numbers with digit grouping: 1,234 or 12,345,678.9 (grouped by ","), 1.234,5 (grouped by ".")
_GROUPED_BY_COMMA = re.compile(r"\s*[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?\s*")
_GROUPED_BY_POINT = re.compile(r"\s*[+-]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d*)?\s*")
_LINE_END = re.compile(rb"\r\n|\r|\n")  # how the csv module and pyarrow end a line
_EXCEL_SEPARATOR = re.compile(r"sep=([,;\t|])\r?\n")  # a first line like "sep=;"
_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*", re.ASCII)  # exact even beyond 2**53
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*")
_DECIMAL_POINT = re.compile(r"\s*[+-]?\d*\.\d+(?:[eE][+-]?\d+)?\s*")
_DATE_LIKE = re.compile(
    r"\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*"
)
_DATE_FORMATS = (  # tried in order: an ambiguous 01/02/2024 is read day first
    "ISO8601",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
)
_DATE_PARTS = {"year": "year", "month": "month", "day": "day", "dayofweek": "day_of_week"}
_ID_NAME = re.compile(
    r"(?:^|[_\s.\-])(?:id|uuid|guid|key)$|[a-z0-9](?:Id|ID)$|^(?:index|idx|rowid|row_id|unnamed: ?\d+)$",
    re.IGNORECASE,
)
_TARGET_NAMES = (
    "target", "label", "labels", "class", "classes", "y", "species", "outcome", "survived",
    "diagnosis", "category", "churn", "default", "result", "status", "grade",
)  # fmt: skip
# Whole-number columns that hold years or counts, not class codes (suggest_target avoids them)
_YEAR_NAME = re.compile(r"year|(?:^|[_\s.\-])yr$|^yr(?:$|[_\s.\-])", re.IGNORECASE)
_COUNT_WORDS = (
    r"(?:n|nb|num|number|count|cnt|size|qty|quantity|total|amount|age|pop|population|people"
    r"|persons|guests|children|kids|rooms|bedrooms|bathrooms|visits|days|hours|minutes)"
)
_COUNT_NAME = re.compile(
    rf"^{_COUNT_WORDS}$|^(?:n|nb|num|number|count|cnt|total)[_\s.\-]"
    r"|[_\s.\-](?:count|cnt|size|total|num)$",
    re.IGNORECASE,
)
_COUNT_CAMEL_CASE = re.compile(r"[a-z](?:Count|Size|Total)$")
_BOOLEAN_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f"}
_STRING_DTYPE = pd.StringDtype(na_value=np.nan)  # pandas' default "str" dtype


class DataError(ValueError):
    """A problem with a user's data, worded so that a non-programmer can act on it."""


def _data_errors_only(activity: str) -> Callable:
    """Decorate a public entry point so that every failure leaves it as a DataError.

    Known problems already raise DataError with a specific message; anything else (a
    MemoryError, or an exception from pandas, pyarrow or sklearn that no check foresaw)
    becomes a DataError that names the activity and keeps the original as its cause.
    """

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def guarded(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except DataError:
                raise
            except MemoryError as exc:
                raise DataError(f"There is not enough memory for {activity}.") from exc
            except Exception as exc:  # the contract: nothing but DataError leaves this call
                raise DataError(f"{UNEXPECTED} {activity}: {type(exc).__name__}: {exc}") from exc

        return guarded

    return decorate


# --------------------------------------------------------------------------------------
# Reading a CSV file
# --------------------------------------------------------------------------------------


class _Dialect(NamedTuple):
    """How a CSV file is written, detected from its first megabyte."""

    delimiter: str
    decimal: str
    header: list[str] | None  # the raw header fields; None when the file has no header row
    n_columns: int
    quoted: bool  # the sample holds quote characters, so values may span lines
    skip_lines: int = 0  # lines before the table (Excel's "sep=;" line, title lines)
    trailing: bool = False  # data rows end with a delimiter (an empty field after the last column)
    separator_line: bool = False  # the file starts with Excel's "sep=;" line
    title_lines: tuple[tuple[int, str], ...] = ()  # (first line, text) of lines above the table
    sklearn_header: bool = False  # the title line is scikit-learn's "n_samples,n_features,..."


@_data_errors_only("reading the file")
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

    What was detected or changed is listed, as plain sentences, in ``df.attrs["notes"]``.
    Anything that cannot be read raises DataError.
    """
    data = _load_source(source)
    data, encoding = _as_utf8(data)
    head = _head(data, SAMPLE_BYTES).decode("utf-8", errors="ignore").removeprefix("\ufeff")
    if not head.strip():
        raise DataError("The file is empty.")
    _reject_control_characters(head)
    complete = _size(data) <= SAMPLE_BYTES
    hint = _EXCEL_SEPARATOR.match(head)
    if hint:  # Excel's "sep=;" line names the delimiter; the table starts below it
        dialect = _sniff_dialect(head[hint.end() :], complete, hint[1], skip_lines=1)
        dialect = dialect._replace(separator_line=True)
    else:
        dialect = _sniff_dialect(head, complete)
    frame, notes = _parse(_table_data(data, dialect), dialect, complete)
    return_free_memory()
    if frame.empty:
        raise DataError("The file has a header row but no data rows.")
    names, name_notes = _column_names(dialect.header, dialect.n_columns)
    frame.columns = names
    frame.attrs["notes"] = _reading_notes(encoding, dialect) + name_notes + notes
    return frame


def _load_source(source) -> Path | bytes:
    """Return a path to stream from, or the file's bytes; reject missing or too large files."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"There is no file at '{path}'.")
        _check_size(path.stat().st_size)
        return path
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "read"):
        if getattr(source, "seekable", lambda: False)():
            source.seek(0)
        data = source.read(MAX_UPLOAD_BYTES + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, (bytes, bytearray)):
            raise DataError("The file object did not return any bytes when read.")
        data = bytes(data)
    else:
        raise DataError(
            f"read_csv expects a file path, bytes or an open file, not {type(source).__name__}."
        )
    _check_size(len(data))
    return data


def _check_size(n_bytes: int) -> None:
    """Reject files above the upload limit."""
    if n_bytes > MAX_UPLOAD_BYTES:
        raise DataError(
            f"The file is larger than {MAX_UPLOAD_MB} MB, the upload limit. "
            "Use fewer rows or columns."
        )


def _size(data: Path | bytes) -> int:
    """Size of the data in bytes."""
    return data.stat().st_size if isinstance(data, Path) else len(data)


def _table_data(data: Path | bytes, dialect: _Dialect) -> Path | bytes:
    """The data from the table's first line on: the lines above it (``dialect.skip_lines``:
    Excel's "sep=" line, title lines) are cut off here rather than skipped by the parsers,
    which count them differently (pandas counts a quoted value over two lines as one row,
    and blank lines in old Mac files, ended by a lone CR, not at all)."""
    if not dialect.skip_lines:
        return data
    ends = _LINE_END.finditer(_head(data, SAMPLE_BYTES))
    for _ in range(dialect.skip_lines):
        end = next(ends).end()
    return _all_bytes(data)[end:]


def _head(data: Path | bytes, n_bytes: int) -> bytes:
    """The first ``n_bytes`` bytes of the data."""
    if isinstance(data, Path):
        with data.open("rb") as handle:
            return handle.read(n_bytes)
    return data[:n_bytes]


def _chunks(data: Path | bytes, chunk_bytes: int = 8 * 1024 * 1024) -> Iterator[bytes]:
    """The data in consecutive pieces, without holding a whole file in memory."""
    if isinstance(data, Path):
        with data.open("rb") as handle:
            while chunk := handle.read(chunk_bytes):
                yield chunk
    else:
        view = memoryview(data)
        for start in range(0, len(data), chunk_bytes):
            yield bytes(view[start : start + chunk_bytes])


def _all_bytes(data: Path | bytes) -> bytes:
    """The whole data as bytes."""
    return data.read_bytes() if isinstance(data, Path) else data


def _as_utf8(data: Path | bytes) -> tuple[Path | bytes, str | None]:
    """Return the data as UTF-8 and the name of the encoding it was converted from.

    UTF-8 data (with or without BOM) is returned unchanged, so a path is streamed later
    rather than loaded. Other encodings are decoded and re-encoded in memory: UTF-32 and
    UTF-16 by their byte-order mark, or without one by the zero bytes of mostly-Latin text,
    else Windows-1252 and, failing that, Latin-1.
    """
    head = _head(data, SAMPLE_BYTES)
    for bom, codec, name in _BOMS:  # UTF-32 first: its little-endian BOM starts like UTF-16's
        if head.startswith(bom):
            return _decode_wide(data, codec, name, "starts like"), name
    _reject_binary_signature(head)
    has_nul, is_utf8 = _scan_bytes(data)
    if has_nul:
        guess = _guess_wide_encoding(head, _size(data))
        if guess is None:
            raise DataError(
                "The file contains NUL bytes, so it is a binary file (or text in an encoding "
                "that could not be recognised), not a CSV text file. Export it as CSV (UTF-8)."
            )
        codec, name = guess
        return _decode_wide(data, codec, name, "looks like"), name
    if is_utf8:
        return data, None
    raw = _all_bytes(data)
    try:
        return raw.decode("cp1252").encode("utf-8"), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1").encode("utf-8"), "Latin-1"


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
# Encodings without byte-order mark, recognised in text that is mostly Latin letters, digits
# and punctuation: (codec, name, code unit size, offset of a byte that is then almost always
# zero, offset of the byte that holds the character)
_WIDE_ENCODINGS = (
    ("utf-32-le", "UTF-32", 4, 3, 0),
    ("utf-32-be", "UTF-32", 4, 0, 3),
    ("utf-16-le", "UTF-16", 2, 1, 0),
    ("utf-16-be", "UTF-16", 2, 0, 1),
)


def _decode_wide(data: Path | bytes, codec: str, name: str, how: str) -> bytes:
    """The data decoded from UTF-16 or UTF-32 and encoded as UTF-8; DataError if invalid."""
    try:
        text = _all_bytes(data).decode(codec)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"The file {how} {name} text but is not valid {name}. Save it again as CSV (UTF-8)."
        ) from exc
    return text.encode("utf-8")


def _guess_wide_encoding(head: bytes, size: int) -> tuple[str, str] | None:
    """(codec, name) of UTF-32 or UTF-16 text without byte-order mark, or None.

    Recognised when the file length fits the code unit, the high bytes of the code units
    are mostly zero while the low bytes are mostly not (text in Latin script), and the
    start decodes without error into text without NUL characters.
    """
    for codec, name, unit, zero_at, text_at in _WIDE_ENCODINGS:
        if size % unit or len(head) < unit:
            continue
        sample = head[: len(head) - len(head) % unit]
        n_units = len(sample) // unit
        if sample[zero_at::unit].count(0) < 0.5 * n_units:
            continue
        if sample[text_at::unit].count(0) > 0.1 * n_units:
            continue
        try:
            text = codecs.getincrementaldecoder(codec)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return codec, name
    return None


def _reject_binary_signature(head: bytes) -> None:
    """Raise DataError when the data starts like a well-known binary format."""
    for signature, description in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise DataError(
                f"This looks like {description}, not a CSV file. "
                "Open it in its program and export or save it as CSV."
            )


def _scan_bytes(data: Path | bytes) -> tuple[bool, bool]:
    """Return (contains a NUL byte, is valid UTF-8), reading the data once in pieces."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    for chunk in _chunks(data):
        if b"\x00" in chunk:
            return True, False
        if is_utf8 and not (chunk.isascii() and decoder.getstate()[0] == b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                is_utf8 = False
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return False, is_utf8


def _reject_control_characters(text: str) -> None:
    """Raise DataError when the text is full of control characters, as binary data is.

    A few stray ones (a vertical tab from a spreadsheet cell, say) are tolerated.
    """
    n_control = len(_CONTROL_CHARACTERS.findall(text))
    if n_control > max(16, len(text) // 50):
        raise DataError(
            "The file does not look like text: it is full of control characters. "
            "Choose a CSV text file."
        )


def _sniff_dialect(
    text: str, complete: bool, forced: str | None = None, skip_lines: int = 0
) -> _Dialect:
    """Detect delimiter (unless ``forced``), decimal mark and header from the file's start.

    ``complete`` says whether ``text`` is the whole file; if not, its last record may be
    cut off and is ignored. ``skip_lines`` lines of the file came before ``text`` (for the
    line numbers in messages). csv.Sniffer is not used: its preference order picks ``,``
    for files like ``1,5;2,5`` (``;``-separated with decimal commas).
    """
    candidates = {}
    for delimiter in [forced] if forced else DELIMITERS:
        records = _sample_records(text, delimiter, complete, skip_lines)
        if records is not None:
            candidates[delimiter] = records
    if not candidates:
        raise DataError(
            "The file could not be split into rows and columns: a value may be extremely "
            "long or badly quoted."
        )
    if not any(candidates.values()):
        if not complete:  # not even the first record ends within the sample
            raise DataError(
                f"The first row of the file is longer than {SAMPLE_BYTES // 2**20} MB, so its "
                "columns could not be detected. Use fewer columns, or look for a quote that "
                "is never closed."
            )
        raise DataError("The file is empty.")
    scores = {d: _delimiter_score(r, d) for d, r in candidates.items() if r}
    valid = {d: score for d, score in scores.items() if score is not None}
    if valid:
        delimiter = max(valid, key=valid.get)
    else:  # one column: take the delimiter that splits the fewest records, "," if none does
        delimiter = min(candidates, key=lambda d: (_count_split(candidates[d]), d != ","))
    records = candidates[delimiter]
    n_titles, sklearn_header = _count_title_lines(records, complete)
    if n_titles:  # read the table below them as if the file started there
        starts, lines = _table_start(text, delimiter, n_titles)
        below = _sniff_dialect(_after_lines(text, lines), complete, delimiter, skip_lines + lines)
        titles = tuple((skip_lines + start, delimiter.join(v for v in fields if v.strip()))
                       for start, (_, fields) in zip(starts, records, strict=False))
        return below._replace(title_lines=titles, sklearn_header=sklearn_header)
    decimal = _decimal_mark([f for _, fields in records[1:] for f in fields], delimiter)
    has_header = _has_header([fields for _, fields in records])
    header = records[0][1] if has_header else None
    n_columns = (
        len(header) if has_header else Counter(len(f) for _, f in records).most_common(1)[0][0]
    )
    body = records[1:] if has_header else records
    trailing = has_header and _ends_with_a_delimiter(body, n_columns)
    _reject_long_rows(body, n_columns, delimiter, has_header, trailing)
    if complete and has_header and len(records) == 1:
        raise DataError("The file has only one line, read as the header row, and no data rows.")
    return _Dialect(delimiter, decimal, header, n_columns, '"' in text, skip_lines, trailing)


def _count_title_lines(records: list, complete: bool) -> tuple[int, bool]:
    """How many records at the top are a title above the table, and whether that is the
    first line of scikit-learn's own CSV files (see _is_sklearn_header).

    A title record holds some text (not only numbers) in at most half as many values as the
    most common count of fields, and at least 90% of the records below have that count (or
    one less or more). Records of empty fields among the titles go with them. A spreadsheet
    pads a title with empty fields to the table's width; such a title must stand apart, with
    a blank line or an empty row before the table, and above a header row (else "id,,"
    or ",name" is a header that names some of its columns). (0, False) when there is no
    title or more than MAX_TITLE_LINES: a header more than half as wide as the table stays a
    header, for the message that names the row with fields too many, and short rows of
    numbers are data with missing values.
    """
    counts = [len(fields) for _, fields in records]
    width = Counter(counts).most_common(1)[0][0]
    if len(records) > 2 and _is_sklearn_header(records, width, complete):
        return 1, True
    n_titles = n_lines = 0
    padded = False
    for _, fields in records[: 2 * MAX_TITLE_LINES + 1]:
        values = [v for v in fields if v.strip()]
        if values and (len(values) > width // 2 or not any(map(_is_text_value, values))):
            break
        n_titles += bool(values)
        n_lines += 1
        padded |= bool(values) and len(fields) > width // 2
    below = counts[n_lines:]
    if not 0 < n_titles <= MAX_TITLE_LINES or len(below) < 2:
        return 0, False
    if padded and not (
        _stands_apart(records, n_lines)
        and _has_header([fields for _, fields in records[n_lines:]])
    ):
        return 0, False
    consistent = sum(abs(c - width) <= 1 for c in below) >= 0.9 * len(below)
    return (n_lines, False) if consistent else (0, False)


def _stands_apart(records: list, n_lines: int) -> bool:
    """Whether the first ``n_lines`` records end with a row of empty fields or are followed
    by a blank line."""
    (end, last), (next_end, next_fields) = records[n_lines - 1], records[n_lines]
    next_start = next_end - sum(v.count("\n") + v.count("\r") for v in next_fields)
    return not any(v.strip() for v in last) or next_start > end + 1


def _is_text_value(value: str) -> bool:
    """Whether a field holds text: neither empty, a missing marker nor a number."""
    value = value.strip()
    return bool(value) and value not in MISSING_MARKERS and not _is_number(value)


def _is_sklearn_header(records: list, width: int, complete: bool) -> bool:
    """Whether the first record is the first line of scikit-learn's own CSV files
    (``iris.csv``, ...): the number of samples, the number of features (the table's width
    less the target column) and the names of two or more classes, over rows that end in a
    class code 0, 1, ...; the number of samples is checked when the sample holds the whole
    file."""
    fields, below = records[0][1], records[1:]
    numbers, names = fields[:2], fields[2:]
    if not (
        len(names) >= 2
        and all(_INTEGER_TEXT.fullmatch(v) for v in numbers)
        and int(numbers[1]) == width - 1
        and all(_is_text_value(v) for v in names)
    ):
        return False
    codes = {str(i) for i in range(len(names))}
    if not all(row[-1].strip() in codes for _, row in below):
        return False
    whole_file = complete and len(records) < SNIFF_RECORDS
    return int(numbers[0]) == len(below) if whole_file else int(numbers[0]) >= len(below)


def _table_start(text: str, delimiter: str, n_titles: int) -> tuple[list[int], int]:
    """Where the table starts below the first ``n_titles`` records of ``text``: the first
    line of each of those records, and the number of lines before the table's first record
    (blank lines included)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    starts, lines = [], 0
    for fields in reader:
        if fields:
            if len(starts) == n_titles:
                break
            starts.append(lines + 1)
        lines = reader.line_num
    return starts, lines


def _after_lines(text: str, n_lines: int) -> str:
    """``text`` without its first ``n_lines`` lines (counted as the csv module counts them)."""
    stream = io.StringIO(text, newline="")
    for _ in range(n_lines):
        stream.readline()
    return stream.read()


def _sample_records(text: str, delimiter: str, complete: bool, skip_lines: int = 0) -> list | None:
    """Up to SNIFF_RECORDS non-blank records as (line number, fields); None if unparsable."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for fields in reader:
            if fields:
                records.append((reader.line_num + skip_lines, fields))
            if len(records) > SNIFF_RECORDS:
                return records[:SNIFF_RECORDS]
    except csv.Error:
        return None
    return records if complete else records[:-1]


def _delimiter_score(records: list, delimiter: str) -> tuple | None:
    """Rank a delimiter: consistent field counts first, then clean fields, then priority.

    None when the delimiter splits no record into two or more fields. A "messy" field
    holds a quote or another candidate delimiter (decimal-comma numbers excepted), a sign
    that the wrong delimiter was used.
    """
    counts = Counter(len(fields) for _, fields in records)
    mode, frequency = counts.most_common(1)[0]
    if mode < 2:
        return None
    others = [d for d in DELIMITERS if d != delimiter] + ['"']
    messy = sum(
        any(d in value for d in others) and not _DECIMAL_COMMA.fullmatch(value)
        for _, fields in records
        for value in fields
    )
    priority = len(DELIMITERS) - DELIMITERS.index(delimiter)
    return round(frequency / len(records), 2), -messy / len(records), priority


def _count_split(records: list) -> int:
    """How many records have more than one field."""
    return sum(len(fields) > 1 for _, fields in records)


def _decimal_mark(values: list[str], delimiter: str) -> str:
    """``,`` when numbers are written like ``1,5`` (never with a ``,`` delimiter)."""
    if delimiter == ",":
        return "."
    has_comma = any(_DECIMAL_COMMA.fullmatch(v) for v in values)
    has_point = any(_DECIMAL_POINT.fullmatch(v) for v in values)
    return "," if has_comma and not has_point else "."


def _is_number(text: str) -> bool:
    """Whether a field reads as a number (either decimal mark)."""
    return bool(_NUMBER.fullmatch(text))


def _has_header(rows: list[list[str]]) -> bool:
    """Guess whether the first row names the columns.

    Evidence for a header: a column whose values below are numbers while its first value
    is not. Evidence for data: a numeric column whose first value is a number too. With
    text only, the first row is a header unless one of its values recurs in its column.
    """
    first, body = rows[0], rows[1:]
    if not body:
        return True
    header_votes = data_votes = 0
    for j, name in enumerate(first):
        column = [r[j].strip() for r in body if j < len(r) and r[j].strip() not in MISSING_MARKERS]
        if not column or not all(_is_number(v) for v in column):
            continue
        if _is_number(name):
            data_votes += 1
        elif name.strip():
            header_votes += 1
    if header_votes or data_votes:
        return header_votes > 0
    return not any(first[j] in {r[j] for r in body if j < len(r)} for j in range(len(first)))


def _ends_with_a_delimiter(records: list, n_columns: int) -> bool:
    """Whether at least half the rows have one field more than the header, an empty one:
    the lines end with a delimiter (as some exports write them)."""
    ending = sum(len(fields) == n_columns + 1 and not fields[-1].strip() for _, fields in records)
    return ending > 0 and 2 * ending >= len(records)


def _reject_long_rows(
    records: list, n_columns: int, delimiter: str, has_header: bool, trailing: bool = False
) -> None:
    """Raise DataError, naming the line, for a row with more fields than the header (one
    more is allowed when the lines end with a delimiter)."""
    for line, fields in records:
        if len(fields) > n_columns + trailing:
            raise DataError(_long_row_message(line, len(fields), n_columns, delimiter, has_header))


def _delimiter_name(delimiter: str) -> str:
    """How messages name a delimiter: ``tab``, or the character in quotes (``';'``)."""
    return "tab" if delimiter == "\t" else f"'{delimiter}'"


def _long_row_message(
    line: int, n_fields: int, n_columns: int, delimiter: str, has_header: bool
) -> str:
    """The message for a row that has more fields than the file has columns."""
    reference = "the header has" if has_header else "the other lines have"
    shown = _delimiter_name(delimiter)
    return (
        f"Line {line} has {n_fields} fields but {reference} {n_columns}. A value probably "
        f"contains an unquoted {shown}: put that value in double quotes, or fix the line."
    )


def _parse(data: Path | bytes, dialect: _Dialect, complete: bool) -> tuple[pd.DataFrame, list[str]]:
    """Parse the data: pyarrow first, pandas' C engine when pyarrow cannot or should not.

    Column types seen in the sample are pinned for the pyarrow read, so that pyarrow does
    not keep every parsed block alive for type inference (that would cost ~4x the size of
    the resulting matrix in memory). If a pinned type does not fit later rows, the read is
    retried with inference. The C engine takes over for rows with too few fields, quoted
    line breaks that pyarrow's block reader cannot follow, and files with an odd number of
    quotes (pyarrow silently takes an unclosed quote to the end of the file as one value).
    Whole-number columns beyond 2**53 that became float64 are read again exactly.
    """
    frame, notes = _parse_table(data, dialect, complete)
    if dialect.trailing:
        frame, notes = _drop_trailing_field(frame, dialect), notes + [_trailing_note(dialect)]
    return _restore_exact_integers(frame, data, dialect), notes


def _parser_names(dialect: _Dialect) -> list[str]:
    """Names for the fields of a row as parsed (the header's, plus the empty last field of
    lines that end with a delimiter)."""
    return [f"column_{i}" for i in range(1, dialect.n_columns + 1 + dialect.trailing)]


def _drop_trailing_field(frame: pd.DataFrame, dialect: _Dialect) -> pd.DataFrame:
    """The frame without the empty field after the last column; DataError for a row that
    has a value there after all (beyond the lines the dialect was detected from)."""
    extra = frame.iloc[:, -1]
    filled = np.flatnonzero(extra.notna().to_numpy())
    if len(filled):
        shown = _delimiter_name(dialect.delimiter)
        value = extra.iloc[filled[0]]
        value = f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)[:40]
        raise DataError(
            f"Data row {filled[0] + 1} has a value after the last column ({value!r}), "
            f"where the other rows end with an empty field. A value probably contains an "
            f"unquoted {shown}: put that value in double quotes, or fix the row."
        )
    return frame.iloc[:, :-1]


def _trailing_note(dialect: _Dialect) -> str:
    """The note for lines that end with a delimiter."""
    return f"The rows end with an extra {_delimiter_name(dialect.delimiter)}; the empty field after the last column was ignored."


def _parse_table(
    data: Path | bytes, dialect: _Dialect, complete: bool
) -> tuple[pd.DataFrame, list[str]]:
    """The table as pyarrow or, failing that, pandas' C engine reads it (see _parse)."""
    names = _parser_names(dialect)
    if _has_unpaired_quote(data):
        return _tidy(_read_with_c_engine(data, dialect, names)), []
    pinned = {} if complete else _sample_column_types(data, dialect, names)
    arrow_error = ""
    for column_types in ([pinned] if pinned else []) + [None]:
        try:
            return _tidy(_read_with_arrow(data, dialect, names, column_types)), []
        except pa.ArrowInvalid as exc:
            arrow_error = str(exc)
    frame = _tidy(_read_with_c_engine(data, dialect, names))
    short_rows = re.search(r"Expected (\d+) columns, got (\d+)", arrow_error)
    if short_rows and int(short_rows[2]) < dialect.n_columns:
        return frame, [
            "Some rows have fewer fields than the header; their missing fields were left empty."
        ]
    return frame, []


def _has_unpaired_quote(data: Path | bytes) -> bool:
    """Whether the data holds an odd number of double quotes."""
    return sum(chunk.count(b'"') for chunk in _chunks(data)) % 2 == 1


def _arrow_options(dialect: _Dialect, names: list[str], column_types: dict | None):
    """pyarrow read, parse and convert options for the dialect."""
    read = pa_csv.ReadOptions(
        use_threads=False,  # as fast here (2 cores), and less memory in flight
        column_names=names,
        skip_rows_after_names=int(dialect.header is not None),
    )
    parse = pa_csv.ParseOptions(delimiter=dialect.delimiter, newlines_in_values=dialect.quoted)
    convert = pa_csv.ConvertOptions(
        null_values=list(MISSING_MARKERS),
        strings_can_be_null=True,
        decimal_point=dialect.decimal,
        column_types=column_types or {},
    )
    return read, parse, convert


def _sample_column_types(data: Path | bytes, dialect: _Dialect, names: list[str]) -> dict:
    """Integer and float column types that pyarrow infers from the first megabyte."""
    head = _head(data, SAMPLE_BYTES)
    head = head[: head.rfind(b"\n") + 1]
    read, parse, convert = _arrow_options(dialect, names, None)
    try:
        schema = pa_csv.read_csv(pa.BufferReader(head), read, parse, convert).schema
    except pa.ArrowInvalid:
        return {}
    numeric = (pa.int64(), pa.float64())
    return {f.name: f.type for f in schema if f.type in numeric}


def _read_with_arrow(
    data: Path | bytes, dialect: _Dialect, names: list[str], column_types: dict | None
) -> pd.DataFrame:
    """Parse with pyarrow and convert to pandas a few columns at a time."""
    columns, fields = _arrow_columns(data, _arrow_options(dialect, names, column_types))
    return _arrow_to_pandas(columns, fields)


def _arrow_columns(data: Path | bytes, options) -> tuple[list[pa.ChunkedArray], list[pa.Field]]:
    """The parsed columns; the table that held them is gone when this returns, so each
    column's memory can be released as soon as it is converted."""
    if isinstance(data, Path):
        with pa.OSFile(str(data)) as handle:
            table = pa_csv.read_csv(handle, *options)
    else:
        table = pa_csv.read_csv(pa.BufferReader(data), *options)
    return table.columns, list(table.schema)


_CONVERT_BYTES = 16 * 1024 * 1024  # arrow data converted to pandas between two releases


def _arrow_to_pandas(columns: list[pa.ChunkedArray], fields: list[pa.Field]) -> pd.DataFrame:
    """Convert the columns (strings to pandas "str"), about _CONVERT_BYTES at a time.

    Each group's arrow memory is freed while it is converted, and the freed memory is
    handed back to the system before the next group: pyarrow's allocator would otherwise
    keep it, so the process would hold the parsed table and the DataFrame at once (2.6x
    the matrix of a numeric file instead of 1.4x, and it would stay that high).
    """
    pool = pa.default_memory_pool()
    pool.release_unused()  # what parsing left behind
    parts, start = [], 0
    while start < len(columns):
        stop, size = start + 1, columns[start].nbytes
        while stop < len(columns) and size + columns[stop].nbytes <= _CONVERT_BYTES:
            size += columns[stop].nbytes
            stop += 1
        group = pa.Table.from_arrays(columns[start:stop], schema=pa.schema(fields[start:stop]))
        columns[start:stop] = [None] * (stop - start)  # the group holds the only reference
        parts.append(
            group.to_pandas(
                self_destruct=True,
                split_blocks=True,
                date_as_object=False,
                types_mapper=_pandas_dtype,
            )
        )
        del group
        pool.release_unused()
        start = stop
    return parts[0] if len(parts) == 1 else pd.concat(parts, axis=1)


def _pandas_dtype(arrow_type: pa.DataType):
    """The pandas dtype for an arrow type: the default "str" dtype for strings, else default."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return _STRING_DTYPE
    return None


def _read_with_c_engine(
    data: Path | bytes, dialect: _Dialect, names: list[str], text_columns: list[int] | None = None
) -> pd.DataFrame:
    """Parse with pandas' C engine, turning its parse errors into DataErrors naming the line.

    With ``text_columns`` (positions), only those columns are read, as text.
    """
    source = str(data) if isinstance(data, Path) else io.BytesIO(data)
    try:
        return pd.read_csv(
            source,
            engine="c",
            sep=dialect.delimiter,
            decimal=dialect.decimal,
            header=0 if dialect.header is not None else None,
            names=names,
            index_col=False,
            usecols=text_columns,
            dtype=None if text_columns is None else str,
            na_values=list(MISSING_MARKERS),
            keep_default_na=False,
            encoding="utf-8",
            compression=None,
            low_memory=text_columns is not None,
        )
    except pd.errors.ParserError as exc:
        raise DataError(_parser_error_message(str(exc), dialect)) from exc


def _parser_error_message(message: str, dialect: _Dialect) -> str:
    """A plain-language version of a pandas parser error."""
    ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if ragged:
        expected, line, seen = (int(g) for g in ragged.groups())
        line += dialect.skip_lines  # the parser reads the table without the lines above it
        return _long_row_message(
            line, seen, expected - dialect.trailing, dialect.delimiter, dialect.header is not None
        )
    unclosed = re.search(r"EOF inside string starting at row (\d+)", message)
    if unclosed:
        return (
            f"A quoted value that starts on line {int(unclosed[1]) + 1 + dialect.skip_lines} "
            "is never closed. "
            "Check that line for a stray double quote."
        )
    return f"The file could not be read as CSV: {message.strip()}"


def _restore_exact_integers(frame: pd.DataFrame, data: Path | bytes, dialect: _Dialect) -> pd.DataFrame:
    """Re-read exactly the whole-number columns that became float64 with values beyond 2**53.

    pyarrow and pandas give float64 to integer columns with a gap (and to integers beyond
    int64), and float64 cannot tell 9007199254740993 from 9007199254740992: such columns
    are read again as text and become nullable Int64 (text when beyond int64), so class
    labels and ids stay exact. Columns without such values cost one scan.
    """
    suspects = []
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if series.dtype != np.float64:
            continue
        values = series.to_numpy()
        if len(values) == 0 or max(-np.fmin.reduce(values), np.fmax.reduce(values)) < 2**53:
            continue  # the common case, found without temporary arrays (NaN is ignored)
        finite = values[np.isfinite(values)]
        if np.abs(finite).max(initial=0.0) >= 2**53 and np.all(finite == np.floor(finite)):
            suspects.append(position)
    if not suspects:
        return frame
    names = _parser_names(dialect)
    try:
        text = _read_with_c_engine(data, dialect, names, text_columns=suspects)
    except (DataError, ValueError):  # the table was read: keep its float columns then
        return frame
    for position in suspects:
        column = text[names[position]]
        present = column.dropna()
        if len(column) != len(frame) or not present.str.fullmatch(_INTEGER_TEXT).all():
            continue
        integers = [int(value) for value in present]
        if -(2**63) <= min(integers) and max(integers) < 2**63:
            exact = pd.array([None] * len(column), dtype="Int64")
            exact[column.notna().to_numpy()] = integers
            frame.isetitem(position, exact)
        else:
            frame.isetitem(position, column.str.strip())
    return frame


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Give columns without any value the float dtype (pyarrow reads them as null objects)."""
    for name in frame.columns:
        if pd.api.types.is_object_dtype(frame[name]) and frame[name].isna().all():
            frame[name] = np.nan
    return frame


def _column_names(header: list[str] | None, n_columns: int) -> tuple[list[str], list[str]]:
    """Final column names and notes: stripped, ``column_N`` if empty, ``name.k`` if repeated."""
    if header is None:
        names = [f"column_{i}" for i in range(1, n_columns + 1)]
        return names, [
            f"No header row was found, so the columns are named column_1 to column_{n_columns}."
        ]
    stripped = [name.strip() for name in header]
    taken = set(stripped)
    used: set[str] = set()
    next_copy: dict[str, int] = {}     # per name, so 20,000 repeats stay linear, not quadratic
    names, renamed, unnamed = [], [], []
    for position, name in enumerate(stripped, start=1):
        if not name:
            name = f"column_{position}"
            unnamed.append(name)
        if name in used:
            copy = next_copy.get(name, 1)
            while f"{name}.{copy}" in taken or f"{name}.{copy}" in used:
                copy += 1
            next_copy[name] = copy + 1
            renamed.append(f"'{name}' -> '{name}.{copy}'")
            name = f"{name}.{copy}"
        used.add(name)
        names.append(name)
    notes = []
    if unnamed:
        notes.append(f"Columns without a name were named {', '.join(unnamed)}.")
    if renamed:
        notes.append(f"Repeated column names were renamed: {', '.join(renamed)}.")
    return names, notes


def _reading_notes(encoding: str | None, dialect: _Dialect) -> list[str]:
    """Notes on the detected encoding and decimal mark, when they are not the default."""
    notes = []
    if encoding:
        notes.append(f"The file is not UTF-8; it was read as {encoding} text.")
    if dialect.separator_line:
        notes.append(
            f"The first line only tells spreadsheets the delimiter "
            f"({_delimiter_name(dialect.delimiter)}); it was skipped."
        )
    if dialect.title_lines:
        notes.append(_title_note(dialect))
    if dialect.decimal == ",":
        notes.append("Numbers are written with a decimal comma (1,5); they were read as numbers.")
    return notes


def _title_note(dialect: _Dialect) -> str:
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


# --------------------------------------------------------------------------------------
# Column analysis
# --------------------------------------------------------------------------------------


class _Profile(NamedTuple):
    """What a column holds: its kind and its missing and distinct counts."""

    kind: str
    missing: int
    distinct: int


@_data_errors_only("describing the columns")
def describe_columns(df: pd.DataFrame) -> pd.DataFrame:
    """One row per column: ``name``, ``kind``, ``dtype``, ``missing`` and ``distinct``.

    ``kind`` is one of "numeric", "categorical", "text" (free text: many different
    strings), "datetime", "boolean", "id" (every row different, like a row number or a
    code), "constant" (a single value) or "empty" (no value at all).
    """
    frame = _with_string_columns(df)
    rows = []
    for name in frame.columns:
        profile = _profile(frame[name], name)
        rows.append((name, profile.kind, str(frame[name].dtype), profile.missing, profile.distinct))
    return pd.DataFrame(rows, columns=["name", "kind", "dtype", "missing", "distinct"])


@_data_errors_only("suggesting a target")
def suggest_target(df: pd.DataFrame) -> str:
    """A plausible class column, chosen in this order:

    1. a fitting column with a well-known target name ("label", "class", "species" ...);
    2. the last yes/no column (true/false, yes/no, y/n): the most common kind of class;
    3. the last text category column with at most SUGGESTED_MAX_CLASSES values;
    4. the last whole-number column with at most SUGGESTED_MAX_CLASSES values that is
       neither year-like (all values from 1000 to 2999, or a name with "year") nor
       count-like (named like a count or size: "size", "n_rooms", "count" ...);
    5. the last year-like or count-like one.

    So a text category always beats a number column, and a year or a count is only
    suggested when nothing else fits. A column fits when it has 2 to SUGGESTED_MAX_CLASSES
    different values (MAX_CLASSES for a target-like name) and is neither an id, free text,
    nor a column of non-integer numbers. Raises DataError when no column fits.
    """
    frame = _with_string_columns(df)
    fits = {}
    for name in frame.columns:
        profile = _profile(frame[name], name)
        if _is_class_like(frame[name], profile):
            fits[name] = profile
    by_simple_name = {re.sub(r"[^a-z0-9]", "", name.lower()): name for name in fits}
    for wanted in _TARGET_NAMES:
        if wanted in by_simple_name:
            return by_simple_name[wanted]
    tiers: list[list[str]] = [[], [], [], []]
    for name, profile in fits.items():
        if profile.distinct > SUGGESTED_MAX_CLASSES:
            continue
        if profile.kind == "boolean":
            tiers[0].append(name)
        elif profile.kind == "categorical":
            tiers[1].append(name)
        elif _is_year_or_count(frame[name], name):
            tiers[3].append(name)
        else:
            tiers[2].append(name)
    for tier in tiers:
        if tier:
            return tier[-1]
    raise DataError(
        f"No column looks like a class column (a column with 2 to {SUGGESTED_MAX_CLASSES} "
        "different values). Choose the target column yourself."
    )


def _is_year_or_count(series: pd.Series, name: str) -> bool:
    """Whether a whole-number column holds years or counts rather than class codes."""
    if _YEAR_NAME.search(name) or _COUNT_NAME.search(name) or _COUNT_CAMEL_CASE.search(name):
        return True
    values = _numeric_view(series)
    return values is not None and bool(values.dropna().between(1000, 2999).all())


@_data_errors_only("suggesting features")
def suggest_features(
    df: pd.DataFrame, target: str, *, dates: str = "drop"
) -> tuple[list[str], dict[str, str]]:
    """The columns worth using as features, and the others with a short reason each.

    Left out: free text, ids, constant and empty columns, and dates unless
    ``dates="expand"`` (as in :func:`prepare`: year, month, day and weekday as numbers).
    """
    if dates not in ("drop", "expand"):
        raise DataError(f"dates must be 'drop' or 'expand', not {dates!r}.")
    frame = _with_string_columns(df)
    target = _require_column(frame, target)
    features, excluded = [], {}
    for name in frame.columns:
        if name == target:
            continue
        profile = _profile(frame[name], name)
        reason = _exclusion_reason(frame[name], profile)
        if reason is None or (dates == "expand" and profile.kind == "datetime"):
            features.append(name)
        else:
            excluded[name] = reason
    return features, excluded


def _exclusion_reason(series: pd.Series, profile: _Profile) -> str | None:
    """Why a column is not used as a feature by default, or None when it is."""
    n_present = len(series) - profile.missing
    if profile.kind == "empty":
        return "empty: every value is missing"
    if profile.kind == "constant":
        return f"constant: the only value is '{series.dropna().iloc[0]}'"
    if profile.kind == "id":
        return "an identifier: every row has a different value"
    if profile.kind == "text":
        return f"free text: {profile.distinct} different values in {n_present} rows"
    if profile.kind == "datetime":
        return "a date: left out unless dates are expanded into year, month, day and weekday"
    return None


def _profile(series: pd.Series, name: str) -> _Profile:
    """Classify a column (see describe_columns) and count its missing and distinct values."""
    if _has_number_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        # integers are counted as they are: 2**60 and 2**60 + 1 are one float64
        exact = int(series.nunique()) if pd.api.types.is_integer_dtype(series) else None
        return _number_profile(values, name, exact)
    present = series.dropna()
    missing = len(series) - len(present)
    if present.empty:
        return _Profile("empty", missing, 0)
    return _text_profile(series, present, missing, name)


def _number_profile(values: np.ndarray, name: str, distinct: int | None = None) -> _Profile:
    """The profile of a column of float64 numbers (the fast path for numeric dtypes);
    ``distinct`` is the exact count of different values when the floats may round some
    together (whole numbers beyond 2**53)."""
    present = values[~np.isnan(values)]
    missing = len(values) - len(present)
    if not len(present):
        return _Profile("empty", missing, 0)
    if distinct is None:
        distinct = len(np.unique(present))
    if distinct == 1:
        return _Profile("constant", missing, 1)
    is_id = distinct == len(present) and _is_numeric_id(present, name)
    return _Profile("id" if is_id else "numeric", missing, distinct)


def _is_numeric_id(unique_values: np.ndarray, name: str) -> bool:
    """Whether all-different numbers are an id: whole numbers named like an id, or counting
    up one by one like a row number."""
    if not (np.isfinite(unique_values).all() and np.all(unique_values == np.floor(unique_values))):
        return False
    span = unique_values.max() - unique_values.min()
    counts_rows = len(unique_values) >= 20 and span == len(unique_values) - 1
    return counts_rows or _ID_NAME.search(name) is not None


def _has_number_dtype(series: pd.Series) -> bool:
    """Whether the column's dtype is integer or float (booleans excluded)."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _count_distinct(present: pd.Series) -> int:
    """Number of different values, also for columns of unhashable objects."""
    try:
        return int(present.nunique())
    except TypeError:
        return int(present.astype(str).nunique())


def _text_profile(series: pd.Series, present: pd.Series, missing: int, name: str) -> _Profile:
    """The profile of a column that has at least one value and no number dtype. Numbers
    written as text are profiled as those numbers ("1,5" and "1,50" are one value)."""
    distinct = _count_distinct(present)
    if distinct == 1:
        return _Profile("constant", missing, 1)
    if pd.api.types.is_bool_dtype(series) or (
        distinct == 2
        and _is_text(series)
        and set(present.astype(str).str.lower()) <= _BOOLEAN_WORDS
    ):
        return _Profile("boolean", missing, distinct)
    if pd.api.types.is_datetime64_any_dtype(series) or _date_format(series) is not None:
        return _Profile("datetime", missing, distinct)
    numbers = _numeric_view(series)
    if numbers is not None:
        values = numbers.to_numpy()
        return _number_profile(values, name, _exact_integer_count(series, values))
    if distinct == len(present) and (
        _ID_NAME.search(name)
        or (len(present) >= 20 and not present.astype(str).str.contains(r"\s").any())
    ):
        return _Profile("id", missing, distinct)
    if distinct > FREE_TEXT_MIN_DISTINCT and distinct > 0.5 * len(present):
        return _Profile("text", missing, distinct)
    return _Profile("categorical", missing, distinct)


def _exact_integer_count(series: pd.Series, values: np.ndarray) -> int | None:
    """The number of different whole numbers in a text column of numbers (``values``, its
    float64 view) when some lie beyond 2**53, where float64 rounds neighbours together;
    None otherwise (count the floats)."""
    finite = values[np.isfinite(values)]
    if not len(finite) or np.abs(finite).max() < 2.0**53:
        return None
    has_value = ~np.isnan(values)
    exact = _exact_integers(series, has_value, values[has_value])
    return None if exact is None else int(pd.Series(exact).nunique())


def _is_class_like(series: pd.Series, profile: _Profile) -> bool:
    """Whether a column could be a class target: few values, not ids or continuous numbers."""
    if profile.kind not in ("categorical", "boolean", "numeric") or profile.distinct < 2:
        return False
    if profile.distinct > MAX_CLASSES:
        return False
    if profile.kind == "numeric":
        values = _numeric_view(series).dropna().to_numpy()
        return bool(np.all(values == np.floor(values)))
    return True


def _is_text(series: pd.Series) -> bool:
    """Whether a column holds strings (pandas "str" dtype or Python objects)."""
    return pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)


def _numeric_view(series: pd.Series) -> pd.Series | None:
    """The column as float64 if every present value is a number (decimal comma allowed).

    None for booleans, dates and columns with any non-numeric value.
    """
    if pd.api.types.is_bool_dtype(series):
        return None
    if _has_number_dtype(series):
        return _parse_numbers(series)
    if not _is_text(series):
        return None
    present = series.dropna()
    head = present.head(50).astype(str)
    if not (head.str.fullmatch(_NUMBER) | head.str.fullmatch(_GROUPED_BY_COMMA)
            | head.str.fullmatch(_GROUPED_BY_POINT)).all():
        return None
    numbers = _parse_numbers(series)
    return numbers if numbers.notna().sum() == len(present) else None


def _parse_numbers(series: pd.Series) -> pd.Series:
    """The column as float64; anything that is not a number becomes NaN.

    Text is read with the decimal mark and digit grouping the whole column agrees on: when
    every value with a ``,`` is grouped like ``1,234`` or ``12,345.6`` (as spreadsheets
    quote them in comma-separated files), ``,`` groups thousands; when every value with a
    ``,`` is grouped like ``1.234,5`` or written like ``0,5``, ``,`` is the decimal mark.
    """
    if _has_number_dtype(series):
        return pd.Series(series.to_numpy(dtype=np.float64, na_value=np.nan), index=series.index)
    text = series.astype(str).str.strip()
    with_comma = text[text.str.contains(",", regex=False)]
    if len(with_comma):
        if with_comma.str.fullmatch(_GROUPED_BY_COMMA).all():
            text = text.str.replace(",", "", regex=False)
        else:  # a decimal comma: a "." in it groups thousands (1.234,5), else it is a point
            grouped = text.str.fullmatch(_GROUPED_BY_POINT).astype(bool)
            text = text.mask(grouped, text.str.replace(".", "", regex=False))
            text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(np.float64)


def _date_format(series: pd.Series) -> str | None:
    """The format (from _DATE_FORMATS) that parses every value of a text column, or None."""
    if not _is_text(series):
        return None
    present = series.dropna().astype(str)
    if present.empty or not present.head(50).str.fullmatch(_DATE_LIKE).all():
        return None
    for date_format in _DATE_FORMATS:
        if _parse_dates(present, date_format).notna().all():
            return date_format
    return None


def _parse_dates(series: pd.Series, date_format: str | None) -> pd.Series:
    """Dates from a datetime column, or from text in the given format (NaT where unparsable)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    try:
        return pd.to_datetime(series.astype(str), format=date_format, errors="coerce", utc=True)
    except (ValueError, OverflowError):
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns, UTC]")


def _with_string_columns(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with its column names as strings; DataError if not a frame or names repeat."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"Expected a table (pandas DataFrame), not {type(df).__name__}.")
    names = [str(name) for name in df.columns]
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise DataError(f"Column names must be unique; '{repeated[0]}' appears more than once.")
    return df.set_axis(names, axis=1)


def _require_column(frame: pd.DataFrame, name) -> str:
    """The column name as a string; DataError when the table has no such column."""
    if str(name) not in frame.columns:
        raise DataError(f"There is no column '{name}' in the table.")
    return str(name)


# --------------------------------------------------------------------------------------
# Preparing a table for training
# --------------------------------------------------------------------------------------


class _FeatureSpec(NamedTuple):
    """How one input column enters the model: "numeric", "categorical" or "date"."""

    kind: str
    date_format: str | None = None


@dataclass(eq=False)
class Prepared:
    """A table turned into model input: the output of :func:`prepare`.

    ``X_train`` and ``X_test`` are the model's input rows, ``y_train`` and ``y_test`` their
    class indices into ``classes``. ``X`` holds all usable rows in table order (``row_index``
    gives their labels) and ``y`` their class indices: ``X[train_positions]`` is ``X_train``
    and ``X[test_positions]`` is ``X_test``. ``X`` is not stored but assembled from the two
    parts when read (a new read-only array each time), so a large table costs its matrix
    once, not twice. ``preprocessor`` is fitted on the training rows only. ``transform``
    applies the same preprocessing to new rows.
    """

    y: np.ndarray
    classes: np.ndarray
    feature_names: list[str]
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    preprocessor: ColumnTransformer
    target: str
    features: list[str]
    dropped_rows: int
    notes: list[str]
    row_index: pd.Index
    train_positions: np.ndarray
    test_positions: np.ndarray
    feature_specs: dict[str, _FeatureSpec] = field(repr=False)

    @property
    def X(self) -> np.ndarray:
        """All usable rows in table order, assembled from ``X_train`` and ``X_test``."""
        X = np.empty((len(self.y), self.X_train.shape[1]), dtype=np.float64)
        X[self.train_positions] = self.X_train
        X[self.test_positions] = self.X_test
        X.flags.writeable = False
        return X

    @_data_errors_only("preparing the new rows")
    def transform(self, df_new: pd.DataFrame) -> np.ndarray:
        """Apply the fitted preprocessing to new rows (the target column is not needed)."""
        frame = _with_string_columns(df_new)
        absent = [name for name in self.features if name not in frame.columns]
        if absent:
            raise DataError(f"The new rows lack the column(s) {', '.join(map(repr, absent))}.")
        model_frame, _ = _model_frame(frame, self.feature_specs)
        _reject_huge_values(model_frame, self.feature_specs)
        X, not_finite = _transform_rows(self.preprocessor, model_frame, np.arange(len(frame)))
        _reject_not_finite(self.preprocessor, not_finite)
        return X


@_data_errors_only("preparing the data")
def prepare(
    df: pd.DataFrame,
    target: str,
    features: Iterable[str] | None = None,
    *,
    missing: str = "impute",
    scale: bool = True,
    dates: str = "drop",
    test_size: float = 0.25,
    random_state: int | None = 0,
    max_classes: int = MAX_CLASSES,
) -> Prepared:
    """Turn a table into model input: features X, class indices y and a train/test split.

    - ``features=None`` uses :func:`suggest_features` (plus date columns when
      ``dates="expand"``); the columns left out are explained in ``notes``.
    - Numeric columns (also text numbers with a decimal comma) are imputed with the median
      and standardised (``scale``); ±inf counts as missing; values beyond ±1e100 raise
      DataError since they overflow once squared. Other columns are imputed with the most
      frequent value and one-hot encoded (at most MAX_CATEGORIES columns each, rarer
      values share a ``name=(other)`` column; values unseen in training encode as zeros).
    - ``missing="drop"`` drops rows with a missing value in a used column instead.
    - ``dates="expand"`` turns date columns into year, month, day and dayofweek; "drop"
      leaves them out. Rows without a target value are always dropped.
    - The split is stratified and seeded; ``test_size=0`` gives empty test arrays. A class
      with a single row makes a stratified split impossible: that raises DataError (no
      silent fallback to an unstratified split).
    - The preprocessing is fitted on the training rows only, then applied to all rows.

    A table of numeric features only (the common large case) is prepared column by column
    straight into ``X_train`` and ``X_test``, with the same sklearn steps fitted to the same
    numbers as the general path (a ColumnTransformer over the whole table), so the results
    are identical while the memory peak stays near the table plus its matrix.
    """
    _check_options(missing, dates, test_size, max_classes, random_state)
    frame = _with_string_columns(df)
    target = _require_column(frame, target)
    codes, labels = _target_classes(frame[target], target, max_classes)
    has_label = codes >= 0
    _require_rows(int(has_label.sum()))
    specs, notes = _feature_specs(frame, target, features, dates)
    numeric = _NumericColumns(frame, list(specs)) if _use_numeric_path(frame, specs) else None
    if numeric is not None:
        infinite, complete = numeric.scan(complete=missing == "drop")
    else:
        model_frame, infinite = _model_frame(frame, specs)
        complete = model_frame.notna().all(axis=1).to_numpy() if missing == "drop" else None
    notes += [
        f"{_count(n, 'infinite value')} in column '{name}' {_were(n)} treated as missing."
        for name, n in infinite.items()
    ]
    keep, drop_notes = _usable_rows(has_label, complete)
    notes += drop_notes
    rows = np.flatnonzero(keep)
    classes, y = _used_classes(codes[rows], labels)
    _check_classes(classes, target)
    if numeric is not None:
        numeric.reject_huge_values(rows)
    else:
        used = model_frame.iloc[rows].reset_index(drop=True)
        del model_frame
        _reject_huge_values(used, specs)
    train, test = _split_positions(y, classes, test_size, random_state)
    return_free_memory()  # what the steps above freed, before the matrix is allocated
    fitted = None
    if numeric is not None:
        fitted = numeric.fit_transform(specs, infinite, rows, train, test, scale)
        if fitted is None:  # a column without values in the training rows
            used = _model_frame(frame[list(specs)].iloc[rows], specs)[0].reset_index(drop=True)
    if fitted is None:
        used, specs, untrained = _without_untrained_columns(used, specs, train)
        notes += untrained
        fitted = _fit_transform_frame(used, specs, train, test, scale)
    preprocessor, X_train, X_test = fitted
    notes += _grouping_notes(preprocessor)
    return Prepared(
        y=y,
        classes=classes,
        feature_names=[str(name) for name in preprocessor.get_feature_names_out()],
        X_train=X_train,
        X_test=X_test,
        y_train=y[train],
        y_test=y[test],
        preprocessor=preprocessor,
        target=target,
        features=list(specs),
        dropped_rows=int(len(frame) - len(rows)),
        notes=notes,
        row_index=frame.index[rows],
        train_positions=train,
        test_positions=test,
        feature_specs=specs,
    )


def _check_options(
    missing: str, dates: str, test_size: float, max_classes: int, random_state
) -> None:
    """Raise DataError for option values prepare does not understand."""
    if missing not in ("impute", "drop"):
        raise DataError(f"missing must be 'impute' or 'drop', not {missing!r}.")
    if dates not in ("drop", "expand"):
        raise DataError(f"dates must be 'drop' or 'expand', not {dates!r}.")
    if not _is_number_option(test_size) or not 0 <= test_size < 1:
        raise DataError(
            f"The test size must be a fraction from 0 up to (not including) 1, not {test_size!r}."
        )
    if not _is_whole_number_option(max_classes) or max_classes < 2:
        raise DataError(f"max_classes must be a whole number of at least 2, not {max_classes!r}.")
    seed_ok = _is_whole_number_option(random_state) and 0 <= random_state < 2**32
    if not (random_state is None or seed_ok or isinstance(random_state, np.random.RandomState)):
        raise DataError(
            f"The random seed must be a whole number from 0 to {2**32 - 1} (or None), "
            f"not {random_state!r}."
        )


def _is_number_option(value) -> bool:
    """Whether an option value is a real number (booleans are not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_whole_number_option(value) -> bool:
    """Whether an option value is an integer (booleans are not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _count(n: int, noun: str) -> str:
    """``1 row``, ``2 rows``: a count with its noun in the singular or the plural."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _were(n: int) -> str:
    """The verb for a count: "was" for one, "were" otherwise."""
    return "was" if n == 1 else "were"


def _target_classes(series: pd.Series, name: str, max_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """The target as class codes: one int64 per row (-1 where the target is missing or
    infinite) indexing the class labels, which are strings in sorted order.

    Whole numbers become "0", "1", ... exactly, also beyond 2**53 when the column holds
    integers (or integers written as text); raises DataError for a target without values,
    a continuous one, or one with more than ``max_classes`` classes.
    """
    numbers = _numeric_view(series)
    if numbers is not None:
        numbers = numbers.where(np.isfinite(numbers))
    has_label = (numbers.notna() if numbers is not None else series.notna()).to_numpy()
    if not has_label.any():
        raise DataError(f"The target column '{name}' has no values.")
    continuous = False
    if numbers is None:
        inverse, uniques = pd.factorize(series[has_label].astype(str), sort=True)
        texts = np.asarray(uniques, dtype=object)
    else:
        present = numbers[has_label].to_numpy()
        exact = _exact_integers(series, has_label, present)
        if exact is not None:
            uniques, inverse = np.unique(exact, return_inverse=True)
        else:
            uniques, inverse = np.unique(present, return_inverse=True)
            continuous = len(uniques) > CONTINUOUS_MIN_DISTINCT
        distinct = len(uniques)
        if continuous or distinct > max_classes:
            raise DataError(
                f"Target '{name}' has {distinct} distinct values in {int(has_label.sum())} rows: "
                "it looks continuous, not a class column. Pick a column with a few categories."
            )
        texts = np.array(
            [str(int(u)) for u in uniques] if exact is not None else uniques.astype(str).tolist(),
            dtype=object,
        )
        order = sorted(range(len(texts)), key=texts.__getitem__)
        rank = np.empty(len(texts), dtype=np.int64)
        rank[order] = np.arange(len(texts))
        texts, inverse = texts[order], rank[inverse]
    if len(texts) > max_classes:
        raise DataError(
            f"Target '{name}' has {len(texts)} different values; at most {max_classes} classes are "
            "supported. Pick a column with a few categories."
        )
    codes = np.full(len(series), -1, dtype=np.int64)
    codes[has_label] = inverse
    return codes, texts


def _exact_integers(series: pd.Series, has_label: np.ndarray, present: np.ndarray):
    """The present values as exact integers (an integer array, or Python ints for text
    beyond 2**53), or None when they are not all whole numbers."""
    if not np.all(present == np.floor(present)):
        return None
    if pd.api.types.is_integer_dtype(series):
        unsigned = series.dtype.kind == "u"
        return series[has_label].to_numpy(dtype=np.uint64 if unsigned else np.int64)
    if np.abs(present).max() < 2**53:
        return present.astype(np.int64)
    if _is_text(series):
        text = series[has_label].astype(str)
        if text.str.fullmatch(_INTEGER_TEXT).all():
            return np.array([int(value) for value in text], dtype=object)
    return None  # floats this large are not exact: they keep their float form


def _require_rows(n_rows: int) -> None:
    """Raise DataError when fewer than MIN_ROWS rows are usable."""
    if n_rows < MIN_ROWS:
        raise DataError(
            f"Only {_count(n_rows, 'usable row')} {'is' if n_rows == 1 else 'are'} left; "
            f"at least {MIN_ROWS} are needed to train and test a classifier."
        )


def _used_classes(codes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classes present in the used rows (sorted labels, object array) and each row's
    index into them (int64)."""
    present = np.bincount(codes, minlength=len(labels)) > 0
    index = np.cumsum(present) - 1
    return labels[present].astype(object), index[codes].astype(np.int64)


def _feature_specs(
    frame: pd.DataFrame, target: str, features, dates: str
) -> tuple[dict[str, _FeatureSpec], list[str]]:
    """How each used feature column enters the model, and notes on the columns left out.

    With ``features=None`` the columns suggest_features would leave out are skipped (with
    a note), except dates when ``dates="expand"``.
    """
    if features is None:
        names = [name for name in frame.columns if name != target]
    else:
        names = _validated_features(frame, target, features)
    specs, notes = {}, []
    for name in names:
        profile = _profile(frame[name], name)
        reason = _exclusion_reason(frame[name], profile) if features is None else None
        if reason and not (dates == "expand" and profile.kind == "datetime"):
            notes.append(f"Column '{name}' was left out: {reason}.")
            continue
        spec, note = _feature_spec(frame[name], name, dates, profile.kind)
        if spec is not None:
            specs[name] = spec
        if note:
            notes.append(note)
    if not specs:
        raise DataError(
            "There is no usable feature column. Choose at least one column with values."
        )
    return specs, notes


def _validated_features(frame: pd.DataFrame, target: str, features) -> list[str]:
    """The requested feature names, checked: they exist, are unique and exclude the target."""
    if isinstance(features, str):
        features = [features]
    elif not isinstance(features, Iterable):
        raise DataError(
            f"The features must be a list of column names, not {type(features).__name__}."
        )
    names = [str(name) for name in features]
    for name in names:
        _require_column(frame, name)
    if target in names:
        raise DataError(
            f"The target '{target}' cannot also be a feature. Remove it from the features."
        )
    if not names:
        raise DataError("There is no usable feature column. Choose at least one feature.")
    return list(dict.fromkeys(names))


def _feature_spec(
    series: pd.Series, name: str, dates: str, kind: str
) -> tuple[_FeatureSpec | None, str | None]:
    """The spec for one feature column of the given kind (None to leave it out) and a note."""
    if kind == "empty":
        return None, f"Column '{name}' has no values and was left out."
    if kind == "datetime":
        if dates == "drop":
            return None, f"Column '{name}' holds dates and was left out (expand dates to use it)."
        note = f"Column '{name}' was expanded into year, month, day and weekday."
        return _FeatureSpec("date", _date_format(series)), note
    if kind in ("numeric", "id", "constant") and _numeric_view(series) is not None:
        if _is_text(series):
            return _FeatureSpec(
                "numeric"
            ), f"Column '{name}' holds numbers written as text; they were read as numbers."
        return _FeatureSpec("numeric"), None
    return _FeatureSpec("categorical"), None


def _model_frame(
    frame: pd.DataFrame, specs: dict[str, _FeatureSpec]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The model's input columns (numbers as float64 with ±inf as NaN, categories as str
    objects, dates expanded) and the number of infinite values found per column."""
    columns: dict[str, np.ndarray] = {}
    infinite = {}
    for name, spec in specs.items():
        series = frame[name]
        if spec.kind == "numeric":
            values = _parse_numbers(series).to_numpy()
            is_infinite = np.isinf(values)
            if is_infinite.any():
                infinite[name] = int(is_infinite.sum())
                values = np.where(is_infinite, np.nan, values)
            columns[name] = values
        elif spec.kind == "categorical":
            columns[name] = series.astype(str).to_numpy(dtype=object, na_value=np.nan)
        else:
            columns.update(_date_parts(series, name, spec.date_format, specs))
    return pd.DataFrame(columns), infinite


def _date_parts(
    series: pd.Series, name: str, date_format: str | None, specs: dict
) -> dict[str, np.ndarray]:
    """Year, month, day and day of week (Monday=0) of a date column, as float columns."""
    stamps = _parse_dates(series, date_format).dt
    parts = {}
    for part, accessor in _DATE_PARTS.items():
        column = f"{name}_{part}"
        if column in specs:
            raise DataError(
                f"Column '{column}' already exists, so '{name}' cannot be expanded. Rename one of them."
            )
        parts[column] = getattr(stamps, accessor).to_numpy(dtype=np.float64, na_value=np.nan)
    return parts


def _usable_rows(has_label: np.ndarray, complete: np.ndarray | None) -> tuple[np.ndarray, list[str]]:
    """Mask of rows to keep (target present; complete too when ``complete`` is given, the
    mask of rows without a missing value for ``missing="drop"``) and notes."""
    keep = has_label.copy()
    notes = []
    n_unlabelled = int((~keep).sum())
    if n_unlabelled:
        notes.append(
            f"{_count(n_unlabelled, 'row')} without a target value {_were(n_unlabelled)} dropped."
        )
    if complete is not None:
        n_incomplete = int((keep & ~complete).sum())
        keep &= complete
        if n_incomplete:
            notes.append(
                f"{_count(n_incomplete, 'row')} with missing values {_were(n_incomplete)} dropped."
            )
        if not keep.any():
            raise DataError(
                "No rows are left after dropping the rows with missing values. "
                "Fill in missing values instead (missing='impute') or use fewer columns."
            )
    _require_rows(int(keep.sum()))
    return keep, notes


def _check_classes(classes: np.ndarray, target: str) -> None:
    """Raise DataError when the usable rows hold fewer than two classes."""
    if len(classes) < 2:
        raise DataError(
            f"Column '{target}' has only one class ('{classes[0]}'); a classifier needs at least two."
        )


def _huge_value_error(name: str, value: float) -> DataError:
    """The error for a column with a number too large to scale or train on."""
    return DataError(
        f"Column '{name}' has values as large as {value:.3g}; numbers this large overflow "
        "when scaled or trained on. Rescale that column (e.g. to thousands or millions) "
        "or leave it out."
    )


def _reject_huge_values(model_frame: pd.DataFrame, specs: dict[str, _FeatureSpec]) -> None:
    """Raise DataError, naming the column, when a number is too large to scale or train on."""
    numeric = [name for name, spec in specs.items() if spec.kind == "numeric"]
    largest = model_frame[numeric].abs().max()
    for name, value in largest.items():
        if value > MAX_ABS_VALUE:
            raise _huge_value_error(name, value)


def _split_positions(
    y: np.ndarray, classes: np.ndarray, test_size: float, random_state
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded train and test positions; all rows train when ``test_size`` is 0."""
    positions = np.arange(len(y))
    if test_size == 0:
        return positions, positions[:0]
    counts = np.bincount(y)
    rarest = int(counts.argmin())
    if counts[rarest] < 2:
        raise DataError(
            f"Class '{classes[rarest]}' has only 1 row; every class needs at least 2 rows so it "
            "can appear in both the training and the test rows. Remove or relabel that row, "
            "or set the test size to 0."
        )
    n_test = math.ceil(test_size * len(y))
    n_train = len(y) - n_test
    if min(n_test, n_train) < len(classes):
        raise DataError(
            f"A test size of {test_size:.0%} splits {_count(len(y), 'row')} into {n_train} for "
            f"training and {n_test} for testing, but each part needs a row of every one of the "
            f"{len(classes)} classes. Change the test size or add rows."
        )
    train, test = train_test_split(
        positions, test_size=test_size, stratify=y, random_state=random_state
    )
    return train, test


# --------------------------------------------------------------------------------------
# Preprocessing: the general path (a ColumnTransformer over a frame of the used rows) and
# the numeric path (column by column, the same sklearn steps, for numeric features only)
# --------------------------------------------------------------------------------------

_BLOCK_VALUES = 2**19  # floats per block of rows or columns processed at once (4 MB)
_TRANSFORM_VALUES = 2**22  # output floats per ColumnTransformer.transform call (32 MB)
_NUMERIC_PATH_MIN_ROWS = 1000  # below this, the ColumnTransformer is as fast and as small


def _use_numeric_path(frame: pd.DataFrame, specs: dict[str, _FeatureSpec]) -> bool:
    """Whether prepare takes the numeric path: numeric features only, and enough rows for
    the memory of the general path to matter."""
    numeric = all(spec.kind == "numeric" for spec in specs.values())
    return numeric and len(frame) >= _NUMERIC_PATH_MIN_ROWS


class _NumericColumns:
    """The numeric feature columns of a table, read one by one as float64 arrays (views
    of float64 columns; text columns are parsed once and kept)."""

    def __init__(self, frame: pd.DataFrame, names: list[str]):
        self.frame = frame
        self.names = names
        self._parsed: dict[str, np.ndarray] = {}

    def column(self, name: str) -> np.ndarray:
        """The column as float64 (±inf kept, non-numbers as NaN); not to be written to."""
        if name in self._parsed:
            return self._parsed[name]
        series = self.frame[name]
        values = _parse_numbers(series).to_numpy()
        if _is_text(series):
            self._parsed[name] = values
        return values

    def scan(self, complete: bool) -> tuple[dict[str, int], np.ndarray | None]:
        """The number of infinite values per column, and (if ``complete``) the mask of rows
        without a missing or infinite value."""
        infinite = {}
        mask = np.ones(len(self.frame), dtype=bool) if complete else None
        for name in self.names:
            values = self.column(name)
            n_infinite = int(np.count_nonzero(np.isinf(values)))
            if n_infinite:
                infinite[name] = n_infinite
            if mask is not None:
                mask &= np.isfinite(values)
        return infinite, mask

    def reject_huge_values(self, rows: np.ndarray) -> None:
        """DataError for the first column with a finite value beyond MAX_ABS_VALUE in the
        used rows (as _reject_huge_values on the model frame)."""
        for name in self.names:
            values = self.column(name)
            if len(rows) < len(values):
                values = values[rows]
            largest = np.max(np.abs(values), initial=-np.inf, where=np.isfinite(values))
            if largest > MAX_ABS_VALUE:
                raise _huge_value_error(name, largest)

    def fit_transform(
        self,
        specs: dict[str, _FeatureSpec],
        infinite: dict[str, int],
        rows: np.ndarray,
        train: np.ndarray,
        test: np.ndarray,
        scale: bool,
    ) -> tuple[ColumnTransformer, np.ndarray, np.ndarray] | None:
        """The fitted preprocessing, X_train and X_test, as the general path computes them;
        None when a column has no value in the training rows (the general path drops it).

        The used rows are taken in split order into F-ordered blocks of a few columns:
        each block is imputed with the training medians (np.nanmedian, the same numbers as
        SimpleImputer's), standardised with a StandardScaler fitted on its training rows
        (the same reductions over contiguous columns as in the general path), and copied
        into X_train and X_test. The fitted statistics are then set on a ColumnTransformer
        fitted to the same columns, which transforms new rows exactly like the general one.
        """
        order = rows[np.concatenate([train, test])]
        n_train, n_columns = len(train), len(self.names)
        X_train = np.empty((n_train, n_columns))
        X_test = np.empty((len(test), n_columns))
        width = max(1, min(n_columns, _BLOCK_VALUES // max(1, len(order))))
        block = np.empty((width, len(order))).T  # F-ordered: each column contiguous
        medians, scalers, not_finite = [], [], np.zeros(n_columns, dtype=bool)
        for start in range(0, n_columns, width):
            names = self.names[start : start + width]
            part = block[:, : len(names)]
            for i, name in enumerate(names):
                np.take(self.column(name), order, out=part[:, i])
                if name in infinite:
                    part[np.isinf(part[:, i]), i] = np.nan
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: handled below
                median = np.nanmedian(part[:n_train], axis=0)
            if np.isnan(median).any():
                return None
            np.copyto(part, median, where=np.isnan(part))
            medians.append(median)
            if scale:
                scaler = StandardScaler().fit(part[:n_train])
                part -= scaler.mean_
                part /= scaler.scale_
                scalers.append(scaler)
            not_finite[start : start + len(names)] = ~np.isfinite(part).all(axis=0)
            X_train[:, start : start + len(names)] = part[:n_train]
            X_test[:, start : start + len(names)] = part[n_train:]
        del block
        preprocessor = self._fitted_preprocessor(specs, scale, medians, scalers)
        _reject_not_finite(preprocessor, not_finite)
        return preprocessor, X_train, X_test

    def _fitted_preprocessor(
        self, specs: dict, scale: bool, medians: list, scalers: list
    ) -> ColumnTransformer:
        """The general path's ColumnTransformer for these columns, fitted to a two-row
        stand-in table, with the statistics of the training rows set on its steps."""
        stand_in = pd.DataFrame({name: np.array([0.0, 1.0]) for name in self.names})
        preprocessor = _make_preprocessor(stand_in, specs, scale).fit(stand_in)
        steps = preprocessor.named_transformers_["numeric"].named_steps
        steps["impute"].statistics_ = np.concatenate(medians)
        if scale:
            scaler = steps["scale"]
            scaler.mean_ = np.concatenate([s.mean_ for s in scalers])
            scaler.var_ = np.concatenate([s.var_ for s in scalers])
            scaler.scale_ = np.concatenate([s.scale_ for s in scalers])
            scaler.n_samples_seen_ = scalers[0].n_samples_seen_
        return preprocessor


def _without_untrained_columns(
    used: pd.DataFrame, specs: dict[str, _FeatureSpec], train: np.ndarray
) -> tuple[pd.DataFrame, dict[str, _FeatureSpec], list[str]]:
    """Leave out the input columns without a single value in the training rows (the
    imputers would have nothing to learn from: sklearn drops such columns, and fails when
    none is left), with a note each; DataError when no column is left."""
    lost = []
    for name, spec in specs.items():
        columns = [f"{name}_{part}" for part in _DATE_PARTS] if spec.kind == "date" else [name]
        if all(used[column].isna().to_numpy()[train].all() for column in columns):
            lost.append((name, columns))
    if not lost:
        return used, specs, []
    names = [name for name, _ in lost]
    if len(lost) == len(specs):
        listed = ", ".join(f"'{name}'" for name in names)
        raise DataError(
            f"There is no usable feature column: {listed} {'has' if len(names) == 1 else 'have'} "
            "no values in the training rows. Choose columns with values."
        )
    used = used.drop(columns=[column for _, columns in lost for column in columns])
    kept = {name: spec for name, spec in specs.items() if name not in names}
    return used, kept, [
        f"Column '{name}' has no values in the training rows and was left out." for name in names
    ]


def _fit_transform_frame(
    used: pd.DataFrame, specs: dict[str, _FeatureSpec], train: np.ndarray, test: np.ndarray,
    scale: bool,
) -> tuple[ColumnTransformer, np.ndarray, np.ndarray]:
    """The general path: a ColumnTransformer fitted on the training rows of the used
    frame, then applied to the training and the test rows (in blocks of rows)."""
    preprocessor = _make_preprocessor(used, specs, scale).fit(used.iloc[train])
    X_train, not_finite = _transform_rows(preprocessor, used, train)
    X_test, not_finite_test = _transform_rows(preprocessor, used, test)
    _reject_not_finite(preprocessor, not_finite | not_finite_test)
    return preprocessor, X_train, X_test


def _make_preprocessor(
    model_frame: pd.DataFrame, specs: dict[str, _FeatureSpec], scale: bool
) -> ColumnTransformer:
    """The unfitted ColumnTransformer: median + scaling for numbers, mode + one-hot for the rest."""
    categorical = [name for name, spec in specs.items() if spec.kind == "categorical"]
    numeric = [name for name in model_frame.columns if name not in categorical]
    numeric_steps = [("impute", SimpleImputer(strategy="median"))]
    if scale:
        numeric_steps.append(("scale", StandardScaler()))
    categorical_steps = [
        ("impute", SimpleImputer(strategy="most_frequent")),
        (
            "one_hot",
            OneHotEncoder(
                handle_unknown="ignore",
                max_categories=MAX_CATEGORIES,
                sparse_output=False,
                dtype=np.float64,
                feature_name_combiner=_one_hot_name,
            ),
        ),
    ]
    transformer = ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), numeric),
            ("categorical", Pipeline(categorical_steps), categorical),
        ],
        verbose_feature_names_out=False,
        sparse_threshold=0.0,
    )
    return transformer.set_output(transform="default")


def _one_hot_name(feature: str, category) -> str:
    """One-hot column name: ``color=red``, and ``color=(other)`` for the grouped rare values."""
    return f"{feature}=(other)" if category == "infrequent_sklearn" else f"{feature}={category}"


def _grouping_notes(preprocessor: ColumnTransformer) -> list[str]:
    """Notes on categorical columns whose rare values were grouped into one column."""
    columns = {name: columns for name, _, columns in preprocessor.transformers_}
    if len(columns.get("categorical", [])) == 0:
        return []
    pipeline = preprocessor.named_transformers_["categorical"]
    inputs = pipeline.named_steps["impute"].get_feature_names_out()
    encoder = pipeline.named_steps["one_hot"]
    return [
        f"Column '{name}': {_count(len(rare), 'rare value')} share the column '{name}=(other)'."
        for name, rare in zip(inputs, encoder.infrequent_categories_, strict=True)
        if rare is not None
    ]


def _transform_rows(
    preprocessor: ColumnTransformer, frame: pd.DataFrame, positions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The fitted preprocessing applied to the rows at ``positions``, a block of rows at a
    time (so that the transformers' intermediate copies stay small), and the mask of
    output columns holding a value that is not a finite number."""
    n_outputs = len(preprocessor.get_feature_names_out())
    X = np.empty((len(positions), n_outputs), dtype=np.float64)
    not_finite = np.zeros(n_outputs, dtype=bool)
    step = max(8192, _TRANSFORM_VALUES // max(1, n_outputs))  # few calls: each has overhead
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Found unknown categories", category=UserWarning)
        for start in range(0, len(positions), step):
            block = X[start : start + step]
            block[:] = preprocessor.transform(frame.iloc[positions[start : start + step]])
            not_finite |= ~np.isfinite(block).all(axis=0)
    return X, not_finite


def _reject_not_finite(preprocessor: ColumnTransformer, not_finite: np.ndarray) -> None:
    """DataError naming the output columns that hold values that are not finite numbers."""
    if not_finite.any():
        names = ", ".join(preprocessor.get_feature_names_out()[not_finite])
        raise DataError(
            f"Preparing {names} gave values that are not finite numbers. Rescale or leave out those columns."
        )


# --------------------------------------------------------------------------------------
# Sample datasets
# --------------------------------------------------------------------------------------


class SampleDataset(NamedTuple):
    """A bundled dataset: a one-line description, whether it is generated, its loader."""

    description: str
    synthetic: bool  # generated: load_sample's noise, n_samples and random_state apply
    load: Callable[..., pd.DataFrame]


def _bundled(loader: Callable) -> Callable[[], pd.DataFrame]:
    """A loader for an sklearn bundled dataset with the class names in a "target" column."""

    def load() -> pd.DataFrame:
        bunch = loader(as_frame=True)
        names = np.asarray(bunch.target_names).astype(str)
        return bunch.data.assign(target=pd.array(names[bunch.target.to_numpy()], dtype="str"))

    return load


def _moons(noise: float, n_samples: int, random_state: int | None) -> pd.DataFrame:
    """Two interleaving half circles, labelled "upper" and "lower"."""
    X, y = datasets.make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    return _points_frame(X, np.array(["upper", "lower"])[y])


def _blobs(noise: float, n_samples: int, random_state: int | None) -> pd.DataFrame:
    """Three Gaussian clusters around the corners of a unit triangle, labelled A, B, C."""
    angles = np.deg2rad([90.0, 210.0, 330.0])
    centers = np.column_stack([np.cos(angles), np.sin(angles)])
    X, y = datasets.make_blobs(
        n_samples=n_samples, centers=centers, cluster_std=noise, random_state=random_state
    )
    return _points_frame(X, np.array(["A", "B", "C"])[y])


def _points_frame(X: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """A 2-D point cloud as columns x1, x2, target."""
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "target": pd.array(labels, dtype="str")})


SAMPLES: dict[str, SampleDataset] = {
    "iris": SampleDataset(
        "Iris flowers: 150 rows, 4 measurements, 3 species.", False, _bundled(datasets.load_iris)
    ),
    "wine": SampleDataset(
        "Wine: 178 rows, 13 chemical measurements, 3 cultivars.",
        False,
        _bundled(datasets.load_wine),
    ),
    "breast_cancer": SampleDataset(
        "Breast cancer (Wisconsin): 569 rows, 30 measurements, malignant or benign.",
        False,
        _bundled(datasets.load_breast_cancer),
    ),
    "digits": SampleDataset(
        "Handwritten digits: 1797 images of 8x8 pixels (64 columns), 10 classes.",
        False,
        _bundled(datasets.load_digits),
    ),
    "moons": SampleDataset(
        "Two moons: interleaving half circles in 2-D, 2 classes, not linearly separable.",
        True,
        _moons,
    ),
    "blobs": SampleDataset("Three blobs: Gaussian clusters in 2-D, 3 classes.", True, _blobs),
}


@_data_errors_only("loading the sample")
def load_sample(
    name: str, *, noise: float = 0.2, n_samples: int = 500, random_state: int | None = 0
) -> pd.DataFrame:
    """A fresh copy of a bundled dataset (see SAMPLES); the class column is "target".

    ``noise`` (the standard deviation of the points around their curve or center),
    ``n_samples`` and ``random_state`` apply to the synthetic "moons" and "blobs" only.
    """
    sample = SAMPLES.get(name)
    if sample is None:
        raise DataError(
            f"There is no sample dataset '{name}'. Choose one of: {', '.join(SAMPLES)}."
        )
    if not sample.synthetic:
        return sample.load()
    if not _is_number_option(noise) or not 0 <= noise <= 10:
        raise DataError(f"The noise must be a number from 0 to 10, not {noise!r}.")
    if not _is_whole_number_option(n_samples) or not 10 <= n_samples <= 1_000_000:
        raise DataError(
            f"The number of samples must be a whole number from 10 to 1,000,000, not {n_samples!r}."
        )
    return sample.load(noise=float(noise), n_samples=int(n_samples), random_state=random_state)


# --------------------------------------------------------------------------------------
# Safe downloads
# --------------------------------------------------------------------------------------

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_spreadsheet_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for CSV download where no text cell or column name starts a spreadsheet formula.

    Text starting with ``= + - @``, tab or carriage return gets a leading single quote,
    so spreadsheet programs show it as text instead of running it. Number columns are
    left alone.
    """
    escaped = df.copy()
    for position in range(escaped.shape[1]):
        column = escaped.iloc[:, position]
        if _is_text(column):
            escaped.isetitem(position, column.map(_escape_cell, na_action="ignore"))
    escaped.columns = [_escape_cell(name) for name in escaped.columns]
    return escaped


def _escape_cell(value):
    """Prefix a string that a spreadsheet would read as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value
