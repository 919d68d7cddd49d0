"""Polynomial feature expansion: how many columns it makes, and the memory it may take.

With ``degree = D > 1`` the numeric model columns ``z_1 .. z_m`` (after imputation and
standardisation; the year, month, day and weekday parts of expanded dates count as
numeric columns) become every monomial ``z_1^p_1 * ... * z_m^p_m`` with
``1 <= p_1 + ... + p_m <= D`` (sklearn's ``PolynomialFeatures(D, include_bias=False)``),
``comb(m + D, D) - 1`` columns, which are then standardised again. One-hot columns of
categorical inputs are not expanded (their squares are themselves, and their products
with numbers would multiply the column count by the number of categories).

prepare takes the general path (a ColumnTransformer) for ``degree > 1``, never the numeric
fast path (cecore.prepare.numeric): the expanded matrix dwarfs the copy of the input
columns that the general path adds. Measured (numpy 2.4, sklearn 1.8, normal numbers, peak
RSS above the start): 200,000 rows x 20 columns, degree 2 -> 230 columns, a 351 MB matrix,
peak 614 MB (3.9 s); 50,000 x 20, degree 3 -> 1,770 columns, 675 MB, peak 1,101 MB (5.4 s);
for comparison degree 1 on the 200,000 x 20 table: fast path 22 MB, general path 139 MB
for a 31 MB matrix. The peak is about 1.7 x the matrix because Pipeline.fit expands the
training rows once to fit the second StandardScaler before the rows are expanded again,
block by block, into X_train and X_test.
"""

from __future__ import annotations

import math

from cecore.errors import DataError
from cecore.prepare.features import FeatureSpec

MAX_DEGREE = 5
#: the largest matrix of expanded columns prepare builds (float64 rows x columns)
MAX_EXPANDED_BYTES = 2 * 1024**3
DATE_PART_COUNT = 4  # year, month, day, dayofweek


def expanded_feature_count(n_numeric: int, degree: int) -> int:
    """The number of columns ``PolynomialFeatures(degree, include_bias=False)`` makes of
    ``n_numeric`` columns: the monomials of total degree 1 to ``degree``,
    ``comb(n_numeric + degree, degree) - 1`` (``n_numeric`` itself for degree 1)."""
    if n_numeric < 0 or degree < 1:
        raise ValueError("n_numeric must be >= 0 and degree >= 1")
    return math.comb(n_numeric + degree, degree) - 1


def numeric_column_count(specs: dict[str, FeatureSpec]) -> int:
    """The numeric model columns of these feature specs (a date column makes four)."""
    return sum(1 if spec.kind == "numeric" else DATE_PART_COUNT
               for spec in specs.values() if spec.kind != "categorical")


def check_expansion_size(n_rows: int, n_numeric: int, degree: int) -> None:
    """DataError when ``n_rows * expanded_feature_count(n_numeric, degree) * 8`` bytes
    exceed MAX_EXPANDED_BYTES, saying how many columns the expansion would make."""
    if degree <= 1:
        return
    n_columns = expanded_feature_count(n_numeric, degree)
    size = n_rows * n_columns * 8
    if size > MAX_EXPANDED_BYTES:
        raise DataError(
            f"A polynomial degree of {degree} turns the {n_numeric} numeric columns into "
            f"{n_columns:,} columns; for {n_rows:,} rows that is {size / 1024**3:,.1f} GB "
            f"(at most {MAX_EXPANDED_BYTES / 1024**3:.0f} GB). Choose a lower degree or "
            "fewer features."
        )
