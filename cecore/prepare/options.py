"""DataOptions: how :func:`cecore.prepare.prepare` turns a table into model input.

The one definition of the data options: ``prepare``'s keyword arguments are its fields, the
training page and the command line build it, and it is the only place they are checked.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from cecore.checks import check_fields, is_real_number, is_whole_number
from cecore.errors import DataError
from cecore.prepare.expansion import MAX_DEGREE
from cecore.prepare.target import MAX_CLASSES

MISSING = ("impute", "drop")
DATES = ("drop", "expand")
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class DataOptions:
    """How the table becomes model input; a bad value raises DataError naming the field.

    - ``missing``: "impute" (median for numbers, most frequent value otherwise) or "drop"
      (rows with a missing value in a used column are dropped).
    - ``scale``: standardise numeric columns, ``(x - mean) / std`` over the training rows.
    - ``dates``: "drop" date columns, or "expand" them into year, month, day and weekday.
    - ``test_size``: the share of rows held out for testing, ``0 <= test_size < 1``.
    - ``random_state``: the seed of the stratified split (None: not reproducible).
    - ``max_classes``: the most classes a target may have.
    - ``degree``: 1 (the columns as they are) up to MAX_DEGREE: the numeric columns are
      expanded into every product of at most ``degree`` of them (``x1^2``, ``x1 x2``, ...),
      then standardised again (see :mod:`cecore.prepare.expansion`); one-hot columns are
      not expanded.
    """

    missing: str = "impute"
    scale: bool = True
    dates: str = "drop"
    test_size: float = 0.25
    random_state: int | None = 0
    max_classes: int = MAX_CLASSES
    degree: int = 1

    def __post_init__(self):
        seed = self.random_state
        check_fields(self, {
            "missing": (self.missing in MISSING, " or ".join(map(repr, MISSING))),
            "scale": (isinstance(self.scale, (bool, np.bool_)), "True or False"),
            "dates": (self.dates in DATES, " or ".join(map(repr, DATES))),
            "test_size": (is_real_number(self.test_size) and 0 <= self.test_size < 1,
                          "a fraction from 0 up to (not including) 1 (the test size)"),
            "random_state": (seed is None or isinstance(seed, np.random.RandomState)
                             or (is_whole_number(seed) and 0 <= seed <= MAX_SEED),
                             f"a whole number from 0 to {MAX_SEED} or None (the random seed)"),
            "max_classes": (is_whole_number(self.max_classes) and self.max_classes >= 2,
                            "a whole number of at least 2"),
            "degree": (is_whole_number(self.degree) and 1 <= self.degree <= MAX_DEGREE,
                       f"a whole number from 1 to {MAX_DEGREE} (the polynomial degree)"),
        }, error=DataError)

    def keywords(self) -> dict:
        """The options as :func:`cecore.prepare.prepare`'s keyword arguments."""
        return {field.name: getattr(self, field.name) for field in fields(self)}
