"""The stratified, seeded train/test split."""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import train_test_split

from cecore.errors import DataError
from cecore.wording import count_of


def split_positions(
    y: np.ndarray, classes: np.ndarray, test_size: float, random_state, *,
    parts: tuple[str, str] = ("training", "test"), setting: str = "test size",
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded train and test positions; all rows train when ``test_size`` is 0.

    Every class is in both parts: sklearn's stratified split rounds each class's share, and
    a class of 2 rows can land wholly in one part at a large or small test size (29, 29 and 2
    rows at ``test_size=0.9``); then one of its rows changes places with a row of the class
    most represented in the other part (see :func:`with_every_class`). A split that cannot
    hold every class in both parts raises DataError, which names the two ``parts`` and
    the ``setting`` that sets their sizes.
    """
    positions = np.arange(len(y))
    if test_size == 0:
        return positions, positions[:0]
    counts = np.bincount(y)
    rarest = int(counts.argmin())
    if counts[rarest] < 2:
        raise DataError(
            f"Class '{classes[rarest]}' has only 1 row; every class needs at least 2 rows so it "
            f"can appear in both the {parts[0]} and the {parts[1]} rows. Remove or relabel that "
            f"row, or set the {setting} to 0."
        )
    n_test = math.ceil(test_size * len(y))
    n_train = len(y) - n_test
    if min(n_test, n_train) < len(classes):
        raise DataError(
            f"A {setting} of {test_size:.0%} splits {count_of(len(y), 'row')} into {n_train} "
            f"{parts[0]} and {n_test} {parts[1]} rows, but each part needs a row of every one "
            f"of the {len(classes)} classes. Change the {setting} or add rows."
        )
    train, test = train_test_split(
        positions, test_size=test_size, stratify=y, random_state=random_state
    )
    return with_every_class(train, test, y, len(classes))


def with_every_class(
    train: np.ndarray, test: np.ndarray, y: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """The split with every class in both parts, the sizes of the parts unchanged.

    While a class k has no row in one part (all its rows, at least 2, are in the other),
    its last row there swaps places with the last row, in the first part, of the class
    with the most rows in that first part (it has at least 2, since the part holds at least
    ``n_classes`` rows over fewer classes): no class leaves a part, so this ends. Splits
    that already hold every class are returned unchanged.
    """
    train, test = train.copy(), test.copy()
    for short, other in ((train, test), (test, train)):
        while True:
            counts = np.bincount(y[short], minlength=n_classes)
            missing = np.flatnonzero(counts == 0)
            if not len(missing):
                break
            donor = int(counts.argmax())
            give = np.flatnonzero(y[short] == donor)[-1]
            take = np.flatnonzero(y[other] == missing[0])[-1]
            short[give], other[take] = other[take], short[give]
    return train, test
