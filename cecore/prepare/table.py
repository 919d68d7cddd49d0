"""The table as prepare sees it: string column names, unique; a column that exists."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from cecore.errors import DataError


def named_table(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with its column names as strings; DataError if not a frame or names repeat."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"Expected a table (pandas DataFrame), not {type(df).__name__}.")
    names = [str(name) for name in df.columns]
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise DataError(f"Column names must be unique; '{repeated[0]}' appears more than once.")
    return df.set_axis(names, axis=1)


def require_column(frame: pd.DataFrame, name) -> str:
    """The column name as a string; DataError when the table has no such column."""
    if str(name) not in frame.columns:
        raise DataError(f"There is no column '{name}' in the table.")
    return str(name)
