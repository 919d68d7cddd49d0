"""What a column of numbers holds (ColumnProfile), for one column or for every column of a
numpy number dtype at once: the 2-D block of their values sorted down each column."""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from cecore.io.blocks import column_blocks, numpy_number_columns

ID_NAME = re.compile(
    r"(?:^|[_\s.\-])(?:id|uuid|guid|key)$|[a-z0-9](?:Id|ID)$|^(?:index|idx|rowid|row_id|unnamed: ?\d+)$",
    re.IGNORECASE,
)
ID_MIN_ROWS = 20  # all-different whole numbers counting up one by one from this many rows: an id


class ColumnProfile(NamedTuple):
    """What a column holds: its kind and its missing and distinct counts (see
    describe_columns). For columns of numbers also: ``whole`` (every present value is a
    whole number or ±inf), ``low`` and ``high`` (the smallest and largest present value).
    ``value`` is a constant's value as the column holds it, ``rows`` the column's length
    (both set by the profiles of whole columns, :func:`cecore.prepare.profile.column_profile`
    and :func:`number_profiles`)."""

    kind: str
    missing: int
    distinct: int
    whole: bool | None = None
    low: float | None = None
    high: float | None = None
    value: object = None
    rows: int | None = None

    @property
    def present(self) -> int:
        """The number of values that are not missing."""
        return self.rows - self.missing


def number_profile(values: np.ndarray, name: str, distinct: int | None = None) -> ColumnProfile:
    """The profile of one column of float64 numbers; ``distinct`` is the exact count of
    different values when the floats may round some together (whole numbers beyond 2**53)."""
    present = values[~np.isnan(values)]
    missing = len(values) - len(present)
    if not len(present):
        return ColumnProfile("empty", missing, 0)
    if distinct is None:
        distinct = len(np.unique(present))
    whole = bool(np.all(present == np.floor(present)))
    low, high = float(present.min()), float(present.max())
    if distinct == 1:  # its value as the column writes it is for the caller to look up
        return ColumnProfile("constant", missing, 1, whole, low, high)
    is_id = distinct == len(present) and _is_numeric_id(present, name)
    return ColumnProfile("id" if is_id else "numeric", missing, distinct, whole, low, high)


def _is_numeric_id(unique_values: np.ndarray, name: str) -> bool:
    """Whether all-different numbers are an id: whole numbers named like an id, or counting
    up one by one like a row number."""
    if not (np.isfinite(unique_values).all() and np.all(unique_values == np.floor(unique_values))):
        return False
    span = unique_values.max() - unique_values.min()
    counts_rows = len(unique_values) >= ID_MIN_ROWS and span == len(unique_values) - 1
    return counts_rows or ID_NAME.search(name) is not None


def number_profiles(frame: pd.DataFrame, positions: list[int]) -> dict[int, ColumnProfile]:
    """The profiles of the columns at ``positions`` that have a numpy integer or float
    dtype, by position: the same as :func:`number_profile` of each (integers counted
    exactly), from a few numpy calls over blocks of columns (see _block_profiles)."""
    profiles, wanted, all_names = {}, set(positions), frame.columns.tolist()
    for group in numpy_number_columns(frame).values():
        for chunk, block in column_blocks(frame, [p for p in group if p in wanted]):  # once
            names = [str(all_names[p]) for p in chunk]
            profiles.update(zip(chunk, _block_profiles(block, names), strict=True))
    return profiles


def _block_profiles(block: np.ndarray, names: list[str]) -> list[ColumnProfile]:
    """The profiles of the columns of a 2-D block of one numpy number dtype.

    Each column is sorted (NaN last), so its distinct values are its present ones that
    differ from the one above them, as np.unique counts them (exact for integers: they
    are sorted as they are); the whole-number, id and range tests are vector tests over
    the block in float64, which is what the one-column profile computes on."""
    values = block.astype(np.float64, copy=False)
    missing = np.isnan(values)
    n_missing = missing.sum(axis=0)
    n_present = len(block) - n_missing
    ordered = np.sort(block, axis=0)
    new = ordered[1:] != ordered[:-1]
    if block.dtype.kind == "f":
        new &= ~np.isnan(ordered[1:])
    distinct = np.where(n_present > 0, 1 + new.sum(axis=0), 0)
    with np.errstate(invalid="ignore"):
        whole = ((values == np.floor(values)) | missing).all(axis=0)
        finite = (np.isfinite(values) | missing).all(axis=0)
        low = np.fmin.reduce(values, axis=0, initial=np.inf)
        high = np.fmax.reduce(values, axis=0, initial=-np.inf)
        counts_rows = (n_present >= ID_MIN_ROWS) & (high - low == n_present - 1)
    maybe_id = (n_present > 0) & (distinct == n_present) & whole & finite
    first = (~missing).argmax(axis=0)
    rows, profiles = len(block), []
    for j, name in enumerate(names):
        n_miss, count = int(n_missing[j]), int(distinct[j])
        if not n_present[j]:
            profiles.append(ColumnProfile("empty", n_miss, 0, rows=rows))
            continue
        summary = (bool(whole[j]), float(low[j]), float(high[j]))
        if count == 1:
            kind, value = "constant", block[first[j], j]
        elif maybe_id[j] and (counts_rows[j] or ID_NAME.search(name) is not None):
            kind, value = "id", None
        else:
            kind, value = "numeric", None
        profiles.append(ColumnProfile(kind, n_miss, count, *summary, value=value, rows=rows))
    return profiles
