"""The Dask path of ``fit``: each epoch is computed on the cluster, X never comes to the client.

Imported only when ``fit`` is given a Dask collection (``cecore`` itself never imports dask).
X is a Dask array chunked by rows (its columns are rechunked into one chunk), or a Dask
DataFrame (``to_dask_array(lengths=True)``); ``y`` and the sample weights are Dask arrays or
numpy arrays, cut into X's row chunks.

:class:`DaskObjective` has the interface of the in-memory objectives
(:mod:`cecore.objective`). On construction it builds, on the workers and once, one in-memory
:class:`~cecore.objective.BinaryObjective` / :class:`~cecore.objective.MultinomialObjective`
per row chunk (``alpha = 0``, the chunk's own weights normalised over the chunk) and keeps
them there (``persist``). With ``W_c`` the chunk's total row weight and ``share_c = W_c /
sum W``, the objective of all the rows is

    sum_c share_c * loss_c(theta)  +  alpha / 2 ||W||^2

so an epoch sends ``theta`` to every chunk and gets back ``share_c * loss_c`` and ``share_c *
gradient_c`` (a (d+1) or (d+1, K) array), summed on the client, where the penalty is added
once. The total weight, the classes, the class weights, the weighted class frequencies of
:meth:`initial` and the Gram matrix of the Lipschitz bound (``sum_c share_c G_c``, (d+1)^2,
eigvalsh on the client) are computed on the cluster too. Small results come back through
``dask.compute`` of delayed objects, never by computing X.

* ``class_weight`` (None, "balanced", a dict): the row weights are ``w_i = s_i c[y_i]`` as
  in memory, ``c`` computed by :func:`cecore.weights.class_weights` from the per-class sums
  of the sample weights (summed on the cluster: the same numbers as from all the labels).
* ``X_val``: each record's ``val_loss`` is the mean cross-entropy over the validation rows,
  a second (loss-only) pass on the cluster.
* ``batch_size`` (mini-batches): the row chunks are the batches. X is cut into
  ``ceil(n / batch_size)`` chunks of the sizes ``np.array_split`` gives (so the "auto" step
  ``1/L(b)``, of the smallest batch, is the in-memory one), and an epoch takes one step per
  chunk, in an order that ``random_state`` shuffles every epoch (``rng.permutation`` of the
  chunks): one round trip to a worker per batch. In memory the batches are random rows
  (``rng.permutation`` of the rows); an in-memory fit whose batches are the same rows in
  the same order gives the same records.
* ``early_stopping`` is not supported on a Dask collection (ValueError).
"""

from __future__ import annotations

import math

import dask
import dask.array as da
import numpy as np

from cecore.losses import check_sample_weight
from cecore.objective import BinaryObjective, MultinomialObjective
from cecore.prediction import class_index
from cecore.weights import class_weights

__all__ = ["DaskObjective", "as_dask_array", "batch_chunks", "dask_class_weights",
           "dask_classes", "dask_fit", "is_dask_collection", "unsupported"]


def is_dask_collection(value):
    """Whether ``value`` is a Dask collection (without importing dask for other values)."""
    return hasattr(value, "__dask_graph__")


def unsupported(model):
    """The message of the first option the Dask path does not support, or None."""
    if model.early_stopping:
        return "early_stopping is not supported with Dask collections yet."
    return None


def batch_chunks(n, batch_size):
    """The row chunks of mini-batches of ``batch_size`` rows: ``ceil(n / batch_size)`` chunks
    of the sizes ``np.array_split`` cuts ``n`` rows into (the longer ones first)."""
    m = math.ceil(n / batch_size)
    q, r = divmod(n, m)
    return (q + 1,) * r + (q,) * (m - r)


def as_dask_array(X, dtype, batch_size=None):
    """``(X, feature_names)``: a 2-d Dask array of ``dtype`` with one column chunk and known
    row chunks (those of :func:`batch_chunks` when ``batch_size`` is less than the number
    of rows), and the column names of a Dask DataFrame (None when not all strings). A numpy
    array becomes a one-chunk Dask array."""
    names = None
    if not is_dask_collection(X):
        X = np.asarray(X)
        X = da.from_array(X, chunks=(max(1, len(X)),) + X.shape[1:])
    if hasattr(X, "to_dask_array"):
        columns = list(X.columns)
        if columns and all(isinstance(c, str) for c in columns):
            names = np.asarray(columns, dtype=object)
        X = X.to_dask_array(lengths=True)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-d Dask array, got {X.ndim} dimensions.")
    if any(np.isnan(c) for c in X.chunks[0]):
        X.compute_chunk_sizes()
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: X.shape[1]})
    if batch_size is not None and batch_size < X.shape[0]:
        X = X.rechunk({0: batch_chunks(X.shape[0], batch_size)})
    return X.astype(dtype), names


