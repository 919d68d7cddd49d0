"""The parsers under read_csv: pyarrow first, pandas' C engine when pyarrow cannot; each column's number format; exact big integers."""

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
from cecore.io.numbers import (
    exact_numbers,
    format_note,
    might_be_numbers,
    number_format,
    shows_a_decimal_mark,
    tie_break,
    undecided_note,
    whole_beyond_float_precision,
)
from cecore.io.source import SAMPLE_BYTES, byte_chunks, first_bytes
from cecore.io.values import MISSING_MARKERS, STRING_DTYPE, is_text


def parse_csv(
    data: Path | bytes, dialect: Dialect, complete: bool, column_names: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Parse the data: pyarrow first, pandas' C engine when pyarrow cannot or should not.

    Column types seen in the sample are pinned for the pyarrow read, so that pyarrow does
    not keep every parsed block alive for type inference (that would cost ~4x the size of
    the resulting matrix in memory). If a pinned type does not fit later rows, the read is
    retried with inference. The C engine takes over for rows with too few fields, quoted
    line breaks that pyarrow's block reader cannot follow, and files with an odd number of
    quotes (pyarrow silently takes an unclosed quote to the end of the file as one value).
    Then each column's numbers are read in the format its own values decide (see
    _read_number_columns); ``column_names`` (the final ones) name the columns in notes.
    """
    frame, notes, integer_columns = _parse_table(data, dialect, complete)
    if dialect.trailing:
        frame, notes = _drop_trailing_field(frame, dialect), notes + [_trailing_note(dialect)]
    frame, number_notes = _read_number_columns(
        frame, data, dialect, complete, integer_columns, column_names
    )
    return frame, notes + number_notes


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
) -> tuple[pd.DataFrame, list[str], set[int] | None]:
    """The table as pyarrow or, failing that, pandas' C engine reads it (see parse_csv),
    and the positions of the columns pyarrow read as integers (None from the C engine)."""
    names = _parser_names(dialect)
    if _has_unpaired_quote(data):
        return _tidy(_read_with_c_engine(data, dialect, names)), [], None
    pinned = {} if complete else _sample_column_types(data, dialect, names)
    arrow_error = ""
    for column_types in ([pinned] if pinned else []) + [None]:
        try:
            frame, integer_columns = _read_with_arrow(data, dialect, names, column_types)
            return _tidy(frame), [], integer_columns
        except pa.ArrowInvalid as exc:
            arrow_error = str(exc)
    frame = _tidy(_read_with_c_engine(data, dialect, names))
    short_rows = re.search(r"Expected (\d+) columns, got (\d+)", arrow_error)
    if short_rows and int(short_rows[2]) < dialect.n_columns:
        return frame, [
            "Some rows have fewer fields than the header; their missing fields were left empty."
        ], None
    return frame, [], None


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
) -> tuple[pd.DataFrame, set[int]]:
    """Parse with pyarrow and convert to pandas a few columns at a time; also the
    positions of the integer columns (no value in them has a decimal mark)."""
    columns, fields = _arrow_columns(data, _arrow_options(dialect, names, column_types))
    integers = {i for i, f in enumerate(fields) if pa.types.is_integer(f.type)}
    return _arrow_to_pandas(columns, fields), integers


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


def _read_number_columns(
    frame: pd.DataFrame,
    data: Path | bytes,
    dialect: Dialect,
    complete: bool,
    integer_columns: set[int] | None,
    column_names: list[str],
) -> tuple[pd.DataFrame, list[str]]:
    """Read each column's numbers in the format its own values decide (cecore.io.numbers),
    with notes on the columns read with a thousands separator, with a decimal mark other
    than the file's, or kept as text because their format cannot be decided.

    The parsers read every column with the file's one decimal mark (``dialect.decimal``),
    so a column written the other way is text (``1.234.567``, ``0,5`` in a file of
    ``0.5``), and a column whose values all read both ways (``1.234``, ``12.000``) may have
    been read as decimals when its ``.`` groups thousands. So:

    - text columns of numbers get their format from all their values;
    - float columns are right when some value shows the mark is a decimal mark there (a
      fraction below 1, at or above 1000, or with more than three decimals: a vector test)
      or, failing that, some value of the sample does (``12.5``); the others are read
      again as text and decided like text columns (never needed when the ties below are
      broken towards the file's mark, as in every comma-separated file);
    - a column whose values alone fit both readings takes the decimal mark that the other
      columns fix, when they agree, else ``.`` in a comma-separated file; else it is kept
      as text;
    - whole numbers beyond 2**53, where float64 rounds neighbours together, are read again
      as text and kept exact (nullable Int64, or the digits as text beyond int64), also
      when written with grouping or ``.0``.
    """
    mark = dialect.decimal
    by_c_engine = integer_columns is None  # then columns are read again by the C engine too
    integer_columns = set() if by_c_engine else integer_columns
    formats, texts, fixed, suspects, big = {}, {}, set(), [], []
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if is_text(series):
            fmt = number_format(series) if might_be_numbers(series) else None
            if fmt is not None and fmt.status != "not numbers":
                formats[position], texts[position] = fmt, series
                fixed |= {fmt.decimal} if fmt.certain else set()
        elif series.dtype == np.float64:
            values = series.to_numpy()
            big += [position] if whole_beyond_float_precision(values) else []
            if position in integer_columns or not np.isfinite(values).any():
                continue
            if shows_a_decimal_mark(values):
                fixed.add(mark)
            else:
                suspects.append(position)
    tie, reason = tie_break(fixed, dialect.delimiter)
    if suspects and tie != mark and not complete:  # the sample may show the mark
        sample = _text_columns(data, dialect, suspects, head_only=True)
        shown = [p for p in suspects if p in sample and number_format(sample[p]).certain]
        fixed |= {mark} if shown else set()
        suspects = [p for p in suspects if p not in shown]
        tie, reason = tie_break(fixed, dialect.delimiter)
    reread = sorted(set(big) | (set(suspects) if tie != mark else set()))
    if reread:
        again = _text_columns(data, dialect, reread, c_engine=by_c_engine)
        for position, column in again.items():
            fmt = number_format(column)
            if len(column) == len(frame) and fmt.status != "not numbers":
                formats[position], texts[position] = fmt, column
                fixed |= {fmt.decimal} if fmt.certain else set()
        tie, reason = tie_break(fixed, dialect.delimiter)
    notes = []
    for position, fmt in formats.items():
        name, text = column_names[position], texts[position]
        if fmt.status == "ambiguous" and tie is not None:
            fmt = number_format(text, tie)
        if fmt.status != "numbers":
            frame.isetitem(position, text)
            notes.append(undecided_note(name, fmt))
            continue
        # the parser's floats are right when it read the same marks; big ones may not be exact
        as_parsed = not is_text(frame.iloc[:, position]) and fmt.grouping is None and (
            fmt.decimal == mark or fmt.example is None
        )
        if not as_parsed or position in big:
            numbers = exact_numbers(text, fmt)
            if not as_parsed or numbers.dtype != np.float64:
                frame.isetitem(position, numbers)
        if fmt.grouping is not None or (fmt.decimal != mark and fmt.example is not None):
            notes.append(format_note(name, fmt, reason))
    return frame, notes


def _text_columns(
    data: Path | bytes,
    dialect: Dialect,
    positions: list[int],
    head_only: bool = False,
    c_engine: bool = False,
) -> dict[int, pd.Series]:
    """The columns at ``positions`` read again as text (missing markers as missing), from
    the whole data or only its first megabyte; by pyarrow, else pandas' C engine. Columns
    that cannot be read again are left out."""
    names = _parser_names(dialect)
    wanted = [names[p] for p in positions]
    if head_only:
        head = first_bytes(data, SAMPLE_BYTES)
        data = head[: head.rfind(b"\n") + 1]
    if not c_engine:
        read, parse, convert = _arrow_options(dialect, names, dict.fromkeys(wanted, pa.string()))
        convert.include_columns = wanted
        try:
            columns, _ = _arrow_columns(data, (read, parse, convert))
            return {p: columns[i].to_pandas(types_mapper=_pandas_dtype)
                    for i, p in enumerate(positions)}
        except pa.ArrowInvalid:
            if head_only:
                return {}
    try:
        text = _read_with_c_engine(data, dialect, names, text_columns=positions)
    except (DataError, ValueError):  # the table was read: keep its columns then
        return {}
    return {p: text[names[p]].astype(STRING_DTYPE) for p in positions}


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Give columns without any value the float dtype (pyarrow reads them as null objects)."""
    for name in frame.columns:
        if pd.api.types.is_object_dtype(frame[name]) and frame[name].isna().all():
            frame[name] = np.nan
    return frame
