"""The preprocessing: one ColumnTransformer (impute, scale, expand, one-hot), fitted and applied in blocks.

Numeric columns: ``x -> median where missing -> (x - mean) / std`` (``scale``), and with
``degree > 1`` every monomial of total degree 1..degree of the standardised columns
(PolynomialFeatures, include_bias=False), each standardised again over the training rows.
This is sklearn's ``Pipeline(SimpleImputer(median), StandardScaler(),
PolynomialFeatures(degree, include_bias=False), StandardScaler())``; without ``scale``
neither scaling is applied (impute, then expand). Other columns: the most frequent value
where missing, then one-hot (not expanded).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler

from cecore.errors import DataError
from cecore.prepare.features import FeatureSpec, date_part_columns
from cecore.wording import count_of

MAX_CATEGORIES = 20  # one-hot columns per categorical input, the rarest values grouped
_TRANSFORM_VALUES = 2**22  # output floats per ColumnTransformer.transform call (32 MB)


def fit_transform_frame(
    used: pd.DataFrame, specs: dict[str, FeatureSpec], train: np.ndarray, test: np.ndarray,
    scale: bool, degree: int = 1,
) -> tuple[ColumnTransformer, np.ndarray, np.ndarray]:
    """The general path: a ColumnTransformer fitted on the training rows of the used
    frame, then applied to the training and the test rows (in blocks of rows)."""
    preprocessor = make_preprocessor(used, specs, scale, degree).fit(used.iloc[train])
    X_train, not_finite = transform_rows(preprocessor, used, train)
    X_test, not_finite_test = transform_rows(preprocessor, used, test)
    reject_not_finite(preprocessor, not_finite | not_finite_test)
    return preprocessor, X_train, X_test


def make_preprocessor(
    model_frame: pd.DataFrame, specs: dict[str, FeatureSpec], scale: bool, degree: int = 1
) -> ColumnTransformer:
    """The unfitted ColumnTransformer: median + scaling (+ polynomial expansion and its
    scaling when ``degree > 1``) for numbers, mode + one-hot for the rest.

    The numeric steps are named "impute", "scale", "expand" and "rescale" (those used)."""
    categorical = [name for name, spec in specs.items() if spec.kind == "categorical"]
    numeric = [name for name in model_frame.columns if name not in categorical]
    numeric_steps = [("impute", SimpleImputer(strategy="median"))]
    if scale:
        numeric_steps.append(("scale", StandardScaler()))
    if degree > 1:
        numeric_steps.append(("expand", PolynomialFeatures(degree, include_bias=False)))
        if scale:
            numeric_steps.append(("rescale", StandardScaler()))
    categorical_steps = [
        ("impute", SimpleImputer(strategy="most_frequent")),
        (
            "one_hot",
            OneHotEncoder(
                handle_unknown="ignore",
                max_categories=MAX_CATEGORIES,
                sparse_output=False,
                dtype=np.float64,
                feature_name_combiner=_one_hot_name,
            ),
        ),
    ]
    transformer = ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), numeric),
            ("categorical", Pipeline(categorical_steps), categorical),
        ],
        verbose_feature_names_out=False,
        sparse_threshold=0.0,
    )
    return transformer.set_output(transform="default")


def numeric_steps(preprocessor: ColumnTransformer) -> dict:
    """The fitted steps of the numeric pipeline by name ("impute", "scale", "expand",
    "rescale": those used), {} when the model has no numeric column."""
    columns = {name: columns for name, _, columns in preprocessor.transformers_}
    if len(columns.get("numeric", [])) == 0:
        return {}
    return dict(preprocessor.named_transformers_["numeric"].named_steps)


def _one_hot_name(feature: str, category) -> str:
    """One-hot column name: ``color=red``, and ``color=(other)`` for the grouped rare values."""
    return f"{feature}=(other)" if category == "infrequent_sklearn" else f"{feature}={category}"


def grouping_notes(preprocessor: ColumnTransformer) -> list[str]:
    """Notes on categorical columns whose rare values were grouped into one column."""
    columns = {name: columns for name, _, columns in preprocessor.transformers_}
    if len(columns.get("categorical", [])) == 0:
        return []
    pipeline = preprocessor.named_transformers_["categorical"]
    inputs = pipeline.named_steps["impute"].get_feature_names_out()
    encoder = pipeline.named_steps["one_hot"]
    return [
        f"Column '{name}': {count_of(len(rare), 'rare value')} share the column '{name}=(other)'."
        for name, rare in zip(inputs, encoder.infrequent_categories_, strict=True)
        if rare is not None
    ]


def transform_rows(
    preprocessor: ColumnTransformer, frame: pd.DataFrame, positions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The fitted preprocessing applied to the rows at ``positions``, a block of rows at a
    time (so that the transformers' intermediate copies stay small), and the mask of
    output columns holding a value that is not a finite number."""
    n_outputs = len(preprocessor.get_feature_names_out())
    X = np.empty((len(positions), n_outputs), dtype=np.float64)
    not_finite = np.zeros(n_outputs, dtype=bool)
    step = max(8192, _TRANSFORM_VALUES // max(1, n_outputs))  # few calls: each has overhead
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Found unknown categories", category=UserWarning)
        for start in range(0, len(positions), step):
            block = X[start : start + step]
            block[:] = preprocessor.transform(frame.iloc[positions[start : start + step]])
            not_finite |= ~np.isfinite(block).all(axis=0)
    return X, not_finite


def reject_not_finite(preprocessor: ColumnTransformer, not_finite: np.ndarray) -> None:
    """DataError naming the output columns that hold values that are not finite numbers."""
    if not_finite.any():
        names = ", ".join(preprocessor.get_feature_names_out()[not_finite])
        raise DataError(
            f"Preparing {names} gave values that are not finite numbers. Rescale or leave out those columns."
        )


def describe_preprocessing(prepared) -> dict:
    """The fitted preprocessing as plain data (the model file's "preprocessing"), enough to
    transform new rows without sklearn (cecore.model_file does):

    - ``inputs``: per input column, in order, its ``kind`` and what was learned. A
      "numeric" column: ``impute`` (the training median, for missing values), ``mean`` and
      ``scale`` (``z = (x - mean) / scale``; 0 and 1 without scaling). A "date" column:
      ``date_format`` and its ``parts`` (year, month, day, dayofweek), each a numeric
      column as above. A "categorical" column: ``impute`` (the most frequent value),
      ``categories`` (one column ``name=value`` each, in this order) and ``infrequent``
      (values that share the column ``name=(other)``, placed after them; [] if none);
      any other value encodes as zeros.
    - ``polynomial`` (None for degree 1): over the numeric columns ``z_0 .. z_{m-1}`` in
      input order (dates' parts in place), ``terms``: each a list of indices, the term
      ``[0, 0, 1]`` is ``z_0^2 z_1``; then ``(term - mean) / scale`` per term.
    - The model's features are the numeric columns (or the polynomial terms), then each
      categorical column's one-hot columns; ``output_features`` names them.
    """
    steps = numeric_steps(prepared.preprocessor)
    groups = {name: list(columns) for name, _, columns in prepared.preprocessor.transformers_
              if name != "remainder"}
    numeric = groups.get("numeric", [])
    n_numeric = len(numeric)
    scaling = steps.get("scale")
    mean = scaling.mean_ if scaling is not None else np.zeros(n_numeric)
    scale = scaling.scale_ if scaling is not None else np.ones(n_numeric)
    impute = steps["impute"].statistics_ if steps else []

    def numeric_entry(column: str) -> dict:
        i = numeric.index(column)
        return {"impute": float(impute[i]), "mean": float(mean[i]), "scale": float(scale[i])}

    categorical = {}
    if len(groups.get("categorical", [])):
        pipeline = prepared.preprocessor.named_transformers_["categorical"]
        encoder = pipeline.named_steps["one_hot"]
        for k, column in enumerate(groups["categorical"]):
            rare = encoder.infrequent_categories_[k]
            rare = [] if rare is None else [str(value) for value in rare]
            categorical[column] = {
                "impute": str(pipeline.named_steps["impute"].statistics_[k]),
                "categories": [str(v) for v in encoder.categories_[k] if str(v) not in rare],
                "infrequent": rare,
            }
    inputs = []
    for name, spec in prepared.feature_specs.items():
        entry = {"column": name, "kind": spec.kind}
        if spec.kind == "numeric":
            entry.update(numeric_entry(name))
        elif spec.kind == "date":
            entry["date_format"] = spec.date_format
            entry["parts"] = [{"column": column, "part": column.removeprefix(f"{name}_"),
                               **numeric_entry(column)} for column in date_part_columns(name)]
        else:
            entry.update(categorical[name])
        inputs.append(entry)
    polynomial = None
    if "expand" in steps:
        powers = steps["expand"].powers_
        rescale = steps.get("rescale")
        polynomial = {
            "degree": int(steps["expand"].degree),
            "terms": [[int(i) for i in np.repeat(np.arange(n_numeric), row)] for row in powers],
            "mean": rescale.mean_ if rescale is not None else np.zeros(len(powers)),
            "scale": rescale.scale_ if rescale is not None else np.ones(len(powers)),
        }
    return {"scale": scaling is not None, "inputs": inputs, "polynomial": polynomial,
            "output_features": list(prepared.feature_names)}
