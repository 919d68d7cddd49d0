"""What a finished run achieved: metrics on the test rows, the comparison with
scikit-learn, each row's loss, and the probability map of a two-feature model.

Each row's loss is ``-log p_true`` (clipped like ``sklearn.metrics.log_loss``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from cecore.compare import Comparison, agreement_note, compare
from cecore.losses import cross_entropy
from cecore.prepare.transform import numeric_steps
from cecore.probability_report import (
    ProbabilityReport,
    TemperatureScaling,
    probability_report,
    temperature_scaling,
)

WORST_ROWS = 10
WORST_INPUTS = 10  # input columns the worst rows show: those with the largest weights


@dataclass(frozen=True)
class Results:
    """What the finished run achieved, on the test rows (the training rows when there are
    none: ``split`` says which).

    ``sample_losses`` is each row's cross-entropy ``-log p_true`` (clipped like log_loss);
    ``coefficients`` has one row per weight vector (logistic: the log-odds of the second
    class), one column per model feature (standardized when scaling is on).
    ``probabilities`` says what the probabilities are worth on those rows; ``temperature``
    is the temperature scaling fitted on the run's validation rows (None without them).
    ``predictions`` has every input column; ``worst``, its WORST_ROWS rows of highest loss,
    only the WORST_INPUTS with the largest weights (see :func:`largest_inputs`), and
    ``worst_note`` says so when it leaves inputs out.
    """

    comparison: Comparison
    note: str
    split: str
    confusion: pd.DataFrame
    per_class: pd.DataFrame
    coefficients: pd.DataFrame
    sample_losses: np.ndarray
    predictions: pd.DataFrame
    worst: pd.DataFrame
    probabilities: ProbabilityReport
    temperature: TemperatureScaling | None
    worst_note: str | None = None


def evaluate_run(run):
    p, model, names = run.prepared, run.estimator, run.class_names()
    has_test = len(p.y_test) > 0
    split = "test" if has_test else "training"
    X, y = (p.X_test, p.y_test) if has_test else (p.X_train, p.y_train)
    proba = model.predict_proba(X)
    X_trained, y_trained = run.trained_rows()     # early stopping holds some fitted rows out
    comparison = compare(model, X_trained, y_trained, p.X_test, p.y_test,
                         alpha=run.config.alpha, record=run.kept_record,
                         seconds=run.compute_seconds, proba_test=proba if has_test else None)
    predicted = proba.argmax(axis=1)
    labels = np.arange(len(names))
    confusion = pd.DataFrame(confusion_matrix(y, predicted, labels=labels),
                             index=pd.Index(names, name="true class"),
                             columns=pd.Index(names, name="predicted class"))
    precision, recall, _, support = precision_recall_fscore_support(
        y, predicted, labels=labels, zero_division=0)
    per_class = pd.DataFrame({"precision": precision, "recall": recall, "rows": support},
                             index=pd.Index(names, name="class"))
    row_names = ([f"{names[1]} (vs {names[0]})"] if run.kind == "logistic" else names)
    coefficients = pd.DataFrame(model.coef_, index=pd.Index(row_names, name="weights for"),
                                columns=p.feature_names)
    losses = cross_entropy(y, proba, reduction="none")
    predictions, inputs = _predictions(run, split, y, proba, losses)
    worst, worst_note = _worst_rows(predictions, inputs, p.features, model.coef_, p.feature_names)
    temperature = None
    if len(run.y_validation):
        temperature = temperature_scaling(model.decision_function(run.X_validation),
                                          run.y_validation, model.decision_function(X), y,
                                          names)
    restored = run.best_epoch is not None and run.best_epoch < len(run.history)
    reason = "early_stopping" if restored else run.status
    return Results(comparison=comparison, note=agreement_note(comparison, reason),
                   split=split, confusion=confusion, per_class=per_class,
                   coefficients=coefficients, sample_losses=losses, predictions=predictions,
                   worst=worst,
                   probabilities=probability_report(y, proba, names),
                   temperature=temperature, worst_note=worst_note)


def evaluated_positions(run, split):
    """Positions (into the prepared rows, ``prepared.row_index``) of the rows of ``split``."""
    p = run.prepared
    return p.test_positions if split == "test" else p.train_positions


def _predictions(run, split, y, proba, losses):
    """One row per evaluated row: its label in the table, true and predicted class, the
    probabilities, the loss, then its input columns as they were in the table; and the
    names of those columns in it (``input x`` for an input named like another column)."""
    p, names = run.prepared, np.asarray(run.class_names(), dtype=object)
    positions = evaluated_positions(run, split)
    frame = pd.DataFrame({
        "row": p.row_index[positions],
        f"true {p.target}": names[y],
        "predicted": names[proba.argmax(axis=1)],
        "p(true class)": proba[np.arange(len(y)), y],
        "loss": losses,
    })
    for k, name in enumerate(names):
        frame[f"p({name})"] = proba[:, k]
    if run.frame is None:
        return frame, []
    inputs = run.frame.loc[p.row_index[positions], p.features].reset_index(drop=True)
    inputs.columns = [f"input {c}" if c in frame.columns else c for c in inputs.columns]
    return pd.concat([frame, inputs], axis=1), list(inputs.columns)


def _worst_rows(predictions, inputs, features, coef, feature_names):
    """The WORST_ROWS rows of highest loss, with the WORST_INPUTS input columns of the
    largest weights (in table order), and the note when inputs are left out."""
    worst = predictions.sort_values("loss", ascending=False, kind="stable").head(WORST_ROWS)
    if len(inputs) <= WORST_INPUTS:
        return worst, None
    kept = set(largest_inputs(features, coef, feature_names, WORST_INPUTS))
    shown = [column for feature, column in zip(features, inputs, strict=True) if feature in kept]
    input_columns = set(inputs)
    outputs = [c for c in predictions.columns.tolist() if c not in input_columns]
    note = (f"The worst rows show the {len(shown)} of {len(inputs):,} input columns with the "
            "largest weights (|w|); the predictions download has them all.")
    return worst[outputs + shown], note


def largest_inputs(features, coef, feature_names, k):
    """The ``k`` input columns (of ``features``) whose weights are largest: each input
    counts the largest |w| of its model features (over the classes; a one-hot or date
    feature ``name=value``, ``name_year`` belongs to the longest input its name starts
    with), ties in table order; returned in table order."""
    strength = np.abs(np.asarray(coef, dtype=np.float64)).max(axis=0)
    position = {name: i for i, name in enumerate(features)}
    best = np.full(len(features), -np.inf)
    for name, w in zip(feature_names, strength, strict=True):
        i = position.get(name)
        if i is None:
            i = next((position[name[:j]] for j in range(len(name) - 1, 0, -1)
                      if name[:j] in position), None)
        if i is not None:
            best[i] = max(best[i], w)
    order = np.lexsort((np.arange(len(features)), -best))[:k]
    return [features[i] for i in sorted(order)]


@dataclass(frozen=True)
class DecisionGrid:
    """Class probabilities over a grid spanning the data, for a model on two numeric inputs.

    ``proba[i, j, k]`` is P(class k) at ``(x[j], y[i])``, in the units of the two input
    columns after the first scaling: standardised ``(x - mean) / std`` when scaling is on,
    as in the table otherwise (also with a polynomial degree > 1: the grid is drawn in the
    two original features, each point expanded as the model's rows are).
    ``points`` / ``labels`` are the rows of ``split`` in the same units.
    """

    x: np.ndarray
    y: np.ndarray
    proba: np.ndarray
    points: np.ndarray
    labels: np.ndarray
    feature_names: list
    class_names: list
    split: str


def decision_grid(run, resolution=120, margin=0.1):
    """The probability map of a usable run whose model has exactly two input columns, both
    numeric, over their range widened by ``margin`` on each side; None for any other model.

    With degree 1 the model's two features are those columns, and the grid is predicted
    directly. With degree > 1 the first two model features are the degree-1 terms
    ``(z - m2) / s2`` of the standardised inputs ``z`` (PolynomialFeatures puts them first),
    so the rows' ``z = X[:, :2] * s2 + m2``; the grid points in ``z`` are turned back into
    table values ``z * std + mean`` and expanded by ``prepared.transform``.
    """
    p = run.prepared
    numeric = all(spec.kind == "numeric" for spec in p.feature_specs.values())
    if len(p.feature_specs) != 2 or not numeric or not run.usable:
        return None
    has_test = len(p.y_test) > 0
    steps = numeric_steps(p.preprocessor)
    rows = p.X_test if has_test else p.X_train
    if "expand" in steps:
        X = np.vstack([p.X_train[:, :2], p.X_test[:, :2]])  # not the whole expanded X
        rows = rows[:, :2]
        if "rescale" in steps:
            shift, factor = steps["rescale"].mean_[:2], steps["rescale"].scale_[:2]
            X, rows = X * factor + shift, rows * factor + shift
    else:
        X = p.X                               # assembled from X_train and X_test: once
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-9)
    x, y = (np.linspace(lo[i] - pad[i], hi[i] + pad[i], resolution) for i in range(2))
    xx, yy = np.meshgrid(x, y)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    if "expand" in steps:
        if "scale" in steps:
            grid = grid * steps["scale"].scale_ + steps["scale"].mean_
        grid = p.transform(pd.DataFrame(grid, columns=list(p.features)))
    proba = run.estimator.predict_proba(grid)
    return DecisionGrid(
        x=x, y=y, proba=proba.reshape(resolution, resolution, -1),
        points=rows, labels=p.y_test if has_test else p.y_train,
        feature_names=list(p.features), class_names=run.class_names(),
        split="test" if has_test else "training",
    )
