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


@_data_errors_only("reading the file")
def read_csv(source) -> pd.DataFrame:
    """Read a CSV file into a DataFrame, detecting its encoding and dialect.

    ``source`` is a path (str or Path), bytes, or a binary or text file object (a
    Streamlit UploadedFile works; file objects are read from the start). Detected: the
    encoding (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252 / Latin-1),
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
    dialect = _sniff_dialect(head, complete)
    frame, notes = _parse(data, dialect, complete)
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
    rather than loaded. Other encodings are decoded and re-encoded in memory.
    """
    head = _head(data, SAMPLE_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = _all_bytes(data).decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DataError(
                "The file starts like UTF-16 text but is not valid UTF-16. "
                "Save it again as CSV (UTF-8)."
            ) from exc
        return text.encode("utf-8"), "UTF-16"
    _reject_binary_signature(head)
    has_nul, is_utf8 = _scan_bytes(data)
    if has_nul:
        raise DataError(
            "The file contains NUL bytes, so it is a binary file (or UTF-16 text without a "
            "byte-order mark), not a CSV text file. Export it as CSV (UTF-8)."
        )
    if is_utf8:
        return data, None
    raw = _all_bytes(data)
    try:
        return raw.decode("cp1252").encode("utf-8"), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1").encode("utf-8"), "Latin-1"


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


def _sniff_dialect(text: str, complete: bool) -> _Dialect:
    """Detect delimiter, decimal mark and header from the start of the file.

    ``complete`` says whether ``text`` is the whole file; if not, its last record may be
    cut off and is ignored. csv.Sniffer is not used: its preference order picks ``,`` for
    files like ``1,5;2,5`` (``;``-separated with decimal commas).
    """
    candidates = {}
    for delimiter in DELIMITERS:
        records = _sample_records(text, delimiter, complete)
        if records is not None:
            candidates[delimiter] = records
    if not candidates:
        raise DataError(
            "The file could not be split into rows and columns: a value may be extremely "
            "long or badly quoted."
        )
    if not any(candidates.values()):
        raise DataError("The file is empty.")
    scores = {d: _delimiter_score(r, d) for d, r in candidates.items() if r}
    valid = {d: score for d, score in scores.items() if score is not None}
    if valid:
        delimiter = max(valid, key=valid.get)
    else:  # one column: take the delimiter that splits the fewest records, "," if none does
        delimiter = min(candidates, key=lambda d: (_count_split(candidates[d]), d != ","))
    records = candidates[delimiter]
    decimal = _decimal_mark([f for _, fields in records[1:] for f in fields], delimiter)
    has_header = _has_header([fields for _, fields in records])
    header = records[0][1] if has_header else None
    n_columns = (
        len(header) if has_header else Counter(len(f) for _, f in records).most_common(1)[0][0]
    )
    _reject_long_rows(records[1:] if has_header else records, n_columns, delimiter, has_header)
    if complete and has_header and len(records) == 1:
        raise DataError("The file has only one line, read as the header row, and no data rows.")
    return _Dialect(delimiter, decimal, header, n_columns, '"' in text)


def _sample_records(text: str, delimiter: str, complete: bool) -> list | None:
    """Up to SNIFF_RECORDS non-blank records as (line number, fields); None if unparsable."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for fields in reader:
            if fields:
                records.append((reader.line_num, fields))
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


def _reject_long_rows(records: list, n_columns: int, delimiter: str, has_header: bool) -> None:
    """Raise DataError, naming the line, for a row with more fields than the header."""
    for line, fields in records:
        if len(fields) > n_columns:
            raise DataError(_long_row_message(line, len(fields), n_columns, delimiter, has_header))


def _long_row_message(
    line: int, n_fields: int, n_columns: int, delimiter: str, has_header: bool
) -> str:
    """The message for a row that has more fields than the file has columns."""
    reference = "the header has" if has_header else "the other lines have"
    shown = "tab" if delimiter == "\t" else f"'{delimiter}'"
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
    """
    names = [f"column_{i}" for i in range(1, dialect.n_columns + 1)]
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
    if short_rows and int(short_rows[2]) < int(short_rows[1]):
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
        use_threads=False,  # as fast here (2 cores), and peak memory 2.6x the matrix, not 3-4x
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
    """Parse with pyarrow and convert to pandas column by column."""
    options = _arrow_options(dialect, names, column_types)
    if isinstance(data, Path):
        with pa.OSFile(str(data)) as handle:
            return _arrow_to_pandas(pa_csv.read_csv(handle, *options))
    return _arrow_to_pandas(pa_csv.read_csv(pa.BufferReader(data), *options))


def _arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Convert a table, releasing its memory while converting; strings become pandas "str"."""
    return table.to_pandas(
        self_destruct=True, split_blocks=True, date_as_object=False, types_mapper=_pandas_dtype
    )


def _pandas_dtype(arrow_type: pa.DataType):
    """The pandas dtype for an arrow type: the default "str" dtype for strings, else default."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return _STRING_DTYPE
    return None


def _read_with_c_engine(data: Path | bytes, dialect: _Dialect, names: list[str]) -> pd.DataFrame:
    """Parse with pandas' C engine, turning its parse errors into DataErrors naming the line."""
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
            na_values=list(MISSING_MARKERS),
            keep_default_na=False,
            encoding="utf-8",
            compression=None,
            low_memory=False,
        )
    except pd.errors.ParserError as exc:
        raise DataError(_parser_error_message(str(exc), dialect)) from exc


