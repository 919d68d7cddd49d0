"""The model file's content checked and read into plain parts (ModelSpec).

A model file (format ``cecore-model/2``, written by :func:`cecore.export.model_json`) is
trusted only after every part it holds has been checked: the format, the keys, the kinds
and types of values, the lengths of the arrays (``coef`` is ``(1, d)`` for logistic and
``(K, d)`` for softmax regression on ``K`` classes, ``d`` the number of features the
preprocessing makes), the feature names (they must be the names the preprocessing gives),
and every number (finite; scales > 0). A file that fails raises DataError saying what is
wrong; :mod:`cecore.model_file` predicts with the parts.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cecore.errors import DataError
from cecore.prepare.expansion import MAX_DEGREE
from cecore.prepare.features import date_part_columns

MODEL_FORMAT = "cecore-model/2"
MAX_MODEL_BYTES = 64 * 2**20  # far above any saved model; bounds what a file may expand to
MAX_MODEL_CLASSES = 10_000
KINDS = ("numeric", "date", "categorical")


class InputColumn(NamedTuple):
    """An input column of the table: its name, kind and (dates) format."""

    column: str
    kind: str
    date_format: str | None


class NumericPart(NamedTuple):
    """The numeric model columns (numbers and date parts, in order) and their statistics."""

    columns: list[str]
    impute: np.ndarray
    mean: np.ndarray
    scale: np.ndarray


class Polynomial(NamedTuple):
    """The polynomial terms (tuples of numeric column indices) and their second scaling."""

    degree: int
    terms: list[tuple[int, ...]]
    mean: np.ndarray
    scale: np.ndarray


class Categorical(NamedTuple):
    """A categorical input's one-hot encoding."""

    column: str
    impute: str
    categories: list[str]
    infrequent: list[str]


class ModelSpec(NamedTuple):
    """Everything a model file says, checked."""

    kind: str
    target: str
    classes: list[str]
    inputs: list[InputColumn]
    numeric: NumericPart
    polynomial: Polynomial | None
    categorical: list[Categorical]
    feature_names: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    cecore_version: str


def damaged(what: str) -> DataError:
    """The error for a model file whose content does not add up."""
    return DataError(f"The model file is damaged or was changed: {what}. Save the model "
                     "again from a training run.")


def read_spec(document: dict) -> ModelSpec:
    """The checked parts of a parsed model file; DataError when anything does not fit."""
    _check_format(document.get("format"))
    kind = _choice(_key(document, "model"), ("logistic", "softmax"), "'model'")
    classes = _texts(_key(document, "classes"), "'classes'", unique=True)
    if not 2 <= len(classes) <= MAX_MODEL_CLASSES:
        raise damaged(f"'classes' lists {len(classes)} classes; a model has 2 or more")
    if kind == "logistic" and len(classes) != 2:
        raise damaged(f"a logistic model has 2 classes, not {len(classes)}")
    preprocessing = _key(document, "preprocessing")
    if not isinstance(preprocessing, dict):
        raise damaged("'preprocessing' is not an object")
    inputs, numeric, categorical = _inputs(_key(preprocessing, "inputs", "preprocessing"))
    polynomial = _polynomial(_key(preprocessing, "polynomial", "preprocessing"),
                             len(numeric.columns))
    names = _output_names(numeric, polynomial, categorical)
    feature_names = _texts(_key(document, "feature_names"), "'feature_names'")
    if feature_names != names:
        raise damaged("'feature_names' are not the features its preprocessing makes")
    listed = document.get("input_columns")
    if listed is not None and listed != [c.column for c in inputs]:
        raise damaged("'input_columns' are not the columns its preprocessing reads")
    n_weights = 1 if kind == "logistic" else len(classes)
    coef = _matrix(_key(document, "coef"), "'coef'")
    if coef.shape != (n_weights, len(names)):
        raise damaged(f"'coef' has shape {coef.shape}, but a {kind} model on "
                      f"{len(classes)} classes and {len(names)} features has "
                      f"{(n_weights, len(names))}")
    intercept = _numbers(_key(document, "intercept"), "'intercept'", n_weights)
    version = document.get("cecore_version")
    return ModelSpec(kind=kind, target=_text(_key(document, "target"), "'target'"),
                     classes=classes, inputs=inputs, numeric=numeric, polynomial=polynomial,
                     categorical=categorical, feature_names=names, coef=coef,
                     intercept=intercept,
                     cecore_version=version if isinstance(version, str) else "unknown")


