"""Which columns of a Dask DataFrame enter the model, and how: the column kinds of
:func:`cecore.prepare.prepare` decided from counts made on the cluster, and the target's
classes.

Each part is scanned once on its worker (:func:`part_scan`); the client merges what the
parts found into a :class:`~cecore.prepare.number_profile.ColumnProfile` per column and
decides the FeatureSpecs with ``prepare``'s rules and notes (``exclusion_reason``):

* a column of a number dtype is numeric; left out by default when empty, constant, or an
  id (all different whole numbers counting up one by one over at least 20 rows, or named
  like an id): its missing values, range and whole-number test are summed over the parts,
  and the distinct count (``nunique`` on the cluster) is taken where the id test needs it;
* any other column (text, booleans) is categorical, left out by default when empty,
  constant, an id (all different, named like one or without spaces over 20 rows) or free
  text (more than 20 different values in more than half of its rows), from its present
  and distinct counts (each part's distinct values, or ``nunique`` on the cluster when
  there are many);
* dates (a datetime dtype, or text in which every part finds the same date format with
  :func:`cecore.io.values.detect_date_format`) are left out, or expanded into year,
  month, day and weekday with ``dates="expand"``. Unlike in memory, the format is decided
  per part (one part's format, not all values', when the parts disagree: not a date);
* text that every part reads as numbers (a decimal comma, digit grouping) is left out
  with a note (a DataError when asked for): in memory ``read_csv`` turns it into numbers,
  which dask.dataframe's reader does not.

The target's classes come from the union of the parts' distinct target values, given to
:func:`cecore.prepare.target.target_classes` (the same labels, sorted as strings).
"""

from __future__ import annotations

import dask
import numpy as np
import pandas as pd

from cecore.errors import DataError
from cecore.io.values import detect_date_format, is_number_dtype, numeric_view
from cecore.prepare.features import FeatureSpec
from cecore.prepare.number_profile import ID_MIN_ROWS, ID_NAME, ColumnProfile
from cecore.prepare.profile import FREE_TEXT_MIN_DISTINCT, exclusion_reason
from cecore.prepare.table import require_column
from cecore.prepare.target import target_classes

__all__ = ["DISTINCT_LIMIT", "TargetCodes", "feature_specs_on_cluster", "part_scan",
           "target_codes"]

DISTINCT_LIMIT = 10_000  # distinct text values a part sends for its profile
NUMBERS_AS_TEXT = ("holds numbers written as text (a decimal comma or digit grouping?), "
                   "which the Dask path does not read as numbers. Write them with a "
                   "decimal point, or convert the parts to Parquet.")


def _number_scan(series):
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    present = values[~np.isnan(values)]
    first = series.dropna().iloc[0] if len(present) else None
    if not len(present):
        return {"present": 0, "first": None}
    return {"present": len(present), "first": first,
            "whole": bool(np.all(present == np.floor(present))),
            "finite": bool(np.isfinite(present).all()),
            "low": float(present.min()), "high": float(present.max())}


def _text_scan(series):
    present = series.dropna()
    distinct = pd.unique(present)
    text = present.astype(str)
    is_date = pd.api.types.is_datetime64_any_dtype(series)
    return {
        "present": len(present),
        "first": present.iloc[0] if len(present) else None,
        "distinct": distinct if len(distinct) <= DISTINCT_LIMIT else None,
        "spaces": bool(text.str.contains(r"\s").any()),
        "date": None if is_date or not len(present) else detect_date_format(series),
        "is_date": is_date,
        "numbers": (len(present) > 0 and not pd.api.types.is_bool_dtype(series)
                    and not is_date and numeric_view(series) is not None),
    }


def part_scan(frame, target, names, max_classes):
    """What one part holds: its rows, its target's distinct values (at most
    ``max_classes + 2`` of them: more already means too many classes) and a summary of
    each named column."""
    classes = pd.unique(frame[target])[: max_classes + 2]
    columns = {name: _number_scan(frame[name]) if is_number_dtype(frame[name].dtype)
               else _text_scan(frame[name]) for name in names}
    return {"rows": len(frame), "target": classes, "columns": columns}


class TargetCodes:
    """The target column's name, its class labels (sorted strings) and each raw value's code
    in them (-1 for a missing or infinite one); :meth:`codes` maps a part's target column."""

    def __init__(self, target, values, labels, codes):
        self.target = target
        self.index = pd.Index(values)
        self.labels = labels
        self.value_codes = codes

    def codes(self, frame):
        """The codes of the rows of a part (a DataFrame with the target column)."""
        position = self.index.get_indexer(frame[self.target])
        return np.where(position >= 0, self.value_codes[position], -1).astype(np.int64)


def target_codes(scans, target, dtype, max_classes):
    """The :class:`TargetCodes` of the target column from the parts' scans: its distinct
    values through :func:`target_classes` (DataError for a continuous target, too many
    classes or none)."""
    values = pd.Series(np.concatenate([np.asarray(s["target"], dtype=object) for s in scans]),
                       dtype=object).drop_duplicates()
    present = values.dropna()
    if len(present) > max_classes:
        raise DataError(f"Target '{target}' has more than {max_classes} different values; at "
                        f"most {max_classes} classes are supported. Pick a column with a few "
                        "categories.")
    values = values.astype(dtype)
    codes, labels = target_classes(values.reset_index(drop=True), target, max_classes)
    return TargetCodes(target, values.to_numpy(), labels, codes)