def _parser_error_message(message: str, dialect: _Dialect) -> str:
    """A plain-language version of a pandas parser error."""
    ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if ragged:
        expected, line, seen = (int(g) for g in ragged.groups())
        return _long_row_message(
            line, seen, expected, dialect.delimiter, dialect.header is not None
        )
    unclosed = re.search(r"EOF inside string starting at row (\d+)", message)
    if unclosed:
        return (
            f"A quoted value that starts on line {int(unclosed[1]) + 1} is never closed. "
            "Check that line for a stray double quote."
        )
    return f"The file could not be read as CSV: {message.strip()}"


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
    if dialect.decimal == ",":
        notes.append("Numbers are written with a decimal comma (1,5); they were read as numbers.")
    return notes


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
        return _number_profile(series.to_numpy(dtype=np.float64, na_value=np.nan), name)
    present = series.dropna()
    missing = len(series) - len(present)
    if present.empty:
        return _Profile("empty", missing, 0)
    distinct = _count_distinct(present)
    return _Profile(_kind(series, present, distinct, name), missing, distinct)


def _number_profile(values: np.ndarray, name: str) -> _Profile:
    """The profile of a column of float64 numbers (the fast path for numeric dtypes)."""
    present = values[~np.isnan(values)]
    missing = len(values) - len(present)
    if not len(present):
        return _Profile("empty", missing, 0)
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


def _kind(series: pd.Series, present: pd.Series, distinct: int, name: str) -> str:
    """The kind of a column that has at least one value and no number dtype."""
    if distinct == 1:
        return "constant"
    if pd.api.types.is_bool_dtype(series) or (
        distinct == 2
        and _is_text(series)
        and set(present.astype(str).str.lower()) <= _BOOLEAN_WORDS
    ):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(series) or _date_format(series) is not None:
        return "datetime"
    numbers = _numeric_view(series)
    if numbers is not None:
        return _number_profile(numbers.to_numpy(), name).kind
    if distinct == len(present) and (
        _ID_NAME.search(name)
        or (len(present) >= 20 and not present.astype(str).str.contains(r"\s").any())
    ):
        return "id"
    if distinct > FREE_TEXT_MIN_DISTINCT and distinct > 0.5 * len(present):
        return "text"
    return "categorical"


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
    if not present.head(50).astype(str).str.fullmatch(_NUMBER).all():
        return None
    numbers = _parse_numbers(series)
    return numbers if numbers.notna().sum() == len(present) else None


