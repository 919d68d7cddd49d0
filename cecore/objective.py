"""The training objective of a linear classifier, its gradient, and its curvature bound.

Parameters are packed into one array ``theta``: the weights, then the intercept as the last
row. Binary: ``theta`` has shape (d + 1,) with ``z = X theta[:d] + theta[d]``. Multinomial:
``theta`` has shape (d + 1, K) with ``Z = X theta[:d] + theta[d]``.

    objective(theta) = sum_i s_i CE_i / sum_i s_i + alpha / 2 * ||W||^2

Writing ``r_i = s_i (p_i - y_i) / sum(s)`` (``p = sigmoid(z)`` or ``softmax(Z)``, ``y``
one-hot), the gradient is ``X^T r + alpha W`` for the weights and ``sum_i r_i`` for the
intercept: the layout of sklearn's ``LinearModelLoss.loss_gradient``.

One call of :meth:`loss_objective_gradient` makes one pass of ``X @ W`` and one of
``X.T @ r`` and writes its n-sized intermediates into buffers allocated once.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

from cecore.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy_with_logits,
    sigmoid,
    softmax,
)


class _LinearObjective:
    """Data, normalised sample weights and penalty shared by both objectives."""

    #: sup over probabilities of the largest eigenvalue of the loss Hessian in the logits
    curvature = 0.25

    def __init__(self, X, y_index, sample_weight, *, n_classes, alpha):
        self.X = X
        self.y = y_index
        n = X.shape[0]
        s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.weights = s / s.sum()
        self.alpha = float(alpha)
        self.n_classes = n_classes

    @property
    def n_features(self):
        return self.X.shape[1]

    def lipschitz_constant(self, gram_flop_limit=2e9):
        """``L = curvature * lambda_max([X 1]^T diag(w) [X 1]) + alpha``, w = s / sum(s).

        The Hessian of the mean loss is ``[X 1]^T diag(w) H [X 1]`` with ``H`` the per-sample
        Hessian in the logits, whose eigenvalues are at most 1/4 (sigmoid) or 1/2 (softmax).
        Small problems form the (d+1)^2 Gram matrix; large ones use Lanczos on the operator.
        """
        X, w = self.X, self.weights
        n, d = X.shape
        if n * (d + 1) ** 2 <= gram_flop_limit:
            gram = np.empty((d + 1, d + 1))
            gram[:d, :d] = X.T @ (X * w[:, None])
            gram[:d, d] = gram[d, :d] = X.T @ w
            gram[d, d] = w.sum()
            top = float(np.linalg.eigvalsh(gram)[-1])
        else:
            def matvec(v):
                v = np.ravel(v)
                return np.append(X.T @ (w * (X @ v[:d] + v[d])), w @ (X @ v[:d] + v[d]))

            op = LinearOperator((d + 1, d + 1), matvec=matvec, dtype=np.float64)
            top = 1.01 * float(eigsh(op, k=1, which="LA", tol=1e-3,
                                     return_eigenvectors=False)[0])
        return self.curvature * top + self.alpha

    def _finish(self, loss, theta, grad):
        """Add the penalty ``alpha/2 ||W||^2`` (not the intercept row) and its gradient."""
        W = theta[:-1]
        if self.alpha:
            grad[:-1] += self.alpha * W
        objective = loss + 0.5 * self.alpha * float(np.vdot(W, W))
        return loss, objective, grad


class BinaryObjective(_LinearObjective):
    """Sigmoid cross-entropy: ``CE_i = softplus(z_i) - y_i z_i``, ``z = X w + b``."""

    curvature = 0.25

    def __init__(self, X, y_index, sample_weight, *, n_classes=2, alpha=0.0):
        super().__init__(X, y_index, sample_weight, n_classes=n_classes, alpha=alpha)
        self.y_float = y_index.astype(np.float64)
        self.weighted_y = self.weights * self.y_float
        n = X.shape[0]
        self._z, self._e, self._t = np.empty(n), np.empty(n), np.empty(n)

    def zeros(self):
        return np.zeros(self.n_features + 1)

    def coef_intercept(self, theta):
        return theta[None, :-1].copy(), theta[-1:].copy()

    def loss_objective_gradient(self, theta):
        """Mean loss, objective and gradient at ``theta`` in one pass over X.

        With ``e = exp(-|z|)``: ``CE = log1p(e) + max(z, 0) - y z`` (exact for y in {0, 1})
        and ``sigmoid(z) = 1 - q`` for z >= 0, ``q`` for z < 0, with ``q = e / (1 + e)``.
        """
        X, w, d = self.X, self.weights, self.n_features
        z, e, t = self._z, self._e, self._t
        np.dot(X, theta[:d], out=z)
        z += theta[d]
        np.abs(z, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)                       # e = exp(-|z|)
        np.log1p(e, out=t)                     # t = log1p(e)
        loss = float(w @ t)
        np.maximum(z, 0.0, out=t)
        loss += float(w @ t) - float(self.weighted_y @ z)
        np.add(e, 1.0, out=t)
        np.divide(e, t, out=e)                 # e = q = sigmoid(-|z|)
        np.subtract(1.0, e, out=t)
        np.copyto(e, t, where=z >= 0)          # e = sigmoid(z)
        e -= self.y_float
        e *= w                                 # e = r = w (p - y)
        grad = np.empty_like(theta)
        np.dot(e, X, out=grad[:d])
        grad[d] = e.sum()
        return self._finish(loss, theta, grad)

    def batch_gradient(self, theta, idx):
        """Objective gradient on the rows ``idx`` (weights renormalised over the batch)."""
        X, d = self.X[idx], self.n_features
        w = self.weights[idx]
        w = w / w.sum() if w.sum() > 0 else w
        z = X @ theta[:d] + theta[d]
        r = w * (sigmoid(z) - self.y_float[idx])
        grad = np.empty_like(theta)
        grad[:d] = r @ X
        grad[d] = r.sum()
        if self.alpha:
            grad[:d] += self.alpha * theta[:d]
        return grad

    def loss(self, theta):
        """Unweighted mean cross-entropy (used for validation data)."""
        z = self.X @ theta[:-1] + theta[-1]
        return binary_cross_entropy_with_logits(self.y_float, z)


class MultinomialObjective(_LinearObjective):
    """Softmax cross-entropy: ``CE_i = logsumexp(Z_i) - Z_{i, y_i}``, ``Z = X W + b``."""

    curvature = 0.5

    def __init__(self, X, y_index, sample_weight, *, n_classes, alpha=0.0):
        super().__init__(X, y_index, sample_weight, n_classes=n_classes, alpha=alpha)
        n = X.shape[0]
        self._flat_target = np.arange(n) * n_classes + y_index
        self._Z = np.empty((n, n_classes))
        self._m, self._s = np.empty(n), np.empty(n)

    def zeros(self):
        return np.zeros((self.n_features + 1, self.n_classes))

    def coef_intercept(self, theta):
        return theta[:-1].T.copy(), theta[-1].copy()

    def loss_objective_gradient(self, theta):
        """Mean loss, objective and gradient at ``theta`` in one pass over X.

        Shift each row by its max ``m``; then ``CE = log(sum_k exp(Z_k - m)) - (Z_y - m)``
        and ``P = exp(Z - m) / sum_k exp(Z_k - m)``.
        """
        X, w, d = self.X, self.weights, self.n_features
        Z, m, s = self._Z, self._m, self._s
        np.dot(X, theta[:d], out=Z)
        Z += theta[d]
        np.max(Z, axis=1, out=m)
        Z -= m[:, None]
        target_logit = Z.ravel().take(self._flat_target)     # Z_y - m
        np.exp(Z, out=Z)
        np.sum(Z, axis=1, out=s)
        loss = float(w @ np.log(s)) - float(w @ target_logit)
        np.divide(w, s, out=s)                                 # s = w / sum_k exp
        Z *= s[:, None]                                        # Z = w P
        Z.ravel()[self._flat_target] -= w                      # Z = w (P - Y)
        grad = np.empty_like(theta)
        np.dot(X.T, Z, out=grad[:d])
        grad[d] = Z.sum(axis=0)
        return self._finish(loss, theta, grad)

    def batch_gradient(self, theta, idx):
        """Objective gradient on the rows ``idx`` (weights renormalised over the batch)."""
        X, d = self.X[idx], self.n_features
        w = self.weights[idx]
        w = w / w.sum() if w.sum() > 0 else w
        R = softmax(X @ theta[:d] + theta[d], axis=1)
        R[np.arange(len(idx)), self.y[idx]] -= 1.0
        R *= w[:, None]
        grad = np.empty_like(theta)
        grad[:d] = X.T @ R
        grad[d] = R.sum(axis=0)
        if self.alpha:
            grad[:d] += self.alpha * theta[:d]
        return grad

    def loss(self, theta):
        """Unweighted mean cross-entropy (used for validation data)."""
        return cross_entropy_with_logits(self.y, self.X @ theta[:-1] + theta[-1])
