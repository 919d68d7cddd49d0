"""Columns of one numpy dtype taken together as 2-D blocks, so that work on a wide table
is a few numpy calls over its cells instead of a Python step (and a pandas Series) per column."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

BLOCK_VALUES = 2**19  # values per block (4 MB of float64): bounded memory for any shape


def numpy_number_columns(frame: pd.DataFrame) -> dict[np.dtype, list[int]]:
    """The positions of the columns of each numpy integer or float dtype (booleans,
    nullable and other extension dtypes are left out), in column order."""
    groups: dict[np.dtype, list[int]] = {}
    for position, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            groups.setdefault(dtype, []).append(position)
    return groups


def column_blocks(
    frame: pd.DataFrame, positions: list[int], max_values: int = BLOCK_VALUES
) -> Iterator[tuple[list[int], np.ndarray]]:
    """The columns at ``positions`` (all of one numpy dtype), a few at a time: pairs of
    their positions and a (rows, columns) array of their values in that dtype (not to be
    written to), each of at most ``max_values`` values (at least one column)."""
    width = max(1, max_values // max(1, len(frame)))
    for start in range(0, len(positions), width):
        chunk = positions[start : start + width]
        yield chunk, frame.iloc[:, chunk].to_numpy()
