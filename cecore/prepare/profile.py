"""What each column holds (describe_columns), and the target and features worth suggesting."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cecore.errors import DataError, data_errors_only
from cecore.io.values import detect_date_format, has_number_dtype, is_text, numeric_view
from cecore.prepare.number_profile import ID_NAME, ColumnProfile, number_profile, number_profiles
from cecore.prepare.table import named_table, require_column
from cecore.prepare.target import MAX_CLASSES, exact_integers

SUGGESTED_MAX_CLASSES = 20  # suggest_target's limit when no column has a target-like name
FREE_TEXT_MIN_DISTINCT = 20  # text with more different values (and > half the rows) is free text


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


@data_errors_only("describing the columns")
def describe_columns(df: pd.DataFrame) -> pd.DataFrame:
    """One row per column: ``name``, ``kind``, ``dtype``, ``missing`` and ``distinct``.

    ``kind`` is one of "numeric", "categorical", "text" (free text: many different
    strings), "datetime", "boolean", "id" (every row different, like a row number or a
    code), "constant" (a single value) or "empty" (no value at all).
    """
    frame = named_table(df)
    profiles, dtypes = column_profiles(frame), list(frame.dtypes)
    shown = {dtype: str(dtype) for dtype in set(dtypes)}
    rows = [(name, profile.kind, shown[dtype], profile.missing, profile.distinct)
            for (name, profile), dtype in zip(profiles.items(), dtypes, strict=True)]
    return pd.DataFrame(rows, columns=["name", "kind", "dtype", "missing", "distinct"])


@data_errors_only("suggesting a target")
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
    frame = named_table(df)
    fits = {name: profile for name, profile in column_profiles(frame).items()
            if _is_class_like(frame, name, profile)}
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
        elif _is_year_or_count(frame, name, profile):
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


def _is_year_or_count(frame: pd.DataFrame, name: str, profile: ColumnProfile) -> bool:
    """Whether a whole-number column holds years or counts rather than class codes."""
    if _YEAR_NAME.search(name) or _COUNT_NAME.search(name) or _COUNT_CAMEL_CASE.search(name):
        return True
    if profile.low is not None:  # every present value from 1000 to 2999
        return 1000 <= profile.low and profile.high <= 2999
    values = numeric_view(frame[name])
    return values is not None and bool(values.dropna().between(1000, 2999).all())


@data_errors_only("suggesting features")
def suggest_features(
    df: pd.DataFrame, target: str, *, dates: str = "drop"
) -> tuple[list[str], dict[str, str]]:
    """The columns worth using as features, and the others with a short reason each.

    Left out: free text, ids, constant and empty columns, and dates unless
    ``dates="expand"`` (as in :func:`prepare`: year, month, day and weekday as numbers).
    """
    if dates not in ("drop", "expand"):
        raise DataError(f"dates must be 'drop' or 'expand', not {dates!r}.")
    frame = named_table(df)
    target = require_column(frame, target)
    features, excluded = [], {}
    for name, profile in column_profiles(frame).items():
        if name == target:
            continue
        reason = exclusion_reason(None, profile)
        if reason is None or (dates == "expand" and profile.kind == "datetime"):
            features.append(name)
        else:
            excluded[name] = reason
    return features, excluded


def exclusion_reason(series: pd.Series | None, profile: ColumnProfile) -> str | None:
    """Why a column is not used as a feature by default, or None when it is (the column
    itself is needed only for a profile of a constant without its ``value``)."""
    if profile.kind == "empty":
        return "empty: every value is missing"
    if profile.kind == "constant":
        value = series.dropna().iloc[0] if profile.value is None else profile.value
        return f"constant: the only value is '{value}'"
    if profile.kind == "id":
        return "an identifier: every row has a different value"
    if profile.kind == "text":
        n_present = len(series) - profile.missing if profile.rows is None else profile.present
        return f"free text: {profile.distinct} different values in {n_present} rows"
    if profile.kind == "datetime":
        return "a date: left out unless dates are expanded into year, month, day and weekday"
    return None


def column_profiles(frame: pd.DataFrame, names: list[str] | None = None) -> dict[str, ColumnProfile]:
    """:func:`column_profile` of the named columns (default: all), in the frame's order:
    the columns of numpy number dtypes all at once, in 2-D blocks (number_profiles), the
    others one by one."""
    wanted, all_names = None if names is None else set(names), frame.columns.tolist()
    positions = [p for p, name in enumerate(all_names) if wanted is None or name in wanted]
    numbers = number_profiles(frame, positions)
    return {all_names[p]: numbers[p] if p in numbers
            else column_profile(frame.iloc[:, p], all_names[p]) for p in positions}


def column_profile(series: pd.Series, name: str) -> ColumnProfile:
    """Classify a column (see describe_columns) and count its missing and distinct values."""
    profile = _column_profile(series, name)
    value = profile.value
    if profile.kind == "constant" and value is None:
        value = series.dropna().iloc[0]
    return profile._replace(value=value, rows=len(series))


def _column_profile(series: pd.Series, name: str) -> ColumnProfile:
    """The profile of one column, its ``value`` and ``rows`` left for the caller."""
    if has_number_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        # integers are counted as they are: 2**60 and 2**60 + 1 are one float64
        exact = int(series.nunique()) if pd.api.types.is_integer_dtype(series) else None
        return number_profile(values, name, exact)
    present = series.dropna()
    missing = len(series) - len(present)
    if present.empty:
        return ColumnProfile("empty", missing, 0)
    return _text_profile(series, present, missing, name)


def _count_distinct(present: pd.Series) -> int:
    """Number of different values, also for columns of unhashable objects."""
    try:
        return int(present.nunique())
    except TypeError:
        return int(present.astype(str).nunique())


def _text_profile(series: pd.Series, present: pd.Series, missing: int, name: str) -> ColumnProfile:
    """The profile of a column that has at least one value and no number dtype. Numbers
    written as text are profiled as those numbers ("1,5" and "1,50" are one value)."""
    distinct = _count_distinct(present)
    if distinct == 1:
        return ColumnProfile("constant", missing, 1)
    if pd.api.types.is_bool_dtype(series) or (
        distinct == 2
        and is_text(series)
        and set(present.astype(str).str.lower()) <= _BOOLEAN_WORDS
    ):
        return ColumnProfile("boolean", missing, distinct)
    if pd.api.types.is_datetime64_any_dtype(series) or detect_date_format(series) is not None:
        return ColumnProfile("datetime", missing, distinct)
    numbers = numeric_view(series)
    if numbers is not None:
        values = numbers.to_numpy()
        return number_profile(values, name, _exact_integer_count(series, values))
    if distinct == len(present) and (
        ID_NAME.search(name)
        or (len(present) >= 20 and not present.astype(str).str.contains(r"\s").any())
    ):
        return ColumnProfile("id", missing, distinct)
    if distinct > FREE_TEXT_MIN_DISTINCT and distinct > 0.5 * len(present):
        return ColumnProfile("text", missing, distinct)
    return ColumnProfile("categorical", missing, distinct)


def _exact_integer_count(series: pd.Series, values: np.ndarray) -> int | None:
    """The number of different whole numbers in a text column of numbers (``values``, its
    float64 view) when some lie beyond 2**53, where float64 rounds neighbours together;
    None otherwise (count the floats)."""
    finite = values[np.isfinite(values)]
    if not len(finite) or np.abs(finite).max() < 2.0**53:
        return None
    has_value = ~np.isnan(values)
    exact = exact_integers(series, has_value, values[has_value])
    return None if exact is None else int(pd.Series(exact).nunique())


def _is_class_like(frame: pd.DataFrame, name: str, profile: ColumnProfile) -> bool:
    """Whether a column could be a class target: few values, not ids or continuous numbers."""
    if profile.kind not in ("categorical", "boolean", "numeric") or profile.distinct < 2:
        return False
    if profile.distinct > MAX_CLASSES:
        return False
    if profile.kind == "numeric":
        if profile.whole is not None:
            return profile.whole
        values = numeric_view(frame[name]).dropna().to_numpy()
        return bool(np.all(values == np.floor(values)))
    return True
