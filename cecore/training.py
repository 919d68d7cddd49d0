"""One training run, shared by ``pages/train.py`` and ``python -m cecore train``.

    DataFrame --prepare_data--> Prepared --TrainingRun--> one record per epoch
              --TrainingRun.evaluate--> Results (cecore.evaluation)
              --cecore.export--> model JSON, history and predictions CSV, summary

The settings are :class:`TrainConfig` (hyperparameters) and :class:`DataOptions` (how the
table becomes model input). A :class:`TrainingRun` can be advanced one epoch at a time,
paused between epochs (a Streamlit rerun) and stopped: its estimator is always fitted with
the last finished epoch.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

import numpy as np

from cecore.checks import check_fields, is_nonnegative_number, is_whole_number
from cecore.early_stopping import validation_split
from cecore.errors import DataError
from cecore.evaluation import evaluate_run
from cecore.hyperparameters import CLASS_WEIGHTS, check_hyperparameters
from cecore.models import LogisticRegressionGD, SoftmaxRegressionGD
from cecore.prepare import prepare
from cecore.prepare.options import DataOptions
from cecore.prepare.split import split_positions
from cecore.surface import theta_of
from cecore.trajectory import Trajectory

MODELS = ("auto", "logistic", "softmax")
MAX_EPOCHS = 100_000
MAX_VALIDATION_SHARE = 0.5


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one run.

    The defaults (Nesterov, the "auto" step: ``1/L`` adapted to the measured curvature,
    ``alpha = 0.01``) converge to ``tol`` on every
    bundled sample within 500 epochs. ``seed`` seeds the train/test split and the
    mini-batch order. ``validation_share`` of the training rows (stratified, seeded) are
    held out of training to fit the temperature of the probabilities (see
    :func:`cecore.probability_report.temperature_scaling`); the test rows never are.
    ``solver`` is one of :data:`cecore.hyperparameters.SOLVERS`. ``class_weight`` is None
    (every row counts once) or "balanced" (each class's rows weighted by ``n / (K *
    n_class)``, counted on the rows the model is fitted on, so every class carries the same
    total weight; the comparison with scikit-learn uses the same weights).
    ``early_stopping`` (with ``validation_fraction`` and ``n_iter_no_change``,
    ``SGDClassifier``'s meaning, :mod:`cecore.early_stopping`) holds out a stratified, seeded
    ``validation_fraction`` of the rows left for fitting (those outside the
    ``validation_share``: the two sets of held-out rows never overlap, and neither holds a
    test row), trains on the rest and stops when the loss on the held-out rows has not
    fallen by ``tol`` for ``n_iter_no_change`` epochs; the weights of the epoch with the
    lowest validation loss are kept.
    Invalid values raise ValueError naming the field.
    """

    model: str = "auto"
    learning_rate: float | str = "auto"
    epochs: int = 1000
    batch_size: int | None = None
    solver: str = "nesterov"
    alpha: float = 0.01
    tol: float = 1e-6
    seed: int = 0
    validation_share: float = 0.0
    class_weight: str | None = None
    early_stopping: bool = False
    validation_fraction: float = 0.1
    n_iter_no_change: int = 5

    def __post_init__(self):
        check_fields(self, {   # the page and the command offer no dict of class weights
            "class_weight": (self.class_weight is None or (isinstance(self.class_weight, str)
                                                           and self.class_weight in CLASS_WEIGHTS),
                             "None or " + " or ".join(map(repr, CLASS_WEIGHTS))),
        })
        check_hyperparameters(learning_rate=self.learning_rate, max_epochs=self.epochs,
                              batch_size=self.batch_size, alpha=self.alpha,
                              solver=self.solver, tol=self.tol, class_weight=self.class_weight,
                              early_stopping=self.early_stopping,
                              validation_fraction=self.validation_fraction,
                              n_iter_no_change=self.n_iter_no_change,
                              names={"max_epochs": "epochs"})
        check_fields(self, {
            "model": (self.model in MODELS, f"one of {', '.join(MODELS)}"),
            "epochs": (is_whole_number(self.epochs) and 1 <= self.epochs <= MAX_EPOCHS,
                       f"a whole number from 1 to {MAX_EPOCHS}"),
            "seed": (is_whole_number(self.seed) and 0 <= self.seed < 2**32,
                     "a whole number from 0 to 2**32 - 1"),
            "validation_share": (is_nonnegative_number(self.validation_share)
                                 and self.validation_share <= MAX_VALIDATION_SHARE,
                                 f"a fraction from 0 to {MAX_VALIDATION_SHARE}"),
        })


