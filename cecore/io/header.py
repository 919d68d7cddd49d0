"""The header row: whether the first row names the columns, and the final column names."""

from __future__ import annotations

from cecore.io.values import MISSING_MARKERS, looks_like_number


def looks_like_header(rows: list[list[str]]) -> bool:
    """Guess whether the first row names the columns.

    Evidence for a header: a column whose values below are numbers while its first value
    is not. Evidence for data: a numeric column whose first value is a number too. With
    text only, the first row is a header unless one of its values recurs in its column.
    """
    first, body = rows[0], rows[1:]
    if not body:
        return True
    header_votes = data_votes = 0
    for j, name in enumerate(first):
        column = [r[j].strip() for r in body if j < len(r) and r[j].strip() not in MISSING_MARKERS]
        if not column or not all(looks_like_number(v) for v in column):
            continue
        if looks_like_number(name):
            data_votes += 1
        elif name.strip():
            header_votes += 1
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