def _parse_numbers(series: pd.Series) -> pd.Series:
    """The column as float64; text is parsed with ``,`` or ``.`` as the decimal mark and
    anything that is not a number becomes NaN."""
    if _has_number_dtype(series):
        return pd.Series(series.to_numpy(dtype=np.float64, na_value=np.nan), index=series.index)
    text = series.astype(str).str.strip().str.replace(",", ".", regex=False)
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

    ``X`` holds all usable rows (in table order, ``row_index`` gives their labels), ``y``
    their class indices into ``classes``. ``X_train`` is ``X[train_positions]`` and
    ``X_test`` is ``X[test_positions]``. ``preprocessor`` is fitted on the training rows
    only. ``transform`` applies the same preprocessing to new rows.
    """

    X: np.ndarray
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

    @_data_errors_only("preparing the new rows")
    def transform(self, df_new: pd.DataFrame) -> np.ndarray:
        """Apply the fitted preprocessing to new rows (the target column is not needed)."""
        frame = _with_string_columns(df_new)
        absent = [name for name in self.features if name not in frame.columns]
        if absent:
            raise DataError(f"The new rows lack the column(s) {', '.join(map(repr, absent))}.")
        model_frame, _ = _model_frame(frame, self.feature_specs)
        _reject_huge_values(model_frame, self.feature_specs)
        return _transform(self.preprocessor, model_frame)


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
    """
    _check_options(missing, dates, test_size, max_classes)
    frame = _with_string_columns(df)
    target = _require_column(frame, target)
    labels = _target_labels(frame[target], target, max_classes)
    specs, notes = _feature_specs(frame, target, features, dates)
    model_frame, infinite = _model_frame(frame, specs)
    notes += [
        f"{n} infinite values in column '{name}' were treated as missing."
        for name, n in infinite.items()
    ]
    keep, drop_notes = _usable_rows(labels, model_frame, missing)
    notes += drop_notes
    classes, y = np.unique(labels[keep].astype(str), return_inverse=True)
    _check_classes(classes, target)
    used = model_frame.iloc[np.flatnonzero(keep)].reset_index(drop=True)
    _reject_huge_values(used, specs)
    train, test = _split_positions(y, classes, test_size, random_state)
    preprocessor = _make_preprocessor(used, specs, scale).fit(used.iloc[train])
    notes += _grouping_notes(preprocessor)
    X = _transform(preprocessor, used)
    return Prepared(
        X=X,
        y=y.astype(np.int64),
        classes=classes.astype(object),
        feature_names=[str(name) for name in preprocessor.get_feature_names_out()],
        X_train=X[train],
        X_test=X[test],
        y_train=y[train].astype(np.int64),
        y_test=y[test].astype(np.int64),
        preprocessor=preprocessor,
        target=target,
        features=list(specs),
        dropped_rows=int(len(frame) - keep.sum()),
        notes=notes,
        row_index=frame.index[keep],
        train_positions=train,
        test_positions=test,
        feature_specs=specs,
    )


def _check_options(missing: str, dates: str, test_size: float, max_classes: int) -> None:
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


