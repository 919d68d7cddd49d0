"""The stratified, seeded train/test split."""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import train_test_split

from cecore.errors import DataError
from cecore.wording import count_of


def split_positions(
    y: np.ndarray, classes: np.ndarray, test_size: float, random_state
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded train and test positions; all rows train when ``test_size`` is 0."""
    positions = np.arange(len(y))
    if test_size == 0:
        return positions, positions[:0]
    counts = np.bincount(y)
    rarest = int(counts.argmin())
    if counts[rarest] < 2:
        raise DataError(
            f"Class '{classes[rarest]}' has only 1 row; every class needs at least 2 rows so it "
            "can appear in both the training and the test rows. Remove or relabel that row, "
            "or set the test size to 0."
        )
    n_test = math.ceil(test_size * len(y))
    n_train = len(y) - n_test
    if min(n_test, n_train) < len(classes):
        raise DataError(
            f"A test size of {test_size:.0%} splits {count_of(len(y), 'row')} into {n_train} for "
            f"training and {n_test} for testing, but each part needs a row of every one of the "
            f"{len(classes)} classes. Change the test size or add rows."
        )
    train, test = train_test_split(
        positions, test_size=test_size, stratify=y, random_state=random_state
    )
    return train, test
