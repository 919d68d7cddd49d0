"""After parsing: each column's numbers in the format its own values decide, decided for
all float columns at once (2-D blocks) and for each text column of numbers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cecore.io.blocks import column_blocks
from cecore.io.dialect import Dialect
from cecore.io.numbers import (
    beyond_float_precision_columns,
    decimal_mark_columns,
    exact_numbers,
    format_note,
    might_be_numbers,
    number_format,
    tie_break,
    undecided_note,
)
from cecore.io.values import is_text, is_text_dtype

#: reads the columns at these positions again as text: (positions, head_only=, c_engine=)
Reread = Callable[..., dict[int, pd.Series]]


def read_number_columns(
    frame: pd.DataFrame,
    dialect: Dialect,
    complete: bool,
    integer_columns: set[int] | None,
    column_names: list[str],
    reread: Reread,
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
      fraction below 1, at or above 1000, or with more than three decimals: a vector test
      over all float columns at once) or, failing that, some value of the sample does
      (``12.5``); the others are read again as text (``reread``) and decided like text
      columns (never needed when the ties below are broken towards the file's mark, as in
      every comma-separated file);
    - a column whose values alone fit both readings takes the decimal mark that the other
      columns fix, when they agree, else ``.`` in a comma-separated file; else it is kept
      as text;
    - whole numbers beyond 2**53, where float64 rounds neighbours together, are read again
      as text and kept exact (nullable Int64, or the digits as text beyond int64), also
      when written with grouping or ``.0``.

    ``integer_columns`` are the positions the parser read as integers (None from pandas'
    C engine: then columns are read again by the C engine too).
    """
    mark = dialect.decimal
    by_c_engine = integer_columns is None
    integer_columns = set() if by_c_engine else integer_columns
    formats, texts, fixed = {}, {}, set()
    dtypes = list(frame.dtypes)
    for position, dtype in enumerate(dtypes):
        if is_text_dtype(dtype):
            series = frame.iloc[:, position]
            fmt = number_format(series) if might_be_numbers(series) else None
            if fmt is not None and fmt.status != "not numbers":
                formats[position], texts[position] = fmt, series
                fixed |= {fmt.decimal} if fmt.certain else set()
    floats = [p for p, dtype in enumerate(dtypes) if dtype == np.float64]
    big, suspects, shown = _float_evidence(frame, floats, integer_columns)
    fixed |= {mark} if shown else set()
    tie, reason = tie_break(fixed, dialect.delimiter)
    if suspects and tie != mark and not complete:  # the sample may show the mark
        sample = reread(suspects, head_only=True)
        seen = [p for p in suspects if p in sample and number_format(sample[p]).certain]
        fixed |= {mark} if seen else set()
        suspects = [p for p in suspects if p not in seen]
        tie, reason = tie_break(fixed, dialect.delimiter)
    again = sorted(set(big) | (set(suspects) if tie != mark else set()))
    if again:
        for position, column in reread(again, c_engine=by_c_engine).items():
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


def _float_evidence(
    frame: pd.DataFrame, floats: list[int], integer_columns: set[int]
) -> tuple[list[int], list[int], bool]:
    """Over the float64 columns at ``floats``, a block of columns at a time: those holding
    whole numbers beyond 2**53, those (not read as integers, with a finite value) whose
    values do not show that the file's mark is their decimal mark, and whether some do."""
    big, suspects, shown = [], [], False
    for positions, block in column_blocks(frame, floats):
        big += [p for p, b in zip(positions, beyond_float_precision_columns(block), strict=True) if b]
        marked = decimal_mark_columns(block)
        finite = np.isfinite(block).any(axis=0)
        for p, has_mark, has_value in zip(positions, marked, finite, strict=True):
            if p in integer_columns or not has_value:
                continue
            if has_mark:
                shown = True
            else:
                suspects.append(p)
    return big, suspects, shown
