"""The parsers under read_csv: pyarrow first, pandas' C engine when pyarrow cannot; each column's number format; exact big integers."""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from cecore.errors import DataError
from cecore.io.dialect import Dialect, delimiter_name, long_row_message
from cecore.io.number_columns import read_number_columns
from cecore.io.source import SAMPLE_BYTES, byte_chunks, first_bytes
from cecore.io.values import MISSING_MARKERS, STRING_DTYPE


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
    cecore.io.number_columns); ``column_names`` (the final ones) name the columns in notes.
    """
    frame, notes, integer_columns = _parse_table(data, dialect, complete)
    if dialect.trailing:
        frame, notes = _drop_trailing_field(frame, dialect), notes + [_trailing_note(dialect)]
    frame, number_notes = read_number_columns(
        frame, dialect, complete, integer_columns, column_names,
        functools.partial(_text_columns, data, dialect),
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
        block_size=_block_size(len(names)),
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


_BLOCK_ROWS = 64  # rows of 8-byte fields a parsed block has room for, at least
_MIN_BLOCK, _MAX_BLOCK = 2**20, 2**24  # pyarrow's default block size (1 MB), and 16 MB


def _block_size(n_columns: int) -> int:
    """The bytes pyarrow parses at a time: its 1 MB, or more for wide rows (up to 16 MB).
    Each block costs a step per column, so a block that holds a few rows only would make
    a wide file cost its columns times its blocks rather than its cells."""
    return min(_MAX_BLOCK, max(_MIN_BLOCK, _BLOCK_ROWS * 8 * n_columns))


def _sample_column_types(data: Path | bytes, dialect: Dialect, names: list[str]) -> dict:
    """Integer and float types for the columns whose values in the first megabyte are
    certainly integers or floats to pyarrow, so that pinning them gives what its
    inference gives (see _sample_patterns).

    pyarrow's own inference costs ~25 us per column and block (0.5 s for 20,000 columns),
    so the sample is read as text and all its values are classified at once (RE2)."""
    head = first_bytes(data, SAMPLE_BYTES)
    head = head[: head.rfind(b"\n") + 1]
    read, parse, convert = _arrow_options(dialect, names, dict.fromkeys(names, pa.string()))
    try:
        table = pa_csv.read_csv(pa.BufferReader(head), read, parse, convert)
    except pa.ArrowInvalid:
        return {}
    if not table.num_rows:
        return {}
    values = pa.concat_arrays([chunk for column in table.columns for chunk in column.chunks])
    shape = (len(names), table.num_rows)
    missing = values.is_null().to_numpy(zero_copy_only=False).reshape(shape)
    integer, fraction = (
        pc.fill_null(pc.match_substring_regex(values, pattern), False)
        .to_numpy(zero_copy_only=False).reshape(shape)
        for pattern in _sample_patterns(dialect.decimal)
    )
    has_value = ~missing.all(axis=1)
    integers = has_value & (integer | missing).all(axis=1)
    floats = ~integers & fraction.any(axis=1) & (integer | fraction | missing).all(axis=1)
    return {name: pa.int64() if i else pa.float64()
            for name, i, f in zip(names, integers, floats, strict=True) if i or f}


def _sample_patterns(decimal: str) -> tuple[str, str]:
    """The values pyarrow reads as int64 for sure (18 digits at most, ``-`` allowed, not
    ``+``), and those it reads as float64 only: ``1.5``, ``1.``, ``.5``, ``1e5`` with
    ``decimal`` as the mark. A column of the first alone is inferred int64; one of both
    with some of the second, float64 (no integer, boolean, date or time reads ``1.5`` or
    ``1e5``). Anything else (``+1``, `` 1``, 19 digits) is left to pyarrow's inference."""
    d = re.escape(decimal)
    exponent = "[eE][+-]?[0-9]+"
    fraction = f"^-?(?:(?:[0-9]+{d}[0-9]*|{d}[0-9]+)(?:{exponent})?|[0-9]+{exponent})$"
    return "^-?[0-9]{1,18}$", fraction


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
    the matrix of a numeric file instead of 1.4x, and it would stay that high). A group's
    columns of one dtype become one 2-D block (not a block each: 20,000 blocks would make
    every later step over the columns of a wide table cost a step per column).
    """
    pool = pa.default_memory_pool()
    pool.release_unused()  # what parsing left behind
    parts, start = [], 0
    while start < len(columns):
        stop, size = start + 1, _size(columns[start])
        while stop < len(columns) and size + _size(columns[stop]) <= _CONVERT_BYTES:
            size += _size(columns[stop])
            stop += 1
        group = pa.Table.from_arrays(columns[start:stop], schema=pa.schema(fields[start:stop]))
        columns[start:stop] = [None] * (stop - start)  # the group holds the only reference
        parts.append(
            group.to_pandas(
                self_destruct=True,
                split_blocks=False,
                date_as_object=False,
                types_mapper=_pandas_dtype,
            )
        )
        del group
        pool.release_unused()
        start = stop
    return parts[0] if len(parts) == 1 else pd.concat(parts, axis=1)


def _size(column: pa.ChunkedArray) -> int:
    """The bytes of a parsed column's buffers (``nbytes`` is 20 times slower)."""
    return column.get_total_buffer_size()


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
    for position, dtype in enumerate(frame.dtypes):
        if pd.api.types.is_object_dtype(dtype) and frame.iloc[:, position].isna().all():
            frame.isetitem(position, np.nan)
    return frame
