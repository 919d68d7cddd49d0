"""prepare: a table turned into model input (Prepared)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from cecore.allocator import return_free_memory
from cecore.errors import DataError, data_errors_only
from cecore.prepare.expansion import check_expansion_size, numeric_column_count
from cecore.prepare.features import (
    FeatureSpec,
    build_model_frame,
    feature_specs_for,
    reject_huge_values,
    without_untrained_columns,
)
from cecore.prepare.numeric import NumericColumns, use_numeric_path
from cecore.prepare.options import DataOptions
from cecore.prepare.split import split_positions
from cecore.prepare.table import named_table, require_column
from cecore.prepare.target import (
    MAX_CLASSES,
    check_classes,
    require_rows,
    target_classes,
    used_classes,
)
from cecore.prepare.transform import (
    fit_transform_frame,
    grouping_notes,
    reject_not_finite,
    transform_rows,
)
from cecore.wording import count_of, were


@dataclass(eq=False)
class Prepared:
    """A table turned into model input: the output of :func:`prepare`.

    ``X_train`` and ``X_test`` are the model's input rows, ``y_train`` and ``y_test`` their
    class indices into ``classes``. ``X`` holds all usable rows in table order (``row_index``
    gives their labels) and ``y`` their class indices: ``X[train_positions]`` is ``X_train``
    and ``X[test_positions]`` is ``X_test``. ``X`` is not stored but assembled from the two
    parts when read (a new read-only array each time), so a large table costs its matrix
    once, not twice. ``preprocessor`` is fitted on the training rows only. ``transform``
    applies the same preprocessing to new rows.
    """

    y: np.ndarray
    classes: np.ndarray
    feature_names: list[str]
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    preprocessor: ColumnTransformer
    target: str
    features: list[str]
    dropped_rows: int
    notes: list[str]
    row_index: pd.Index
    train_positions: np.ndarray
    test_positions: np.ndarray
    feature_specs: dict[str, FeatureSpec] = field(repr=False)

    @property
    def X(self) -> np.ndarray:
        """All usable rows in table order, assembled from ``X_train`` and ``X_test``."""
        X = np.empty((len(self.y), self.X_train.shape[1]), dtype=np.float64)
        X[self.train_positions] = self.X_train
        X[self.test_positions] = self.X_test
        X.flags.writeable = False
        return X

    @data_errors_only("preparing the new rows")
    def transform(self, df_new: pd.DataFrame) -> np.ndarray:
        """Apply the fitted preprocessing to new rows (the target column is not needed)."""
        frame = named_table(df_new)
        absent = [name for name in self.features if name not in frame.columns]
        if absent:
            raise DataError(f"The new rows lack the column(s) {', '.join(map(repr, absent))}.")
        model_frame, _ = build_model_frame(frame, self.feature_specs)
        reject_huge_values(model_frame, self.feature_specs)
        X, not_finite = transform_rows(self.preprocessor, model_frame, np.arange(len(frame)))
        reject_not_finite(self.preprocessor, not_finite)
        return X


@data_errors_only("preparing the data")
def prepare(
    df: pd.DataFrame,
    target: str,
    features: Iterable[str] | None = None,
    *,
    missing: str = "impute",
    scale: bool = True,
    dates: str = "drop",
    test_size: float = 0.25,
    random_state: int | None = 0,
    max_classes: int = MAX_CLASSES,
    degree: int = 1,
) -> Prepared:
    """Turn a table into model input: features X, class indices y and a train/test split.

    - ``features=None`` uses :func:`suggest_features` (plus date columns when
      ``dates="expand"``); the columns left out are explained in ``notes``.
    - Numeric columns (also text numbers with a decimal comma) are imputed with the median
      and standardised (``scale``); ±inf counts as missing; values beyond ±1e100 raise
      DataError since they overflow once squared. Other columns are imputed with the most
      frequent value and one-hot encoded (at most MAX_CATEGORIES columns each, rarer
      values share a ``name=(other)`` column; values unseen in training encode as zeros).
    - ``missing="drop"`` drops rows with a missing value in a used column instead.
    - ``dates="expand"`` turns date columns into year, month, day and dayofweek; "drop"
      leaves them out. Rows without a target value are always dropped.
    - The split is stratified and seeded; ``test_size=0`` gives empty test arrays. A class
      with a single row makes a stratified split impossible: that raises DataError (no
      silent fallback to an unstratified split).
    - ``degree > 1`` expands the numeric columns (dates' parts included) after
      standardisation into every monomial of total degree 1..degree, standardised again
      (sklearn's StandardScaler, PolynomialFeatures(degree, include_bias=False),
      StandardScaler; see :mod:`cecore.prepare.expansion`), named like ``x1``, ``x1^2``,
      ``x1 x2``; one-hot columns are not expanded. When the expanded columns would take
      more than MAX_EXPANDED_BYTES (2 GB) for the usable rows, DataError says how many
      columns the expansion would make.
    - The preprocessing is fitted on the training rows only, then applied to all rows.

    A table of numeric features only (the common large case) is prepared column by column
    straight into ``X_train`` and ``X_test``, with the same sklearn steps fitted to the same
    numbers as the general path (a ColumnTransformer over the whole table), so the results
    are identical while the memory peak stays near the table plus its matrix. With
    ``degree > 1`` the general path is taken: the expanded matrix (``comb(m + D, D) - 1``
    columns of ``m``) dwarfs the copy of the ``m`` input columns that the path adds.
    """
    DataOptions(missing=missing, scale=scale, dates=dates, test_size=test_size,
                random_state=random_state, max_classes=max_classes,
                degree=degree)  # checks them
    frame = named_table(df)
    target = require_column(frame, target)
    codes, labels = target_classes(frame[target], target, max_classes)
    has_label = codes >= 0
    require_rows(int(has_label.sum()))
    specs, notes = feature_specs_for(frame, target, features, dates)
    fast = degree == 1 and use_numeric_path(frame, specs)
    numeric = NumericColumns(frame, list(specs)) if fast else None
    if numeric is not None:
        infinite, complete = numeric.scan(complete=missing == "drop")
    else:
        model_frame, infinite = build_model_frame(frame, specs)
        complete = model_frame.notna().all(axis=1).to_numpy() if missing == "drop" else None
    notes += [
        f"{count_of(n, 'infinite value')} in column '{name}' {were(n)} treated as missing."
        for name, n in infinite.items()
    ]
    keep, drop_notes = _usable_rows(has_label, complete)
    notes += drop_notes
    rows = np.flatnonzero(keep)
    classes, y = used_classes(codes[rows], labels)
    check_classes(classes, target)
    if numeric is not None:
        numeric.reject_huge_values(rows)
    else:
        used = model_frame.iloc[rows].reset_index(drop=True)
        del model_frame
        reject_huge_values(used, specs)
    check_expansion_size(len(rows), numeric_column_count(specs), degree)
    train, test = split_positions(y, classes, test_size, random_state)
    return_free_memory()  # what the steps above freed, before the matrix is allocated
    fitted = None
    if numeric is not None:
        fitted = numeric.fit_transform(specs, infinite, rows, train, test, scale)
        if fitted is None:  # a column without values in the training rows
            used = build_model_frame(frame[list(specs)].iloc[rows], specs)[0].reset_index(drop=True)
    if fitted is None:
        used, specs, untrained = without_untrained_columns(used, specs, train)
        notes += untrained
        fitted = fit_transform_frame(used, specs, train, test, scale, degree)
    preprocessor, X_train, X_test = fitted
    notes += grouping_notes(preprocessor)
    return Prepared(
        y=y,
        classes=classes,
        feature_names=[str(name) for name in preprocessor.get_feature_names_out()],
        X_train=X_train,
        X_test=X_test,
        y_train=y[train],
        y_test=y[test],
        preprocessor=preprocessor,
        target=target,
        features=list(specs),
        dropped_rows=int(len(frame) - len(rows)),
        notes=notes,
        row_index=frame.index[rows],
        train_positions=train,
        test_positions=test,
        feature_specs=specs,
    )


def _usable_rows(has_label: np.ndarray, complete: np.ndarray | None) -> tuple[np.ndarray, list[str]]:
    """Mask of rows to keep (target present; complete too when ``complete`` is given, the
    mask of rows without a missing value for ``missing="drop"``) and notes."""
    keep = has_label.copy()
    notes = []
    n_unlabelled = int((~keep).sum())
    if n_unlabelled:
        notes.append(
            f"{count_of(n_unlabelled, 'row')} without a target value {were(n_unlabelled)} dropped."
        )
    if complete is not None:
        n_incomplete = int((keep & ~complete).sum())
        keep &= complete
        if n_incomplete:
            notes.append(
                f"{count_of(n_incomplete, 'row')} with missing values {were(n_incomplete)} dropped."
            )
        if not keep.any():
            raise DataError(
                "No rows are left after dropping the rows with missing values. "
                "Fill in missing values instead (missing='impute') or use fewer columns."
            )
    require_rows(int(keep.sum()))
    return keep, notes
