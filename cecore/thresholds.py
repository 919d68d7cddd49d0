"""Decision thresholds for a binary classifier: what calling "positive" at ``p >= t`` does.

From the scores ``p`` (the predicted probability of class 1) and the labels ``y`` (0 or 1),
one sort gives every threshold's counts at once (as ``sklearn.metrics``' curves do):

    TP(t) = #{i : p_i >= t, y_i = 1}        FP(t) = #{i : p_i >= t, y_i = 0}
    precision = TP / (TP + FP)    recall = TPR = TP / P    FPR = FP / N    F1 = 2PR / (P + R)

The ROC curve is (FPR, TPR) over the thresholds, its area the AUC (trapezoids, equal to
``roc_auc_score``); the precision-recall curve gives the average precision
``AP = sum_n (R_n - R_(n-1)) P_n`` (``average_precision_score``). With costs ``c_FP`` of a
false positive and ``c_FN`` of a false negative, calibrated probabilities are best cut at
``t* = c_FP / (c_FP + c_FN)`` (Elkan 2001): above it the expected cost of "positive",
``(1 - p) c_FP``, is below that of "negative", ``p c_FN``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BinaryCurves", "ThresholdCounts", "cost_optimal_threshold"]


def cost_optimal_threshold(cost_false_positive: float, cost_false_negative: float) -> float:
    """``c_FP / (c_FP + c_FN)``: the threshold that minimises the expected cost of calibrated
    probabilities (Elkan 2001). Both costs must be >= 0 and not both 0."""
    c_fp, c_fn = float(cost_false_positive), float(cost_false_negative)
    if not (c_fp >= 0 and c_fn >= 0 and c_fp + c_fn > 0 and np.isfinite(c_fp + c_fn)):
        raise ValueError(f"The costs must be finite, >= 0 and not both 0, not {c_fp} and {c_fn}.")
    return c_fp / (c_fp + c_fn)


@dataclass(frozen=True)
class ThresholdCounts:
    """The confusion matrix and its rates when ``p >= threshold`` is called positive."""

    threshold: float
    true_positives: int
    false_positives: int
    true_negatives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        """``TP / (TP + FP)``; 0 when nothing is called positive (sklearn's zero_division=0)."""
        called = self.true_positives + self.false_positives
        return self.true_positives / called if called else 0.0

    @property
    def recall(self) -> float:
        """``TP / (TP + FN)``, the true-positive rate; 0 without positives."""
        positives = self.true_positives + self.false_negatives
        return self.true_positives / positives if positives else 0.0

    @property
    def false_positive_rate(self) -> float:
        """``FP / (FP + TN)``; 0 without negatives."""
        negatives = self.false_positives + self.true_negatives
        return self.false_positives / negatives if negatives else 0.0

    @property
    def f1(self) -> float:
        """``2 TP / (2 TP + FP + FN)``, the harmonic mean of precision and recall."""
        denominator = 2 * self.true_positives + self.false_positives + self.false_negatives
        return 2 * self.true_positives / denominator if denominator else 0.0

    @property
    def accuracy(self) -> float:
        """``(TP + TN) / n``."""
        n = (self.true_positives + self.false_positives + self.true_negatives
             + self.false_negatives)
        return (self.true_positives + self.true_negatives) / n if n else 0.0

    def per_class(self, class_names) -> dict:
        """``{class: {"precision", "recall"}}`` of both classes at this threshold: class 1 is
        called when ``p >= threshold``, class 0 otherwise (``precision_recall_fscore_support``
        of the called classes)."""
        negative, positive = (str(name) for name in class_names)
        called_negative = self.true_negatives + self.false_negatives
        negatives = self.true_negatives + self.false_positives
        return {
            negative: {"precision": self.true_negatives / called_negative if called_negative
                       else 0.0,
                       "recall": self.true_negatives / negatives if negatives else 0.0},
            positive: {"precision": self.precision, "recall": self.recall},
        }

    def cost(self, cost_false_positive: float, cost_false_negative: float) -> float:
        """The mean cost per row, ``(c_FP FP + c_FN FN) / n``."""
        n = (self.true_positives + self.false_positives + self.true_negatives
             + self.false_negatives)
        total = cost_false_positive * self.false_positives
        total += cost_false_negative * self.false_negatives
        return total / n if n else 0.0


class BinaryCurves:
    """Every threshold of one set of scores, from one sort: the ROC and precision-recall
    curves, their areas, and the counts at any threshold (a binary search each).

    ``y_true`` holds 0 and 1; ``scores`` the predicted probability of 1 (any increasing
    score works for the curves). Ties in the scores form one threshold, as in sklearn.
    """

    def __init__(self, y_true, scores):
        y = np.asarray(y_true)
        p = np.asarray(scores, dtype=np.float64)
        if y.ndim != 1 or p.shape != y.shape:
            raise ValueError(f"y_true and scores must be 1-d of one length, not {y.shape} "
                             f"and {p.shape}.")
        if not np.isin(y, (0, 1)).all():
            raise ValueError("y_true must hold 0 and 1 only.")
        if not np.isfinite(p).all():
            raise ValueError("scores must be finite.")
        order = np.argsort(-p, kind="mergesort")
        self._descending = p[order]
        positive = np.cumsum(y[order] == 1, dtype=np.int64)
        self._positives_so_far = positive
        # the last row of each run of equal scores: one threshold per distinct score
        last = np.r_[np.flatnonzero(np.diff(self._descending)), len(p) - 1] if len(p) else []
        self.thresholds = self._descending[last]
        self.true_positives = positive[last] if len(p) else np.zeros(0, dtype=np.int64)
        self.false_positives = np.asarray(last, dtype=np.int64) + 1 - self.true_positives
        self.n_positive = int(positive[-1]) if len(p) else 0
        self.n_negative = len(p) - self.n_positive

    def at(self, threshold: float) -> ThresholdCounts:
        """The counts when ``p >= threshold`` is called positive."""
        called = int(np.searchsorted(-self._descending, -float(threshold), side="right"))
        true_positives = int(self._positives_so_far[called - 1]) if called else 0
        false_positives = called - true_positives
        return ThresholdCounts(
            threshold=float(threshold), true_positives=true_positives,
            false_positives=false_positives,
            true_negatives=self.n_negative - false_positives,
            false_negatives=self.n_positive - true_positives,
        )

    def roc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(fpr, tpr, thresholds)`` from (0, 0) at threshold inf, every distinct score
        (``sklearn.metrics.roc_curve(..., drop_intermediate=False)``)."""
        self._need_both_classes()
        fpr = np.r_[0.0, self.false_positives / self.n_negative]
        tpr = np.r_[0.0, self.true_positives / self.n_positive]
        return fpr, tpr, np.r_[np.inf, self.thresholds]

    def roc_auc(self) -> float:
        """The area under the ROC curve (trapezoids), ``roc_auc_score``."""
        fpr, tpr, _ = self.roc()
        return float(np.trapezoid(tpr, fpr))

    def precision_recall(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(precision, recall, thresholds)`` as ``precision_recall_curve``: thresholds
        increasing, the curve ending at (recall 0, precision 1) without a threshold."""
        self._need_both_classes()
        called = self.true_positives + self.false_positives
        precision = np.divide(self.true_positives, called, out=np.ones(len(called)),
                              where=called > 0)
        recall = self.true_positives / self.n_positive
        return (np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0],
                self.thresholds[::-1].copy())

    def average_precision(self) -> float:
        """``sum_n (R_n - R_(n-1)) P_n`` over the thresholds, ``average_precision_score``."""
        precision, recall, _ = self.precision_recall()
        return float(-np.sum(np.diff(recall) * precision[:-1]))

    def best_threshold(self, cost_false_positive: float, cost_false_negative: float) -> float:
        """The score threshold with the lowest mean cost on these rows (ties: the highest)."""
        false_negatives = self.n_positive - self.true_positives
        costs = cost_false_positive * self.false_positives + cost_false_negative * false_negatives
        nothing = cost_false_negative * self.n_positive  # calling no row positive
        if not len(costs) or nothing <= costs.min():
            return float(np.inf)
        return float(self.thresholds[int(np.argmin(costs))])

    def _need_both_classes(self):
        if not (self.n_positive and self.n_negative):
            raise ValueError("The curves need rows of both classes.")