def _check_format(fmt) -> None:
    if fmt == MODEL_FORMAT:
        return
    if isinstance(fmt, str) and fmt.startswith("cecore-model/"):
        older = (" It does not hold everything needed to predict: train the model again "
                 "and save it." if fmt == "cecore-model/1" else "")
        raise DataError(f"This model file has the format '{fmt}'; this cecore reads "
                        f"'{MODEL_FORMAT}' files.{older}")
    raise DataError(f"This is not a cecore model file (its 'format' is {fmt!r}, not "
                    f"'{MODEL_FORMAT}'). Choose the .json file that training saved.")


def _inputs(value) -> tuple[list[InputColumn], NumericPart, list[Categorical]]:
    """The input columns, the numeric part (numbers and date parts, in input order) and
    the categorical encodings."""
    if not isinstance(value, list) or not value:
        raise damaged("'preprocessing.inputs' is not a list of input columns")
    inputs, columns, stats, categorical = [], [], [], []
    for k, entry in enumerate(value):
        where = f"input {k + 1}"
        if not isinstance(entry, dict):
            raise damaged(f"{where} is not an object")
        column = _text(_key(entry, "column", where), f"{where}'s 'column'")
        where = f"input column '{column}'"
        kind = _choice(_key(entry, "kind", where), KINDS, f"{where}'s 'kind'")
        date_format = None
        if kind == "numeric":
            columns.append(column)
            stats.append(_statistics(entry, where))
        elif kind == "date":
            date_format = entry.get("date_format")
            if date_format is not None:
                date_format = _text(date_format, f"{where}'s 'date_format'")
            parts = _key(entry, "parts", where)
            expected = date_part_columns(column)
            if (not isinstance(parts, list) or len(parts) != len(expected)
                    or not all(isinstance(p, dict) for p in parts)
                    or [p.get("column") for p in parts] != expected):
                raise damaged(f"{where}'s 'parts' are not the columns {', '.join(expected)}")
            columns += expected
            stats += [_statistics(p, f"date part '{p['column']}'") for p in parts]
        else:
            categorical.append(_categorical(entry, column, where))
        inputs.append(InputColumn(column, kind, date_format))
    names = [c.column for c in inputs]
    if len(set(names)) != len(names) or len(set(columns)) != len(columns):
        raise damaged("an input column is listed twice")
    impute, mean, scale = (np.array([s[i] for s in stats], dtype=np.float64) for i in range(3))
    if (scale <= 0).any():
        raise damaged("a scale is not positive")
    return inputs, NumericPart(columns, impute, mean, scale), categorical


def _statistics(entry: dict, where: str) -> tuple[float, float, float]:
    """A numeric column's imputed value, mean and scale."""
    return tuple(_number(_key(entry, key, where), f"{where}'s '{key}'")
                 for key in ("impute", "mean", "scale"))


def _categorical(entry: dict, column: str, where: str) -> Categorical:
    impute = _text(_key(entry, "impute", where), f"{where}'s 'impute'")
    categories = _texts(_key(entry, "categories", where), f"{where}'s 'categories'",
                        unique=True)
    infrequent = _texts(_key(entry, "infrequent", where), f"{where}'s 'infrequent'",
                        unique=True)
    if set(categories) & set(infrequent):
        raise damaged(f"{where} lists a value both as a category and as infrequent")
    if impute not in categories and impute not in infrequent:
        raise damaged(f"{where}'s 'impute' is none of its categories")
    return Categorical(column, impute, categories, infrequent)


