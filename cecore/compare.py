"""The same objective solved by scikit-learn's lbfgs, side by side with ours.

Our estimators minimise, with row weights ``w_i = s_i * c[y_i]`` (sample weight times class
weight, :mod:`cecore.weights`),

    J(W, b) = sum_i w_i CE_i / sum(w) + alpha / 2 * ||W||^2        (intercept unpenalised)

and scikit-learn's ``LogisticRegression(C=C, class_weight=...)`` minimises (sklearn 1.9,
checked to 1e-14) the same weighted mean with its own class weights,

    sum_i w_i CE_i / sum(w) + ||W||^2 / (2 C sum(w)),

so ``C = 1 / (alpha * n)`` (``n = sum(w)``, the number of training rows without weights)
is the same problem; ``alpha = 0`` is ``C = inf``. For two classes sklearn fits one weight
vector ``v``. Softmax forced on two classes has two, ``w0`` and ``w1``; its optimum is
``w0 = -w1 = v / 2`` with penalty ``alpha / 2 (|w0|^2 + |w1|^2) = (alpha / 2) / 2 |v|^2``, the
binomial problem with ``alpha / 2``: there ``C = 2 / (alpha * n)``. Either way sklearn's
objective is ``log_loss(sample_weight=w) + ||coef||^2 / (2 C n)``, the value ours should reach
at convergence.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss

from cecore.weights import training_weights

__all__ = ["Comparison", "agreement_note", "compare", "fit_reference", "fitted_class_weight",
           "reference_weights", "sklearn_C"]

#: lbfgs runs to this gradient tolerance, far below what a page or a test can see.
REFERENCE_TOL = 1e-10
REFERENCE_MAX_ITER = 10_000


def sklearn_C(alpha, n_samples, *, binary_softmax=False):
    """Inverse regularisation strength of sklearn's LogisticRegression for our ``alpha``.

    ``C = 1 / (alpha * n)``; ``2 / (alpha * n)`` when softmax is forced on two classes (its
    optimum is the binomial one with ``alpha / 2``); ``inf`` when ``alpha = 0``. ``n_samples``
    is the sum of the row weights ``w_i = s_i * c[y_i]`` (the number of rows without weights).
    """
    if alpha == 0:
        return np.inf
    effective = alpha / 2 if binary_softmax else alpha
    return 1.0 / (effective * n_samples)


def reference_weights(y, class_weight=None, sample_weight=None):
    """``(w, c)``: each row's weight ``w_i = s_i * c[y_i]`` for labels ``y`` as sklearn
    computes them (:func:`cecore.weights.training_weights` over ``np.unique(y)``), and the
    class weights ``{label: c_k}`` (None without ``class_weight``)."""
    classes, y_index = np.unique(np.asarray(y), return_inverse=True)
    w, c = training_weights(sample_weight, class_weight, classes, y_index)
    by_label = None if class_weight is None else dict(zip(classes.tolist(), c.tolist(),
                                                          strict=True))
    return w, by_label


def fit_reference(X, y, *, alpha, binary_softmax=False, class_weight=None, sample_weight=None,
                  tol=REFERENCE_TOL, max_iter=REFERENCE_MAX_ITER):
    """Fit sklearn's ``LogisticRegression`` (lbfgs) on our objective, with the same
    ``class_weight`` and ``sample_weight`` and ``C = sklearn_C(alpha, sum(w))``.

    Returns ``(model, seconds, converged)``; ``converged`` is False when lbfgs used all of
    ``max_iter`` (with ``alpha = 0`` on separable data the minimum is at infinity).
    """
    total = float(reference_weights(y, class_weight, sample_weight)[0].sum())
    model = LogisticRegression(C=sklearn_C(alpha, total, binary_softmax=binary_softmax),
                               class_weight=class_weight, tol=tol, max_iter=max_iter)
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, y, sample_weight=sample_weight)
    seconds = time.perf_counter() - started
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return model, seconds, converged


def _loss(y, proba, labels, sample_weight=None):
    """``log_loss`` over all ``labels``, so a split that lacks a class still works; None if empty."""
    if not len(y):
        return None
    return float(log_loss(y, proba, labels=labels, sample_weight=sample_weight))


def _accuracy(y, pred):
    return float(accuracy_score(y, pred)) if len(y) else None


def _difference(a, b):
    return None if a is None or b is None else b - a


@dataclass(frozen=True)
class Comparison:
    """Our fit and sklearn's on the same data and the same objective.

    ``ours_*`` come from the training record (mean cross-entropy from the logits),
    ``log_loss_*`` from ``sklearn.metrics.log_loss`` on our ``predict_proba``, ``sklearn_*``
    from ``LogisticRegression(C=sklearn_C, class_weight=...)`` fitted by lbfgs. The training
    losses and objectives are weighted by the row weights ``w`` of the fit (class weights
    times sample weights: the training objective); the test losses are plain means. Test
    values are None when the test set is empty. ``class_weight`` is the class weights of
    both fits as a dict ``{label: weight}`` (None without class weights).
    """

    ours_train_loss: float
    ours_test_loss: float | None
    ours_objective: float
    ours_accuracy_train: float
    ours_accuracy_test: float | None
    ours_seconds: float
    log_loss_train: float
    log_loss_test: float | None
    sklearn_train_loss: float
    sklearn_test_loss: float | None
    sklearn_objective: float
    sklearn_accuracy_train: float
    sklearn_accuracy_test: float | None
    sklearn_seconds: float
    sklearn_C: float
    sklearn_converged: bool
    max_proba_difference: float
    class_weight: dict | None = None

    @property
    def objective_gap(self):
        """``(ours - sklearn) / sklearn``: positive when we stopped above sklearn's minimum."""
        return (self.ours_objective - self.sklearn_objective) / max(self.sklearn_objective,
                                                                     1e-300)

    def to_dict(self):
        """Plain floats and bools (JSON-ready; ``C = inf`` becomes None)."""
        d = asdict(self)
        if not np.isfinite(d["sklearn_C"]):
            d["sklearn_C"] = None
        d["objective_gap"] = self.objective_gap
        return d

    def table(self):
        """One row per quantity; columns: ours, log_loss on our probabilities, sklearn.

        The two difference columns are ``log_loss - ours`` (rounding only) and
        ``sklearn - ours`` (how far our run is from lbfgs's minimum).
        """
        rows = {
            "train loss": (self.ours_train_loss, self.log_loss_train, self.sklearn_train_loss),
            "test loss": (self.ours_test_loss, self.log_loss_test, self.sklearn_test_loss),
            "objective (loss + penalty)": (self.ours_objective, None, self.sklearn_objective),
            "train accuracy": (self.ours_accuracy_train, None, self.sklearn_accuracy_train),
            "test accuracy": (self.ours_accuracy_test, None, self.sklearn_accuracy_test),
            "fit time (s)": (self.ours_seconds, None, self.sklearn_seconds),
        }
        frame = pd.DataFrame(
            [(ours, check, _difference(ours, check), ref, _difference(ours, ref))
             for ours, check, ref in rows.values()],
            index=list(rows),
            columns=["cecore (training record)", "log_loss(our predict_proba)",
                     "log_loss - cecore", "scikit-learn lbfgs", "sklearn - cecore"],
            dtype=float,
        )
        frame.index.name = "quantity"
        return frame


