"""How a text value reads: numbers (decimal comma, digit grouping), dates, missing markers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

MISSING_MARKERS = ("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "<NA>")
_NUMBER = re.compile(
    r"\s*[+-]?(?:(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:e[+-]?\d+)?|inf(?:inity)?)\s*", re.IGNORECASE
)


# numbers with digit grouping: 1,234 or 12,345,678.9 (grouped by ","), 1.234,5 (grouped by ".")
_GROUPED_BY_COMMA = re.compile(r"\s*[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?\s*")
_GROUPED_BY_POINT = re.compile(r"\s*[+-]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d*)?\s*")
INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*", re.ASCII)  # exact even beyond 2**53
DECIMAL_COMMA = re.compile(r"\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*")
DECIMAL_POINT = re.compile(r"\s*[+-]?\d*\.\d+(?:[eE][+-]?\d+)?\s*")
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
    """Whether a field reads as a number (either decimal mark)."""
    return bool(_NUMBER.fullmatch(text))


def has_number_dtype(series: pd.Series) -> bool:
    """Whether the column's dtype is integer or float (booleans excluded)."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def is_text(series: pd.Series) -> bool:
    """Whether a column holds strings (pandas "str" dtype or Python objects)."""
    return pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)


def numeric_view(series: pd.Series) -> pd.Series | None:
    """The column as float64 if every present value is a number (decimal comma allowed).

    None for booleans, dates and columns with any non-numeric value.
    """
    if pd.api.types.is_bool_dtype(series):
        return None
    if has_number_dtype(series):
        return parse_numbers(series)
    if not is_text(series):
        return None
    present = series.dropna()
    head = present.head(50).astype(str)
    if not (head.str.fullmatch(_NUMBER) | head.str.fullmatch(_GROUPED_BY_COMMA)
            | head.str.fullmatch(_GROUPED_BY_POINT)).all():
        return None
    numbers = parse_numbers(series)
    return numbers if numbers.notna().sum() == len(present) else None


def parse_numbers(series: pd.Series) -> pd.Series:
    """The column as float64; anything that is not a number becomes NaN.

    Text is read with the decimal mark and digit grouping the whole column agrees on: when
    every value with a ``,`` is grouped like ``1,234`` or ``12,345.6`` (as spreadsheets
    quote them in comma-separated files), ``,`` groups thousands; when every value with a
    ``,`` is grouped like ``1.234,5`` or written like ``0,5``, ``,`` is the decimal mark.
    """
    if has_number_dtype(series):
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
