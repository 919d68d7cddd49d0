"""How each feature column enters the model (FeatureSpec), and the model frame built from them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd

from cecore.errors import DataError
from cecore.io.numbers import format_reading, might_be_numbers, number_format, undecided_note
from cecore.io.values import (
    detect_date_format,
    is_number_dtype,
    is_text,
    numeric_view,
    parse_dates,
    parse_numbers,
)
from cecore.prepare.profile import column_profiles, exclusion_reason
from cecore.prepare.table import require_column

MAX_ABS_VALUE = 1e100  # larger numbers overflow when squared by scaling or training
_DATE_PARTS = {"year": "year", "month": "month", "day": "day", "dayofweek": "day_of_week"}


class FeatureSpec(NamedTuple):
    """How one input column enters the model: "numeric", "categorical" or "date"."""

    kind: str
    date_format: str | None = None


def feature_specs_for(
    frame: pd.DataFrame, target: str, features, dates: str
) -> tuple[dict[str, FeatureSpec], list[str]]:
    """How each used feature column enters the model, and notes on the columns left out.

    With ``features=None`` the columns suggest_features would leave out are skipped (with
    a note), except dates when ``dates="expand"``.
    """
    if features is None:
        names = [name for name in frame.columns.tolist() if name != target]
    else:
        names = _validated_features(frame, target, features)
    specs, notes = {}, []
    profiles = column_profiles(frame, names)  # numbers all at once, in 2-D blocks
    numbers = {name for name, dtype in frame.dtypes.items() if is_number_dtype(dtype)}
    for name in names:
        series = None if name in numbers else frame[name]  # numbers: the profile decides
        undecided = None if series is None else undecided_number_format(series)
        profile = profiles[name]
        reason = exclusion_reason(series, profile) if features is None else None
        if reason and not (dates == "expand" and profile.kind == "datetime"):
            if undecided is not None:
                notes.append(undecided_note(name, undecided, "was read as text"))
            notes.append(f"Column '{name}' was left out: {reason}.")
            continue
        spec, note = _feature_spec(series, name, dates, profile.kind)
        if spec is not None:
            specs[name] = spec
        if undecided is not None:
            used = "was used as categories" if spec is not None else "was read as text"
            notes.append(undecided_note(name, undecided, used))
        if note:
            notes.append(note)
    if not specs:
        raise DataError(
            "There is no usable feature column. Choose at least one column with values."
        )
    return specs, notes


def _validated_features(frame: pd.DataFrame, target: str, features) -> list[str]:
    """The requested feature names, checked: they exist, are unique and exclude the target."""
    if isinstance(features, str):
        features = [features]
    elif not isinstance(features, Iterable):
        raise DataError(
            f"The features must be a list of column names, not {type(features).__name__}."
        )
    names = [str(name) for name in features]
    for name in names:
        require_column(frame, name)
    if target in names:
        raise DataError(
            f"The target '{target}' cannot also be a feature. Remove it from the features."
        )
    if not names:
        raise DataError("There is no usable feature column. Choose at least one feature.")
    return list(dict.fromkeys(names))


def _feature_spec(
    series: pd.Series | None, name: str, dates: str, kind: str
) -> tuple[FeatureSpec | None, str | None]:
    """The spec for one feature column of the given kind (None to leave it out) and a note
    (``series`` None: a column of a number dtype, so numbers without a note)."""
    if kind == "empty":
        return None, f"Column '{name}' has no values and was left out."
    if kind == "datetime":
        if dates == "drop":
            return None, f"Column '{name}' holds dates and was left out (expand dates to use it)."
        note = f"Column '{name}' was expanded into year, month, day and weekday."
        return FeatureSpec("date", detect_date_format(series)), note
    if kind in ("numeric", "id", "constant") and (series is None or numeric_view(series) is not None):
        if series is not None and is_text(series):
            fmt = number_format(series)
            how = f": {format_reading(fmt)}" if fmt.grouping is not None else ""
            note = f"Column '{name}' holds numbers written as text; they were read as numbers{how}."
            return FeatureSpec("numeric"), note
        return FeatureSpec("numeric"), None
    return FeatureSpec("categorical"), None


def date_part_columns(name: str) -> list[str]:
    """The model columns a date column expands into: ``name_year``, ``name_month``,
    ``name_day`` and ``name_dayofweek`` (Monday = 0), in this order."""
    return [f"{name}_{part}" for part in _DATE_PARTS]


def undecided_number_format(series: pd.Series):
    """The NumberFormat of a text column of numbers whose decimal mark cannot be decided
    (``1.234`` alone; ``0,5`` next to ``2.5``), or None for any other column."""
    if not is_text(series) or not might_be_numbers(series):
        return None
    fmt = number_format(series)
    return fmt if fmt.status in ("ambiguous", "conflict") else None


def build_model_frame(
    frame: pd.DataFrame, specs: dict[str, FeatureSpec]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The model's input columns (numbers as float64 with ±inf as NaN, categories as str
    objects, dates expanded) and the number of infinite values found per column."""
    columns: dict[str, np.ndarray] = {}
    infinite = {}
    for name, spec in specs.items():
        series = frame[name]
        if spec.kind == "numeric":
            undecided = undecided_number_format(series)
            if undecided is not None:  # new rows: never a silent guess
                raise DataError(undecided_note(name, undecided, "cannot be read as numbers"))
            values = parse_numbers(series).to_numpy()
            is_infinite = np.isinf(values)
            if is_infinite.any():
                infinite[name] = int(is_infinite.sum())
                values = np.where(is_infinite, np.nan, values)
            columns[name] = values
        elif spec.kind == "categorical":
            columns[name] = series.astype(str).to_numpy(dtype=object, na_value=np.nan)
        else:
            columns.update(_date_parts(series, name, spec.date_format, specs))
    return pd.DataFrame(columns), infinite