def _aligned(values, rows, what):
    """``values`` (Dask or numpy, 1-d) as a Dask array cut into the row chunks ``rows``."""
    if is_dask_collection(values):
        if hasattr(values, "to_dask_array"):
            values = values.to_dask_array(lengths=True)
        if any(np.isnan(c) for c in values.chunks[0]):
            values.compute_chunk_sizes()
    else:
        values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or values.shape[0] != sum(rows):
        raise ValueError(f"{what} has shape {values.shape}, expected ({sum(rows)},).")
    if is_dask_collection(values):
        return values.rechunk((rows,))
    return da.from_array(values, chunks=(rows,))


def dask_classes(y, rows):
    """``(classes, y)``: the sorted labels of ``y`` (computed on the cluster, small) and ``y``
    as a Dask array cut into the row chunks ``rows``."""
    y = _aligned(y, rows, "y")
    (classes,) = dask.compute(da.unique(y))
    return np.asarray(classes), y


def _class_totals(yb, sb, classes):
    """The sum of the sample weights of each class in one block."""
    index = np.searchsorted(classes, np.asarray(yb))
    return np.bincount(index, weights=check_sample_weight(sb, len(index)),
                       minlength=len(classes))


def dask_class_weights(class_weight, classes, y, sample_weight):
    """``c`` (K,): the class weights of ``class_weight`` for the labels ``y`` (a Dask array)
    and the sample weights (None, or aligned with ``y``), from the per-class sums of the
    sample weights computed on the cluster: ``class_weights`` of one row per class weighted
    by its class's sum is ``sum(s) / (K * sum of s over the class)`` for "balanced", as over
    all the rows."""
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        rows = y.chunks[0]
        s = (da.ones(y.shape[0], chunks=(rows,)) if sample_weight is None
             else _aligned(sample_weight, rows, "sample_weight"))
        parts = dask.compute(*[dask.delayed(_class_totals, pure=True)(yb, sb, classes)
                               for yb, sb in zip(y.to_delayed(), s.to_delayed(), strict=True)])
        totals = np.sum(parts, axis=0)
        return class_weights(class_weight, classes, np.arange(len(classes)), totals)
    return class_weights(class_weight, classes, np.arange(len(classes)))


class _Chunk:
    """One row chunk on a worker: its rows' total weight and class frequencies, and the
    in-memory objective over them (alpha 0, weights normalised over the chunk; None without
    weight). The objective pickles on its own (:mod:`cecore.objective`), so the scheduler
    may move or spill a chunk."""

    def __init__(self, X, index, w, n_classes, multinomial):
        self.total = float(w.sum())
        self.frequencies = np.bincount(index, weights=w, minlength=n_classes)
        cls = MultinomialObjective if multinomial else BinaryObjective
        self.objective = None
        if self.total > 0:
            self.objective = cls(X, index, w, n_classes=n_classes, alpha=0.0)


def _build(Xb, yb, sb, classes, multinomial, class_weight):
    """The :class:`_Chunk` of one block of X, y and the sample weights; the row weights are
    ``s_i * c[y_i]`` (0 where ``s_i`` is 0) with class weights ``c``."""
    yb = np.asarray(yb)
    index = np.searchsorted(classes, yb)
    w = check_sample_weight(sb, len(yb))
    if class_weight is not None:
        with np.errstate(invalid="ignore"):
            w = np.where(w > 0, w * class_weight[index], 0.0)
    return _Chunk(np.asarray(Xb), index, w, len(classes), multinomial)


def _chunk_stats(part):
    return part.total, part.frequencies


def _chunk_loss_gradient(part, theta, share):
    objective = part.objective
    if objective is None:
        return 0.0, np.zeros_like(theta)
    loss, _, grad = objective.loss_objective_gradient(theta)     # alpha 0: no penalty
    return share * loss, share * grad


def _chunk_gradient(part, theta):
    """The chunk's own gradient (its weights normalised over it): one mini-batch's."""
    objective = part.objective
    return np.zeros_like(theta) if objective is None else \
        objective.loss_objective_gradient(theta)[2]