def _requested(columns, target, features):
    """The candidate feature names: all but the target, or the requested ones, checked."""
    if features is None:
        return [name for name in columns if name != target]
    names = [str(name) for name in ([features] if isinstance(features, str) else features)]
    frame = pd.DataFrame(columns=list(columns))
    for name in names:
        require_column(frame, name)
    if target in names:
        raise DataError(f"The target '{target}' cannot also be a feature. Remove it from the "
                        "features.")
    if not names:
        raise DataError("There is no usable feature column. Choose at least one feature.")
    return list(dict.fromkeys(names))


def _merged(scans, name):
    return [s["columns"][name] for s in scans if s["columns"][name]["present"]]


def _number_profile(frame, name, found, rows, missing):
    """The ColumnProfile of a number column from its parts' scans."""
    if not found:
        return ColumnProfile("empty", missing, 0, rows=rows)
    present = rows - missing
    whole = all(f["whole"] for f in found)
    low, high = min(f["low"] for f in found), max(f["high"] for f in found)
    summary = dict(whole=whole, low=low, high=high, rows=rows)
    if low == high:
        return ColumnProfile("constant", missing, 1, value=found[0]["first"], **summary)
    maybe_id = whole and all(f["finite"] for f in found) and (
        ID_NAME.search(name) is not None
        or (present >= ID_MIN_ROWS and high - low == present - 1))
    distinct = int(frame[name].nunique().compute()) if maybe_id else None  # else not needed
    kind = "id" if distinct == present else "numeric"
    return ColumnProfile(kind, missing, distinct, **summary)


def _text_profiles(frame, names, scans, rows):
    """The ColumnProfiles of the text columns, and the date format of the dates."""
    counts = {}
    for name in names:
        found = _merged(scans, name)
        union = None
        if all(f["distinct"] is not None for f in found):
            union = pd.unique(np.concatenate([np.asarray(f["distinct"], dtype=object)
                                              for f in found])) if found else []
        counts[name] = len(union) if union is not None and len(union) <= DISTINCT_LIMIT \
            else None
    exact = [name for name in names if counts[name] is None]
    for name, n in zip(exact, dask.compute(*[frame[name].nunique() for name in exact]),
                       strict=True):
        counts[name] = int(n)
    profiles, formats = {}, {}
    for name in names:
        found = _merged(scans, name)
        present = sum(f["present"] for f in found)
        missing, distinct = rows - present, counts[name]
        formats[name] = None
        if not found:
            kind = "empty"
        elif distinct == 1:
            kind = "constant"
        elif all(f["is_date"] for f in found) or (
                found[0]["date"] is not None and all(f["date"] == found[0]["date"]
                                                     for f in found)):
            kind, formats[name] = "datetime", found[0]["date"]
        elif all(f["numbers"] for f in found):
            kind = "numbers as text"
        elif distinct == present and (ID_NAME.search(name) or (
                present >= 20 and not any(f["spaces"] for f in found))):
            kind = "id"
        elif distinct > FREE_TEXT_MIN_DISTINCT and distinct > 0.5 * present:
            kind = "text"
        else:
            kind = "categorical"
        value = found[0]["first"] if kind == "constant" else None
        profiles[name] = ColumnProfile(kind, missing, distinct, value=value, rows=rows)
    return profiles, formats


def feature_specs_on_cluster(frame, scans, target, features, dates):
    """``(specs, notes)`` as :func:`cecore.prepare.features.feature_specs_for` gives them,
    from the parts' :func:`part_scan` (see the module docstring)."""
    names = _requested(frame.columns, target, features)
    rows = sum(s["rows"] for s in scans)
    dtypes = frame.dtypes
    numbers = [name for name in names if is_number_dtype(dtypes[name])]
    profiles, formats = _text_profiles(frame, [n for n in names if n not in numbers], scans,
                                       rows)
    for name in numbers:
        found = _merged(scans, name)
        missing = rows - sum(f["present"] for f in found)
        profiles[name] = _number_profile(frame, name, found, rows, missing)
    specs, notes = {}, []
    for name in names:
        profile = profiles[name]
        if profile.kind == "numbers as text":
            if features is not None:
                raise DataError(f"Column '{name}' {NUMBERS_AS_TEXT}")
            notes.append(f"Column '{name}' was left out: it {NUMBERS_AS_TEXT}")
            continue
        reason = exclusion_reason(None, profile) if features is None else None
        if reason and not (dates == "expand" and profile.kind == "datetime"):
            notes.append(f"Column '{name}' was left out: {reason}.")
        elif profile.kind == "empty":
            notes.append(f"Column '{name}' has no values and was left out.")
        elif profile.kind == "datetime" and dates == "drop":
            notes.append(f"Column '{name}' holds dates and was left out (expand dates to "
                         "use it).")
        elif profile.kind == "datetime":
            specs[name] = FeatureSpec("date", formats[name])
            notes.append(f"Column '{name}' was expanded into year, month, day and weekday.")
        else:
            specs[name] = FeatureSpec("numeric" if name in numbers else "categorical")
    if not specs:
        raise DataError("There is no usable feature column. Choose at least one column "
                        "with values.")
    return specs, notes
