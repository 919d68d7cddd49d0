"""Focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection") and its gradients.

For a label ``y`` in {0, 1} and the probability ``p = sigmoid(z)`` of label 1, the
probability given to the true label is ``p_t = p`` (y = 1) or ``1 - p`` (y = 0), and

    FL(p_t) = -(1 - p_t)^gamma log(p_t),      gamma >= 0.

``gamma = 0`` is binary cross-entropy; a larger ``gamma`` shrinks the loss of examples that
are already well classified (``p_t`` near 1) and leaves the badly classified ones almost as
they were, so training attends to the hard examples. (The paper's optional class weight
``alpha_t`` is a plain factor and is left out.)

Gradients. With ``s = 2y - 1`` (+1 or -1), ``dp_t/dp = s`` and
``dp_t/dz = s p_t (1 - p_t)``:

    dFL/dp = s [gamma (1 - p_t)^(gamma - 1) log(p_t) - (1 - p_t)^gamma / p_t]
    dFL/dz = s (1 - p_t)^gamma [gamma p_t log(p_t) - (1 - p_t)]

For y = 1: ``dFL/dz = (1 - p)^gamma (gamma p log p + p - 1)``, which is ``p - 1`` (the
cross-entropy gradient ``p - y``) at gamma = 0. The logit forms use the signed logit
``t = s z``: ``p_t = sigmoid(t)``, ``1 - p_t = sigmoid(-t)`` and
``log p_t = -softplus(-t)``, so nothing is subtracted from 1 and no probability is clipped.
Every function works element by element (``y`` broadcast against ``p`` or ``z``).
:func:`expected_focal_loss` is its expected value as a scoring rule (it is not a proper one).
"""

from __future__ import annotations

import numpy as np

from cecore.losses import sigmoid, softplus


def _check_gamma(gamma):
    gamma = float(gamma)
    if not gamma >= 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    return gamma


def _sign(y_true):
    """``s = 2y - 1`` for labels in {0, 1} (ValueError for anything else)."""
    y = np.asarray(y_true, dtype=np.float64)
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("focal loss needs labels y in {0, 1}")
    return 2.0 * y - 1.0


def _result(value):
    return float(value) if np.ndim(value) == 0 else value


def _true_label_probability(y_true, p):
    """``(s, p_t, 1 - p_t, log p_t)`` from probabilities ``p = P(y = 1)`` in [0, 1]."""
    s = _sign(y_true)
    p = np.asarray(p, dtype=np.float64)
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("probabilities p must lie in [0, 1]")
    p_t = np.where(s > 0, p, 1.0 - p)
    rest = np.where(s > 0, 1.0 - p, p)  # 1 - p_t, exact
    with np.errstate(divide="ignore"):
        log_p_t = np.where(s > 0, np.log(p), np.log1p(-p))
    return s, p_t, rest, log_p_t


def focal_loss(y_true, p, gamma=2.0):
    """``FL = -(1 - p_t)^gamma log(p_t)`` from probabilities ``p = P(y = 1)``: inf at p_t = 0."""
    gamma = _check_gamma(gamma)
    _, _, rest, log_p_t = _true_label_probability(y_true, p)
    return _result(-(rest**gamma) * log_p_t)


def focal_loss_gradient(y_true, p, gamma=2.0):
    """``dFL/dp = s [gamma (1 - p_t)^(gamma - 1) log p_t - (1 - p_t)^gamma / p_t]``, s = 2y - 1.

    At ``p_t = 1`` the first term is 0 (its limit: ``log p_t ~ -(1 - p_t)``); at ``p_t = 0``
    the gradient is infinite.
    """
    gamma = _check_gamma(gamma)
    s, p_t, rest, log_p_t = _true_label_probability(y_true, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(rest > 0, gamma * rest ** (gamma - 1.0) * log_p_t, 0.0)
        second = rest**gamma / p_t
    return _result(s * (first - second))


def _signed_logit(y_true, z):
    """``(s, t = s z)`` for labels in {0, 1} and logits ``z``."""
    s = _sign(y_true)
    return s, s * np.asarray(z, dtype=np.float64)


def focal_loss_with_logits(y_true, z, gamma=2.0):
    """``FL = sigmoid(-t)^gamma softplus(-t)`` with ``t = (2y - 1) z``: exact for finite z.

    The same value as :func:`focal_loss` at ``p = sigmoid(z)``; at gamma = 0 it equals
    :func:`cecore.losses.binary_cross_entropy_with_logits` per sample.
    """
    gamma = _check_gamma(gamma)
    _, t = _signed_logit(y_true, z)
    return _result(sigmoid(-t) ** gamma * softplus(-t))


def focal_loss_with_logits_gradient(y_true, z, gamma=2.0):
    """``dFL/dz = s (1 - p_t)^gamma [gamma p_t log(p_t) - (1 - p_t)]``, s = 2y - 1.

    With ``1 - p_t = sigmoid(-t)`` and ``log p_t = -softplus(-t)``; ``sigmoid(z) - y`` at
    gamma = 0. For a badly classified example it can exceed the cross-entropy gradient in
    size (1.13 at gamma = 2, z = -3, y = 1): focal loss shrinks only the easy examples.
    """
    gamma = _check_gamma(gamma)
    s, t = _signed_logit(y_true, z)
    p_t, rest = sigmoid(t), sigmoid(-t)
    return _result(s * rest**gamma * (-gamma * p_t * softplus(-t) - rest))


def expected_focal_loss(p, q, gamma=2.0):
    """Expected focal loss of reporting ``q`` for an event of frequency ``p``:
    ``p FL(q) + (1 - p) FL(1 - q) = -p (1 - q)^gamma log q - (1 - p) q^gamma log(1 - q)``.

    At gamma = 0 it is the expected log loss, lowest at ``q = p``. For gamma > 0 focal loss
    is not a proper scoring rule: the lowest point lies between p and 1/2 (q = 0.627 for
    p = 0.8 and gamma = 2), so its probabilities are under-confident until calibrated.
    """
    p = np.asarray(p, dtype=np.float64)
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("the frequency p must lie in [0, 1]")
    return _result(p * focal_loss(1, q, gamma) + (1.0 - p) * focal_loss(0, q, gamma))
