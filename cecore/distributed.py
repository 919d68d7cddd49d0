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
once. The total weight, the classes, the weighted class frequencies of :meth:`initial` and
the Gram matrix of the Lipschitz bound (``sum_c share_c G_c``, (d+1)^2, eigvalsh on the
client) are computed on the cluster too. Small results come back through ``dask.compute``
of delayed objects, never by computing X.

Full batch only (``batch_size`` None): mini-batches, ``early_stopping``, ``X_val`` and
``class_weight`` are not supported on a Dask collection yet (ValueError).
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np

from cecore.losses import check_sample_weight
from cecore.objective import BinaryObjective, MultinomialObjective
from cecore.prediction import class_index

__all__ = ["DaskObjective", "as_dask_array", "dask_classes", "is_dask_collection",
           "unsupported"]


def is_dask_collection(value):
    """Whether ``value`` is a Dask collection (without importing dask for other values)."""
    return hasattr(value, "__dask_graph__")


def unsupported(model, X_val):
    """The message of the first option the Dask path does not support, or None."""
    if model.batch_size is not None:
        return "batch_size (mini-batches) is not supported with Dask collections yet."
    if model.early_stopping:
        return "early_stopping is not supported with Dask collections yet."
    if model.class_weight is not None:
        return "class_weight is not supported with Dask collections yet."
    if X_val is not None:
        return "X_val is not supported with Dask collections yet."
    return None


def as_dask_array(X, dtype):
    """``(X, feature_names)``: a 2-d Dask array of ``dtype`` with one column chunk and known
    row chunks, and the column names of a Dask DataFrame (None when not all strings)."""
    names = None
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


class _Chunk:
    """One row chunk on a worker: its rows, class indices and raw weights, and the in-memory
    objective over them (alpha 0, weights normalised over the chunk; None without weight).

    Pickled (when the scheduler moves or spills it) as its arrays only, and the objective is
    rebuilt on arrival: its blocks hold views of shared buffers that a copy would split.
    """

    def __init__(self, X, index, s, n_classes, multinomial):
        self.state = (X, index, s, n_classes, multinomial)
        self.total = float(s.sum())
        self.frequencies = np.bincount(index, weights=s, minlength=n_classes)
        cls = MultinomialObjective if multinomial else BinaryObjective
        self.objective = None
        if self.total > 0:
            self.objective = cls(X, index, s, n_classes=n_classes, alpha=0.0)

    def __reduce__(self):
        return type(self), self.state


def _build(Xb, yb, sb, classes, multinomial):
    """The :class:`_Chunk` of one block of X, y and the sample weights."""
    yb = np.asarray(yb)
    return _Chunk(np.asarray(Xb), np.searchsorted(classes, yb),
                  check_sample_weight(sb, len(yb)), len(classes), multinomial)


def _chunk_stats(part):
    return part.total, part.frequencies


def _chunk_loss_gradient(part, theta, share):
    objective = part.objective
    if objective is None:
        return 0.0, np.zeros_like(theta)
    loss, _, grad = objective.loss_objective_gradient(theta)     # alpha 0: no penalty
    return share * loss, share * grad


def _chunk_loss(part, theta, share):
    objective = part.objective
    return 0.0 if objective is None else share * objective.loss(theta)


def _chunk_gram(part, d, share):
    objective = part.objective
    return np.zeros((d + 1, d + 1)) if objective is None else share * objective.gram()


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
    None or row weights (Dask or numpy), ``classes`` the sorted labels. ``weights`` is the
    lazy Dask array of the normalised row weights.
    """

    def __init__(self, X, y, sample_weight, classes, *, multinomial, alpha=0.0):
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
        parts = [build(xb, yb, sb, classes, multinomial)
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
        self.weights = s / self.total_weight
        self.unit_weights = sample_weight is None

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

    def loss_objective_gradient(self, theta):
        """Mean loss, objective and gradient: one pass over every chunk, on the workers."""
        parts = self._each(_chunk_loss_gradient, theta)
        loss = float(sum(p[0] for p in parts))
        grad = np.sum([p[1] for p in parts], axis=0)
        W = theta[:-1]
        if self.alpha:
            grad[:-1] += self.alpha * W
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

    def row_lipschitz_constant(self):
        raise NotImplementedError("mini-batches are not supported with Dask collections yet")

    def batch_gradient(self, theta, idx):
        raise NotImplementedError("mini-batches are not supported with Dask collections yet")

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
