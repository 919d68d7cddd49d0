"""One training run on a Dask cluster (:class:`ClusterRun`) and its evaluation there.

A :class:`~cecore.training.TrainingRun` over a :class:`~cecore.distributed_prepare.
ClusterPrepared`: the estimator's ``fit_iter`` is given the Dask arrays, so every epoch is
computed on the workers (:mod:`cecore.distributed`; the test rows give each record's
``val_loss`` as in memory). :meth:`ClusterRun.evaluate` gives what
:func:`cecore.export.summary` and :func:`cecore.export.model_json` read:

* on the training rows, reductions on the cluster: the accuracy, and
  ``sklearn.metrics.log_loss`` of our probabilities (weighted by the class weights as in
  memory), summed chunk by chunk (``normalize=False``) and divided by the total weight;
* on the evaluated rows (the test rows, or the training rows without test rows): each
  row's class index, predicted class and probabilities come to the client (``8 K`` bytes
  a row, not X) and the in-memory functions give the log loss, the accuracy and what the
  probabilities are worth (:func:`cecore.probability_report.probability_report`);
* not computed: scikit-learn's lbfgs fit (``sklearn_solver``, ``max_proba_difference``,
  ``objective_gap``), which needs X in memory: NaN in the comparison, null in the JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import dask
import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, precision_recall_fscore_support

from cecore.compare import Comparison, fitted_class_weight
from cecore.probability_report import ProbabilityReport, probability_report
from cecore.training import TrainingRun

__all__ = ["ClusterResults", "ClusterRun", "NOT_COMPUTED"]

#: the summary's keys that the Dask path leaves null, and why
NOT_COMPUTED = {
    "sklearn_solver": "scikit-learn's lbfgs fit needs X in memory; the Dask path does not "
                      "gather X",
    "max_proba_difference": "compares with the lbfgs fit (not made)",
    "objective_gap": "compares with the lbfgs fit (not made)",
}


@dataclass(frozen=True)
class ClusterResults:
    """What :func:`cecore.export.summary` reads of a run's :class:`cecore.evaluation.Results`."""

    comparison: Comparison
    note: str
    split: str
    per_class: pd.DataFrame
    probabilities: ProbabilityReport
    temperature: None = None


def _train_scores(Xb, yb, model, weights):
    """Correct predictions, the weighted log-loss sum and the weight sum of one chunk."""
    if not len(yb):
        return 0, 0.0, 0.0
    proba = model.predict_proba(Xb)
    w = weights[yb]
    total = log_loss(yb, proba, labels=model.classes_, sample_weight=w, normalize=False)
    return int(np.sum(model.predict(Xb) == yb)), float(total), float(w.sum())


def _evaluated(Xb, yb, model):
    return np.asarray(yb), model.predict(Xb), model.predict_proba(Xb)


def _blocks(X, y):
    return zip(X.to_delayed().ravel(), y.to_delayed(), strict=True)


class ClusterRun(TrainingRun):
    """A TrainingRun on Dask arrays (see the module docstring); ``cluster`` describes the
    cluster for the summary."""

    def __init__(self, prepared, config, options, cluster):
        if config.validation_share:
            raise ValueError("--validation-share is not supported with --dask yet.")
        super().__init__(prepared, config, options)
        self.cluster = cluster
        self.cluster_results = None

    def evaluate(self):
        """The :class:`ClusterResults` of the finished run (computed once)."""
        if self.cluster_results is None:
            if not self.usable:
                raise ValueError("Nothing to evaluate: the run has not finished an epoch.")
            self.cluster_results = self._evaluate()
        return self.cluster_results

    def _evaluate(self):
        model, p, names = self.estimator, self.prepared, self.class_names()
        weights = np.asarray(model.class_weight_, dtype=np.float64)
        scores = dask.compute(*[dask.delayed(_train_scores, pure=True)(xb, yb, model, weights)
                                for xb, yb in _blocks(self.X_fit, self.y_fit)])
        correct, loss_sum, weight_sum = (sum(s[i] for s in scores) for i in range(3))
        has_test = len(p.y_test) > 0
        X, y = (p.X_test, p.y_test) if has_test else (self.X_fit, self.y_fit)
        found = dask.compute(*[dask.delayed(_evaluated, pure=True)(xb, yb, model)
                               for xb, yb in _blocks(X, y)])
        y_eval, predicted, proba = (np.concatenate([f[i] for f in found]) for i in range(3))
        record = self.last
        test_loss = float(log_loss(y_eval, proba, labels=model.classes_)) if has_test else None
        nan = math.nan
        comparison = Comparison(
            ours_train_loss=float(record["loss"]),
            ours_test_loss=None if record["val_loss"] is None else float(record["val_loss"]),
            ours_objective=float(record["objective"]),
            ours_accuracy_train=correct / len(self.y_fit),
            ours_accuracy_test=float(np.mean(predicted == y_eval)) if has_test else None,
            ours_seconds=float(self.compute_seconds),
            log_loss_train=loss_sum / weight_sum, log_loss_test=test_loss,
            sklearn_train_loss=nan, sklearn_test_loss=nan, sklearn_objective=nan,
            sklearn_accuracy_train=nan, sklearn_accuracy_test=nan, sklearn_seconds=nan,
            sklearn_C=nan, sklearn_converged=None, max_proba_difference=nan,
            class_weight=fitted_class_weight(model))
        labels = np.arange(len(names))
        precision, recall, _, support = precision_recall_fscore_support(
            y_eval, proba.argmax(axis=1), labels=labels, zero_division=0)
        per_class = pd.DataFrame({"precision": precision, "recall": recall, "rows": support},
                                 index=pd.Index(names, name="class"))
        return ClusterResults(
            comparison=comparison, per_class=per_class,
            note="Not compared with scikit-learn: its lbfgs fit needs X in memory.",
            split="test" if has_test else "training",
            probabilities=probability_report(y_eval, proba, names))
