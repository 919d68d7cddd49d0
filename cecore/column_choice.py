"""Choosing among thousands of columns: the name filter, the "all numeric columns" choice,
the columns a list offers, and the pages of columns a preview shows.

A table with more than WIDE_FEATURES suggested features is "wide": the training page then
uses all its numeric columns (those a name filter keeps) instead of showing one chip per
feature, and the lists it offers hold at most MAX_OFFERED columns.
"""

from __future__ import annotations

import math

import pandas as pd

WIDE_FEATURES = 100  # more suggested features than this: all numeric columns, no chips
MAX_OFFERED = 500  # columns a list offers at once (the chosen ones besides)
PAGE_COLUMNS = 50  # columns per page of a preview


def is_wide(features: list[str]) -> bool:
    """Whether so many features are suggested that they are used as "all numeric columns"."""
    return len(features) > WIDE_FEATURES


def matching(names: list[str], text: str | None) -> list[str]:
    """The names that contain ``text`` (stripped; case ignored), in their order; all of
    them for an empty filter."""
    text = (text or "").strip().casefold()
    if not text:
        return list(names)
    return [name for name in names if text in name.casefold()]


def numeric_columns(described: pd.DataFrame, names: list[str]) -> list[str]:
    """The ``names`` whose kind (a describe_columns table) is "numeric", in their order."""
    kinds = dict(zip(described["name"].tolist(), described["kind"].tolist(), strict=True))
    return [name for name in names if kinds.get(name) == "numeric"]


def offered(names: list[str], chosen: list[str], text: str | None,
            limit: int = MAX_OFFERED) -> tuple[list[str], str | None]:
    """What a list of columns offers: the chosen ones, then the first ``limit`` others
    that match the filter (in table order); and a note when it leaves matches out."""
    matches = matching(names, text)
    taken = set(chosen)
    others = [name for name in matches if name not in taken]
    if len(others) <= limit:
        return list(chosen) + others, None
    return list(chosen) + others[:limit], (
        f"The list offers {limit:,} of the {len(others):,} matching columns not chosen yet: "
        "type part of a name in the filter to find the others.")


def numeric_note(n_used: int, n_numeric: int, text: str | None) -> str:
    """What "all numeric columns" uses: ``Using 20,000 numeric columns.``, or with a
    filter ``Using 12 of the 20,000 numeric columns: those whose name contains 'x1'.``"""
    text = (text or "").strip()
    if not text:
        return f"Using {n_numeric:,} numeric column{'s' if n_numeric != 1 else ''}."
    return (f"Using {n_used:,} of the {n_numeric:,} numeric columns: those whose name "
            f"contains '{text}'.")


def column_pages(n_columns: int, size: int = PAGE_COLUMNS) -> int:
    """The number of pages of ``size`` columns (at least 1)."""
    return max(1, math.ceil(n_columns / size))


def page_of_columns(n_columns: int, page: int, size: int = PAGE_COLUMNS) -> tuple[int, int]:
    """The column positions ``start, stop`` of page ``page`` (1-based; a page beyond the
    last is the last)."""
    page = min(max(1, int(page)), column_pages(n_columns, size))
    start = (page - 1) * size
    return start, min(start + size, n_columns)


def page_note(start: int, stop: int, n_columns: int) -> str:
    """``Columns 51 to 100 of 20,000.``"""
    return f"Columns {start + 1:,} to {stop:,} of {n_columns:,}."
