"""The parsers under read_csv: pyarrow first, pandas' C engine when pyarrow cannot; exact big integers."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from cecore.errors import DataError
from cecore.io.dialect import Dialect, delimiter_name, long_row_message
from cecore.io.source import SAMPLE_BYTES, byte_chunks, first_bytes
from cecore.io.values import INTEGER_TEXT, MISSING_MARKERS, STRING_DTYPE


def parse_csv(data: Path | bytes, dialect: Dialect, complete: bool) -> tuple[pd.DataFrame, list[str]]:
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


def _parser_names(dialect: Dialect) -> list[str]:
    """Names for the fields of a row as parsed (the header's, plus the empty last field of
    lines that end with a delimiter)."""
    return [f"column_{i}" for i in range(1, dialect.n_columns + 1 + dialect.trailing)]


def _drop_trailing_field(frame: pd.DataFrame, dialect: Dialect) -> pd.DataFrame:
    """The frame without the empty field after the last column; DataError for a row that
    has a value there after all (beyond the lines the dialect was detected from)."""
    extra = frame.iloc[:, -1]
    filled = np.flatnonzero(extra.notna().to_numpy())
    if len(filled):
        shown = delimiter_name(dialect.delimiter)
        value = extra.iloc[filled[0]]
        value = f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)[:40]
        raise DataError(
            f"Data row {filled[0] + 1} has a value after the last column ({value!r}), "
            f"where the other rows end with an empty field. A value probably contains an "
            f"unquoted {shown}: put that value in double quotes, or fix the row."
        )
    return frame.iloc[:, :-1]


def _trailing_note(dialect: Dialect) -> str:
    """The note for lines that end with a delimiter."""
    return f"The rows end with an extra {delimiter_name(dialect.delimiter)}; the empty field after the last column was ignored."


def _parse_table(
    data: Path | bytes, dialect: Dialect, complete: bool
) -> tuple[pd.DataFrame, list[str]]:
    """The table as pyarrow or, failing that, pandas' C engine reads it (see parse_csv)."""
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
    return sum(chunk.count(b'"') for chunk in byte_chunks(data)) % 2 == 1


def _arrow_options(dialect: Dialect, names: list[str], column_types: dict | None):
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


def _sample_column_types(data: Path | bytes, dialect: Dialect, names: list[str]) -> dict:
    """Integer and float column types that pyarrow infers from the first megabyte."""
    head = first_bytes(data, SAMPLE_BYTES)
    head = head[: head.rfind(b"\n") + 1]
    read, parse, convert = _arrow_options(dialect, names, None)
    try:
        schema = pa_csv.read_csv(pa.BufferReader(head), read, parse, convert).schema
    except pa.ArrowInvalid:
        return {}
    numeric = (pa.int64(), pa.float64())
    return {f.name: f.type for f in schema if f.type in numeric}


def _read_with_arrow(
    data: Path | bytes, dialect: Dialect, names: list[str], column_types: dict | None
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
        return STRING_DTYPE
    return None


def _read_with_c_engine(
    data: Path | bytes, dialect: Dialect, names: list[str], text_columns: list[int] | None = None
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


def _parser_error_message(message: str, dialect: Dialect) -> str:
    """A plain-language version of a pandas parser error."""
    ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if ragged:
        expected, line, seen = (int(g) for g in ragged.groups())
        line += dialect.skip_lines  # the parser reads the table without the lines above it
        return long_row_message(
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


def _restore_exact_integers(frame: pd.DataFrame, data: Path | bytes, dialect: Dialect) -> pd.DataFrame:
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
        if len(column) != len(frame) or not present.str.fullmatch(INTEGER_TEXT).all():
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