def _chunk_loss(part, theta, share):
    objective = part.objective
    return 0.0 if objective is None else share * objective.loss(theta)


def _chunk_gram(part, d, share):
    objective = part.objective
    return np.zeros((d + 1, d + 1)) if objective is None else share * objective.gram()


def _chunk_row_bound(part):
    objective = part.objective
    return 0.0 if objective is None else objective.row_lipschitz_constant()


def _chunk_ranges(part):
    objective = part.objective
    if objective is None or not len(objective.X):
        return None
    return objective.X.min(axis=0), objective.X.max(axis=0)


def _chunk_correct(part, coef, intercept):
    objective = part.objective
    if objective is None:
        return True
    scores = objective.X @ coef.T + intercept
    return bool(np.array_equal(class_index(scores), objective.y))


class DaskObjective:
    """The objective of :mod:`cecore.objective` over a Dask array X chunked by rows.

    ``X`` a 2-d Dask array (one column chunk, known row chunks: :func:`as_dask_array`),
    ``y`` labels aligned with its rows (Dask array: :func:`dask_classes`), ``sample_weight``
    None or row weights (Dask or numpy), ``classes`` the sorted labels, ``class_weight``
    None or each class's weight (K,: :func:`dask_class_weights`).
    """

    def __init__(self, X, y, sample_weight, classes, *, multinomial, alpha=0.0,
                 class_weight=None):
        rows = X.chunks[0]
        self.X = X
        self.classes = classes = np.asarray(classes)
        self.n_classes = len(classes)
        self.alpha = float(alpha)
        self.multinomial = multinomial
        self.curvature = MultinomialObjective.curvature if multinomial else \
            BinaryObjective.curvature
        self.y = y.map_blocks(np.searchsorted, classes, dtype=np.intp)
        s = da.ones(X.shape[0], chunks=(rows,)) if sample_weight is None else \
            _aligned(sample_weight, rows, "sample_weight")
        blocks = X.to_delayed().ravel()
        build = dask.delayed(_build, pure=True)
        parts = [build(xb, yb, sb, classes, multinomial, class_weight)
                 for xb, yb, sb in zip(blocks, y.to_delayed(), s.to_delayed(), strict=True)]
        self._parts = dask.persist(*parts)
        stats = dask.compute(*[dask.delayed(_chunk_stats)(p) for p in self._parts])
        totals = np.array([t for t, _ in stats])
        self.total_weight = float(totals.sum())
        if not self.total_weight > 0:
            raise ValueError("The sample weights (times the class weights) sum to zero: "
                             "no sample would count.")
        self.shares = totals / self.total_weight
        self.frequencies = sum(f for _, f in stats) / self.total_weight

    @property
    def n_features(self):
        return self.X.shape[1]

    def _each(self, function, *args):
        """``function(part, *args, share)`` on every chunk, computed together."""
        tasks = [dask.delayed(function, pure=True)(part, *args, share)
                 for part, share in zip(self._parts, self.shares, strict=True)]
        return dask.compute(*tasks)

    # ------------------------------------------------------------------ the interface
    def initial(self):
        """As the in-memory objectives: zero weights, the intercept of the class frequencies."""
        f = self.frequencies
        if not self.multinomial:
            theta = np.zeros(self.n_features + 1)
            if np.all(f > 0):
                theta[-1] = np.log(f[1]) - np.log(f[0])
            return theta
        theta = np.zeros((self.n_features + 1, self.n_classes))
        if np.all(f > 0):
            theta[-1] = np.log(f) - np.log(f).mean()
        return theta

    def coef_intercept(self, theta):
        if self.multinomial:
            return theta[:-1].T.copy(), theta[-1].copy()
        return theta[None, :-1].copy(), theta[-1:].copy()

    def pack(self, coef, intercept):
        if self.multinomial:
            return np.vstack([np.asarray(coef, dtype=np.float64).T,
                              np.asarray(intercept, dtype=np.float64)[None, :]])
        return np.concatenate([np.ravel(coef), np.ravel(intercept)]).astype(np.float64)

    def _penalised(self, theta, grad):
        if self.alpha:
            grad[:-1] += self.alpha * theta[:-1]
        return grad

    def loss_objective_gradient(self, theta):
        """Mean loss, objective and gradient: one pass over every chunk, on the workers."""
        parts = self._each(_chunk_loss_gradient, theta)
        loss = float(sum(p[0] for p in parts))
        grad = self._penalised(theta, np.sum([p[1] for p in parts], axis=0))
        W = theta[:-1]
        return loss, loss + 0.5 * self.alpha * float(np.vdot(W, W)), grad

    def loss(self, theta):
        return float(sum(self._each(_chunk_loss, theta)))

    def gram(self):
        """``sum_c share_c G_c``: the (d+1, d+1) weighted second moment of all the rows."""
        return np.sum(self._each(_chunk_gram, self.n_features), axis=0)

    def lipschitz_constant(self, gram_flop_limit=None):
        """``curvature * lambda_max(gram()) + alpha`` (the Gram matrix whatever its size:
        meant for a moderate number of features)."""
        return self.curvature * float(np.linalg.eigvalsh(self.gram())[-1]) + self.alpha

    # ------------------------------------------------------------------ mini-batches
    def row_lipschitz_constant(self):
        """``L_max``: the largest one-row bound of the chunks (each without the penalty),
        plus ``alpha``."""
        bounds = dask.compute(*[dask.delayed(_chunk_row_bound)(p) for p in self._parts])
        return max(bounds) + self.alpha

    def batches(self, batch_size, rng):
        """One epoch's batches: the row chunks (cut by ``batch_size``, see
        :func:`as_dask_array`), in the order ``rng.permutation`` of their number."""
        return rng.permutation(len(self._parts))

    def batch_gradient(self, theta, chunk):
        """The objective's gradient on the rows of one chunk (their weights normalised over
        the chunk, as the in-memory ``batch_gradient``): one round trip to its worker."""
        (grad,) = dask.compute(dask.delayed(_chunk_gradient, pure=True)(self._parts[chunk],
                                                                        theta))
        return self._penalised(theta, grad)

    # --------------------------------------------------- what the end-of-fit messages need
    def feature_ranges(self):
        """``max - min`` of each column (one pass over X on the workers)."""
        found = [r for r in dask.compute(*[dask.delayed(_chunk_ranges)(p)
                                           for p in self._parts]) if r is not None]
        if not found:
            return np.zeros(self.n_features)
        return np.max([h for _, h in found], axis=0) - np.min([low for low, _ in found], axis=0)

    def separable(self, model):
        """No penalty, and every row (of the chunks with weight) classified correctly."""
        if model.alpha != 0:
            return False
        tasks = [dask.delayed(_chunk_correct)(p, model.coef_, model.intercept_)
                 for p in self._parts]
        return all(dask.compute(*tasks))


