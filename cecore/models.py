"""Logistic and softmax regression trained by vectorized gradient descent.

Both estimators minimise the same objective as scikit-learn's ``LogisticRegression``:

    objective(W, b) = sum_i w_i CE(y_i, X_i W + b) / sum_i w_i  +  alpha / 2 * ||W||^2

with row weights ``w_i = s_i * c[y_i]`` (sample weights ``s``, ones by default, times the
class weights ``c`` of ``class_weight``, :mod:`cecore.weights`) and an unpenalised intercept
``b``. This is ``LogisticRegression(class_weight=..., C=1 / (alpha * sum(w)))``; ``alpha = 0``
is ``C = np.inf``.

* :class:`LogisticRegressionGD`: two classes, one weight vector, ``p = sigmoid(Xw + b)``.
* :class:`SoftmaxRegressionGD`: K >= 2 classes, K weight vectors, ``P = softmax(XW + b)``.

Training is a generator (:meth:`fit_iter`) that yields one record per epoch, so a page can
draw the loss live and stop at any epoch; :meth:`fit` runs it to the end.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from cecore.early_stopping import EarlyStopping, hold_out
from cecore.epochs import FEATURE_ATTRIBUTES, publish, swap_feature_attributes, train_epochs
from cecore.hyperparameters import check_hyperparameters
from cecore.incremental import (
    BALANCED_MESSAGE,
    IncrementalState,
    label_index,
    partial_fit_classes,
)
from cecore.objective import BinaryObjective, MultinomialObjective
from cecore.prediction import LinearClassifierOutputs
from cecore.stop_messages import DivergenceWarning, diverged_message
from cecore.weights import training_weights

__all__ = ["LogisticRegressionGD", "SoftmaxRegressionGD", "DivergenceWarning"]


def encode_labels(y):
    """``np.unique(y, return_inverse=True)``: the sorted classes and each label's index.

    Integer labels that span a range no wider than their number (or 1024) are counted
    (``bincount``) instead of sorted: 1.7 ms against 9 ms for 200,000 labels.
    """
    if y.dtype.kind in "iu" and y.size:
        low, high = y.min(), y.max()
        if int(high) - int(low) <= max(1024, y.size):
            # 0 <= y - low <= high - low, computed in intp (int8 labels -100 and 100 would
            # wrap around in their own dtype; uint64 ones wrap consistently in intp)
            offsets = np.subtract(y, low, dtype=np.intp, casting="unsafe")
            present = np.flatnonzero(np.bincount(offsets))
            index_of = np.empty(int(high) - int(low) + 1, dtype=np.intp)
            index_of[present] = np.arange(len(present))
            classes = np.add(present, low, dtype=y.dtype, casting="unsafe")
            return classes, index_of[offsets]
    return np.unique(y, return_inverse=True)




class _GradientDescentClassifier(LinearClassifierOutputs, ClassifierMixin, BaseEstimator):
    """Shared machinery: validation, ``fit_iter`` (its loop: :mod:`cecore.epochs`),
    ``partial_fit`` (:mod:`cecore.incremental`); prediction (:mod:`cecore.prediction`)."""

    _multinomial = False

    def __init__(self, learning_rate="auto", max_epochs=1000, batch_size=None, alpha=0.0,
                 solver="gd", tol=1e-6, random_state=None, class_weight=None,
                 dtype="float64", early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, warm_start=False):
        self.learning_rate = learning_rate
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.alpha = alpha
        self.solver = solver
        self.tol = tol
        self.random_state = random_state
        self.class_weight = class_weight
        self.dtype = dtype
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None):
        """Run :meth:`fit_iter` to the end and return the fitted estimator."""
        for _ in self.fit_iter(X, y, sample_weight):
            pass
        return self

    def fit_iter(self, X, y, sample_weight=None, X_val=None, y_val=None):
        """Validate the data now and return a generator that trains one epoch per step.

        Each step yields a record ``{"epoch", "loss", "val_loss", "objective", "grad_norm",
        "learning_rate", "seconds"}`` (``seconds``: training time so far, without the time
        the consumer held each record) where ``loss`` is the mean cross-entropy on the
        training data, weighted by ``w_i = s_i * c[y_i]``, at the weights after that epoch,
        and ``val_loss`` the plain (unweighted) mean cross-entropy on ``X_val`` (with
        ``early_stopping`` and no ``X_val``: the early-stopping validation loss, on the
        held-out rows and weighted like the training loss; None without either). The
        estimator is fitted with those weights before the record is yielded, so closing the
        generator at any point leaves it fitted with the last finished epoch
        (``stop_reason_ = "stopped"``). With ``early_stopping``, a run that ends by itself
        (early stopping, convergence, ``max_epochs``) restores the weights of the epoch of
        lowest validation loss, ``best_epoch_`` (:mod:`cecore.early_stopping`); ``loss``,
        ``objective`` and ``grad_norm`` are then those of the rows it trained on.

        Validation changes nothing on the estimator: the new fit's ``classes_``,
        ``n_features_in_`` and weights are all set when the generator first runs (the
        weights of epoch 0: zero, with the intercept of the class frequencies). A generator
        closed before that leaves the estimator as it was, fitted or not.
        """
        self._check_params()
        if hasattr(X, "__dask_graph__"):           # a Dask collection: cecore.distributed
            return self._fit_iter_dask(X, y, sample_weight, X_val, y_val)
        before = {k: v for k, v in vars(self).items() if k in FEATURE_ATTRIBUTES}
        try:    # validate_data(reset=True) sets them: they wait for the first epoch
            X, y = validate_data(self, X, y, dtype=np.dtype(self.dtype), order="C")
            y = column_or_1d(y, warn=True)
            if y.dtype.kind not in "iu":  # 1-d integers are always binary or multiclass
                check_classification_targets(y)
            classes, y_index = encode_labels(y)
            self._check_classes(classes, "in the data")
            sw, class_weight = self._weights(sample_weight, classes, y_index)
            # Classes present only with zero weight still count as classes (sklearn does so).
            val = None
            if X_val is not None:
                X_val = validate_data(self, X_val, reset=False, dtype=np.dtype(self.dtype),
                                      order="C")
                y_val_index = np.searchsorted(classes, np.asarray(y_val))
                y_val_index = np.clip(y_val_index, 0, len(classes) - 1)
                if not np.array_equal(classes[y_val_index], np.asarray(y_val)):
                    raise ValueError("y_val contains labels that are not in the training data.")
                val = (X_val, y_val_index)
            held = None
            if self.early_stopping:
                (X, y_index, sw), held = hold_out(X, y_index, sw, self.validation_fraction,
                                                  self.random_state)
        finally:
            fitted = swap_feature_attributes(self, before)

        def objectives():       # built when the first epoch starts
            n_classes = len(classes)
            stopping = None if held is None else EarlyStopping(
                self._make_objective(*held, n_classes), self.tol, self.n_iter_no_change,
                self.validation_fraction)
            return (self._make_objective(X, y_index, sw, n_classes),
                    None if val is None else self._make_objective(*val, None, n_classes),
                    stopping)

        return train_epochs(self, X, y_index, objectives,
                            {**fitted, "classes_": classes, "class_weight_": class_weight})

    def _fit_iter_dask(self, X, y, sample_weight, X_val, y_val):
        """:meth:`fit_iter` on Dask collections: every epoch on the cluster, X never
        gathered (:mod:`cecore.distributed`, imported only here)."""
        from cecore.distributed import dask_fit

        X, objective, val_objective, fitted = dask_fit(
            self, X, y, sample_weight, X_val, y_val, multinomial=self._multinomial,
            check_classes=self._check_classes)
        return train_epochs(self, X, objective.y, lambda: (objective, val_objective, None),
                            fitted)

    def _check_params(self):
        check_hyperparameters(learning_rate=self.learning_rate, max_epochs=self.max_epochs,
                              batch_size=self.batch_size, alpha=self.alpha, solver=self.solver,
                              tol=self.tol, dtype=self.dtype, class_weight=self.class_weight,
                              early_stopping=self.early_stopping,
                              validation_fraction=self.validation_fraction,
                              n_iter_no_change=self.n_iter_no_change,
                              warm_start=self.warm_start)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one epoch on the block ``(X, y)``, from where the last call (or ``fit``) ended.

        sklearn's incremental convention (:mod:`cecore.incremental`): ``classes`` (every
        label the blocks may hold) is required on the first call and may be repeated, the
        same, on later ones; ``classes_`` are those classes even if a block lacks some; the
        number of features (and their names) is fixed by the first call. One epoch is one
        step along the block's gradient, or one per shuffled mini-batch of ``batch_size``
        rows. The step can only shrink from call to call: ``min(previous, start)`` with
        ``start`` = ``1/L`` of the block ("auto"; ``1/L(b)`` with mini-batches) or
        ``learning_rate``, and it halves after a mini-batch epoch that ended above where it
        began on its block. Nesterov's momentum (and Adam's moments) carry over from block
        to block, like from mini-batch to mini-batch in ``fit``. ``max_epochs`` and ``tol``
        do not apply: the caller decides how many blocks to feed, and ``early_stopping``
        neither (every row of a block is trained on). ``class_weight`` may be a dict, not
        "balanced" (one block's class frequencies are not the data's).

        Each call appends one record to ``history_`` (``loss``, ``objective``,
        ``grad_norm`` on the block after its epoch; ``val_loss`` None) and counts one in
        ``n_iter_``; ``stop_reason_`` is "partial_fit". A diverging epoch is rolled back
        with a :class:`DivergenceWarning` (``stop_reason_ = "diverged"``, no record).
        ``fit`` starts over: it forgets the incremental state.
        """
        started = time.perf_counter()
        self._check_params()
        if isinstance(self.class_weight, str):
            raise ValueError(BALANCED_MESSAGE)
        classes, first = partial_fit_classes(getattr(self, "classes_", None), classes)
        X, y = validate_data(self, X, y, reset=first, dtype=np.dtype(self.dtype), order="C")
        y = column_or_1d(y, warn=True)
        if y.dtype.kind not in "iu":
            check_classification_targets(y)
        self._check_classes(classes, "in classes")
        y_index = label_index(classes, y)
        sw, class_weight = self._weights(sample_weight, classes, y_index)
        objective = self._make_objective(X, y_index, sw, len(classes))
        state = None if first else vars(self).get("_incremental")
        if first:
            theta = objective.initial()
            vars(self).update(classes_=classes, history_=[], n_iter_=0)
        else:
            theta = objective.pack(self.coef_, self.intercept_)
        if state is None or state.solver != self.solver:
            state = IncrementalState(self.solver, theta, self.random_state)
        self._incremental, self.class_weight_ = state, class_weight
        self.best_epoch_ = None                         # no early stopping here
        n = X.shape[0]
        batch = None if self.batch_size is None or self.batch_size >= n else int(self.batch_size)
        theta, values, what = state.epoch(objective, theta, self.learning_rate, batch)
        publish(self, objective, theta)
        if what is not None:
            self.stop_reason_ = "diverged"
            self.stop_message_ = diverged_message(self.n_iter_ + 1, state.lr, what,
                                                  kept="call")
            warnings.warn(self.stop_message_, DivergenceWarning, stacklevel=2)
            return self
        self.n_iter_ += 1
        before = self.history_[-1]["seconds"] if self.history_ else 0.0
        self.history_.append({"epoch": self.n_iter_, "val_loss": None, **values,
                              "seconds": before + time.perf_counter() - started})
        self.stop_reason_ = "partial_fit"
        self.stop_message_ = (f"Epoch {self.n_iter_} by partial_fit on a block of {n} rows "
                              f"(gradient norm on the block {values['grad_norm']:.3g}).")
        return self

    def _weights(self, sample_weight, classes, y_index):
        """``(w, c)``: the row weights and class weights (:func:`cecore.weights.
        training_weights`); ValueError when no row would count."""
        sw, class_weight = training_weights(sample_weight, self.class_weight, classes, y_index)
        if not sw.sum() > 0:
            raise ValueError("The sample weights (times the class weights) sum to zero: "
                             "no sample would count.")
        return sw, class_weight

    def _check_classes(self, classes, where):
        """At least two classes, and no more than the estimator models."""
        self._check_target(classes)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes {where}, "
                f"but the data contains only one class: {classes[0]!r}."
            )

    def _check_target(self, classes):
        """Hook for the binary-only estimator (``y`` is binary or multiclass: it passed
        ``check_classification_targets``, or is 1-d integers)."""

    def _make_objective(self, X, y_index, sample_weight, n_classes=None):
        cls = MultinomialObjective if self._multinomial else BinaryObjective
        n_classes = len(self.classes_) if n_classes is None else n_classes
        return cls(X, y_index, sample_weight, n_classes=n_classes, alpha=self.alpha)