def _date_parts(
    series: pd.Series, name: str, date_format: str | None, specs: dict
) -> dict[str, np.ndarray]:
    """Year, month, day and day of week (Monday=0) of a date column, as float columns."""
    stamps = parse_dates(series, date_format).dt
    parts = {}
    for part, accessor in _DATE_PARTS.items():
        column = f"{name}_{part}"
        if column in specs:
            raise DataError(
                f"Column '{column}' already exists, so '{name}' cannot be expanded. Rename one of them."
            )
        parts[column] = getattr(stamps, accessor).to_numpy(dtype=np.float64, na_value=np.nan)
    return parts


def huge_value_error(name: str, value: float) -> DataError:
    """The error for a column with a number too large to scale or train on."""
    return DataError(
        f"Column '{name}' has values as large as {value:.3g}; numbers this large overflow "
        "when scaled or trained on. Rescale that column (e.g. to thousands or millions) "
        "or leave it out."
    )


def reject_huge_values(model_frame: pd.DataFrame, specs: dict[str, FeatureSpec]) -> None:
    """Raise DataError, naming the column, when a number is too large to scale or train on."""
    numeric = [name for name, spec in specs.items() if spec.kind == "numeric"]
    largest = model_frame[numeric].abs().max()
    for name, value in largest.items():
        if value > MAX_ABS_VALUE:
            raise huge_value_error(name, value)


def without_untrained_columns(
    used: pd.DataFrame, specs: dict[str, FeatureSpec], train: np.ndarray
) -> tuple[pd.DataFrame, dict[str, FeatureSpec], list[str]]:
    """Leave out the input columns without a single value in the training rows (the
    imputers would have nothing to learn from: sklearn drops such columns, and fails when
    none is left), with a note each; DataError when no column is left."""
    lost = []
    for name, spec in specs.items():
        columns = date_part_columns(name) if spec.kind == "date" else [name]
        if all(used[column].isna().to_numpy()[train].all() for column in columns):
            lost.append((name, columns))
    if not lost:
        return used, specs, []
    names = [name for name, _ in lost]
    if len(lost) == len(specs):
        listed = ", ".join(f"'{name}'" for name in names)
        raise DataError(
            f"There is no usable feature column: {listed} {'has' if len(names) == 1 else 'have'} "
            "no values in the training rows. Choose columns with values."
        )
    used = used.drop(columns=[column for _, columns in lost for column in columns])
    kept = {name: spec for name, spec in specs.items() if name not in names}
    return used, kept, [
        f"Column '{name}' has no values in the training rows and was left out." for name in names
    ]