def fitted_class_weight(model):
    """The class weights a fitted estimator used, ``{label: weight}``; None if all are 1."""
    weights = getattr(model, "class_weight_", None)
    if weights is None or np.all(np.asarray(weights) == 1):
        return None
    return {label: float(w) for label, w in zip(model.classes_.tolist(), weights, strict=True)}


def compare(model, X_train, y_train, X_test, y_test, *, alpha, record, seconds=None,
            proba_test=None, class_weight=None, sample_weight=None):
    """Compare a fitted ``LogisticRegressionGD`` / ``SoftmaxRegressionGD`` with lbfgs.

    ``record`` is the model's last training record (its ``loss``, ``val_loss`` and
    ``objective``); ``seconds`` our fit time (default: the record's). ``y`` are the labels
    the model was trained on, ``sample_weight`` the sample weights of its fit and
    ``class_weight`` its class weights ("balanced" or a dict; None: the fitted model's own,
    ``model.class_weight_``): lbfgs gets the same, ``C = 1 / (alpha * sum(w))``. Softmax on
    two classes is compared with the binomial fit at ``alpha / 2`` (see the module
    docstring): the same probabilities and objective. ``proba_test`` is
    ``model.predict_proba(X_test)`` when the caller has it already.
    """
    labels = model.classes_
    binary_softmax = len(labels) == 2 and model.coef_.shape[0] == 2
    if class_weight is None:
        class_weight = fitted_class_weight(model)
    w, class_weights = reference_weights(y_train, class_weight, sample_weight)
    ref, ref_seconds, converged = fit_reference(X_train, y_train, alpha=alpha,
                                                binary_softmax=binary_softmax,
                                                class_weight=class_weight,
                                                sample_weight=sample_weight)
    if proba_test is None and len(y_test):
        proba_test = model.predict_proba(X_test)
    ours_p = (model.predict_proba(X_train), proba_test if len(y_test) else None)
    ref_p = (ref.predict_proba(X_train), ref.predict_proba(X_test) if len(y_test) else None)
    ref_train = _loss(y_train, ref_p[0], labels, w)
    penalty = 0.0 if ref.C == np.inf else float((ref.coef_ ** 2).sum()) / (2 * ref.C * w.sum())
    max_diff = max(float(np.abs(a - b).max()) for a, b in zip(ours_p, ref_p, strict=True)
                   if a is not None)
    return Comparison(
        ours_train_loss=float(record["loss"]),
        ours_test_loss=None if record.get("val_loss") is None else float(record["val_loss"]),
        ours_objective=float(record["objective"]),
        ours_accuracy_train=_accuracy(y_train, model.predict(X_train)),
        ours_accuracy_test=_accuracy(y_test, model.predict(X_test)) if len(y_test) else None,
        ours_seconds=float(record["seconds"] if seconds is None else seconds),
        log_loss_train=_loss(y_train, ours_p[0], labels, w),
        log_loss_test=_loss(y_test, ours_p[1], labels) if len(y_test) else None,
        sklearn_train_loss=ref_train,
        sklearn_test_loss=_loss(y_test, ref_p[1], labels) if len(y_test) else None,
        sklearn_objective=ref_train + penalty,
        sklearn_accuracy_train=_accuracy(y_train, ref.predict(X_train)),
        sklearn_accuracy_test=_accuracy(y_test, ref.predict(X_test)) if len(y_test) else None,
        sklearn_seconds=ref_seconds,
        sklearn_C=float(ref.C),
        sklearn_converged=converged,
        max_proba_difference=max_diff,
        class_weight=class_weights,
    )


