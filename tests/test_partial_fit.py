"""partial_fit: sklearn's incremental convention, one epoch per block, the same steps as a
loop written by hand, and blocks that approach lbfgs's optimum."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from cecore import LogisticRegressionGD, SoftmaxRegressionGD
from cecore.models import DivergenceWarning

ALPHA = 0.01


def _blocks(n, k, seed=0):
    return np.array_split(np.random.default_rng(seed).permutation(n), k)


def _objective(model, X, y, alpha=ALPHA):
    return log_loss(y, model.predict_proba(X)) + 0.5 * alpha * float((model.coef_ ** 2).sum())


def _lbfgs_objective(X, y, alpha=ALPHA):
    ref = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    return _objective(ref, X, y, alpha)


# ------------------------------------------------------------------ the loop, by hand
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _block_gradient(theta, A, y, alpha):
    """Gradient of mean_i CE_i + alpha/2 ||w||^2 on the rows A = [X 1]."""
    grad = A.T @ (_sigmoid(A @ theta) - y) / len(y)
    grad[:-1] += alpha * theta[:-1]
    return grad


def _block_objective(theta, A, y, alpha):
    z = A @ theta
    return float(np.mean(np.logaddexp(0, z) - y * z) + 0.5 * alpha * theta[:-1] @ theta[:-1])


def _by_hand(X, y, blocks, passes, solver="gd", batch_size=None, seed=0):
    """partial_fit's loop written out: the step min(previous, 1/L of the block) (1/L(b) with
    mini-batches, halved after an epoch that ended higher), FISTA with gradient restart and
    its momentum carried from block to block."""
    d = X.shape[1]
    first = y[blocks[0]]
    f = np.bincount(first, minlength=2) / len(first)
    theta = np.zeros(d + 1)
    theta[-1] = np.log(f[1] / f[0])
    x_prev, t, lr = theta.copy(), 1.0, math.inf
    rng = np.random.RandomState(seed)

    def step(theta, g, lr):
        nonlocal x_prev, t
        x = theta - lr * g
        if solver == "gd":
            return x
        diff = x - x_prev
        if g @ diff > 0:
            x_prev, t = x, 1.0
            return x
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        out = x + (t - 1) / t_next * diff
        x_prev, t = x, t_next
        return out

    for _ in range(passes):
        for rows in blocks:
            A = np.column_stack([X[rows], np.ones(len(rows))])
            yb, n = y[rows], len(rows)
            L = 0.25 * np.linalg.eigvalsh(A.T @ A / n)[-1] + ALPHA
            if batch_size is None:
                lr = min(lr, 1 / L)
                theta = step(theta, _block_gradient(theta, A, yb, ALPHA), lr)
                continue
            k = math.ceil(n / batch_size)
            b = n // k
            L_max = 0.25 * (np.max(np.sum(X[rows] ** 2, axis=1)) + 1) + ALPHA
            L_b = (n * (b - 1) * L + (n - b) * L_max) / (b * (n - 1))
            lr = min(lr, 1 / L_b)
            before = _block_objective(theta, A, yb, ALPHA)
            for idx in np.array_split(rng.permutation(n), k):
                theta = step(theta, _block_gradient(theta, A[idx], yb[idx], ALPHA), lr)
            if _block_objective(theta, A, yb, ALPHA) > before * (1 + 16 * np.finfo(float).eps):
                lr /= 2
                x_prev, t = theta.copy(), 1.0
    return theta, lr


@pytest.mark.parametrize("solver,batch_size", [("gd", None), ("nesterov", None), ("gd", 32),
                                               ("nesterov", 32)])
def test_partial_fit_over_blocks_is_the_loop_written_by_hand(cancer, solver, batch_size):
    X, y = cancer
    blocks = _blocks(len(y), 5)
    model = LogisticRegressionGD(alpha=ALPHA, solver=solver, batch_size=batch_size,
                                 random_state=0)
    for _ in range(3):
        for rows in blocks:
            assert model.partial_fit(X[rows], y[rows], classes=[0, 1]) is model
    theta, lr = _by_hand(X, y, blocks, 3, solver, batch_size)
    np.testing.assert_allclose(model.coef_[0], theta[:-1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, theta[-1:], rtol=1e-9, atol=1e-12)
    assert model.n_iter_ == 15 and len(model.history_) == 15
    assert [r["epoch"] for r in model.history_] == list(range(1, 16))
    steps = [r["learning_rate"] for r in model.history_]
    assert np.all(np.diff(steps) <= 0)                         # the step only shrinks
    assert model.stop_reason_ == "partial_fit"
    last = model.history_[-1]
    rows = blocks[-1]
    assert last["loss"] == pytest.approx(log_loss(y[rows], model.predict_proba(X[rows])),
                                         rel=1e-12)
    assert last["val_loss"] is None and last["seconds"] >= model.history_[0]["seconds"]


@pytest.mark.parametrize("cls,data", [(LogisticRegressionGD, "cancer"),
                                      (SoftmaxRegressionGD, "wine")])
def test_repeated_passes_over_the_blocks_approach_the_lbfgs_optimum(cls, data, request):
    """Cycling over 5 blocks at a constant step settles near the minimum (an incremental
    gradient method); measured on breast cancer: 1.4e-3 after 100 passes, 1.2e-4 after 200,
    5.6e-5 after 500 (gd); Nesterov 2.9e-3 after 10 passes, then 2.1e-4."""
    X, y = request.getfixturevalue(data)
    best = _lbfgs_objective(X, y)
    blocks = _blocks(len(y), 5)
    for solver, passes, within in [("gd", 200, 1e-3), ("nesterov", 50, 2e-3)]:
        model = cls(alpha=ALPHA, solver=solver)
        gaps = []
        for p in range(1, passes + 1):
            for rows in blocks:
                model.partial_fit(X[rows], y[rows], classes=np.unique(y))
            if p in (5, passes // 2, passes):
                gaps.append(_objective(model, X, y) / best - 1)
        assert gaps[0] > gaps[1] > gaps[2] > 0
        assert gaps[2] < within


@pytest.mark.parametrize("solver,learning_rate", [("gd", "auto"), ("nesterov", 0.2)])
def test_partial_fit_on_all_the_rows_is_fit_one_epoch_at_a_time(wine, solver, learning_rate):
    """One block of all the rows: the same steps as fit (momentum carried over)."""
    X, y = wine
    params = {"alpha": ALPHA, "solver": solver, "learning_rate": learning_rate}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = SoftmaxRegressionGD(max_epochs=40, **params).fit(X, y)
    model = SoftmaxRegressionGD(**params)
    for _ in range(40):
        model.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_allclose(model.coef_, fitted.coef_, rtol=1e-11, atol=1e-13)
    assert [r["objective"] for r in model.history_] == pytest.approx(
        [r["objective"] for r in fitted.history_], rel=1e-12)


# ------------------------------------------------------------------ the convention
def test_classes_are_required_first_and_fixed_after(cancer):
    X, y = cancer
    model = LogisticRegressionGD()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X[:50], y[:50])
    model.partial_fit(X[:50], y[:50], classes=[1, 0])
    np.testing.assert_array_equal(model.classes_, [0, 1])
    model.partial_fit(X[50:100], y[50:100])                      # later calls: optional
    model.partial_fit(X[100:150], y[100:150], classes=np.array([0, 1]))   # or the same
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] is not the same"):
        model.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    assert model.n_iter_ == 3


def test_a_block_may_lack_a_class_but_not_hold_an_unknown_one(wine):
    X, y = wine
    model = SoftmaxRegressionGD(alpha=ALPHA)
    only_two = y < 2
    model.partial_fit(X[only_two], y[only_two], classes=[0, 1, 2])
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert model.coef_.shape == (3, X.shape[1]) and model.predict_proba(X).shape == (178, 3)
    model.partial_fit(X[~only_two], y[~only_two])              # the third class arrives
    assert 2 in model.predict(X)
    with pytest.raises(ValueError, match=r"labels that are not in classes: \[7\]"):
        model.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="Only binary"):
        LogisticRegressionGD().partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="at least 2 classes"):
        SoftmaxRegressionGD().partial_fit(X, np.zeros(len(y), int), classes=[0])


def test_the_number_and_names_of_features_are_fixed_by_the_first_call(cancer):
    X, y = cancer
    model = LogisticRegressionGD().partial_fit(X[:100], y[:100], classes=[0, 1])
    assert model.n_features_in_ == 30
    with pytest.raises(ValueError, match="X has 29 features"):
        model.partial_fit(X[:100, :-1], y[:100])
    names = [f"f{i}" for i in range(30)]
    framed = LogisticRegressionGD().partial_fit(pd.DataFrame(X[:100], columns=names),
                                                y[:100], classes=[0, 1])
    np.testing.assert_array_equal(framed.feature_names_in_, names)
    with pytest.raises(ValueError, match="feature names should match"):
        framed.partial_fit(pd.DataFrame(X[:100], columns=names[::-1]), y[:100])


def test_the_step_only_shrinks_as_blocks_arrive(cancer):
    X, y = cancer
    model = LogisticRegressionGD(alpha=ALPHA)
    model.partial_fit(X[:200], y[:200], classes=[0, 1])
    model.partial_fit(3 * X[200:400], y[200:400])               # 9x the curvature
    model.partial_fit(X[400:], y[400:])
    steps = [r["learning_rate"] for r in model.history_]
    assert steps[1] < steps[0] / 5 and steps[2] == steps[1]
    fixed = LogisticRegressionGD(learning_rate=0.05)
    for rows in _blocks(len(y), 4):
        fixed.partial_fit(X[rows], y[rows], classes=[0, 1])
    assert {r["learning_rate"] for r in fixed.history_} == {0.05}


def test_partial_fit_after_fit_continues_and_fit_after_partial_fit_starts_over(cancer):
    X, y = cancer
    model = LogisticRegressionGD(alpha=ALPHA, solver="gd", max_epochs=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        reference = clone(model).set_params(max_epochs=31).fit(X, y)
    model.partial_fit(X, y)                                     # fit's classes_: no classes
    assert model.n_iter_ == 31 and len(model.history_) == 31
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert model.n_iter_ == 30 and not hasattr(model, "_incremental")


def test_class_weight_dict_but_not_balanced(cancer):
    X, y = cancer
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        LogisticRegressionGD(class_weight="balanced").partial_fit(X, y, classes=[0, 1])
    weighted = LogisticRegressionGD(class_weight={0: 2.0}).partial_fit(X, y, classes=[0, 1])
    as_rows = LogisticRegressionGD().partial_fit(X, y, classes=[0, 1],
                                                 sample_weight=np.where(y == 0, 2.0, 1.0))
    np.testing.assert_allclose(weighted.coef_, as_rows.coef_, rtol=1e-13)
    assert weighted.class_weight_.tolist() == [2.0, 1.0]


def test_a_diverging_block_is_rolled_back_with_a_warning(cancer):
    X, y = cancer
    model = LogisticRegressionGD(learning_rate=1e6)
    with pytest.warns(DivergenceWarning, match="epoch 1 .* Kept the weights from before this"):
        model.partial_fit(X, y, classes=[0, 1])
    assert model.stop_reason_ == "diverged" and model.n_iter_ == 0 and model.history_ == []
    np.testing.assert_array_equal(model.coef_, 0.0)           # the starting weights
    assert model.intercept_[0] == pytest.approx(np.log(y.mean() / (1 - y.mean())))
    model.set_params(learning_rate=0.5)                         # min(1e6, 0.5)
    model.partial_fit(X, y)
    assert model.stop_reason_ == "partial_fit" and model.history_[0]["learning_rate"] == 0.5
    model.set_params(learning_rate=1.0)                         # the step never grows
    model.partial_fit(X, y)
    assert model.history_[1]["learning_rate"] == 0.5


def test_mini_batch_partial_fit_is_reproducible_and_dask_ml_style_calls_work(cancer):
    """dask-ml's Incremental clones the estimator and passes classes= to every call."""
    X, y = cancer
    base = LogisticRegressionGD(batch_size=16, random_state=3, solver="nesterov", alpha=ALPHA)
    coefs = []
    for _ in range(2):
        model = clone(base)
        for _ in range(3):
            for rows in _blocks(len(y), 4):
                model.partial_fit(X[rows], y[rows], classes=np.array([0, 1]))
        coefs.append(model.coef_)
    np.testing.assert_array_equal(coefs[0], coefs[1])
    assert model.score(X, y) > 0.97
