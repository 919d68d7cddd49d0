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
from cecore.prepare.features import FeatureSpec
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


#: fitted attributes of the preprocessing steps that a reimplementation needs
_STEP_ATTRIBUTES = ("strategy", "statistics_", "mean_", "scale_", "categories_",
                    "infrequent_categories_", "handle_unknown", "degree", "powers_")


def describe_preprocessing(prepared):
    """The fitted preprocessing as plain data: per input group, its columns and each step
    with the numbers it learned (imputed values, means and scales, categories)."""
    groups = []
    for name, pipeline, columns in prepared.preprocessor.transformers_:
        if name == "remainder" or len(columns) == 0:
            continue
        steps = []
        for step_name, step in pipeline.steps:
            learned = {attr: getattr(step, attr) for attr in _STEP_ATTRIBUTES
                       if getattr(step, attr, None) is not None}
            steps.append({"step": step_name, "class": type(step).__name__, **learned})
        groups.append({"group": name, "columns": list(columns), "steps": steps})
    specs = {name: {"kind": spec.kind, **({"date_format": spec.date_format}
                                          if spec.date_format else {})}
             for name, spec in prepared.feature_specs.items()}
    return {"input_columns": specs, "groups": groups,
            "output_features": prepared.feature_names}
