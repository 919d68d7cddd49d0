"""cecore.objective: the blocked one-pass loss and gradient equal the plain dense formulas."""

from itertools import pairwise

import numpy as np
import pytest
from scipy.special import expit, log_softmax, softmax

from cecore.objective import BinaryObjective, MultinomialObjective, block_bounds

# Small blocks so that a few hundred rows make several blocks and a shorter last one.
BLOCK_BYTES = 2048


def _data(n, d, n_classes, weighted, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + rng.normal(size=d)
    y = rng.integers(0, n_classes, size=n)
    sw = rng.uniform(0.1, 3.0, size=n) if weighted else None
    return X, y, sw


def _dense(X, y, sw, theta, alpha, n_classes):
    """Mean loss, objective and gradient straight from the definitions, no blocks."""
    n = len(y)
    w = np.ones(n) if sw is None else np.asarray(sw, dtype=float)
    w = w / w.sum()
    if n_classes == 2 and theta.ndim == 1:
        z = X @ theta[:-1] + theta[-1]
        loss = w @ (np.logaddexp(0.0, z) - y * z)
        r = w * (expit(z) - y)
    else:
        Z = X @ theta[:-1] + theta[-1]
        loss = -(w @ log_softmax(Z, axis=1)[np.arange(n), y])
        r = softmax(Z, axis=1)
        r[np.arange(n), y] -= 1.0
        r *= w[:, None]
    grad = np.concatenate([X.T @ r + alpha * theta[:-1], r.sum(axis=0)[None]])
    objective = loss + 0.5 * alpha * np.sum(theta[:-1] ** 2)
    return loss, objective, grad.reshape(theta.shape)


def _objective(n_classes, X, y, sw, alpha):
    if n_classes == 2:
        return BinaryObjective(X, y, sw, alpha=alpha, block_bytes=BLOCK_BYTES)
    return MultinomialObjective(X, y, sw, n_classes=n_classes, alpha=alpha,
                                block_bytes=BLOCK_BYTES)


def _theta(objective, seed=1, scale=0.5):
    return np.random.default_rng(seed).normal(scale=scale, size=objective.initial().shape)


def _assert_close(actual, expected, rtol=1e-12):
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol * scale)


