"""The target column as class codes: exact labels, the classes used, enough rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cecore.errors import DataError
from cecore.io.numbers import number_format, whole_numbers
from cecore.io.values import is_text, numeric_view
from cecore.wording import count_of

MIN_ROWS = 4  # fewest usable rows prepare accepts
MAX_CLASSES = 50  # prepare's default limit on the number of classes
CONTINUOUS_MIN_DISTINCT = 10  # a non-integer target with more values than this is continuous


def target_classes(series: pd.Series, name: str, max_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """The target as class codes: one int64 per row (-1 where the target is missing or
    infinite) indexing the class labels, which are strings in sorted order.

    Whole numbers become "0", "1", ... exactly, also beyond 2**53 when the column holds
    integers (or integers written as text); raises DataError for a target without values,
    a continuous one, or one with more than ``max_classes`` classes.
    """
    numbers = numeric_view(series)
    if numbers is not None:
        numbers = numbers.where(np.isfinite(numbers))
    has_label = (numbers.notna() if numbers is not None else series.notna()).to_numpy()
    if not has_label.any():
        raise DataError(f"The target column '{name}' has no values.")
    continuous = False
    if numbers is None:
        inverse, uniques = pd.factorize(series[has_label].astype(str), sort=True)
        texts = np.asarray(uniques, dtype=object)
    else:
        present = numbers[has_label].to_numpy()
        exact = exact_integers(series, has_label, present)
        if exact is not None:
            uniques, inverse = np.unique(exact, return_inverse=True)
        else:
            uniques, inverse = np.unique(present, return_inverse=True)
            continuous = len(uniques) > CONTINUOUS_MIN_DISTINCT
        distinct = len(uniques)
        if continuous or distinct > max_classes:
            raise DataError(
                f"Target '{name}' has {distinct} distinct values in {int(has_label.sum())} rows: "
                "it looks continuous, not a class column. Pick a column with a few categories."
            )
        texts = np.array(
            [str(int(u)) for u in uniques] if exact is not None else uniques.astype(str).tolist(),
            dtype=object,
        )
        order = sorted(range(len(texts)), key=texts.__getitem__)
        rank = np.empty(len(texts), dtype=np.int64)
        rank[order] = np.arange(len(texts))
        texts, inverse = texts[order], rank[inverse]
    if len(texts) > max_classes:
        raise DataError(
            f"Target '{name}' has {len(texts)} different values; at most {max_classes} classes are "
            "supported. Pick a column with a few categories."
        )
    codes = np.full(len(series), -1, dtype=np.int64)
    codes[has_label] = inverse
    return codes, texts


def exact_integers(series: pd.Series, has_label: np.ndarray, present: np.ndarray):
    """The present values as exact integers (an integer array, or Python ints for text
    beyond 2**53), or None when they are not all whole numbers.

    Text beyond 2**53 is read from its digits, in the number format of the column (so
    ``9,007,199,254,740,993`` and ``9007199254740993.0`` are 9007199254740993, not the
    float64 9007199254740992); floats that large are not exact and keep their float form."""
    if not np.all(present == np.floor(present)):
        return None
    if pd.api.types.is_integer_dtype(series):
        unsigned = series.dtype.kind == "u"
        return series[has_label].to_numpy(dtype=np.uint64 if unsigned else np.int64)
    if np.abs(present).max() < 2**53:
        return present.astype(np.int64)
    if is_text(series):
        text = series[has_label]
        return whole_numbers(text, number_format(text))
    return None


def require_rows(n_rows: int) -> None:
    """Raise DataError when fewer than MIN_ROWS rows are usable."""
    if n_rows < MIN_ROWS:
        raise DataError(
            f"Only {count_of(n_rows, 'usable row')} {'is' if n_rows == 1 else 'are'} left; "
            f"at least {MIN_ROWS} are needed to train and test a classifier."
        )


def used_classes(codes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classes present in the used rows (sorted labels, object array) and each row's
    index into them (int64)."""
    present = np.bincount(codes, minlength=len(labels)) > 0
    index = np.cumsum(present) - 1
    return labels[present].astype(object), index[codes].astype(np.int64)


def check_classes(classes: np.ndarray, target: str) -> None:
    """Raise DataError when the usable rows hold fewer than two classes."""
    if len(classes) < 2:
        raise DataError(
            f"Column '{target}' has only one class ('{classes[0]}'); a classifier needs at least two."
        )
