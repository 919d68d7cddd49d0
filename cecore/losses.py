"""Numerically stable cross-entropy losses, their links and their gradients.

Notation (one row per sample):

* binary: label ``y`` in {0, 1} (or a probability target in [0, 1]), logit ``z``,
  probability ``p = sigmoid(z) = 1 / (1 + exp(-z))`` of the positive class;
* multiclass: integer labels ``y`` in {0, ..., K-1} or an ``(n, K)`` matrix ``T`` of target
  probabilities, logits ``Z`` of shape ``(n, K)``, probabilities ``P = softmax(Z)``.

Every loss takes ``sample_weight`` (a weighted mean divides by the sum of the weights) and
``reduction``: ``"mean"`` (a float), ``"sum"`` (a float) or ``"none"`` (one value per sample).

The probability forms clip exactly as :func:`sklearn.metrics.log_loss` does
(``eps = finfo(dtype).eps``, every probability in ``[eps, 1 - eps]``), so their mean equals
``log_loss`` for every input: a certain and wrong prediction costs ``-log(eps)``, which is
36.04 in float64 and 15.94 in float32, instead of ``inf``.

The logit forms never take ``log(sigmoid(z))`` or ``log(softmax(Z))`` naively: they use
softplus and log-sum-exp, and are exact and finite for every finite logit.
"""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------- links
def sigmoid(z):
    """Logistic function ``sigmoid(z) = 1 / (1 + exp(-z))``, overflow-free for any z.

    Computed from ``e = exp(-|z|) <= 1``: ``1 / (1 + e)`` for z >= 0, ``e / (1 + e)`` for z < 0.
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def softplus(z):
    """``softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))``, exact for any z.

    ``softplus(-z) = -log(sigmoid(z))`` is the binary loss for y = 1, ``softplus(z)`` the one
    for y = 0.
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _shift_by_max(Z, axis):
    """Return ``(Z - m, log1p(sum_{k != argmax} exp(Z_k - m)))`` with ``m = max_k Z_k``.

    The largest term of ``sum_k exp(Z_k - m)`` is exactly 1, so
    ``logsumexp(Z) = m + log1p(rest)`` keeps full relative accuracy even when one logit
    dominates (the loss of a confident, correct prediction is ``log1p(rest)``, not 0).
    """
    Z = np.asarray(Z, dtype=np.result_type(np.asarray(Z).dtype, np.float32))
    idx = np.expand_dims(np.argmax(Z, axis=axis), axis)
    shifted = Z - np.take_along_axis(Z, idx, axis=axis)
    e = np.exp(shifted)
    np.put_along_axis(e, idx, 0.0, axis=axis)
    return shifted, np.log1p(e.sum(axis=axis, keepdims=True))


def logsumexp(Z, axis=-1):
    """``log(sum_k exp(Z_k)) = m + log1p(sum_{k != argmax} exp(Z_k - m))``, m = max_k Z_k."""
    Z = np.asarray(Z, dtype=np.result_type(np.asarray(Z).dtype, np.float32))
    shifted, rest = _shift_by_max(Z, axis)
    return np.squeeze(Z.max(axis=axis, keepdims=True) + rest, axis=axis)


def log_softmax(Z, axis=-1):
    """``log softmax(Z)_k = (Z_k - m) - log1p(sum_{j != argmax} exp(Z_j - m))``.

    Stable for any finite logits, and exact (not rounded to 0) for the winning class.
    """
    shifted, rest = _shift_by_max(Z, axis)
    return shifted - rest