def test_blocks_cover_the_rows_once_with_one_shorter_last_block():
    bounds = block_bounds(1000, 80, block_bytes=8 * 1024)
    assert bounds[0] == (0, 256) and bounds[-1][1] == 1000
    assert all(a[1] == b[0] for a, b in pairwise(bounds))
    assert len({stop - start for start, stop in bounds[:-1]}) == 1


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("n_classes,d", [(2, 7), (3, 5), (5, 60)])
def test_loss_objective_gradient_equals_the_dense_computation(n_classes, d, weighted):
    n = 1000                                    # not a multiple of any block length here
    X, y, sw = _data(n, d, n_classes, weighted)
    objective = _objective(n_classes, X, y, sw, alpha=0.03)
    assert len(objective._blocks) > 2 and n % len(objective._blocks[0][0]) != 0
    theta = _theta(objective)
    loss, obj, grad = objective.loss_objective_gradient(theta)
    ref_loss, ref_obj, ref_grad = _dense(X, y, sw, theta, 0.03, n_classes)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    assert obj == pytest.approx(ref_obj, rel=1e-12)
    assert grad.shape == theta.shape
    _assert_close(grad, ref_grad)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_extreme_logits_stay_exact_and_finite(n_classes):
    X, y, sw = _data(300, 3, n_classes, weighted=True, seed=2)
    objective = _objective(n_classes, X, y, sw, alpha=0.0)
    for scale in (50.0, 800.0):
        theta = _theta(objective, seed=3, scale=scale)
        loss, _, grad = objective.loss_objective_gradient(theta)
        ref_loss, _, ref_grad = _dense(X, y, sw, theta, 0.0, n_classes)
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
        assert loss == pytest.approx(ref_loss, rel=1e-12)
        _assert_close(grad, ref_grad, rtol=1e-11)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_batch_gradient_equals_the_dense_gradient_of_the_batch(n_classes, weighted):
    X, y, sw = _data(900, 6, n_classes, weighted)
    objective = _objective(n_classes, X, y, sw, alpha=0.1)
    theta = _theta(objective)
    idx = np.random.default_rng(4).permutation(900)[:333]
    expected = _dense(X[idx], y[idx], None if sw is None else sw[idx], theta, 0.1, n_classes)[2]
    _assert_close(objective.batch_gradient(theta, idx), expected)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_lipschitz_constant_bounds_the_curvature(n_classes, weighted):
    X, y, sw = _data(700, 5, n_classes, weighted)
    objective = _objective(n_classes, X, y, sw, alpha=0.2)
    w = np.ones(700) if sw is None else sw
    A = np.column_stack([X, np.ones(700)])
    top = np.linalg.eigvalsh(A.T @ (A * (w / w.sum())[:, None]))[-1]
    expected = objective.curvature * top + 0.2
    assert objective.lipschitz_constant() == pytest.approx(expected, rel=1e-12)
    lanczos = objective.lipschitz_constant(gram_flop_limit=0)
    assert expected <= lanczos <= 1.02 * expected


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lipschitz_constant_of_wide_data_comes_from_the_row_gram(n_classes):
    """Fewer rows than columns: the n x n matrix has the (d+1) x (d+1) one's top eigenvalue."""
    X, y, sw = _data(40, 500, n_classes, weighted=True, seed=6)
    objective = _objective(n_classes, X, y, sw, alpha=0.0)
    assert objective.row_gram().shape == (40, 40)
    expected = objective.curvature * np.linalg.eigvalsh(objective.gram())[-1]
    assert objective.lipschitz_constant() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_float32_data_gives_the_float64_loss_and_gradient_to_float32_precision(n_classes):
    X, y, sw = _data(1000, 9, n_classes, weighted=True, seed=8)
    wide = _objective(n_classes, X, y, sw, alpha=0.01)
    narrow = _objective(n_classes, X.astype(np.float32), y, sw, alpha=0.01)
    assert narrow.X.dtype == np.float32 and len(narrow._blocks) > 2
    theta = _theta(wide)
    loss64, obj64, grad64 = wide.loss_objective_gradient(theta)
    loss32, obj32, grad32 = narrow.loss_objective_gradient(theta)
    assert grad32.dtype == np.float64 and isinstance(loss32, float)
    assert loss32 == pytest.approx(loss64, rel=1e-6)
    assert obj32 == pytest.approx(obj64, rel=1e-6)
    _assert_close(grad32, grad64, rtol=1e-4)
    assert narrow.lipschitz_constant() == pytest.approx(wide.lipschitz_constant(), rel=1e-5)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_loss_alone_equals_the_loss_of_the_full_pass(n_classes):
    X, y, _ = _data(1000, 6, n_classes, weighted=False, seed=9)
    objective = _objective(n_classes, X, y, None, alpha=0.5)
    theta = _theta(objective, seed=10, scale=5.0)
    assert objective.loss(theta) == objective.loss_objective_gradient(theta)[0]
    assert objective.loss(theta) == pytest.approx(_dense(X, y, None, theta, 0.0, n_classes)[0],
                                                  rel=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_an_unpickled_objective_computes_the_same_and_views_its_own_X(n_classes):
    """The blocks hold views of X and of shared work buffers (the multinomial scores and
    their flat view): pickling them would split each view from its buffer."""
    import pickle

    X, y, sw = _data(1000, 6, n_classes, weighted=True, seed=11)
    objective = _objective(n_classes, X, y, sw, alpha=0.3)
    restored = pickle.loads(pickle.dumps(objective))
    theta = _theta(objective, seed=12)
    for before, after in zip(objective.loss_objective_gradient(theta),
                             restored.loss_objective_gradient(theta), strict=True):
        np.testing.assert_array_equal(after, before)
    np.testing.assert_array_equal(restored.batch_gradient(theta, np.arange(0, 1000, 3)),
                                  objective.batch_gradient(theta, np.arange(0, 1000, 3)))
    assert restored.loss(theta) == objective.loss(theta)
    assert len(restored._blocks) == len(objective._blocks) > 1
    assert all(np.shares_memory(block[0], restored.X) for block in restored._blocks)
