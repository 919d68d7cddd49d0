"""The training objective of a linear classifier, its gradient, and its curvature bound.

Parameters are packed into one array ``theta``: the weights, then the intercept as the last
row. Binary: ``theta`` has shape (d + 1,) with ``z = X theta[:d] + theta[d]``. Multinomial:
``theta`` has shape (d + 1, K) with ``Z = X theta[:d] + theta[d]``.

    objective(theta) = sum_i s_i CE_i / sum_i s_i + alpha / 2 * ||W||^2

(``s`` the row weights the estimator passes: sample weight times class weight). Writing ``r_i = s_i (p_i - y_i) / sum(s)`` (``p = sigmoid(z)`` or ``softmax(Z)``, ``y``
one-hot), the gradient is ``X^T r + alpha W`` for the weights and ``sum_i r_i`` for the
intercept: the layout of sklearn's ``LinearModelLoss.loss_gradient``.

One call of :meth:`loss_objective_gradient` streams X from memory once: the rows are cut
into blocks of about :data:`BLOCK_BYTES` bytes, and each block's scores, loss and gradient
contribution ``X_b^T r_b`` are computed while the block is still in cache. The per-row
constants (weights, signs, target indices) are cut into the same blocks once, at
construction, and every intermediate lives in block-sized buffers allocated once.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

#: Bytes of X per row block: small enough that a block stays in cache (L2, or L3) between the
#: forward product ``X_b W`` and the backward product ``X_b^T r_b``, big enough that numpy's
#: per-call overhead stays small (measured flat from 1 to 2 MiB on a 1 MiB L2, 32 MiB L3).
BLOCK_BYTES = 1536 * 1024
#: From this many features on, ``X_b^T R_b^T`` (d, K) is faster than ``R_b X_b`` (K, d) in
#: OpenBLAS (measured: d=20 favours the latter by 12%, d=100 the former by 25%).
FEATURE_MAJOR_GRADIENT_MIN_D = 48
#: Fewest rows per block, however wide X is.
MIN_BLOCK_ROWS = 256


def block_bounds(n_rows, row_bytes, block_bytes=BLOCK_BYTES):
    """``[(start, stop), ...]`` cutting ``range(n_rows)`` into blocks of about ``block_bytes``.

    All blocks but the last have the same length, so two buffer sizes cover every block.
    """
    rows = max(MIN_BLOCK_ROWS, int(block_bytes // max(row_bytes, 1)))
    return [(start, min(start + rows, n_rows)) for start in range(0, n_rows, rows)]


class _LinearObjective:
    """Data, normalised sample weights, penalty and the row blocks shared by both objectives."""

    #: sup over probabilities of the largest eigenvalue of the loss Hessian in the logits
    curvature = 0.25

    def __init__(self, X, y_index, sample_weight, *, n_classes, alpha=0.0,
                 block_bytes=BLOCK_BYTES):
        dtype = np.float32 if np.asarray(X).dtype == np.float32 else np.float64
        #: float64, or float32 when X is float32: then every pass over X reads half the bytes,
        #: products and work rows are float32, and sums over blocks are float64.
        self.X = X = np.ascontiguousarray(X, dtype=dtype)
        self.y = y_index = np.asarray(y_index, dtype=np.intp)
        n = X.shape[0]
        s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.weights = s / s.sum()
        #: all weights equal (``fit`` passes ones when no weights were given)
        self.unit_weights = bool(np.all(s == s[0])) if n else True
        self.alpha = float(alpha)
        self.n_classes = n_classes
        self.block_bytes = block_bytes
        self._blocks = self._make_blocks(X, y_index, self.weights)

    @property
    def n_features(self):
        return self.X.shape[1]

    def __getstate__(self):
        """Pickled without the row blocks: they are views of X and of shared work buffers
        (the multinomial scores and their flat view), which a pickle would turn into
        separate copies (the flat view then no longer sees the scores written into the
        buffer, and X would be held twice)."""
        state = dict(vars(self))
        del state["_blocks"]
        return state

    def __setstate__(self, state):
        """The blocks are cut again from the unpickled X, as the constructor cuts them."""
        vars(self).update(state)
        self._blocks = self._make_blocks(self.X, self.y, self.weights)

    def _bounds(self, n_rows):
        row_bytes = self.X.itemsize * max(self.n_features, self.n_classes)
        return block_bounds(n_rows, row_bytes, self.block_bytes)

    # --------------------------------------------------------------- curvature bound
    def lipschitz_constant(self, gram_flop_limit=3e10):
        """``L = curvature * lambda_max([X 1]^T diag(w) [X 1]) + alpha``, w = s / sum(s).

        The Hessian of the mean loss is ``[X 1]^T diag(w) H [X 1]`` with ``H`` the per-sample
        Hessian in the logits, whose eigenvalues are at most 1/4 (sigmoid) or 1/2 (softmax).
        Small problems form the (d+1)^2 Gram matrix (``X^T X / n``, one symmetric product,
        for equal weights; block by block otherwise), or, with fewer rows than columns, the
        n^2 matrix ``W^1/2 [X 1] [X 1]^T W^1/2`` that has the same largest eigenvalue; large
        ones use Lanczos on the operator ``v -> [X 1]^T w ([X 1] v)``, one blocked pass over
        X per product, and inflate its estimate by 1% so that ``L`` stays an upper bound.
        """
        n, d = self.X.shape
        m = min(n, d + 1)                            # the side of the smaller square matrix
        if n * (d + 1) * m + m ** 3 <= gram_flop_limit:
            square = self.gram() if m == d + 1 else self.row_gram()
            top = float(np.linalg.eigvalsh(square)[-1])
        else:
            op = LinearOperator((d + 1, d + 1), matvec=self.gram_matvec, dtype=np.float64)
            top = 1.01 * float(eigsh(op, k=1, which="LA", tol=1e-3,
                                     return_eigenvectors=False)[0])
        return self.curvature * top + self.alpha

    def row_lipschitz_constant(self):
        """``L_max = curvature * max_i (||x_i||^2 + 1) + alpha`` over the rows of weight > 0.

        One row's loss has the Hessian ``H_i [x_i 1]^T [x_i 1]``, of largest eigenvalue at
        most ``curvature * (||x_i||^2 + 1)``: ``L_max`` bounds the curvature of every batch
        of one row (sklearn's SAG/SAGA step ``get_auto_step_size``). ``||x_i||^2`` is summed
        in float64 block by block (no temporary the size of X).
        """
        top = 0.0
        for Xb, wb, *_ in self._blocks:
            squares = np.einsum("ij,ij->i", Xb, Xb, dtype=np.float64)[wb > 0]
            if squares.size:
                top = max(top, float(squares.max()))
        return self.curvature * (top + 1.0) + self.alpha

    def gram(self):
        """``G = [X 1]^T diag(w) [X 1]``, the (d+1, d+1) weighted second moment of the rows."""
        X, w = self.X, self.weights
        d = self.n_features
        G = np.empty((d + 1, d + 1))
        if self.unit_weights:
            G[:d, :d] = (X.T @ X) * w[0]                      # one symmetric product (syrk)
        else:
            G[:d, :d] = 0.0
            scaled = np.empty_like(self._blocks[0][0])
            for Xb, wb, *_ in self._blocks:
                buf = scaled[: len(Xb)]
                np.multiply(Xb, wb[:, None], out=buf)
                G[:d, :d] += Xb.T @ buf
        G[:d, d] = G[d, :d] = w.astype(X.dtype) @ X
        G[d, d] = w.sum()
        return G

    def row_gram(self):
        """``W^1/2 [X 1] [X 1]^T W^1/2``, (n, n): for wide data, n < d + 1."""
        root = np.sqrt(self.weights)
        K = self.X @ self.X.T
        K = K.astype(np.float64, copy=False) + 1.0
        K *= root[:, None]
        K *= root[None, :]
        return K

    def gram_matvec(self, v):
        """``[X 1]^T diag(w) ([X 1] v)`` in one blocked pass over X."""
        v = np.ravel(v).astype(self.X.dtype)         # float32 X: products in float32
        d = self.n_features
        out = np.zeros(d + 1)
        for Xb, wb, *_ in self._blocks:
            u = Xb @ v[:d]
            u += v[d]
            u *= wb
            out[:d] += u @ Xb
            out[d] += u.sum()
        return out

    def _finish(self, loss, theta, grad):
        """Add the penalty ``alpha/2 ||W||^2`` (not the intercept row) and its gradient."""
        W = theta[:-1]
        if self.alpha:
            grad[:-1] += self.alpha * W
        objective = loss + 0.5 * self.alpha * float(np.vdot(W, W))
        return loss, objective, grad

    def batch_gradient(self, theta, idx):
        """Objective gradient on the rows ``idx`` (weights renormalised over the batch)."""
        w = self.weights[idx]
        total = w.sum()
        if total > 0:
            w = w / total
        blocks = self._make_blocks(self.X[idx], self.y[idx], w)
        grad = self._loss_gradient(theta, blocks)[1]
        if self.alpha:
            grad[:-1] += self.alpha * theta[:-1]
        return grad

    def loss(self, theta):
        """The (weighted) mean cross-entropy alone, in the same blocked pass without the
        gradient half: no array the size of X's rows is allocated (validation data, each
        epoch)."""
        return self._loss_gradient(theta, self._blocks, gradient=False)[0]

    def loss_objective_gradient(self, theta):
        """Mean loss, objective and gradient at ``theta`` in one pass over X."""
        loss, grad = self._loss_gradient(theta, self._blocks)
        return self._finish(loss, theta, grad)


class BinaryObjective(_LinearObjective):
    """Sigmoid cross-entropy: ``CE_i = softplus(z_i) - y_i z_i``, ``z = X w + b``.

    With the sign ``c_i = 1 - 2 y_i`` (+1 for y = 0, -1 for y = 1) and ``v = c z``:
    ``CE = softplus(v) = max(v, 0) + log1p(exp(-|v|))`` and ``p - y = c sigmoid(v)`` with
    ``log sigmoid(v) = min(v, 0) - log1p(exp(-|v|))``, ``-|v| = min(v, 0) - max(v, 0)``:
    an exp, a log1p and an exp per row, and every sum is of terms of one sign (no
    cancellation), so both are exact for every finite ``z``.
    """

    curvature = 0.25

    def __init__(self, X, y_index, sample_weight, *, n_classes=2, alpha=0.0,
                 block_bytes=BLOCK_BYTES):
        super().__init__(X, y_index, sample_weight, n_classes=n_classes, alpha=alpha,
                         block_bytes=block_bytes)

    def _make_blocks(self, X, y_index, w):
        """Per block: ``(X_b, w_b, c_b, (c w)_b, buffers)``; buffers are shared by blocks of
        one length: four work rows, a row of zeros and a row of ones (numpy's maximum and
        sum are faster against an array than against a scalar)."""
        dtype = X.dtype
        c = 1.0 - 2.0 * np.asarray(y_index, dtype=np.float64)
        cw = (c * w).astype(dtype)
        c, w = c.astype(dtype), w.astype(dtype)
        blocks, buffers = [], {}
        for start, stop in self._bounds(X.shape[0]):
            m = stop - start
            if m not in buffers:
                buffers[m] = np.empty((6, m), dtype=dtype)
                buffers[m][4], buffers[m][5] = 0.0, 1.0
            blocks.append((X[start:stop], w[start:stop], c[start:stop], cw[start:stop],
                           buffers[m]))
        return blocks

    def initial(self):
        """Zero weights and the intercept that is optimal for them: the log-odds of the
        (weighted) class frequencies, ``b = log(f_1 / f_0)``. Zero if a class has no weight."""
        theta = np.zeros(self.n_features + 1)
        f = np.bincount(self.y, weights=self.weights, minlength=2)
        if np.all(f > 0):
            theta[-1] = np.log(f[1]) - np.log(f[0])
        return theta

    def coef_intercept(self, theta):
        return theta[None, :-1].copy(), theta[-1:].copy()

    def pack(self, coef, intercept):
        """``theta`` of ``coef`` (1, d) and ``intercept`` (1,): the inverse of
        :meth:`coef_intercept`."""
        return np.concatenate([np.ravel(coef), np.ravel(intercept)]).astype(np.float64)

    def _loss_gradient(self, theta, blocks, gradient=True):
        """``(sum_i w_i CE_i, [X^T r; sum r])`` with ``r = w (p - y)``, block by block
        (``(loss, None)`` with ``gradient=False``)."""
        d = self.n_features
        dtype = self.X.dtype
        coef, intercept = theta[:d].astype(dtype), dtype.type(theta[d])
        grad_w = np.empty((len(blocks), d), dtype=dtype)
        grad_b = np.empty(len(blocks))
        loss = 0.0
        for j, (Xb, wb, cb, cwb, (v, e, t, r, zeros, ones)) in enumerate(blocks):
            np.dot(Xb, coef, out=v)
            v += intercept
            v *= cb                                  # v = c z
            np.maximum(v, zeros, out=t)
            np.minimum(v, zeros, out=r)
            np.subtract(r, t, out=e)                 # e = -|v|
            np.exp(e, out=e)
            np.log1p(e, out=e)                       # e = log1p(exp(-|v|))
            t += e                                   # t = max(v, 0) + e = softplus(v) = CE
            loss += float(np.dot(wb, t))
            if not gradient:
                continue
            r -= e                                   # r = min(v, 0) - e = log sigmoid(v)
            np.exp(r, out=r)
            r *= cwb                                 # r = w c sigmoid(v) = w (p - y)
            np.dot(r, Xb, out=grad_w[j])
            grad_b[j] = np.dot(r, ones)
        if not gradient:
            return loss, None
        grad = np.empty(d + 1)
        np.sum(grad_w, axis=0, dtype=np.float64, out=grad[:d])
        grad[d] = grad_b.sum()
        return loss, grad



class MultinomialObjective(_LinearObjective):
    """Softmax cross-entropy: ``CE_i = logsumexp(Z_i) - Z_{i, y_i}``, ``Z = X W + b``.

    Scores are kept class-major, ``S = W^T X_b^T + b`` of shape (K, rows), so the max and the
    sum over classes are elementwise operations between K long rows. With ``m = max_k S_k``:
    ``CE = log(sum_k exp(S_k - m)) - (S_y - m)`` and ``P = exp(S - m) / sum_k exp(S_k - m)``.
    """

    curvature = 0.5

    def _make_blocks(self, X, y_index, w):
        """Per block: ``(X_b, w_b, flat index of (y_i, i) in a (K, rows) array, buffers)``;
        buffers are shared by blocks of one length: the (K, rows) scores, their flat view,
        three work rows and a row of ones."""
        K, dtype = self.n_classes, X.dtype
        y_index = np.asarray(y_index, dtype=np.intp)
        w = w.astype(dtype)
        blocks, buffers = [], {}
        for start, stop in self._bounds(X.shape[0]):
            m = stop - start
            if m not in buffers:
                S = np.empty((K, m), dtype=dtype)
                buffers[m] = (S, S.reshape(-1), np.empty((3, m), dtype=dtype),
                              np.ones(m, dtype=dtype))
            target = y_index[start:stop] * m + np.arange(m)
            blocks.append((X[start:stop], w[start:stop], target, *buffers[m]))
        return blocks

    def initial(self):
        """Zero weights and the intercepts that are optimal for them: ``b_k = log f_k`` (centred)
        for the (weighted) class frequencies ``f``. Zero if a class has no weight."""
        theta = np.zeros((self.n_features + 1, self.n_classes))
        f = np.bincount(self.y, weights=self.weights, minlength=self.n_classes)
        if np.all(f > 0):
            theta[-1] = np.log(f) - np.log(f).mean()
        return theta

    def coef_intercept(self, theta):
        return theta[:-1].T.copy(), theta[-1].copy()

    def pack(self, coef, intercept):
        """``theta`` of ``coef`` (K, d) and ``intercept`` (K,): the inverse of
        :meth:`coef_intercept`."""
        return np.vstack([np.asarray(coef, dtype=np.float64).T,
                          np.asarray(intercept, dtype=np.float64)[None, :]])

    def _loss_gradient(self, theta, blocks, gradient=True):
        """``(sum_i w_i CE_i, [X^T R; sum R])`` with ``R = w (P - Y)``, block by block
        (``(loss, None)`` with ``gradient=False``)."""
        d, K = self.n_features, self.n_classes
        dtype = self.X.dtype
        coef_t = np.ascontiguousarray(theta[:d].T, dtype=dtype)          # (K, d)
        intercept = theta[d][:, None].astype(dtype)                       # (K, 1)
        feature_major = d >= FEATURE_MAJOR_GRADIENT_MIN_D
        grad_w = np.empty((len(blocks), d, K) if feature_major else (len(blocks), K, d),
                          dtype=dtype)
        grad_b = np.empty((len(blocks), K), dtype=dtype)
        loss = 0.0
        for j, (Xb, wb, target, S, flat, (mx, s, zy), ones) in enumerate(blocks):
            np.dot(coef_t, Xb.T, out=S)
            S += intercept
            np.max(S, axis=0, out=mx)
            S -= mx                                           # S = Z - m (class-major)
            np.take(flat, target, out=zy)                     # zy = Z_y - m
            np.exp(S, out=S)
            np.sum(S, axis=0, out=s)
            np.log(s, out=mx)
            mx -= zy                                          # mx = CE
            loss += float(np.dot(wb, mx))
            if not gradient:
                continue
            np.divide(wb, s, out=s)
            S *= s                                            # S = w P
            np.subtract.at(flat, target, wb)                  # S = w (P - Y)
            if feature_major:
                np.dot(Xb.T, S.T, out=grad_w[j])             # (d, K)
            else:
                np.dot(S, Xb, out=grad_w[j])                 # (K, d)
            np.dot(S, ones, out=grad_b[j])
        if not gradient:
            return loss, None
        grad = np.empty((d + 1, K))
        total = grad_w.sum(axis=0, dtype=np.float64)
        grad[:d] = total if feature_major else total.T
        np.sum(grad_b, axis=0, dtype=np.float64, out=grad[d])
        return loss, grad