def softmax(Z, axis=-1):
    """``softmax(Z)_k = exp(Z_k - m) / sum_j exp(Z_j - m)`` with ``m = max_j Z_j``.

    Subtracting the row maximum changes nothing mathematically and keeps ``exp`` <= 1.
    """
    Z = np.asarray(Z, dtype=np.result_type(np.asarray(Z).dtype, np.float32))
    e = np.exp(Z - np.max(Z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------- helpers
def _reduce(per_sample, sample_weight, reduction):
    """Apply ``reduction`` to per-sample losses: weighted mean ``sum(w l) / sum(w)``, sum, none."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if sample_weight is None:
        if reduction == "none":
            return per_sample
        return float(per_sample.mean() if reduction == "mean" else per_sample.sum())
    w = check_sample_weight(sample_weight, per_sample.shape[0])
    if reduction == "none":
        return per_sample * w
    if reduction == "sum":
        return float(per_sample @ w)
    return float(np.average(per_sample, weights=w))


def check_sample_weight(sample_weight, n):
    """The one rule for sample weights, in the losses and in the estimators' ``fit``.

    ``None`` is ``n`` ones and a number is ``n`` copies of it; anything else must hold ``n``
    numbers (a list, an array, a pandas Series...). Every weight must be finite and ``>= 0``:
    a negative weight would make the weighted mean a difference of losses (no longer a
    cross-entropy, not even bounded below) and its square root, used for wide data, NaN.
    Returns a new or unmodified C-contiguous float64 array of shape ``(n,)``; raises
    ValueError naming the first offending weight.
    """
    if sample_weight is None:
        return np.ones(n)
    raw = np.asarray(sample_weight)
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must be numbers, not an array of dtype {raw.dtype}.")
    w = np.asarray(raw, dtype=np.float64)
    w = np.full(n, float(w)) if w.ndim == 0 else np.ascontiguousarray(w)
    if w.shape != (n,):
        raise ValueError(f"sample_weight has shape {w.shape}, expected ({n},)")
    bad = ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError("sample_weight must be finite and non-negative, but "
                         f"sample_weight[{i}] = {float(w[i]):g}.")
    return w


def _float_array(a, name):
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity")
    return a


def _binary_targets(y_true, shape, dtype):
    y = np.asarray(y_true)
    if y.shape != shape:
        raise ValueError(f"y_true has shape {y.shape}, predictions have shape {shape}")
    y = y.astype(dtype, copy=False)
    if np.any((y < 0) | (y > 1)) or not np.all(np.isfinite(y)):
        raise ValueError("binary y_true must hold labels 0/1 or probabilities in [0, 1]")
    return y


def _class_targets(y_true, n, K, dtype, label_smoothing=0.0):
    """Targets as an (n, K) matrix T: one-hot for integer labels, else as given; smoothed."""
    y = np.asarray(y_true)
    if y.ndim == 1:
        if y.shape[0] != n:
            raise ValueError(f"y_true has {y.shape[0]} labels, predictions have {n} rows")
        if not np.issubdtype(y.dtype, np.integer):
            if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
                raise ValueError("integer class labels 0..K-1 expected in y_true")
            y = y.astype(np.intp)
        if y.size and (y.min() < 0 or y.max() >= K):
            raise ValueError(f"class labels must lie in 0..{K - 1}")
        T = np.zeros((n, K), dtype=dtype)
        T[np.arange(n), y] = 1.0
    elif y.ndim == 2:
        if y.shape != (n, K):
            raise ValueError(f"y_true has shape {y.shape}, predictions have shape {(n, K)}")
        T = y.astype(dtype, copy=False)
        if np.any(T < 0) or not np.all(np.isfinite(T)):
            raise ValueError("target probabilities must be finite and non-negative")
    else:
        raise ValueError("y_true must be 1-D labels or an (n, K) matrix of probabilities")
    if label_smoothing:
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError("label_smoothing must lie in [0, 1]")
        T = (1.0 - label_smoothing) * T + label_smoothing / K
    return T


def _clip(p):
    eps = np.finfo(p.dtype).eps
    return np.clip(p, eps, 1 - eps)


# --------------------------------------------------------------------------- binary
def binary_cross_entropy(y_true, p, *, sample_weight=None, reduction="mean"):
    """Binary cross-entropy of probabilities ``p = P(y = 1)``.

    ``J = -[y log(p) + (1 - y) log(1 - p)]``, with ``p`` and ``1 - p`` each clipped to
    ``[eps, 1 - eps]`` as :func:`sklearn.metrics.log_loss` does, so ``J <= -log(eps)``.
    """
    p = _float_array(p, "p")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities p must lie in [0, 1]")
    y = _binary_targets(y_true, p.shape, p.dtype)
    per_sample = -(y * np.log(_clip(p)) + (1 - y) * np.log(_clip(1 - p)))
    return _reduce(per_sample, sample_weight, reduction)


def binary_cross_entropy_with_logits(y_true, z, *, sample_weight=None, reduction="mean"):
    """Binary cross-entropy of logits ``z``: ``J = y softplus(-z) + (1 - y) softplus(z)``.

    With ``a = log1p(exp(-|z|))``: ``J = a + y max(-z, 0) + (1 - y) max(z, 0)``: one ``exp``
    and one ``log1p`` per sample, no clipping, exact (relative error of a few ulp) and finite
    for every finite z: at z = 1e4 and y = 1 it is exp(-1e4) = 0, at y = 0 it is 1e4.
    """
    z = _float_array(z, "z")
    y = _binary_targets(y_true, z.shape, z.dtype)
    a = np.log1p(np.exp(-np.abs(z)))
    per_sample = a + y * np.maximum(-z, 0) + (1 - y) * np.maximum(z, 0)
    return _reduce(per_sample, sample_weight, reduction)


def binary_cross_entropy_gradient(y_true, p):
    """``dJ/dp = -y / p + (1 - y) / (1 - p)`` per sample (unclipped: infinite at the ends)."""
    p = np.asarray(p, dtype=np.result_type(np.asarray(p).dtype, np.float32))
    y = np.asarray(y_true, dtype=p.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -y / p + (1 - y) / (1 - p)


def binary_cross_entropy_with_logits_gradient(y_true, z, *, sample_weight=None,
                                              reduction="mean"):
    """``dJ/dz = sigmoid(z) - y`` per sample, divided by ``sum(w)`` for ``reduction="mean"``.

    This is the gradient of :func:`binary_cross_entropy_with_logits` with the same
    ``sample_weight`` and ``reduction``: ``w_i (p_i - y_i) / sum(w)`` for the mean.
    """
    z = _float_array(z, "z")
    y = _binary_targets(y_true, z.shape, z.dtype)
    return _reduce_gradient(sigmoid(z) - y, sample_weight, reduction)


def _reduce_gradient(per_sample, sample_weight, reduction):
    """Gradient of ``_reduce`` with respect to each sample's logits."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    n = per_sample.shape[0] if per_sample.ndim else 1
    if sample_weight is None:
        return per_sample / n if reduction == "mean" else per_sample
    w = check_sample_weight(sample_weight, n)
    if per_sample.ndim == 2:
        w = w[:, None]
    g = per_sample * w
    return g / w.sum() if reduction == "mean" else g


# --------------------------------------------------------------------------- multiclass
def cross_entropy(y_true, P, *, sample_weight=None, reduction="mean"):
    """Categorical cross-entropy of probabilities ``P`` (n, K): ``J = -sum_k T_k log(P_k)``.

    ``y_true`` is integer labels 0..K-1 (``T`` one-hot) or an (n, K) target matrix ``T``.
    ``P`` is clipped to ``[eps, 1 - eps]`` like :func:`sklearn.metrics.log_loss`.
    """
    P = _float_array(P, "P")
    if P.ndim != 2:
        raise ValueError("P must be an (n, K) matrix of class probabilities")
    if np.any((P < 0) | (P > 1)):
        raise ValueError("probabilities P must lie in [0, 1]")
    n, K = P.shape
    T = _class_targets(y_true, n, K, P.dtype)
    per_sample = -(T * np.log(_clip(P))).sum(axis=1)
    return _reduce(per_sample, sample_weight, reduction)


def cross_entropy_with_logits(y_true, Z, *, label_smoothing=0.0, sample_weight=None,
                              reduction="mean"):
    """Categorical cross-entropy of logits: ``J = sum_k T_k (logsumexp(Z) - Z_k)``.

    With ``label_smoothing = s`` the target is ``(1 - s) T + s / K``. For one-hot targets the
    loss is ``(m - Z_y) + log1p(sum_{k != argmax} exp(Z_k - m))`` with ``m = max Z``: exact
    and finite for every finite logit.
    """
    Z = _float_array(Z, "Z")
    if Z.ndim != 2:
        raise ValueError("Z must be an (n, K) matrix of logits")
    n, K = Z.shape
    T = _class_targets(y_true, n, K, Z.dtype, label_smoothing)
    shifted, rest = _shift_by_max(Z, axis=1)
    # sum_k T_k (log1p(rest) - (Z_k - m)): no large terms cancel
    per_sample = T.sum(axis=1) * rest[:, 0] - (T * shifted).sum(axis=1)
    return _reduce(per_sample, sample_weight, reduction)


def cross_entropy_with_logits_gradient(y_true, Z, *, label_smoothing=0.0, sample_weight=None,
                                       reduction="mean"):
    """``dJ/dZ = softmax(Z) * sum_k T_k - T`` (= ``P - T`` for targets that sum to one)."""
    Z = _float_array(Z, "Z")
    n, K = Z.shape
    T = _class_targets(y_true, n, K, Z.dtype, label_smoothing)
    return _reduce_gradient(softmax(Z, axis=1) * T.sum(axis=1, keepdims=True) - T,
                            sample_weight, reduction)