def _is_number_option(value) -> bool:
    """Whether an option value is a real number (booleans are not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_whole_number_option(value) -> bool:
    """Whether an option value is an integer (booleans are not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _target_labels(series: pd.Series, name: str, max_classes: int) -> np.ndarray:
    """Class labels as strings (None where the target is missing or infinite).

    Whole numbers become "0", "1", ...; raises DataError for a target without values, a
    continuous one, or one with more than ``max_classes`` classes.
    """
    numbers = _numeric_view(series)
    if numbers is not None:
        numbers = numbers.where(np.isfinite(numbers))
    has_label = (numbers.notna() if numbers is not None else series.notna()).to_numpy()
    if not has_label.any():
        raise DataError(f"The target column '{name}' has no values.")
    labels = np.full(len(series), None, dtype=object)
    if numbers is None:
        labels[has_label] = series[has_label].astype(str).to_numpy(dtype=object)
        continuous = False
    else:
        present = numbers[has_label].to_numpy()
        integers = bool(np.all(present == np.floor(present))) and np.abs(present).max() < 2**53
        text = present.astype(np.int64).astype(str) if integers else present.astype(str)
        labels[has_label] = text.astype(object)
        continuous = not integers and len(np.unique(present)) > CONTINUOUS_MIN_DISTINCT
    distinct = len(set(labels[has_label]))
    if continuous or (numbers is not None and distinct > max_classes):
        raise DataError(
            f"Target '{name}' has {distinct} distinct values in {int(has_label.sum())} rows: it looks "
            "continuous, not a class column. Pick a column with a few categories."
        )
    if distinct > max_classes:
        raise DataError(
            f"Target '{name}' has {distinct} different values; at most {max_classes} classes are "
            "supported. Pick a column with a few categories."
        )
    return labels


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
    names = [str(features)] if isinstance(features, str) else [str(name) for name in features]
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


def _usable_rows(
    labels: np.ndarray, model_frame: pd.DataFrame, missing: str
) -> tuple[np.ndarray, list[str]]:
    """Mask of rows to keep (target present; complete if ``missing="drop"``) and notes."""
    keep = np.array([label is not None for label in labels], dtype=bool)
    notes = []
    if not keep.all():
        notes.append(f"{int((~keep).sum())} rows without a target value were dropped.")
    if missing == "drop":
        complete = model_frame.notna().all(axis=1).to_numpy()
        n_incomplete = int((keep & ~complete).sum())
        keep &= complete
        if n_incomplete:
            notes.append(f"{n_incomplete} rows with missing values were dropped.")
        if not keep.any():
            raise DataError(
                "No rows are left after dropping the rows with missing values. "
                "Fill in missing values instead (missing='impute') or use fewer columns."
            )
    if keep.sum() < MIN_ROWS:
        raise DataError(
            f"Only {int(keep.sum())} usable rows are left; at least {MIN_ROWS} are needed "
            "to train and test a classifier."
        )
    return keep, notes


def _check_classes(classes: np.ndarray, target: str) -> None:
    """Raise DataError when the usable rows hold fewer than two classes."""
    if len(classes) < 2:
        raise DataError(
            f"Column '{target}' has only one class ('{classes[0]}'); a classifier needs at least two."
        )


def _reject_huge_values(model_frame: pd.DataFrame, specs: dict[str, _FeatureSpec]) -> None:
    """Raise DataError, naming the column, when a number is too large to scale or train on."""
    numeric = [name for name, spec in specs.items() if spec.kind == "numeric"]
    largest = model_frame[numeric].abs().max()
    for name, value in largest.items():
        if value > MAX_ABS_VALUE:
            raise DataError(
                f"Column '{name}' has values as large as {value:.3g}; numbers this large overflow "
                "when scaled or trained on. Rescale that column (e.g. to thousands or millions) "
                "or leave it out."
            )


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
            f"A test size of {test_size:.0%} splits {len(y)} rows into {n_train} training and "
            f"{n_test} test rows, but each part needs a row of every one of the {len(classes)} "
            "classes. Change the test size or add rows."
        )
    train, test = train_test_split(
        positions, test_size=test_size, stratify=y, random_state=random_state
    )
    return train, test


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
        f"Column '{name}': {len(rare)} rare values share the column '{name}=(other)'."
        for name, rare in zip(inputs, encoder.infrequent_categories_, strict=True)
        if rare is not None
    ]


def _transform(preprocessor: ColumnTransformer, model_frame: pd.DataFrame) -> np.ndarray:
    """Apply the fitted preprocessing; DataError if any output is not a finite number."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Found unknown categories", category=UserWarning)
        X = np.ascontiguousarray(preprocessor.transform(model_frame), dtype=np.float64)
    not_finite = ~np.isfinite(X).all(axis=0)
    if not_finite.any():
        names = ", ".join(preprocessor.get_feature_names_out()[not_finite])
        raise DataError(
            f"Preparing {names} gave values that are not finite numbers. Rescale or leave out those columns."
        )
    return X


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
