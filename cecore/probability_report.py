"""What a model's probabilities are worth on held-out rows: calibration, the scores of the
Brier and log loss, and what plain accuracy hides when one class is rare.

For labels ``y`` in 0..K-1 and probabilities ``P`` (n, K):

    log loss = -mean_i log P[i, y_i]                       (sklearn.metrics.log_loss)
    ECE      = sum_b n_b / n |accuracy_b - confidence_b|   (top-label, Guo et al. 2017)
    Brier    = mean_i (P[i, 1] - y_i)^2                     (two classes; Murphy's parts)

Reliability curves: the positive class for two classes, the top label and each class
against the rest for more (see :mod:`cecore.calibration`). For two classes the thresholds
of :class:`cecore.thresholds.BinaryCurves` come with it (one sort of the scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cecore.calibration import (
    brier_decomposition,
    expected_calibration_error,
    fit_temperature,
    reliability_curve,
)
from cecore.losses import cross_entropy, sigmoid, softmax
from cecore.thresholds import BinaryCurves

__all__ = ["ProbabilityReport", "TemperatureScaling", "accuracy_note", "probability_report",
           "reliability_table", "scaled_probabilities", "temperature_scaling"]


@dataclass(frozen=True)
class ProbabilityReport:
    """The probabilities of one model on one set of rows (see the module docstring).

    ``reliability`` maps a curve's name to its :func:`reliability_curve` frame and
    ``scores`` the same names to the probabilities binned (for the histogram).
    ``curves`` is None for more than two classes; ``brier`` holds the decomposition's
    ``brier``, ``reliability``, ``resolution`` and ``uncertainty`` for two classes.
    """

    class_names: list
    n_rows: int
    log_loss: float
    accuracy: float
    expected_calibration_error: float
    brier: dict | None
    reliability: dict
    scores: dict
    class_counts: np.ndarray
    recall: np.ndarray
    curves: BinaryCurves | None


def probability_report(y, proba, class_names, *, n_bins=10):
    """The :class:`ProbabilityReport` of ``proba`` (n, K) for the labels ``y`` (0..K-1)."""
    y = np.asarray(y)
    proba = np.asarray(proba, dtype=np.float64)
    names = [str(name) for name in class_names]
    n_classes = proba.shape[1]
    predicted = proba.argmax(axis=1)
    counts = np.bincount(y, minlength=n_classes)
    hits = np.bincount(y[predicted == y], minlength=n_classes)
    recall = np.divide(hits, counts, out=np.zeros(n_classes), where=counts > 0)
    if n_classes == 2:
        positive = proba[:, 1]
        reliability = {names[1]: reliability_curve(y, positive, n_bins=n_bins)}
        scores = {names[1]: positive}
        brier = {key: float(value) for key, value in
                 brier_decomposition(y, positive, n_bins=n_bins).items()}
        curves = BinaryCurves(y, positive) if 0 < counts[1] < len(y) else None
    else:
        confidence = proba.max(axis=1)
        reliability = {"top label": reliability_curve(y, proba, n_bins=n_bins,
                                                       kind="top-label")}
        scores = {"top label": confidence}
        for k, name in enumerate(names):
            reliability[name] = reliability_curve((y == k).astype(np.intp), proba[:, k],
                                                  n_bins=n_bins)
            scores[name] = proba[:, k]
        brier, curves = None, None
    return ProbabilityReport(
        class_names=names, n_rows=len(y),
        log_loss=float(cross_entropy(y, proba)),
        accuracy=float(np.mean(predicted == y)) if len(y) else float("nan"),
        expected_calibration_error=float(expected_calibration_error(y, proba, n_bins=n_bins)),
        brier=brier, reliability=reliability, scores=scores, class_counts=counts,
        recall=recall, curves=curves,
    )


def accuracy_note(report, split="test"):
    """A sentence on what the accuracy hides, or None when every class is found well.

    Said when the most common class alone reaches at least 80% of the model's accuracy
    (predicting it for every row would look almost as good) and some class's recall is
    below half the accuracy.
    """
    if not report.n_rows:
        return None
    majority = int(np.argmax(report.class_counts))
    majority_share = report.class_counts[majority] / report.n_rows
    worst = int(np.argmin(np.where(report.class_counts > 0, report.recall, np.inf)))
    if majority_share < 0.8 * report.accuracy or report.recall[worst] >= report.accuracy / 2:
        return None
    names = report.class_names
    found = int(round(report.recall[worst] * report.class_counts[worst]))
    return (
        f"{report.accuracy:.1%} of the {split} rows are classified right, but "
        f"{majority_share:.1%} of them are '{names[majority]}': calling every row "
        f"'{names[majority]}' would score {majority_share:.1%}. Of the "
        f"{int(report.class_counts[worst]):,} '{names[worst]}' rows the model finds {found:,} "
        f"(recall {report.recall[worst]:.1%}). Lower the decision threshold or weight the "
        "classes to find more of them."
    )


def reliability_table(report):
    """One row per reliability curve: ECE-style summary of each (rows, mean |gap|)."""
    rows = []
    for name, curve in report.reliability.items():
        gap = np.abs(curve["observed"] - curve["mean_predicted"])
        weight = curve["count"] / max(1, int(curve["count"].sum()))
        rows.append((name, int(curve["count"].sum()), float((weight * gap).sum())))
    return pd.DataFrame(rows, columns=["curve", "rows", "calibration error"])


@dataclass(frozen=True)
class TemperatureScaling:
    """One temperature ``T`` for all logits, fitted on held-out training rows (Guo et al.
    2017): ``P = softmax(z / T)`` (two classes: ``sigmoid(z / T)``). ``T > 1`` softens
    over-confident probabilities, ``T < 1`` sharpens timid ones; the predicted classes do
    not change. ``before`` and ``after`` are the evaluated rows' reports without and with T.
    """

    temperature: float
    n_validation: int
    before: ProbabilityReport
    after: ProbabilityReport


def scaled_probabilities(logits, temperature):
    """``softmax(Z / T)`` for (n, K) logits, or ``[1 - sigmoid(z/T), sigmoid(z/T)]`` for the
    (n,) log-odds of two classes."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    if z.ndim == 1:
        return np.column_stack([sigmoid(-z), sigmoid(z)])
    return softmax(z, axis=1)


def temperature_scaling(validation_logits, y_validation, logits, y, class_names, *,
                        n_bins=10):
    """Fit T on the held-out rows' logits (:func:`cecore.calibration.fit_temperature`) and
    report the evaluated rows (``logits``, ``y``) before and after; None without held-out
    rows."""
    if not len(y_validation):
        return None
    temperature = fit_temperature(validation_logits, y_validation)
    return TemperatureScaling(
        temperature=float(temperature), n_validation=len(y_validation),
        before=probability_report(y, scaled_probabilities(logits, 1.0), class_names,
                                  n_bins=n_bins),
        after=probability_report(y, scaled_probabilities(logits, temperature), class_names,
                                 n_bins=n_bins),
    )
