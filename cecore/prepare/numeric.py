"""The numeric fast path: numeric features prepared column by column straight into X_train and X_test."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import StandardScaler

from cecore.io.values import is_text, parse_numbers
from cecore.prepare.features import MAX_ABS_VALUE, FeatureSpec, huge_value_error
from cecore.prepare.transform import make_preprocessor, reject_not_finite

_BLOCK_VALUES = 2**19  # floats per block of rows or columns processed at once (4 MB)
NUMERIC_PATH_MIN_ROWS = 1000  # below this, the ColumnTransformer is as fast and as small
NUMERIC_PATH_MIN_COLUMNS = 100  # ... unless the table is this wide (it works column by column)


def use_numeric_path(frame: pd.DataFrame, specs: dict[str, FeatureSpec]) -> bool:
    """Whether prepare takes the numeric path: numeric features only, and enough rows for
    the memory of the general path to matter, or enough columns for its time to. (prepare
    also needs ``degree == 1``: the polynomial expansion is done by the general path, see
    cecore.prepare.expansion.)"""
    numeric = all(spec.kind == "numeric" for spec in specs.values())
    return numeric and (
        len(frame) >= NUMERIC_PATH_MIN_ROWS or len(specs) >= NUMERIC_PATH_MIN_COLUMNS
    )


class NumericColumns:
    """The numeric feature columns of a table as float64, a block of columns at a time:
    columns of numpy number dtypes are taken together (a 2-D array per block), the others
    (text, nullable dtypes) parsed one by one, once, and kept."""

    def __init__(self, frame: pd.DataFrame, names: list[str]):
        self.frame = frame
        self.names = names
        self._parsed: dict[str, np.ndarray] = {}
        positions = frame.columns.get_indexer(names)
        self._positions = positions
        numpy_numbers = [isinstance(d, np.dtype) and d.kind in "iuf" for d in frame.dtypes]
        self._in_blocks = [numpy_numbers[p] for p in positions]

    def column(self, name: str) -> np.ndarray:
        """The column as float64 (±inf kept, non-numbers as NaN); not to be written to."""
        if name in self._parsed:
            return self._parsed[name]
        series = self.frame[name]
        values = parse_numbers(series).to_numpy()
        if is_text(series):
            self._parsed[name] = values
        return values

    def blocks(self, rows: int | None = None):
        """``(start, names, block)`` in column order: ``block`` holds the values of the
        columns ``names[start:start + k]`` as a (rows, k) float64 array (not to be written
        to), of at most _BLOCK_VALUES values for ``rows`` rows (default: the table's)."""
        width = max(1, _BLOCK_VALUES // max(1, rows or len(self.frame)))
        for start in range(0, len(self.names), width):
            stop = min(start + width, len(self.names))
            if all(self._in_blocks[start:stop]):
                part = self.frame.iloc[:, self._positions[start:stop]]
                block = part.to_numpy(dtype=np.float64)
            else:
                block = np.column_stack([self.column(n) for n in self.names[start:stop]])
            yield start, self.names[start:stop], block

    def scan(self, complete: bool) -> tuple[dict[str, int], np.ndarray | None]:
        """The number of infinite values per column, and (if ``complete``) the mask of rows
        without a missing or infinite value."""
        infinite = {}
        mask = np.ones(len(self.frame), dtype=bool) if complete else None
        for _, names, block in self.blocks():
            counts = np.count_nonzero(np.isinf(block), axis=0)
            infinite.update((names[j], int(counts[j])) for j in np.flatnonzero(counts))
            if mask is not None:
                mask &= np.isfinite(block).all(axis=1)
        return infinite, mask

    def reject_huge_values(self, rows: np.ndarray) -> None:
        """DataError for the first column with a finite value beyond MAX_ABS_VALUE in the
        used rows (as reject_huge_values on the model frame)."""
        for _, names, block in self.blocks():
            values = block[rows] if len(rows) < len(block) else block
            largest = np.max(np.abs(values), axis=0, initial=-np.inf, where=np.isfinite(values))
            huge = np.flatnonzero(largest > MAX_ABS_VALUE)
            if len(huge):
                raise huge_value_error(names[huge[0]], largest[huge[0]])

    def fit_transform(
        self,
        specs: dict[str, FeatureSpec],
        infinite: dict[str, int],
        rows: np.ndarray,
        train: np.ndarray,
        test: np.ndarray,
        scale: bool,
    ) -> tuple[ColumnTransformer, np.ndarray, np.ndarray] | None:
        """The fitted preprocessing, X_train and X_test, as the general path computes them;
        None when a column has no value in the training rows (the general path drops it).

        The used rows are taken in split order into F-ordered blocks of a few columns:
        each block is imputed with the training medians (np.nanmedian, the same numbers as
        SimpleImputer's), standardised with a StandardScaler fitted on its training rows
        (the same reductions over contiguous columns as in the general path), and copied
        into X_train and X_test. The fitted statistics are then set on a ColumnTransformer
        fitted to the same columns, which transforms new rows exactly like the general one.
        """
        order = rows[np.concatenate([train, test])]
        n_train, n_columns = len(train), len(self.names)
        X_train = np.empty((n_train, n_columns))
        X_test = np.empty((len(test), n_columns))
        width = max(1, min(n_columns, _BLOCK_VALUES // max(1, len(order))))
        block = np.empty((width, len(order))).T  # F-ordered: each column contiguous
        medians, scalers, not_finite = [], [], np.zeros(n_columns, dtype=bool)
        for start, names, values in self.blocks(len(order)):
            part = block[:, : len(names)]
            np.take(values, order, axis=0, out=part)
            if any(name in infinite for name in names):
                part[np.isinf(part)] = np.nan
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: handled below
                median = np.nanmedian(part[:n_train], axis=0)
            if np.isnan(median).any():
                return None
            np.copyto(part, median, where=np.isnan(part))
            medians.append(median)
            if scale:
                scaler = StandardScaler().fit(part[:n_train])
                part -= scaler.mean_
                part /= scaler.scale_
                scalers.append(scaler)
            not_finite[start : start + len(names)] = ~np.isfinite(part).all(axis=0)
            X_train[:, start : start + len(names)] = part[:n_train]
            X_test[:, start : start + len(names)] = part[n_train:]
        del block
        preprocessor = self._fitted_preprocessor(specs, scale, medians, scalers)
        reject_not_finite(preprocessor, not_finite)
        return preprocessor, X_train, X_test

    def _fitted_preprocessor(
        self, specs: dict, scale: bool, medians: list, scalers: list
    ) -> ColumnTransformer:
        """The general path's ColumnTransformer for these columns, fitted to a two-row
        stand-in table, with the statistics of the training rows set on its steps."""
        stand_in = pd.DataFrame(np.tile([[0.0], [1.0]], len(self.names)), columns=self.names)
        preprocessor = fit_by_position(make_preprocessor(stand_in, specs, scale), stand_in)
        steps = preprocessor.named_transformers_["numeric"].named_steps
        steps["impute"].statistics_ = np.concatenate(medians)
        if scale:
            scaler = steps["scale"]
            scaler.mean_ = np.concatenate([s.mean_ for s in scalers])
            scaler.var_ = np.concatenate([s.var_ for s in scalers])
            scaler.scale_ = np.concatenate([s.scale_ for s in scalers])
            scaler.n_samples_seen_ = scalers[0].n_samples_seen_
        return preprocessor


def fit_by_position(preprocessor: ColumnTransformer, frame: pd.DataFrame) -> ColumnTransformer:
    """``preprocessor.fit(frame)`` for a ColumnTransformer whose columns are named: the
    same fitted transformer, with the names in ``transformers`` and ``transformers_``.

    scikit-learn looks each name up with ``list.index``, which is quadratic in the number
    of columns (1.3 s for 20,000); so it is fitted to their positions, and the names are
    put back (``transform`` of a DataFrame selects by the names it was fitted on either way,
    and ``get_feature_names_out`` by position)."""
    named = preprocessor.transformers
    position = {name: i for i, name in enumerate(frame.columns)}
    preprocessor.set_params(
        transformers=[(step, how, [position[c] for c in columns]) for step, how, columns in named]
    )
    preprocessor.fit(frame)
    preprocessor.set_params(transformers=named)
    names = {step: columns for step, _, columns in named}
    preprocessor.transformers_ = [(step, fitted, names.get(step, columns))
                                  for step, fitted, columns in preprocessor.transformers_]
    return preprocessor