def prepare_data(df, target, features, options, seed):
    """:func:`cecore.prepare.prepare` with the options, the split seeded by the run's seed
    (the seed of the mini-batch order too); DataError on problems."""
    return prepare(df, target, features, **replace(options, random_state=seed).keywords())


def error_message(error, epochs_done):
    """What to say when an epoch raised ``error`` after ``epochs_done`` finished epochs."""
    what = ("there was not enough memory" if isinstance(error, MemoryError)
            else f"{type(error).__name__}: {error}")
    if epochs_done:
        return (f"Training stopped in epoch {epochs_done + 1} because {what}; the model of "
                f"epoch {epochs_done} is kept.")
    return f"Training stopped in its first epoch because {what}; there is no model."


def resolve_model(model, n_classes):
    """"logistic" or "softmax" for ``model`` on ``n_classes`` classes.

    "auto" is logistic (sigmoid, one weight vector) for two classes and softmax for more;
    "softmax" can be forced on two classes; "logistic" on more is a DataError.
    """
    if model == "auto":
        return "logistic" if n_classes == 2 else "softmax"
    if model == "logistic" and n_classes > 2:
        raise DataError(f"The target has {n_classes} classes, but logistic regression (sigmoid) "
                        "separates exactly two. Use the model 'auto' or 'softmax'.")
    return model


def build_estimator(config, kind):
    """The unfitted estimator of ``kind`` ("logistic" | "softmax") for ``config``."""
    cls = LogisticRegressionGD if kind == "logistic" else SoftmaxRegressionGD
    return cls(learning_rate=config.learning_rate, max_epochs=config.epochs,
               batch_size=config.batch_size, alpha=config.alpha, solver=config.solver,
               tol=config.tol, random_state=config.seed, class_weight=config.class_weight,
               early_stopping=config.early_stopping,
               validation_fraction=config.validation_fraction,
               n_iter_no_change=config.n_iter_no_change)


