"""Cells that a spreadsheet would run as formulas, escaped for CSV downloads."""

from __future__ import annotations

import pandas as pd

from cecore.io.values import is_text

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
        if is_text(column):
            escaped.isetitem(position, column.map(_escape_cell, na_action="ignore"))
    escaped.columns = [_escape_cell(name) for name in escaped.columns]
    return escaped


def _escape_cell(value):
    """Prefix a string that a spreadsheet would read as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value
