"""The training loop of ``fit_iter``: one epoch per step of a generator, and how it ends.

An epoch is one step along the full gradient, or one step per shuffled mini-batch
(:func:`cecore.optimizers.run_epoch`), with the step sizes of :class:`cecore.steps.StepSizes`.
After each epoch the loop checks for divergence (the step is rolled back and training stops,
:func:`cecore.stop_messages.diverged`), publishes the weights as the estimator's ``coef_`` and
``intercept_``, appends the epoch's record to ``history_`` and yields it; training stops when
the gradient norm is at most ``tol``, after ``max_epochs``, or when the early-stopping monitor
says so (:mod:`cecore.early_stopping`: its best epoch's weights are then restored).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from cecore.optimizers import make_optimizer, run_epoch
from cecore.prediction import class_index
from cecore.steps import StepSizes
from cecore.stop_messages import (
    DivergenceWarning,
    converged_message,
    diverged,
    diverged_message,
    not_converged_message,
    sampled_feature_ranges,
    what_diverged,
)

__all__ = ["FEATURE_ATTRIBUTES", "publish", "separable", "swap_feature_attributes",
           "train_epochs", "warm_theta"]

#: What ``validate_data(reset=True)`` sets: kept aside until the new fit's first epoch starts.
FEATURE_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


def swap_feature_attributes(estimator, new):
    """Give ``estimator`` the ``n_features_in_`` / ``feature_names_in_`` of ``new`` (deleting
    those ``new`` lacks); return the ones it had."""
    old = {k: v for k, v in vars(estimator).items() if k in FEATURE_ATTRIBUTES}
    for key in FEATURE_ATTRIBUTES:
        vars(estimator).pop(key, None)
    vars(estimator).update(new)
    return old


def publish(model, objective, theta):
    """Expose ``theta`` as the fitted ``coef_`` and ``intercept_`` of ``model``."""
    model.coef_, model.intercept_ = objective.coef_intercept(theta)


def separable(model, X, y_index, rows_per_block=65_536):
    """No penalty, and the model's current weights classify every training sample correctly.

    Block by block (a float32 X is not copied whole to float64), on the validated X: not
    through ``predict``, which would warn that X has lost the DataFrame's column names.
    """
    if model.alpha != 0:
        return False
    return all(
        np.array_equal(class_index(X[start:start + rows_per_block] @ model.coef_.T
                                   + model.intercept_),
                       y_index[start:start + rows_per_block])
        for start in range(0, X.shape[0], rows_per_block))


def feature_ranges(objective, X):
    """The features' ranges for the end-of-fit message: the objective's own when it has
    them (the Dask objective, whose X stays on the cluster), else sampled from ``X``."""
    own = getattr(objective, "feature_ranges", None)
    return own() if own is not None else sampled_feature_ranges(X)


def all_correct(model, objective, X, y_index):
    """:func:`separable`, or the objective's own check (the Dask objective's)."""
    own = getattr(objective, "separable", None)
    return own(model) if own is not None else separable(model, X, y_index)


def warm_theta(model, objective, classes, shape):
    """With ``warm_start``, the previous fit's weights packed as ``theta`` when they suit
    this fit (the same classes, a ``theta`` of this ``shape``: the same number of features);
    else None (a cold start)."""
    if not getattr(model, "warm_start", False):
        return None
    coef, intercept = getattr(model, "coef_", None), getattr(model, "intercept_", None)
    old_classes = getattr(model, "classes_", None)
    if coef is None or intercept is None or old_classes is None:
        return None
    theta = objective.pack(coef, intercept)
    same = (len(old_classes) == len(classes) and np.array_equal(old_classes, classes)
            and theta.shape == shape)
    return theta if same and np.all(np.isfinite(theta)) else None


def train_epochs(model, X, y_index, objectives, fitted):
    """The generator that ``fit_iter`` returns: trains ``model`` (its hyperparameters) one
    epoch per step.

    ``objectives()`` builds, when the first epoch starts, the training objective (on ``X``,
    ``y_index`` and the row weights), the validation objective (or None) that gives each
    record's ``val_loss``, and the :class:`cecore.early_stopping.EarlyStopping` monitor (or
    None; without a validation objective its loss is the records' ``val_loss``). ``fitted``
    holds the attributes the new fit sets when it starts (``classes_``, ``n_features_in_``,
    ...). With ``model.warm_start`` training starts from the previous fit's weights
    (:func:`warm_theta`), else from zero weights and the intercept of the class frequencies.
    """
    started = time.perf_counter()
    objective, val_objective, stopping = objectives()
    n = X.shape[0]
    batch = None if model.batch_size is None or model.batch_size >= n else int(model.batch_size)
    rng = check_random_state(model.random_state)
    theta = objective.initial()
    warm = warm_theta(model, objective, fitted["classes_"], theta.shape)
    if warm is None:
        loss, obj, grad = objective.loss_objective_gradient(theta)
        start_loss = loss
    else:
        # the divergence check keeps the cold start's loss, which bounds the loss at the
        # minimum for every alpha: from a warm start the loss may rightly rise
        start_loss = objective.loss(theta)
        theta = warm
        loss, obj, grad = objective.loss_objective_gradient(theta)
        start_loss = max(start_loss, loss)
    steps = StepSizes(objective, model.learning_rate, batch, model.solver, obj)
    # The new fit replaces the old one here, every attribute at once.
    swap_feature_attributes(model, fitted)          # classes_ too
    vars(model).pop("_incremental", None)           # fit starts over
    model.history_ = []
    model.n_iter_ = 0
    model.stop_reason_ = "running"
    model.stop_message_ = "Training is running."
    model.best_epoch_ = None
    publish(model, objective, theta)

    optimizer = make_optimizer(model.solver, theta)
    for epoch in range(1, model.max_epochs + 1):
        previous = (theta, loss, obj, grad)
        step_lr = steps.lr
        theta = run_epoch(objective, optimizer, theta, grad, step_lr, batch, rng)
        loss, obj, grad = objective.loss_objective_gradient(theta)
        if steps.retake(step_lr, obj):     # from the same point, as a plain step of 1/L
            theta = previous[0] - steps.safe * previous[3]
            optimizer.restart(theta)
            step_lr = steps.safe
            loss, obj, grad = objective.loss_objective_gradient(theta)
        if diverged(loss, grad, start_loss):
            what = what_diverged(loss, grad, start_loss)
            theta, loss, obj, grad = previous                  # the rollback
            model.stop_reason_ = "diverged"
            model.stop_message_ = diverged_message(epoch, step_lr, what)
            warnings.warn(model.stop_message_, DivergenceWarning, stacklevel=2)
            break
        if steps.update(step_lr, theta - previous[0], grad - previous[3], obj, previous[2]):
            optimizer.restart(theta)                           # uphill: drop the momentum
        grad_norm = float(np.linalg.norm(grad))
        stop_loss = stopping.loss(theta) if stopping else None
        stop_early = stopping is not None and stopping.update(epoch, stop_loss, theta)
        record = {
            "epoch": epoch,
            "loss": loss,
            "val_loss": val_objective.loss(theta) if val_objective else stop_loss,
            "objective": obj,
            "grad_norm": grad_norm,
            "learning_rate": step_lr,
            "seconds": time.perf_counter() - started,
        }
        model.history_.append(record)
        model.n_iter_ = epoch
        publish(model, objective, theta)
        handed_over = time.perf_counter()
        try:
            yield record
        except GeneratorExit:                        # the consumer closed us
            model.stop_reason_ = "stopped"
            model.stop_message_ = (f"Stopped after epoch {epoch}; the model of that epoch "
                                   "is kept.")
            return
        started += time.perf_counter() - handed_over   # the consumer's time is not ours
        if grad_norm <= model.tol:
            model.stop_reason_ = "converged"
            break
        if stop_early:
            model.stop_reason_ = "early_stopping"
            break
    if model.stop_reason_ == "running":
        model.stop_reason_ = "max_epochs"
        model.stop_message_ = not_converged_message(
            max_epochs=model.max_epochs, tol=model.tol, scales=feature_ranges(objective, X),
            separable=all_correct(model, objective, X, y_index), minibatch=batch is not None,
            solver=model.solver, auto_rate=isinstance(model.learning_rate, str))
        warnings.warn(model.stop_message_, ConvergenceWarning, stacklevel=2)
    elif model.stop_reason_ == "converged":
        model.stop_message_ = converged_message(model.tol,
                                                all_correct(model, objective, X, y_index))
    if stopping is not None and model.stop_reason_ in ("converged", "max_epochs",
                                                      "early_stopping"):
        publish(model, objective, stopping.best_theta)     # the best validation epoch
        model.best_epoch_ = stopping.best_epoch
        model.stop_message_ = (stopping.message(model.n_iter_)
                               if model.stop_reason_ == "early_stopping"
                               else f"{model.stop_message_} {stopping.kept()}")