class LogisticRegressionGD(_GradientDescentClassifier):
    """Binary logistic regression: ``P(y = 1 | x) = sigmoid(x . beta + b)``, fitted by GD.

    Minimises ``sum_i w_i [softplus(z_i) - y_i z_i] / sum(w) + alpha/2 ||beta||^2`` with
    ``z = X beta + b`` and row weights ``w_i = s_i * c[y_i]`` (sample weight times class
    weight): sklearn's ``LogisticRegression(class_weight=..., C=1/(alpha*sum(w)))`` objective.

    Parameters
    ----------
    learning_rate : float or "auto", default="auto"
        Step size (each record's ``learning_rate`` is the step that epoch took). Full batch:
        "auto" is ``1/L`` with ``L = lambda_max([X 1]^T S [X 1]) / (4 sum(w)) + alpha`` the
        Lipschitz constant of the objective's gradient (``S = diag(w)``, the row weights),
        a step that cannot diverge; with ``solver="nesterov"`` it then adapts every epoch to
        the curvature measured along the last step, within ``[1/L, 30/L]``. Mini-batches of
        ``b`` rows: "auto" starts at ``1/L(b)``, ``L(b) = n(b-1)/(b(n-1)) L + (n-b)/(b(n-1))
        L_max`` with ``L_max = max_i (||x_i||^2 + 1) / 4 + alpha`` the one-row bound
        (:mod:`cecore.steps`), and any mini-batch step halves after every epoch whose
        objective ended higher than it began. ``solver="adam"``: "auto" is the fixed 0.1
        (:data:`cecore.steps.ADAM_LEARNING_RATE`), a length in the parameters that suits
        standardized features (Adam moves each coordinate by about that much whatever the
        gradient's scale, so ``1/L`` says nothing about it): on standardized breast cancer,
        wine, iris and digits it came within 1e-3 of lbfgs's objective in 77-89 epochs
        (alpha=0.01; 0.01 took 315-964, 0.03 100-324) and reached ``tol=1e-6`` in 228-258;
        larger steps were no faster and overshot. On unscaled features standardize, or give
        a step of the order of the coefficients' size. Mini-batch Adam halves its step like
        the others (after 30 epochs of 32-row batches that left it 2e-4 to 2e-3 above the
        optimum on those tables, against 5e-3 to 1.3 at a constant step).
    max_epochs : int, default=1000
        Passes over the training data.
    batch_size : int or None, default=None
        None: full-batch gradient descent. An int: shuffled mini-batches of that size,
        reproducible with ``random_state`` (at least ``n``: full batches).
    alpha : float, default=0.0
        L2 penalty ``alpha/2 ||beta||^2`` (the intercept is not penalised).
    solver : {"gd", "nesterov", "adam"}, default="gd"
        Plain gradient descent; Nesterov's accelerated gradient with adaptive restart
        (the momentum is dropped when a step goes against the gradient, and with the
        full-batch "auto" rate also when the objective rises); or Adam (Kingma and Ba 2015:
        ``beta1 = 0.9``, ``beta2 = 0.999``, ``eps = 1e-8``, bias-corrected moments,
        :mod:`cecore.optimizers`), full batch or mini-batch. The divergence check and the
        ``tol`` stop apply to every solver.
    tol : float, default=1e-6
        Stop when the Euclidean norm of the objective's gradient is at most ``tol``: the
        gradient on all the training data at the end of the epoch, with mini-batches too
        (which reach a small ``tol`` only as their step shrinks).
    random_state : int, RandomState or None, default=None
        Seeds the mini-batch shuffling.
    class_weight : None, "balanced" or dict, default=None
        Multiplies each row's sample weight by its class's weight, as sklearn does: None is
        1 for every class; "balanced" is ``sum(s) / (K * sum of s over the class)``
        (``n / (K * bincount(y))`` without sample weights), so that each class carries the
        same total weight; a dict ``{label: weight}`` gives those weights (1 for labels it
        leaves out). The step sizes and the starting intercept use the combined weights
        (normalised by their sum, so only their ratios matter).
    dtype : {"float64", "float32"}, default="float64"
        The precision of X during training. "float32" halves the memory and the bytes read
        per epoch; the weights, the step and every sum over row blocks stay float64. On
        standardized data the objective then agrees with float64 training to about 1e-6
        relative and the weights to about 1e-4; on unscaled data the float32 gradient has a
        higher floor (3e-5 of its starting size was seen) and the weights differ more: use
        a ``tol`` above that floor, or standardize.
    early_stopping : bool, default=False
        ``SGDClassifier``'s early stopping (:mod:`cecore.early_stopping`): hold out a
        stratified ``validation_fraction`` of the training rows (seeded by
        ``random_state``), train on the others, and stop when the validation loss (the
        weighted mean cross-entropy on the held-out rows) has not fallen by at least ``tol``
        for ``n_iter_no_change`` epochs in a row; the weights of the epoch with the lowest
        validation loss are restored (``best_epoch_``), also when training ends by
        converging or after ``max_epochs``. The records' ``val_loss`` is that loss unless
        ``X_val`` is given to :meth:`fit_iter`. :meth:`partial_fit` does not stop early: it
        trains on every row it gets.
    validation_fraction : float, default=0.1
        The share of the training rows held out for early stopping (``ceil(fraction * n)``
        rows, every class on both sides), strictly between 0 and 1.
    n_iter_no_change : int, default=5
        Epochs in a row without an improvement of at least ``tol`` before early stopping.
    warm_start : bool, default=False
        sklearn's meaning: True starts :meth:`fit` (and :meth:`fit_iter`) from the weights
        of the previous fit, when it had the same classes and number of features (else
        from zero weights, as False always does); the step size, momentum and history
        start afresh. A path over alpha (:mod:`cecore.regularization_path`) uses it.

    Attributes
    ----------
    classes_, class_weight_ (K,: each class's weight, ones without class_weight), coef_
    (1, d), intercept_ (1,), n_iter_ (the epochs run), n_features_in_, history_ (one record
    per epoch), stop_reason_ ("running" during :meth:`fit_iter`, then "converged",
    "max_epochs", "diverged", "early_stopping", or "stopped": the generator was closed;
    "partial_fit" after a :meth:`partial_fit` call), stop_message_, best_epoch_ (with
    early_stopping: the epoch whose weights were restored, ``history_[best_epoch_ - 1]`` its
    record; else None).
    """

    def _check_target(self, classes):
        if len(classes) > 2:
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"multiclass ({len(classes)} classes); use SoftmaxRegressionGD for more than "
                "two classes."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


class SoftmaxRegressionGD(_GradientDescentClassifier):
    """Multinomial (softmax) regression: ``P(y = k | x) = softmax(x W + b)_k``, fitted by GD.

    Minimises ``sum_i w_i [logsumexp(z_i) - z_{i, y_i}] / sum(w) + alpha/2 ||W||^2`` with
    ``z = X W + b`` (K columns), ``w_i = s_i * c[y_i]``: sklearn's multinomial
    ``LogisticRegression(class_weight=..., C=1/(alpha*sum(w)))`` objective for K >= 3.
    "auto" uses ``L = lambda_max([X 1]^T S [X 1]) / (2 sum(w)) + alpha``.
    Parameters and attributes as :class:`LogisticRegressionGD`; ``coef_`` is (K, d).
    """

    _multinomial = True
