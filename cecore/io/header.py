"""The header row: whether the first row names the columns, and the final column names."""

from __future__ import annotations

import numpy as np

from cecore.io.numbers import number_texts
from cecore.io.values import MISSING_MARKERS

_MISSING = frozenset(MISSING_MARKERS)


def looks_like_header(rows: list[list[str]]) -> bool:
    """Guess whether the first row names the columns.

    Evidence for a header: a column whose values below are numbers while its first value
    is not. Evidence for data: a numeric column whose first value is a number too. With
    text only, the first row is a header unless one of its values recurs in its column.
    (The values of all columns are tested at once: a wide file's sample holds 100,000s.)
    """
    first, body = rows[0], rows[1:]
    if not body:
        return True
    n = len(first)
    texts = [value.strip() for row in body for value in row[:n]]
    columns = np.concatenate([np.arange(min(len(row), n)) for row in body])
    present = np.array([text not in _MISSING for text in texts], dtype=bool)
    is_number = number_texts(texts)
    has_value = np.bincount(columns[present], minlength=n) > 0
    numeric = has_value & (np.bincount(columns[present & ~is_number], minlength=n) == 0)
    named_by_number = number_texts(first)
    named = np.array([bool(name.strip()) for name in first], dtype=bool)
    data_votes = int(np.count_nonzero(numeric & named_by_number))
    header_votes = int(np.count_nonzero(numeric & ~named_by_number & named))
    if header_votes or data_votes:
        return header_votes > 0
    return not any(first[j] in {r[j] for r in body if j < len(r)} for j in range(len(first)))


def final_column_names(header: list[str] | None, n_columns: int) -> tuple[list[str], list[str]]:
    """Final column names and notes: stripped, ``column_N`` if empty, ``name.k`` if repeated."""
    if header is None:
        names = [f"column_{i}" for i in range(1, n_columns + 1)]
        return names, [
            f"No header row was found, so the columns are named column_1 to column_{n_columns}."
        ]
    stripped = [name.strip() for name in header]
    taken = set(stripped)
    used: set[str] = set()
    next_copy: dict[str, int] = {}     # per name, so 20,000 repeats stay linear, not quadratic
    names, renamed, unnamed = [], [], []
    for position, name in enumerate(stripped, start=1):
        if not name:
            name = f"column_{position}"
            unnamed.append(name)
        if name in used:
            copy = next_copy.get(name, 1)
            while f"{name}.{copy}" in taken or f"{name}.{copy}" in used:
                copy += 1
            next_copy[name] = copy + 1
            renamed.append(f"'{name}' -> '{name}.{copy}'")
            name = f"{name}.{copy}"
        used.add(name)
        names.append(name)
    notes = []
    if unnamed:
        notes.append(f"Columns without a name were named {', '.join(unnamed)}.")
    if renamed:
        notes.append(f"Repeated column names were renamed: {', '.join(renamed)}.")
    return names, notes
