"""Parquet files into a DataFrame (pyarrow), bounded before decoding, nested columns resolved.

Checked from the file's footer before any data is decoded: at most MAX_CELLS values (rows x
leaf columns) and MAX_DECODED_BYTES of column data once decompressed, so a small file cannot
expand into gigabytes. String columns are read dictionary-encoded and their decoded size is
checked too (a dictionary of one long string repeated a million times is small on disk).

Columns as a table's columns must be (one value per row):

- a struct column (records) is flattened: its fields become columns ``name.field``, with a
  note (structs in structs too);
- list, map and union columns hold several values per row, which cannot be a feature or a
  class: they are left out with a note naming them (DataError when nothing else is left);
- binary columns are left out the same way; decimals become float64; dictionary-encoded
  strings plain text (pandas' "str" dtype, as read_csv gives); timestamps keep their time
  zone; an unnamed index that pandas stored (``__index_level_0__``) is left out.

Names are made unique as read_csv makes them (``name.1``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cecore.errors import DataError
from cecore.io.header import final_column_names
from cecore.io.values import STRING_DTYPE

MAX_CELLS = 50_000_000
MAX_DECODED_BYTES = 1024**3
PARQUET_SIGNATURE = b"PAR1"
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")


def read_parquet(data: Path | bytes) -> pd.DataFrame:
    """The Parquet file's table, with notes (see the module docstring)."""
    try:
        parquet = _open(data)
    except (pa.ArrowInvalid, pa.ArrowException, OSError) as exc:
        raise DataError(
            f"The file starts like a Parquet file but could not be read ({exc}). "
            "It may be damaged or incomplete: write it again, or export the table as CSV."
        ) from exc
    _check_footer(parquet.metadata)
    schema = parquet.schema_arrow
    kept, left_out = [], []
    for field in schema:
        if _several_values(field.type) or _is_binary(field.type):
            left_out.append(field)
        elif not _PANDAS_INDEX.fullmatch(field.name):
            kept.append(field)
    strings = [f.name for f in kept if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    try:
        table = _open(data, read_dictionary=strings).read(
            columns=[f.name for f in kept], use_threads=False)
    except (pa.ArrowInvalid, pa.ArrowException, OSError) as exc:
        raise DataError(
            f"The Parquet file could not be read ({exc}). It may be damaged: write it "
            "again, or export the table as CSV."
        ) from exc
    notes = []
    table, flattened, nested_out = _flatten(table)
    left_out += nested_out
    if flattened:
        notes.append(_struct_note(flattened))
    if left_out:
        notes.append(_left_out_note(left_out))
    if table.num_columns == 0:
        raise DataError(
            "The Parquet file has no column that can be used: "
            + (_left_out_note(left_out) if left_out else "it has no columns.")
        )
    if table.num_rows == 0:
        raise DataError("The Parquet file has columns but no rows.")
    frame = _to_pandas(table)
    names, name_notes = final_column_names([str(n) for n in table.column_names],
                                           table.num_columns)
    frame.columns = names
    frame.attrs["notes"] = notes + name_notes
    return frame


def _open(data: Path | bytes, **options) -> pq.ParquetFile:
    return pq.ParquetFile(str(data) if isinstance(data, Path) else pa.BufferReader(data),
                          **options)


def _check_footer(metadata: pq.FileMetaData) -> None:
    """Refuse, from the footer alone, a file that would decode to too much."""
    cells = metadata.num_rows * max(metadata.num_columns, 1)
    decoded = sum(
        metadata.row_group(g).column(c).total_uncompressed_size
        for g in range(metadata.num_row_groups)
        for c in range(metadata.num_columns)
    )
    if cells > MAX_CELLS or decoded > MAX_DECODED_BYTES:
        raise DataError(
            f"The Parquet file holds {metadata.num_rows:,} rows x {metadata.num_columns} "
            f"columns ({decoded / 1024**2:,.0f} MB once decompressed), more than this app "
            f"reads ({MAX_CELLS:,} values, {MAX_DECODED_BYTES // 1024**3} GB). "
            "Use fewer rows or columns."
        )


def _several_values(kind: pa.DataType) -> bool:
    return (pa.types.is_list(kind) or pa.types.is_large_list(kind)
            or pa.types.is_fixed_size_list(kind) or pa.types.is_map(kind)
            or pa.types.is_union(kind) or getattr(pa.types, "is_list_view", bool)(kind)
            or getattr(pa.types, "is_large_list_view", bool)(kind))


def _is_binary(kind: pa.DataType) -> bool:
    return (pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
            or pa.types.is_fixed_size_binary(kind))


def _flatten(table: pa.Table):
    """The table with struct columns flattened (repeatedly), list-like leaves left out:
    (table, names of the flattened structs, fields left out)."""
    flattened, left_out = [], []
    while any(pa.types.is_struct(f.type) for f in table.schema):
        flattened += [f.name for f in table.schema if pa.types.is_struct(f.type)]
        table = table.flatten()
    for field in table.schema:
        if _several_values(field.type) or _is_binary(field.type):
            left_out.append(field)
    return table.drop_columns([f.name for f in left_out]), flattened, left_out


def _struct_note(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names)
    if len(names) == 1:
        return (f"The column {shown} holds records (a struct); each of its fields became a "
                f"column named {names[0]}.<field>.")
    return (f"The columns {shown} hold records (structs); each of their fields became a "
            "column named <column>.<field>.")


def _left_out_note(fields: list[pa.Field]) -> str:
    shown = ", ".join(f"{f.name!r} ({_kind_name(f.type)})" for f in fields)
    return (f"Left out: {shown}. A list or map holds several values per row, and binary "
            "data is not a value either, so such a column cannot be a feature or a class.")


def _kind_name(kind: pa.DataType) -> str:
    if pa.types.is_map(kind):
        return "map"
    if _is_binary(kind):
        return "binary data"
    if pa.types.is_union(kind):
        return "union"
    return "list"


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Columns to pandas: strings (dictionary-encoded or not) to "str", decimals to float64;
    DataError when the strings would decode to more than MAX_DECODED_BYTES."""
    decoded = 0
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            text = not (pa.types.is_integer(kind.value_type)
                        or pa.types.is_floating(kind.value_type))
            for chunk in column.chunks if text else ():
                lengths = pc.binary_length(chunk.dictionary)
                decoded += pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0
            if decoded > MAX_DECODED_BYTES:
                raise DataError(
                    f"The Parquet file's text would take more than "
                    f"{MAX_DECODED_BYTES // 1024**3} GB once decoded. Use fewer rows or columns."
                )
            column = pc.cast(column, kind.value_type)
        elif pa.types.is_decimal(kind):
            column = pc.cast(column, pa.float64())
        elif pa.types.is_time(kind):
            column = pc.cast(column, pa.string())
        columns.append(column)
    table = pa.Table.from_arrays(columns, names=[str(i) for i in range(len(columns))])
    return table.to_pandas(date_as_object=False, ignore_metadata=True,
                           types_mapper=_pandas_dtype)


def _pandas_dtype(arrow_type: pa.DataType):
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return STRING_DTYPE
    return None