def _polynomial(value, n_numeric: int) -> Polynomial | None:
    """The polynomial terms over the ``n_numeric`` numeric columns (None for degree 1)."""
    if value is None:
        return None
    where = "'preprocessing.polynomial'"
    if not isinstance(value, dict):
        raise damaged(f"{where} is not an object")
    degree = _key(value, "degree", where)
    if type(degree) is not int or not 2 <= degree <= MAX_DEGREE:
        raise damaged(f"the polynomial degree is not a whole number from 2 to {MAX_DEGREE}")
    raw = _key(value, "terms", where)
    if not isinstance(raw, list) or not raw:
        raise damaged("the polynomial 'terms' are not a list")
    terms, seen = [], set()
    for term in raw:
        if (not isinstance(term, list) or not 1 <= len(term) <= degree
                or not all(type(i) is int and 0 <= i < n_numeric for i in term)
                or term != sorted(term)):
            raise damaged(f"the polynomial term {str(term)[:40]} is not a sorted list of "
                          f"1 to {degree} indices of the {n_numeric} numeric columns")
        term = tuple(term)
        if term in seen or (len(term) > 1 and term[:-1] not in seen):
            raise damaged(f"the polynomial term {list(term)} is repeated or comes before "
                          "its lower-degree part")
        seen.add(term)
        terms.append(term)
    mean = _numbers(_key(value, "mean", where), "the polynomial 'mean'", len(terms))
    scale = _numbers(_key(value, "scale", where), "the polynomial 'scale'", len(terms))
    if (scale <= 0).any():
        raise damaged("a polynomial scale is not positive")
    return Polynomial(degree, terms, mean, scale)


def _output_names(numeric: NumericPart, polynomial: Polynomial | None,
                  categorical: list[Categorical]) -> list[str]:
    """The features' names as prepare gives them: ``x1``, ``x1^2``, ``x1 x2`` (sklearn's
    PolynomialFeatures names), then ``name=value`` and ``name=(other)``."""
    if polynomial is None:
        names = list(numeric.columns)
    else:
        names = []
        for term in polynomial.terms:
            powers = {i: term.count(i) for i in dict.fromkeys(term)}
            names.append(" ".join(numeric.columns[i] if p == 1 else f"{numeric.columns[i]}^{p}"
                                  for i, p in powers.items()))
    for encoding in categorical:
        names += [f"{encoding.column}={value}" for value in encoding.categories]
        if encoding.infrequent:
            names.append(f"{encoding.column}=(other)")
    return names


def _key(document: dict, key: str, where: str = "the file"):
    if key not in document:
        raise damaged(f"{where} has no '{key}'")
    return document[key]


def _text(value, where: str) -> str:
    if not isinstance(value, str):
        raise damaged(f"{where} is not text")
    return value


def _texts(value, where: str, unique: bool = False) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise damaged(f"{where} is not a list of text")
    if unique and len(set(value)) != len(value):
        raise damaged(f"{where} lists a value twice")
    return value


def _choice(value, choices: tuple, where: str) -> str:
    if value not in choices:
        raise damaged(f"{where} is {str(value)[:40]!r}, not one of {', '.join(choices)}")
    return value


def _number(value, where: str) -> float:
    if type(value) not in (int, float):
        raise damaged(f"{where} is not a number")
    try:
        number = float(value)
    except OverflowError:
        number = float("inf")
    if not np.isfinite(number):
        raise damaged(f"{where} is not a finite number")
    return number


def _numbers(value, where: str, length: int | None = None) -> np.ndarray:
    if not isinstance(value, list) or not all(type(v) in (int, float) for v in value):
        raise damaged(f"{where} is not a list of numbers (a weight or statistic is missing "
                      "or not a number)")
    try:
        array = np.array(value, dtype=np.float64)
    except OverflowError:
        raise damaged(f"{where} holds a number too large") from None
    if length is not None and len(array) != length:
        raise damaged(f"{where} has {len(array)} numbers, not {length}")
    if not np.isfinite(array).all():
        raise damaged(f"{where} holds values that are not finite numbers")
    return array


def _matrix(value, where: str) -> np.ndarray:
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise damaged(f"{where} is not a list of rows of numbers")
    rows = [_numbers(row, where) for row in value]
    if len({len(row) for row in rows}) != 1:
        raise damaged(f"{where}'s rows have different lengths")
    return np.vstack(rows)