class TrainingRun:
    """One training run: its data, estimator, records so far and the epochs still to come.

    ``status`` is "running", then "converged", "max_epochs", "diverged", "early_stopping"
    (the estimator's ``stop_reason_``) or "stopped" (by :meth:`stop`, or by an error inside
    an epoch: the model of the last finished epoch is kept); ``message`` says it in words.
    ``X_fit`` / ``y_fit`` are the training rows outside the validation share;
    ``trained_positions`` (into them) the rows the estimator trains on: all of them, or
    with ``early_stopping`` those outside its ``validation_fraction``.
    ``compute_seconds`` counts only the time spent inside the epochs, not in the consumer.
    :meth:`step` and :meth:`stop` may be called from different threads (a Streamlit session
    can start a new script thread while the old one finishes an epoch).
    """

    def __init__(self, prepared, config, options=None, frame=None):
        self.prepared = prepared
        self.config = config
        self.options = DataOptions() if options is None else options
        self.frame = frame
        self.kind = resolve_model(config.model, len(prepared.classes))
        self.estimator = build_estimator(config, self.kind)
        self.history = []
        #: the packed weights after each epoch, evenly thinned to a memory budget (the path
        #: drawn on the loss surface)
        self.trajectory = Trajectory()
        self.status = "running"
        self.message = ""
        self.compute_seconds = 0.0
        self._results = None
        self._lock = threading.Lock()
        self.fit_positions, self.validation_positions = split_positions(
            prepared.y_train, prepared.classes, config.validation_share, config.seed,
            parts=("fitted", "validation"), setting="validation share")
        # the rows the model is fitted on (all training rows without a validation share),
        # and the training rows held out of fitting
        X, y = prepared.X_train, prepared.y_train
        held_out = len(self.validation_positions) > 0
        self.X_fit = X[self.fit_positions] if held_out else X
        self.y_fit = y[self.fit_positions] if held_out else y
        self.X_validation = X[self.validation_positions]
        self.y_validation = y[self.validation_positions]
        self.trained_positions = np.arange(len(self.y_fit))
        if config.early_stopping:   # the estimator's own split of the rows it is given
            self.trained_positions = validation_split(
                self.y_fit, config.validation_fraction, config.seed)[0]
        has_test = len(prepared.y_test) > 0
        # fit_iter validates now, so bad settings fail before the first epoch
        self._epochs = self.estimator.fit_iter(
            self.X_fit, self.y_fit,
            X_val=prepared.X_test if has_test else None,
            y_val=prepared.y_test if has_test else None,
        )

    @property
    def running(self):
        return self.status == "running"

    @property
    def last(self):
        """The last finished epoch's record, or None before the first."""
        return self.history[-1] if self.history else None

    @property
    def kept_record(self):
        """The record of the weights the estimator holds: the best validation epoch's when
        early stopping restored it (``best_epoch``), else the last one's."""
        best = self.best_epoch
        return self.history[best - 1] if best is not None else self.last

    @property
    def best_epoch(self):
        """With early stopping, once training has ended by itself: the epoch whose weights
        were kept (the lowest validation loss); else None."""
        return getattr(self.estimator, "best_epoch_", None)

    def trained_rows(self):
        """``(X, y)`` of the rows the estimator trained on (see ``trained_positions``)."""
        if len(self.trained_positions) == len(self.y_fit):
            return self.X_fit, self.y_fit
        return self.X_fit[self.trained_positions], self.y_fit[self.trained_positions]

    def step(self):
        """Train one epoch and return its record; None when training has ended."""
        with self._lock:
            if not self.running:
                return None
            started = time.perf_counter()
            try:
                record = next(self._epochs)
            except StopIteration:
                self.status = self.estimator.stop_reason_
                self.message = self.estimator.stop_message_
                return None
            except Exception as error:  # MemoryError too: the run ends, its model is kept
                self.status = "stopped"
                self.message = error_message(error, len(self.history))
                return None
            finally:
                self.compute_seconds += time.perf_counter() - started
            self.history.append(record)
            self.trajectory.add(record["epoch"], theta_of(
                self.estimator.coef_, self.estimator.intercept_, self.kind == "softmax"))
            return record

    def records(self):
        """Yield each new record until training ends; resumable after an interruption."""
        while (record := self.step()) is not None:
            yield record

    def stop(self):
        """End training now; the estimator keeps the weights of the last finished epoch."""
        with self._lock:
            if not self.running:
                return
            self._epochs.close()
            self.status = "stopped"
            self.message = (self.estimator.stop_message_ if self.history  # "Stopped after..."
                            else "Stopped before the first epoch finished.")

    @property
    def usable(self):
        """Whether the run has a model to evaluate: it ended after at least one epoch."""
        return not self.running and bool(self.history)

    def evaluate(self):
        """The :class:`Results` of the finished run (computed once; needs :attr:`usable`)."""
        if self._results is None:
            if not self.usable:
                raise ValueError("Nothing to evaluate: the run has not finished an epoch.")
            self._results = evaluate_run(self)
        return self._results

    def class_names(self):
        return [str(c) for c in self.prepared.classes]
