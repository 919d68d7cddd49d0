"""load_model: a saved model file (:func:`cecore.export.model_json`) as a predictor.

The file is JSON only (never pickle: loading it runs no code), in the format
``cecore-model/2``. The predictor applies the saved preprocessing with numpy and pandas,
without sklearn objects, as :meth:`cecore.prepare.Prepared.transform` does with them:

- the input columns are read as prepare reads them (numbers written as text with a
  decimal comma or digit grouping, ±inf as missing, dates in the saved format expanded
  into year, month, day, dayofweek; cecore.prepare.features.build_model_frame);
- numbers and date parts: ``z = (where(missing, impute, x) - mean) / scale``;
- polynomial terms (degree > 1): ``t = prod_{i in term} z_i``, then ``(t - mean) / scale``;
- categories: the missing value is the saved most frequent one; one column per saved
  category, then a ``name=(other)`` column when rare values were grouped; a value unseen
  in training encodes as zeros (OneHotEncoder's ``handle_unknown="ignore"``);
- ``z = x' coef^T + intercept``; ``P = [sigmoid(-z_0), sigmoid(z_0)]`` (logistic) or
  ``softmax(z)`` (softmax).

Every problem with the file (not JSON, another format, missing keys, shapes that do not
fit, numbers that are not finite, a file too large) or with the rows (a missing input
column) raises :class:`cecore.errors.DataError` saying what to do.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from cecore.errors import DataError, data_errors_only
from cecore.losses import cross_entropy, sigmoid, softmax
from cecore.model_schema import MAX_MODEL_BYTES, ModelSpec, read_spec
from cecore.prepare.features import FeatureSpec, build_model_frame, reject_huge_values
from cecore.prepare.table import named_table
from cecore.prepare.target import target_classes

__all__ = ["SavedModel", "load_model"]


@data_errors_only("loading the model")
def load_model(path_or_json) -> SavedModel:
    """The predictor of a saved model file: ``path_or_json`` is a path (str or Path), the
    file's JSON text (str or bytes), a file object (an upload) or the parsed dict.
    DataError when it is not a cecore model file or was damaged."""
    return SavedModel(read_spec(_document(path_or_json)))


def _document(source) -> dict:
    """The parsed JSON document of ``source`` (see :func:`load_model`)."""
    if isinstance(source, dict):
        return source
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        source = source.read(MAX_MODEL_BYTES + 1)
    elif isinstance(source, os.PathLike) or (
            isinstance(source, str) and not source.lstrip().startswith(("{", "["))):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"There is no model file '{path}'. Check the path.")
        if path.stat().st_size > MAX_MODEL_BYTES:
            raise _too_large()
        source = path.read_bytes()
    if isinstance(source, (bytes, bytearray)):
        if len(source) > MAX_MODEL_BYTES:
            raise _too_large()
        try:
            source = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError("The model file is not text (JSON). Choose the .json file that "
                            "training saved.") from None
    if not isinstance(source, str):
        raise DataError(f"A model is read from a path, JSON text or a file, not "
                        f"{type(source).__name__}.")
    if len(source) > MAX_MODEL_BYTES:
        raise _too_large()
    try:
        document = json.loads(source, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise DataError(f"The model file is not valid JSON ({error.msg} at line {error.lineno}, "
                        f"column {error.colno}). Choose the .json file that training saved."
                        ) from None
    except DataError:
        raise
    except (ValueError, RecursionError) as error:
        raise DataError(f"The model file cannot be read as JSON: {error}. Choose the .json "
                        "file that training saved.") from None
    if not isinstance(document, dict):
        raise DataError("The model file holds JSON but not a cecore model (an object with "
                        "'format', 'classes', 'coef', ...). Choose the .json file that "
                        "training saved.")
    return document


def _too_large() -> DataError:
    return DataError(f"The model file is larger than {MAX_MODEL_BYTES // 2**20} MB, more than "
                     "any model cecore saves. Choose the .json file that training saved.")


def _reject_constant(name):
    raise DataError(f"The model file holds the number {name}, which no saved model has: it "
                    "was damaged or changed. Save the model again from a training run.")


class SavedModel:
    """A trained model read from its file, predicting like the run that saved it.

    ``classes_`` (the class labels as text), ``feature_names_in_`` (the input columns the
    rows need; other columns are ignored), ``feature_names_out_`` (the model's features),
    ``target`` (the class column's name), ``kind`` ("logistic" | "softmax"), ``coef_``,
    ``intercept_``, ``cecore_version`` (of the cecore that saved it).
    """

    def __init__(self, spec: ModelSpec):
        self._spec = spec
        self.kind = spec.kind
        self.target = spec.target
        self.classes_ = np.array(spec.classes, dtype=object)
        self.feature_names_in_ = np.array([c.column for c in spec.inputs], dtype=object)
        self.feature_names_out_ = list(spec.feature_names)
        self.coef_ = spec.coef
        self.intercept_ = spec.intercept
        self.cecore_version = spec.cecore_version
        self.n_features_in_ = len(self.feature_names_in_)

    def __repr__(self):
        return (f"SavedModel({self.kind}, target={self.target!r}, classes={list(self.classes_)}, "
                f"{len(self.feature_names_out_)} features)")

    @data_errors_only("preparing the rows")
    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """The rows as the model's features ``x'`` (n, len(feature_names_out_))."""
        frame = named_table(df)
        absent = [name for name in self.feature_names_in_ if name not in frame.columns]
        if absent:
            raise DataError(f"The rows lack the column(s) {', '.join(map(repr, absent))} that "
                            "the model reads. Add them (same names as in training).")
        specs = {c.column: FeatureSpec(c.kind, c.date_format) for c in self._spec.inputs}
        model_frame, _ = build_model_frame(frame[list(specs)], specs)
        reject_huge_values(model_frame, specs)
        blocks = []
        numeric = self._spec.numeric
        if numeric.columns:
            Z = model_frame[numeric.columns].to_numpy(dtype=np.float64, na_value=np.nan)
            Z = np.where(np.isnan(Z), numeric.impute, Z)
            Z -= numeric.mean
            Z /= numeric.scale
            poly = self._spec.polynomial
            blocks.append(Z if poly is None else _expanded(Z, poly))
        for encoding in self._spec.categorical:
            blocks.append(_one_hot(model_frame[encoding.column], encoding))
        X = np.hstack(blocks) if blocks else np.empty((len(frame), 0))
        not_finite = ~np.isfinite(X).all(axis=0)
        if not_finite.any():
            names = ", ".join(np.asarray(self.feature_names_out_, dtype=object)[not_finite])
            raise DataError(f"Preparing {names} gave values that are not finite numbers. "
                            "Check those columns' values (far larger than in training?).")
        return X

    def decision_function(self, df: pd.DataFrame) -> np.ndarray:
        """The logits ``z = x' coef^T + intercept``, shape (n, 1) (logistic) or (n, K)."""
        return self.transform(df) @ self.coef_.T + self.intercept_

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray:
        """Class probabilities (n, K), columns in the order of ``classes_``."""
        scores = self.decision_function(df)
        if scores.shape[1] == 1:
            return np.column_stack([sigmoid(-scores[:, 0]), sigmoid(scores[:, 0])])
        return softmax(scores, axis=1)

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """The most probable class of each row (ties go to the first class)."""
        return self.classes_[self.predicted_index(self.predict_proba(df))]

    def predicted_index(self, proba: np.ndarray) -> np.ndarray:
        """Each row's predicted class index from its probabilities (as ``predict``)."""
        if self.kind == "logistic":
            return (proba[:, 1] > proba[:, 0]).astype(np.intp)
        return proba.argmax(axis=1)

    def prediction_table(self, df: pd.DataFrame, proba: np.ndarray | None = None) -> pd.DataFrame:
        """One row per row of ``df``: ``row`` (its index label), ``predicted`` (the class)
        and ``p(<class>)`` per class."""
        proba = self.predict_proba(df) if proba is None else proba
        table = pd.DataFrame({"row": df.index,
                              "predicted": self.classes_[self.predicted_index(proba)]})
        for k, name in enumerate(self.classes_):
            table[f"p({name})"] = proba[:, k]
        return table

    @data_errors_only("reading the target column")
    def class_indices(self, series: pd.Series) -> np.ndarray:
        """Each value of a target column as an index into ``classes_`` (labels read as
        prepare reads them: whole numbers as "0", "1", ...); -1 where it is missing or not
        one of the model's classes."""
        try:
            codes, labels = target_classes(series, self.target, max_classes=2**31)
        except DataError:  # no values, or a continuous column: nothing to score
            return np.full(len(series), -1, dtype=np.int64)
        position = {label: k for k, label in enumerate(self.classes_)}
        lookup = np.array([position.get(label, -1) for label in labels] + [-1], dtype=np.int64)
        return lookup[codes]

    def score(self, df: pd.DataFrame, proba: np.ndarray | None = None) -> dict:
        """``n_rows``, and when ``df`` holds the target column: ``n_scored`` (rows whose
        class is one of the model's), ``log_loss`` (mean ``-log p_true``, clipped like
        sklearn's log_loss) and ``accuracy`` on them (None without such rows)."""
        proba = self.predict_proba(df) if proba is None else proba
        result = {"n_rows": len(proba)}
        frame = named_table(df)
        if self.target in frame.columns:
            y = self.class_indices(frame[self.target])
            scored = y >= 0
            result["n_scored"] = int(scored.sum())
            if scored.any():
                result["log_loss"] = float(cross_entropy(y[scored], proba[scored]))
                result["accuracy"] = float(
                    np.mean(self.predicted_index(proba[scored]) == y[scored]))
            else:
                result["log_loss"] = result["accuracy"] = None
        return result


def _expanded(Z: np.ndarray, poly) -> np.ndarray:
    """The polynomial terms of the standardised columns, standardised again. Each term is
    its prefix (a lower-degree term, computed before it) times its last column."""
    T = np.empty((len(Z), len(poly.terms)))
    where = {}
    for k, term in enumerate(poly.terms):
        if len(term) == 1:
            T[:, k] = Z[:, term[0]]
        else:
            np.multiply(T[:, where[term[:-1]]], Z[:, term[-1]], out=T[:, k])
        where[term] = k
    T -= poly.mean
    T /= poly.scale
    return T


def _one_hot(values: pd.Series, encoding) -> np.ndarray:
    """One column per category, then ``(other)`` for the grouped rare values; other
    values are zeros. Missing values are the saved most frequent value first."""
    texts = values.to_numpy(dtype=object, na_value=None)
    texts = np.where(pd.isna(texts), encoding.impute, texts)
    n_columns = len(encoding.categories) + bool(encoding.infrequent)
    X = np.zeros((len(texts), n_columns))
    index = pd.Index(encoding.categories, dtype=object).get_indexer(texts)
    known = index >= 0
    X[np.flatnonzero(known), index[known]] = 1.0
    if encoding.infrequent:
        X[:, -1] = pd.Index(texts, dtype=object).isin(encoding.infrequent)
    return X
