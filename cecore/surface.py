"""The loss surface a training run walked: its objective over a plane of the weights, with the
run's path drawn on it.

A plane through the final parameters ``theta*`` is spanned by two directions ``u`` and ``v``:

    theta(a, b) = theta* + a u + b v,     J(a, b) = sum_i w_i CE_i(theta(a, b)) + alpha/2 ||W||^2

The logits are linear in (a, b): ``Z(a, b) = Z* + a Z_u + b Z_v`` with ``Z* = [X 1] theta*``,
``Z_u = [X 1] u``, ``Z_v = [X 1] v``: three passes over X, whatever the grid. The rest is
elementwise on (rows, grid points): softplus (binary) or log-sum-exp over the classes
(softmax); the true-class logit and the penalty are linear and quadratic in (a, b) and are
summed in closed form. The elementwise part runs in float32 (numpy's vectorised exp and log1p
are 5-10x faster there) with the sums over rows in float64: the grid equals a direct float64
evaluation to about 1e-6 relative (tested).

Two planes (see :func:`exact_plane` and :func:`principal_plane`):

* exact: two of the parameters vary, every other one stays at its final value (the plane of
  the model's own coordinates; with one feature and the intercept it is the whole space);
* principal: the two main directions of the trajectory ``theta_t - theta*`` (Li et al. 2018,
  "Visualizing the Loss Landscape of Neural Nets"), the path projected onto them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

__all__ = ["LossSurface", "PlanePath", "exact_plane", "principal_directions", "principal_plane",
           "surface_grid", "theta_of"]

GRID_RESOLUTION = 60
#: float32 cells of (rows x grid points) evaluated at once: 256 KB, inside a core's L2
_BLOCK_CELLS = 64 * 1024
#: ... and for softmax, whose cells are K logits each (fewer, longer numpy calls)
_SOFTMAX_BLOCK_CELLS = 512 * 1024


def theta_of(coef, intercept, multinomial):
    """The packed parameters of :mod:`cecore.objective`: ``[w; b]`` (binary, shape (d+1,)) or
    ``[W^T; b]`` (softmax, shape (d+1, K))."""
    coef, intercept = np.asarray(coef, dtype=np.float64), np.asarray(intercept, np.float64)
    if multinomial:
        return np.vstack([coef.T, intercept[None, :]])
    return np.r_[coef[0], intercept[0]]


@dataclass(frozen=True)
class PlanePath:
    """A walk on the plane: its kept ``epochs``, their ``coords`` (a, b) (the projection of
    the parameters on a principal plane) and the ``objective`` the optimiser recorded there
    (off an exact plane with more than two parameters, not the surface's value below)."""

    epochs: np.ndarray
    coords: np.ndarray
    objective: np.ndarray


@dataclass(frozen=True)
class LossSurface:
    """``objective[j, i]`` is J at ``(a[i], b[j])`` of the plane ``center + a u + b v``;
    ``paths`` the walks drawn on it by name. ``labels`` name the axes."""

    a: np.ndarray
    b: np.ndarray
    objective: np.ndarray
    paths: dict
    labels: tuple[str, str]
    kind: str  # "exact" | "principal"
    explained: tuple[float, float] | None = None  # principal: the directions' share of variance


def _logits(objective, theta):
    """``[X 1] theta`` in float64, (n,) or (n, K)."""
    d = objective.n_features
    return objective.X @ theta[:d].astype(objective.X.dtype) + theta[d]


def surface_grid(objective, center, u, v, a, b):
    """``J(center + a_i u + b_j v)`` for every pair, as an array of shape (len(b), len(a)).

    ``objective`` is a :class:`cecore.objective.BinaryObjective` or ``MultinomialObjective``
    (its rows, normalised weights ``w`` and ``alpha`` are used), ``center``, ``u``, ``v``
    packed parameters.
    """
    center, u, v = (np.asarray(t, dtype=np.float64) for t in (center, u, v))
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    A, B = np.meshgrid(a, b)                       # (len(b), len(a))
    grid_a, grid_b = A.ravel(), B.ravel()
    w, y = objective.weights, objective.y
    z0, zu, zv = (_logits(objective, t) for t in (center, u, v))
    n_points = grid_a.size
    total = np.zeros(n_points)
    if z0.ndim == 1:
        _add_softplus_sums(total, w, z0, zu, zv, grid_a, grid_b)
    else:
        _add_logsumexp_sums(total, w, z0, zu, zv, grid_a, grid_b)
    # minus the true class's logit, linear in (a, b): sum_i w_i z_{i, y_i}
    if z0.ndim == 1:
        true = [np.dot(w * (y == 1), t) for t in (z0, zu, zv)]
    else:
        rows_ = np.arange(len(y))
        true = [np.dot(w, t[rows_, y]) for t in (z0, zu, zv)]
    total -= true[0] + grid_a * true[1] + grid_b * true[2]
    # the penalty alpha/2 ||W(a, b)||^2 on the weights (not the intercepts)
    d = objective.n_features
    cw, uw, vw = center[:d].ravel(), u[:d].ravel(), v[:d].ravel()
    penalty = (cw @ cw + 2 * grid_a * (cw @ uw) + 2 * grid_b * (cw @ vw)
               + grid_a**2 * (uw @ uw) + 2 * grid_a * grid_b * (uw @ vw) + grid_b**2 * (vw @ vw))
    total += objective.alpha / 2 * penalty
    return total.reshape(A.shape)


def _add_softplus_sums(total, w, z0, zu, zv, grid_a, grid_b):
    """``total[g] += sum_i w_i softplus(z0_i + a_g zu_i + b_g zv_i)``, in blocks of rows
    small enough to stay in cache, float32 cells into preallocated buffers, float64 sums.
    softplus(z) = max(z, 0) + log1p(exp(-|z|))."""
    ga, gb = grid_a.astype(np.float32), grid_b.astype(np.float32)
    rows = max(1, _BLOCK_CELLS // ga.size)
    z = np.empty((rows, ga.size), dtype=np.float32)
    tail = np.empty_like(z)
    for start in range(0, len(w), rows):
        stop = min(start + rows, len(w))
        m = stop - start
        zb, tb = z[:m], tail[:m]
        np.multiply(zu[start:stop, None].astype(np.float32), ga, out=zb)
        zb += zv[start:stop, None].astype(np.float32) * gb
        zb += z0[start:stop, None].astype(np.float32)
        np.abs(zb, out=tb)
        np.negative(tb, out=tb)
        np.exp(tb, out=tb)
        np.log1p(tb, out=tb)
        np.maximum(zb, 0, out=zb)
        zb += tb
        total += w[start:stop].astype(np.float32) @ zb


def _add_logsumexp_sums(total, w, z0, zu, zv, grid_a, grid_b):
    """``total[g] += sum_i w_i logsumexp_k (Z0 + a_g Zu + b_g Zv)_ik``, blocked like
    :func:`_add_softplus_sums`."""
    K = z0.shape[1]
    ga, gb = grid_a.astype(np.float32)[:, None], grid_b.astype(np.float32)[:, None]
    rows = max(1, _SOFTMAX_BLOCK_CELLS // (ga.size * K))
    for start in range(0, len(w), rows):
        stop = min(start + rows, len(w))
        Z = zu[start:stop, None, :].astype(np.float32) * ga
        Z += zv[start:stop, None, :].astype(np.float32) * gb
        Z += z0[start:stop, None, :].astype(np.float32)
        top = Z.max(axis=2)
        Z -= top[:, :, None]
        np.exp(Z, out=Z)
        cells = np.log(Z.sum(axis=2))
        cells += top
        total += w[start:stop].astype(np.float32) @ cells


def _span(values, margin=0.25, floor=1e-3):
    """A grid range around 0 and the values, widened by ``margin`` of their extent."""
    low, high = min(0.0, float(np.min(values))), max(0.0, float(np.max(values)))
    pad = margin * max(high - low, floor)
    return low - pad, high + pad


def _plane(objective, center, walks, directions, resolution):
    """The grid around ``center`` on the plane of the two (unit) ``directions`` and each
    walk's points projected on it: ``(a_t, b_t) = (theta_t - center) . (u, v)``."""
    center = np.asarray(center, dtype=np.float64)
    paths = {}
    for name, walk in walks.items():
        offsets = (np.asarray(walk.thetas, dtype=np.float64) - center).reshape(
            len(walk.epochs), -1)
        paths[name] = PlanePath(epochs=np.asarray(walk.epochs), coords=offsets @ directions.T,
                                objective=np.asarray(walk.objective, dtype=np.float64))
    every = np.vstack([path.coords for path in paths.values()] or [np.zeros((1, 2))])
    a = np.linspace(*_span(every[:, 0]), resolution)
    b = np.linspace(*_span(every[:, 1]), resolution)
    u, v = (direction.reshape(center.shape) for direction in directions)
    return a, b, surface_grid(objective, center, u, v, a, b), paths


def exact_plane(objective, center, walks, first, second, labels,
                resolution=GRID_RESOLUTION):
    """The plane where parameters ``first`` and ``second`` (flat indices into the packed
    theta) vary and every other parameter keeps its value in ``center``; each walk's points
    are the two parameters' values at its epochs (exactly on the plane when the model has no
    other parameter). The axes are the parameters' own values."""
    center = np.asarray(center, dtype=np.float64)
    directions = np.zeros((2, center.size))
    directions[0, first], directions[1, second] = 1.0, 1.0
    a, b, grid, paths = _plane(objective, center, walks, directions, resolution)
    origin = np.array([center.flat[first], center.flat[second]])
    paths = {name: replace(path, coords=path.coords + origin) for name, path in paths.items()}
    return LossSurface(a=a + origin[0], b=b + origin[1], objective=grid, paths=paths,
                       labels=tuple(labels), kind="exact")


def principal_directions(offsets):
    """The first two right singular vectors of ``offsets`` (rows: points minus the centre),
    unit vectors, shape (2, P), and their shares of the offsets' squared norm. A direction
    the points never took is the coordinate axis least along the first, made orthogonal
    to it (Gram-Schmidt)."""
    offsets = np.asarray(offsets, dtype=np.float64)
    if offsets.shape[1] > 2 * offsets.shape[0]:
        # more parameters than points (a wide model): the eigenvectors of the small Gram
        # matrix O O^T give the same right singular vectors, v_k = O^T u_k / s_k, in a
        # product instead of an SVD of the wide matrix (20 ms against 250 ms at 92 x 20,001)
        eigenvalues, vectors = np.linalg.eigh(offsets @ offsets.T)
        order = np.argsort(eigenvalues)[::-1]
        singular = np.sqrt(np.clip(eigenvalues[order], 0.0, None))
        top = [k for k in range(min(2, len(singular))) if singular[k] > 1e-12 * singular[0]]
        vt = np.array([vectors[:, order[k]] @ offsets / singular[k] for k in top])
        singular = np.where(singular > 1e-12 * max(singular[0], 1e-300), singular, 0.0)
    else:
        _, singular, vt = np.linalg.svd(offsets, full_matrices=False)
    directions = np.zeros((2, offsets.shape[1]))
    for k in range(2):
        if k < len(vt) and singular[k] > 0:
            directions[k] = vt[k]
        elif k == 0:
            directions[0, 0] = 1.0
        else:
            axis = np.zeros(offsets.shape[1])
            axis[np.argmin(np.abs(directions[0]))] = 1.0
            axis -= directions[0] * (directions[0] @ axis)
            directions[1] = axis / np.linalg.norm(axis)
    share = singular**2 / max(float((singular**2).sum()), 1e-300)
    explained = tuple(float(share[k]) if k < len(share) else 0.0 for k in range(2))
    return directions, explained


def principal_plane(objective, center, walks, resolution=GRID_RESOLUTION):
    """The plane through ``center`` spanned by the first two principal directions of every
    walk's offsets ``theta_t - center`` together (Li et al. 2018), each walk projected onto
    it; ``explained`` says how much of the offsets' squared length the plane holds."""
    center = np.asarray(center, dtype=np.float64)
    offsets = np.vstack([(np.asarray(w.thetas, dtype=np.float64) - center).reshape(
        len(w.epochs), -1) for w in walks.values()])
    directions, explained = principal_directions(offsets)
    a, b, grid, paths = _plane(objective, center, walks, directions, resolution)
    return LossSurface(a=a, b=b, objective=grid, paths=paths,
                       labels=("first principal direction", "second principal direction"),
                       kind="principal", explained=explained)