def dask_fit(model, X, y, sample_weight, X_val, y_val, *, multinomial, check_classes):
    """What ``fit_iter`` needs to train ``model`` on Dask collections: ``(X, objective,
    val_objective, fitted)``, X as a Dask array (:func:`as_dask_array`), the training
    objective, the validation one (None without ``X_val``) and the attributes the new fit
    sets. ``multinomial``: softmax (else sigmoid); ``check_classes(classes, where)`` the
    estimator's check of the labels. ValueError for an option the Dask path lacks or labels
    it cannot use."""
    message = unsupported(model)
    if message:
        raise ValueError(message)
    dtype = np.dtype(model.dtype)
    X, names = as_dask_array(X, dtype, model.batch_size)
    classes, y = dask_classes(y, X.chunks[0])
    if classes.dtype.kind not in "iu":
        from sklearn.utils.multiclass import check_classification_targets

        check_classification_targets(classes)
    check_classes(classes, "in the data")
    class_weight = dask_class_weights(model.class_weight, classes, y, sample_weight)
    objective = DaskObjective(X, y, sample_weight, classes, multinomial=multinomial,
                              alpha=model.alpha, class_weight=class_weight)
    val_objective = None
    if X_val is not None:
        X_val, _ = as_dask_array(X_val, dtype)
        if X_val.shape[1] != X.shape[1]:
            raise ValueError(f"X_val has {X_val.shape[1]} features, but X has {X.shape[1]}.")
        val_classes, y_val = dask_classes(y_val, X_val.chunks[0])
        if not np.isin(val_classes, classes).all():
            raise ValueError("y_val contains labels that are not in the training data.")
        val_objective = DaskObjective(X_val, y_val, None, classes, multinomial=multinomial)
    fitted = {"n_features_in_": X.shape[1], "classes_": classes,
              "class_weight_": np.ones(len(classes)) if class_weight is None else class_weight}
    if names is not None:
        fitted["feature_names_in_"] = names
    return X, objective, val_objective, fitted
