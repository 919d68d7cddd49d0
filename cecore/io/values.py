"""How a text value reads: numbers (decimal comma, digit grouping: see cecore.io.numbers), dates, missing markers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cecore.io.numbers import is_number_text, might_be_numbers, number_format, read_numbers

MISSING_MARKERS = ("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "<NA>")
INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*", re.ASCII)  # exact even beyond 2**53
DECIMAL_COMMA = re.compile(r"\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*")
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


STRING_DTYPE = pd.StringDtype(na_value=np.nan)  # pandas' default "str" dtype


def looks_like_number(text: str) -> bool:
    """Whether a field reads as a number (either decimal mark, digit grouping allowed)."""
    return is_number_text(text)


def has_number_dtype(series: pd.Series) -> bool:
    """Whether the column's dtype is integer or float (booleans excluded)."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def is_number_dtype(dtype) -> bool:
    """Whether a column of this dtype holds numbers: integer or float, booleans excluded."""
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def is_text(series: pd.Series) -> bool:
    """Whether a column holds strings (pandas "str" dtype or Python objects)."""
    return is_text_dtype(series.dtype)


def is_text_dtype(dtype) -> bool:
    """Whether a column of this dtype holds strings (pandas "str" dtype or Python objects)."""
    if isinstance(dtype, np.dtype):  # what pandas' tests below say of numpy dtypes, faster
        return dtype.kind in "OSU"
    return pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)


def numeric_view(series: pd.Series) -> pd.Series | None:
    """The column as float64 if every present value is a number, read in the number
    format its values decide (cecore.io.numbers: a decimal comma, digit grouping).

    None for booleans, dates, columns with any non-numeric value, and text columns whose
    decimal mark cannot be decided (``1.234`` alone: 1.234 or 1234?) or that mix both.
    """
    if pd.api.types.is_bool_dtype(series):
        return None
    if has_number_dtype(series):
        return parse_numbers(series)
    if not is_text(series) or not might_be_numbers(series):
        return None
    fmt = number_format(series)
    return read_numbers(series, fmt) if fmt.status == "numbers" else None


def parse_numbers(series: pd.Series) -> pd.Series:
    """The column as float64; anything that is not a number becomes NaN.

    Text is read in the number format all its values decide (see cecore.io.numbers):
    ``1,234`` and ``12,345.6`` next to each other group by ``,``; ``0,5`` and ``1.234,5``
    have a decimal comma, and then ``1.234`` is 1234. When the format cannot be decided,
    only the values without a mark are read (the others are NaN).
    """
    if has_number_dtype(series):
        return pd.Series(series.to_numpy(dtype=np.float64, na_value=np.nan), index=series.index)
    return read_numbers(series, number_format(series))


def detect_date_format(series: pd.Series) -> str | None:
    """The format (from _DATE_FORMATS) that parses every value of a text column, or None."""
    if not is_text(series):
        return None
    present = series.dropna().astype(str)
    if present.empty or not present.head(50).str.fullmatch(_DATE_LIKE).all():
        return None
    for date_format in _DATE_FORMATS:
        if parse_dates(present, date_format).notna().all():
            return date_format
    return None


def parse_dates(series: pd.Series, date_format: str | None) -> pd.Series:
    """Dates from a datetime column, or from text in the given format (NaT where unparsable)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    try:
        return pd.to_datetime(series.astype(str), format=date_format, errors="coerce", utc=True)
    except (ValueError, OverflowError):
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns, UTC]")