def agreement_note(comparison, stop_reason):
    """One sentence: what agreement with sklearn means here, and why a gap (if any) exists."""
    gap = comparison.objective_gap
    meaning = ("Both solvers minimise the same function, so at convergence the objectives agree "
               "to about 1e-6 and the probabilities to about 1e-5")
    if abs(gap) <= 1e-6:
        return f"{meaning}; here they do (relative gap {gap:.1e})."
    if stop_reason == "diverged":
        why = "training diverged: the step was too large, try a smaller learning rate or 'auto'"
    elif not comparison.sklearn_converged:
        why = "lbfgs itself did not converge"
    elif stop_reason == "stopped":
        why = "training was stopped before it converged"
    elif stop_reason == "early_stopping":
        why = ("early stopping kept the weights of the epoch with the lowest validation loss, "
               "on purpose short of the minimum that lbfgs reaches")
    else:
        why = ("gradient descent stopped before converging: more epochs, solver 'nesterov', "
               "full batches or a larger (or 'auto') learning rate close the gap")
    if comparison.sklearn_C == np.inf:
        why += (" (with alpha = 0 and separable classes the loss has no finite minimum: add a "
                "small L2 alpha)")
    side = "above" if gap > 0 else "below"
    return (f"{meaning}; here our objective is {abs(gap):.1e} relative {side} sklearn's "
            f"because {why}.")
