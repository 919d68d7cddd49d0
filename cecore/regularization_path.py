"""The regularisation path: the model at every alpha of a log-spaced grid, with warm starts.

For each ``alpha`` of a decreasing grid the estimator minimises

    J_alpha(W, b) = sum_i w_i CE_i / sum(w) + alpha / 2 * ||W||^2

to a tight gradient tolerance, starting from the weights of the previous (larger) alpha
(``warm_start=True``: the optimum moves little from one grid point to the next, so each fit
starts close to its own), from the third alpha on extrapolated from the previous two
(:meth:`PathTracer._predicted`; measured at tol 1e-8 over 19 alphas and six decades, in
epochs: cold starts 3044 / 3783 / 19609 on breast cancer / wine / 60 x 20,000 random
features, the previous weights 2735 / 3009 / 17167, extrapolated 2474 / 2465 / 11710). This is ``LogisticRegression(C = 1 / (alpha * n))`` with ``n =
sum(w)``, the fitted rows' total weight (:func:`cecore.compare.sklearn_C`: ``2 / (alpha *
n)`` for softmax on two classes). At every alpha the path records the weights and the log
loss (``sklearn.metrics.log_loss``: the plain mean of ``-log p_true``, clipped the same way)
on the fitted rows, on validation rows held out of fitting (which choose the best alpha: the
lowest validation loss, the largest alpha on a tie) and on the test rows (shown, never used
to choose).

:class:`PathTracer` computes it one epoch per step (a page takes turns with other trainings
and can stop between steps); :func:`regularization_path` runs it to the end;
:func:`path_for_run` sets it up for a :class:`cecore.training.TrainingRun`.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from cecore.compare import sklearn_C
from cecore.losses import cross_entropy
from cecore.models import DivergenceWarning
from cecore.objective import BinaryObjective, MultinomialObjective
from cecore.prepare.split import split_positions
from cecore.training import build_estimator
from cecore.weights import training_weights

__all__ = ["PATH_MAX_EPOCHS", "PATH_TOL", "PATH_VALIDATION_SHARE", "PathTracer",
           "RegularizationPath", "alpha_grid", "path_for_run", "regularization_path"]

#: The gradient-norm tolerance of each fit along the path (the estimators' default is 1e-6).
PATH_TOL = 1e-8
#: At most this many epochs per alpha: a bound on the path's time on any table. An alpha
#: that needs more is drawn with its last weights and marked as not converged.
PATH_MAX_EPOCHS = 3000
#: Without a validation share, the path holds out this share of the fitted rows.
PATH_VALIDATION_SHARE = 0.2
#: The grid: this many alphas over this many decades, from TOP_FACTOR times the loss's
#: curvature bound down.
N_ALPHAS, DECADES, TOP_FACTOR = 19, 6, 10.0


def nice(value):
    """``value`` rounded to 3 significant digits (a number a person can type and a URL can
    hold exactly)."""
    return float(f"{value:.3g}")


def alpha_grid(X, y_index, n_classes, *, multinomial, sample_weight=None, n_alphas=N_ALPHAS,
               decades=DECADES, include=None, largest=None):
    """A decreasing grid of alphas, ``(n_alphas - 1) / decades`` to a decade (log-spaced),
    each rounded to 3 significant digits.

    It spans ``decades`` decades down from ``TOP_FACTOR * L0``, ``L0 = curvature *
    lambda_max([X 1]^T diag(w) [X 1])`` the largest curvature of the mean loss (the
    Lipschitz constant of its gradient at alpha 0, :meth:`cecore.objective._LinearObjective.
    lipschitz_constant`): at the top the penalty is ten times stiffer than the loss in every
    direction and the weights are nearly zero; at the bottom the penalty hardly matters on
    standardised features. ``include`` (an alpha > 0: the run's) is one of the points, as
    given, and the grid is shifted (and widened, if it lies outside) to hold it;
    ``largest`` drops the points above it (a page's widget maximum).
    """
    cls = MultinomialObjective if multinomial else BinaryObjective
    loss_curvature = cls(X, y_index, sample_weight, n_classes=n_classes).lipschitz_constant()
    top = math.log10(TOP_FACTOR * loss_curvature)
    bottom = top - decades
    step = decades / (n_alphas - 1)
    anchor = top if include is None or include <= 0 else math.log10(include)
    highest = max(math.ceil((top - anchor) / step - 1e-9), 0)
    lowest = min(math.floor((bottom - anchor) / step + 1e-9), 0)
    grid = [anchor + k * step for k in range(highest, lowest - 1, -1)]
    alphas = np.array([float(include) if math.isclose(g, anchor) and include else nice(10 ** g)
                       for g in grid])
    if largest is not None:
        alphas = alphas[alphas <= largest]
    return alphas


@dataclass(frozen=True)
class RegularizationPath:
    """The fitted models along a grid of alphas (decreasing), one entry per alpha.

    ``C`` is sklearn's ``C`` of each alpha for the ``n_fit`` (total weight of the) fitted
    rows; ``coef`` is (m, K', d) and ``intercept`` (m, K') with K' = 1 for logistic
    regression; ``epochs`` the epochs each fit took from its warm start, ``converged``
    whether it reached ``tol`` within ``max_epochs``, ``objective`` its final objective.
    Losses are log loss (plain means) on the fitted, validation and test rows
    (``test_loss`` None without test rows).
    """

    alphas: np.ndarray
    C: np.ndarray
    n_fit: float
    train_loss: np.ndarray
    validation_loss: np.ndarray
    test_loss: np.ndarray | None
    objective: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    epochs: np.ndarray
    converged: np.ndarray
    seconds: float
    tol: float
    n_validation: int
    n_test: int

    @property
    def best_index(self):
        """The alpha of lowest validation loss (the largest such alpha on a tie)."""
        return int(np.argmin(self.validation_loss))

    @property
    def best_alpha(self):
        return float(self.alphas[self.best_index])

    @property
    def best_at_an_end(self):
        """Whether the best alpha is the grid's largest or smallest (the optimum may lie
        beyond the grid)."""
        return self.best_index in (0, len(self.alphas) - 1)


class PathTracer:
    """The path computed one epoch per step of :meth:`steps` (resumable: a new call goes on
    where the last one stopped); :attr:`done` once every alpha is fitted, then
    :meth:`result` (the rows are then let go).

    ``estimator`` gives the model (its class, ``class_weight``, ``dtype``); the path fits a
    clone with full-batch Nesterov, the "auto" step, ``warm_start=True``, ``tol`` and
    ``max_epochs`` (the optimum of each alpha does not depend on the solver; this one gets
    there fastest). ``alphas`` are fitted from the largest to the smallest.
    ``warm_start=False`` fits every alpha from zero weights instead (for comparison).
    """

    def __init__(self, estimator, X, y, alphas, *, X_validation, y_validation, X_test=None,
                 y_test=None, sample_weight=None, tol=PATH_TOL, max_epochs=PATH_MAX_EPOCHS,
                 warm_start=True):
        alphas = np.sort(np.asarray(alphas, dtype=np.float64))[::-1]
        if alphas.ndim != 1 or not alphas.size or not np.all(np.isfinite(alphas)) \
                or alphas[-1] <= 0:
            raise ValueError("alphas must be a non-empty list of finite numbers > 0.")
        if not len(y_validation):
            raise ValueError("The regularisation path needs validation rows to choose alpha.")
        self.model = clone(estimator).set_params(
            solver="nesterov", learning_rate="auto", batch_size=None, early_stopping=False,
            warm_start=bool(warm_start), tol=tol, max_epochs=max_epochs)
        self.alphas, self.tol = alphas, float(tol)
        self.X, self.y, self.sample_weight = X, np.asarray(y), sample_weight
        self.validation = (X_validation, np.asarray(y_validation))
        self.test = None if y_test is None or not len(y_test) else (X_test, np.asarray(y_test))
        self.points = []
        self.seconds = 0.0
        self._steps = None
        self._result = None

    @property
    def done(self):
        return len(self.points) == len(self.alphas)

    @property
    def progress(self):
        """The share of the alphas fitted so far, from 0 to 1."""
        return len(self.points) / len(self.alphas)

    def steps(self):
        """Yield ``(alpha_index, epoch)`` after every epoch until the path is done."""
        if self._steps is None:
            self._steps = self._fit_all()
        yield from self._steps

    def _fit_all(self):
        model = self.model
        for i in range(len(self.points), len(self.alphas)):
            started = time.perf_counter()
            if i >= 2 and model.warm_start:
                model.coef_, model.intercept_ = self._predicted(i)
            model.set_params(alpha=float(self.alphas[i]))
            epochs = model.fit_iter(self.X, self.y, self.sample_weight)
            self.seconds += time.perf_counter() - started
            while True:
                started = time.perf_counter()
                with warnings.catch_warnings():  # a point short of tol is marked, not warned
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    warnings.simplefilter("ignore", DivergenceWarning)
                    record = next(epochs, None)
                self.seconds += time.perf_counter() - started
                if record is None:
                    break
                yield i, record["epoch"]
            started = time.perf_counter()
            self.points.append(self._point(model))
            self.seconds += time.perf_counter() - started
        self._result = self._assemble()
        # the rows are no longer needed: a page keeps the tracer, not copies of its table
        self.X = self.y = self.sample_weight = self.validation = self.test = None

    def _predicted(self, i):
        """The warm start of alpha ``i``: the last two optima extrapolated along the line
        through them in log alpha, ``theta_{i-1} + t (theta_{i-1} - theta_{i-2})`` with ``t
        = log(a_i / a_{i-1}) / log(a_{i-1} / a_{i-2})`` (a secant predictor, as
        path-following methods use)."""
        older, last = self.points[i - 2], self.points[i - 1]
        a = np.log(self.alphas[i - 2:i + 1])
        t = (a[2] - a[1]) / (a[1] - a[0])
        return tuple(last[key] + t * (last[key] - older[key]) for key in ("coef", "intercept"))

    def _loss(self, rows):
        X, y = rows
        index = np.searchsorted(self.model.classes_, y)
        return float(cross_entropy(index, self.model.predict_proba(X)))

    def _point(self, model):
        last = model.history_[-1] if model.history_ else {"objective": math.nan}
        return {
            "train_loss": self._loss((self.X, self.y)),
            "validation_loss": self._loss(self.validation),
            "test_loss": None if self.test is None else self._loss(self.test),
            "objective": float(last["objective"]),
            "coef": model.coef_.copy(), "intercept": model.intercept_.copy(),
            "epochs": model.n_iter_, "converged": model.stop_reason_ == "converged",
        }

    def n_fit(self):
        """The fitted rows' total weight ``sum_i s_i c[y_i]`` (needs a fitted point)."""
        model = self.model
        index = np.searchsorted(model.classes_, self.y)
        weights = model.class_weight_[index]
        if self.sample_weight is not None:
            weights = weights * np.asarray(self.sample_weight, dtype=np.float64)
        return float(weights.sum())

    def result(self):
        """The :class:`RegularizationPath` (needs :attr:`done`)."""
        if self._result is None:
            raise ValueError("The path is not finished: run steps() to the end first.")
        return self._result

    def _assemble(self):
        n = self.n_fit()
        binary_softmax = self.model.coef_.shape[0] == 2 and len(self.model.classes_) == 2
        column = {key: [p[key] for p in self.points] for key in self.points[0]}
        return RegularizationPath(
            alphas=self.alphas,
            C=np.array([sklearn_C(a, n, binary_softmax=binary_softmax) for a in self.alphas]),
            n_fit=n,
            train_loss=np.array(column["train_loss"]),
            validation_loss=np.array(column["validation_loss"]),
            test_loss=None if self.test is None else np.array(column["test_loss"]),
            objective=np.array(column["objective"]),
            coef=np.stack(column["coef"]), intercept=np.stack(column["intercept"]),
            epochs=np.array(column["epochs"]), converged=np.array(column["converged"]),
            seconds=self.seconds, tol=self.tol, n_validation=len(self.validation[1]),
            n_test=0 if self.test is None else len(self.test[1]))


def regularization_path(estimator, X, y, alphas, **rows_and_settings):
    """:class:`PathTracer` run to the end: the :class:`RegularizationPath` (keywords as
    :class:`PathTracer`: ``X_validation``, ``y_validation`` required)."""
    tracer = PathTracer(estimator, X, y, alphas, **rows_and_settings)
    for _ in tracer.steps():
        pass
    return tracer.result()


def path_for_run(run, *, n_alphas=N_ALPHAS, largest=None, tol=PATH_TOL,
                 max_epochs=PATH_MAX_EPOCHS):
    """A :class:`PathTracer` for a :class:`cecore.training.TrainingRun`'s data and model.

    The rows: with a validation share, the run's fitted rows are fitted and its validation
    rows choose alpha; without one, :data:`PATH_VALIDATION_SHARE` of the fitted rows are
    held out (stratified, seeded by the run's seed, like the validation share). Never the
    test rows, whose loss is drawn. Early stopping plays no part: each alpha is fitted to
    its minimum. The grid (:func:`alpha_grid`) holds the run's alpha.
    """
    p = run.prepared
    if len(run.y_validation):
        X, y = run.X_fit, run.y_fit
        X_validation, y_validation = run.X_validation, run.y_validation
    else:
        fit, held = split_positions(run.y_fit, p.classes, PATH_VALIDATION_SHARE,
                                    run.config.seed, parts=("fitted", "validation"),
                                    setting="regularisation path's validation share")
        X, y = run.X_fit[fit], run.y_fit[fit]
        X_validation, y_validation = run.X_fit[held], run.y_fit[held]
    estimator = build_estimator(run.config, run.kind)
    weights = None
    if run.config.class_weight is not None:      # the grid's curvature with the run's weights
        weights = training_weights(None, run.config.class_weight, p.classes, y)[0]
    alphas = alpha_grid(X, y, len(p.classes), multinomial=run.kind == "softmax",
                        sample_weight=weights, n_alphas=n_alphas, include=run.config.alpha,
                        largest=largest)
    return PathTracer(estimator, X, y, alphas, X_validation=X_validation,
                      y_validation=y_validation, X_test=p.X_test, y_test=p.y_test, tol=tol,
                      max_epochs=max_epochs)
