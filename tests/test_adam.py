"""solver="adam": Kingma and Ba's update, its "auto" step, full batch and mini-batch, the
divergence check and the tol stop, partial_fit."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from cecore import LogisticRegressionGD, SoftmaxRegressionGD
from cecore.models import DivergenceWarning
from cecore.optimizers import Adam
from cecore.steps import ADAM_LEARNING_RATE

ALPHA = 0.01
LOADERS = {"breast_cancer": load_breast_cancer, "wine": load_wine, "iris": load_iris}


def _data(name):
    X, y = LOADERS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _estimator(y, **params):
    cls = LogisticRegressionGD if len(np.unique(y)) == 2 else SoftmaxRegressionGD
    return cls(solver="adam", alpha=ALPHA, **params)


def _lbfgs_objective(X, y):
    ref = LogisticRegression(C=1 / (ALPHA * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    return log_loss(y, ref.predict_proba(X)) + 0.5 * ALPHA * float((ref.coef_ ** 2).sum())


def test_the_update_is_kingma_and_ba_with_bias_correction():
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(4, 3))
    adam = Adam(theta)
    m = v = np.zeros_like(theta)
    expected = theta.copy()
    for k in range(1, 6):
        g = rng.normal(size=theta.shape) * 10.0 ** (k - 3)
        theta = adam.step(theta, g, 0.05)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected = expected - 0.05 * (m / (1 - 0.9 ** k)) / (np.sqrt(v / (1 - 0.999 ** k)) + 1e-8)
        np.testing.assert_allclose(theta, expected, rtol=1e-14, atol=1e-15)
    # the first step moves every coordinate by lr (sign(g) up to eps): Adam is scale-free
    first = Adam(np.zeros(3)).step(np.zeros(3), np.array([1e-3, -5.0, 2e4]), 0.1)
    np.testing.assert_allclose(first, [-0.1, 0.1, -0.1], rtol=1e-4)


@pytest.mark.parametrize("name,epochs", [("breast_cancer", 150), ("wine", 150), ("iris", 150)])
def test_full_batch_adam_with_its_defaults_reaches_lbfgs_within_1e3(name, epochs):
    """Measured: within 1e-3 relative from epoch 77 (breast cancer), 87 (wine), 89 (iris)
    on, and the gradient norm reaches tol=1e-6 at epoch 228, 231, 258."""
    X, y = _data(name)
    best = _lbfgs_objective(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = _estimator(y, max_epochs=epochs).fit(X, y)
    assert {r["learning_rate"] for r in model.history_} == {ADAM_LEARNING_RATE}
    gaps = np.array([r["objective"] for r in model.history_]) / best - 1
    assert gaps[-1] < 1e-3
    assert gaps[-1] > 0 and gaps[0] > 0.1                       # it had a long way to go
    converged = _estimator(y).fit(X, y)                         # max_epochs=1000, tol=1e-6
    assert converged.stop_reason_ == "converged" and converged.n_iter_ < 400
    assert converged.history_[-1]["objective"] == pytest.approx(best, rel=1e-8)
    assert "Converged: gradient norm <= tol=1e-06." == converged.stop_message_


@pytest.mark.parametrize("name", list(LOADERS))
def test_mini_batch_adam_settles_near_the_optimum_as_its_step_halves(name):
    """Measured after 30 epochs of 32 rows (mean of 3 seeds): 2.2e-4, 1.7e-3, 1.1e-3 above
    lbfgs's objective, against 6.7e-2, 1.7e-2, 4.7e-3 at Adam's constant step."""
    X, y = _data(name)
    best = _lbfgs_objective(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", DivergenceWarning)
        model = _estimator(y, batch_size=32, max_epochs=30, random_state=0).fit(X, y)
    steps = np.array([r["learning_rate"] for r in model.history_])
    assert steps[0] == ADAM_LEARNING_RATE and np.all(np.diff(steps) <= 0)
    halvings = np.log2(ADAM_LEARNING_RATE / steps)
    np.testing.assert_allclose(halvings, np.round(halvings), atol=1e-12)
    assert steps[-1] < steps[0]                                  # it did halve
    assert model.history_[-1]["objective"] / best - 1 < 5e-3
    assert "Each mini-batch step follows one batch's gradient" in model.stop_message_


def test_the_divergence_check_and_the_out_of_epochs_message_apply_to_adam():
    X, y = _data("breast_cancer")
    with pytest.warns(DivergenceWarning, match="diverged at epoch"):
        model = _estimator(y, learning_rate=1e4, max_epochs=50).fit(X * 1e3, y)
    assert model.stop_reason_ == "diverged"
    with pytest.warns(ConvergenceWarning, match="Adam's steps shrink only"):
        _estimator(y, max_epochs=20).fit(X, y)


def test_adam_partial_fit_on_all_rows_is_fit_and_keeps_its_moments():
    X, y = _data("wine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = _estimator(y, max_epochs=25).fit(X, y)
    model = _estimator(y)
    for _ in range(25):
        model.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_allclose(model.coef_, fitted.coef_, rtol=1e-12, atol=1e-14)
    assert {r["learning_rate"] for r in model.history_} == {ADAM_LEARNING_RATE}


def test_float32_adam_follows_float64():
    X, y = _data("breast_cancer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = _estimator(y, max_epochs=100).fit(X, y)
        b = _estimator(y, max_epochs=100, dtype="float32").fit(X, y)
    assert b.history_[-1]["objective"] == pytest.approx(a.history_[-1]["objective"], rel=1e-5)


def test_the_command_trains_with_adam(capsys, tmp_path):
    import json

    from cecore import samples
    from cecore.__main__ import main

    path = tmp_path / "wine.csv"
    samples.load_sample("wine").to_csv(path, index=False)
    assert main(["train", str(path), "--target", "target", "--solver", "adam", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["stop_reason"] == "converged" and result["learning_rate"] == ADAM_LEARNING_RATE
    assert result["objective"] == pytest.approx(result["sklearn_solver"]["objective"], rel=1e-6)
