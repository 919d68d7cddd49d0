"""early_stopping, validation_fraction, n_iter_no_change: SGDClassifier's meaning, the best
validation epoch restored."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from cecore import LogisticRegressionGD, SoftmaxRegressionGD
from cecore.early_stopping import EarlyStopping, validation_split
from cecore.hyperparameters import check_hyperparameters


@pytest.fixture(scope="module")
def wide():
    """100 rows, 2,000 random features, 5 of them informative: alpha=1e-4 overfits at once."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2000))
    y = (X[:, :5].sum(axis=1) + rng.normal(size=100) > 0).astype(int)
    return X, y


def _held_out(y, fraction=0.1, seed=0):
    return validation_split(np.searchsorted(np.unique(y), y), fraction, seed)


@pytest.mark.parametrize("solver", ["gd", "nesterov", "adam"])
def test_early_stopping_stops_an_overfitting_run_and_restores_its_best_epoch(wide, solver):
    X, y = wide
    model = LogisticRegressionGD(solver=solver, alpha=1e-4, early_stopping=True,
                                 random_state=0, max_epochs=1000)
    coefs = {}
    for record in model.fit_iter(X, y):
        coefs[record["epoch"]] = model.coef_.copy()
    assert model.stop_reason_ == "early_stopping"
    assert model.n_iter_ < 20 and len(model.history_) == model.n_iter_   # measured: 6 or 7
    val = [r["val_loss"] for r in model.history_]
    best = int(np.argmin(val)) + 1
    assert model.best_epoch_ == best and model.n_iter_ == best + 5      # n_iter_no_change=5
    np.testing.assert_array_equal(model.coef_, coefs[best])
    # the restored model's loss on the held-out rows is the lowest of the records
    fit_rows, held = _held_out(y)
    assert len(held) == 10 and len(fit_rows) == 90
    assert log_loss(y[held], model.predict_proba(X[held])) == pytest.approx(min(val), rel=1e-12)
    # ... and the records' loss is that of the 90 rows it trained on, at each epoch
    last = model.history_[-1]
    assert last["loss"] < model.history_[best - 1]["loss"]              # training kept falling
    assert model.stop_message_.startswith(f"Stopped early at epoch {model.n_iter_}: the "
                                          "validation loss (on 10 held-out rows")
    assert f"Kept the weights of epoch {best}" in model.stop_message_
    # without early stopping the same run goes on and on
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = LogisticRegressionGD(solver=solver, alpha=1e-4, max_epochs=60).fit(X, y)
    assert plain.n_iter_ == 60 and plain.best_epoch_ is None


def test_no_improvement_means_not_below_best_minus_tol_for_n_epochs():
    class Rows:
        X = np.zeros((3, 1))

    stopper = EarlyStopping(Rows(), tol=0.1, patience=2, fraction=0.1)
    theta = np.zeros(2)
    # 1.0 best; 0.95 is not 0.1 better (1 without improvement) but is the new best;
    # 0.80 is (reset); 0.79, 0.75 are not: stop at the second
    decisions = [stopper.update(e, v, theta + e) for e, v in
                 enumerate([1.0, 0.95, 0.80, 0.79, 0.75], start=1)]
    assert decisions == [False, False, False, False, True]
    assert stopper.best_epoch == 5 and stopper.best_loss == 0.75
    np.testing.assert_array_equal(stopper.best_theta, theta + 5)


def test_the_held_out_rows_are_a_stratified_seeded_share():
    X, y = load_wine(return_X_y=True)
    fit_rows, held = _held_out(y, 0.2, seed=3)
    assert len(held) == 36 and len(np.intersect1d(fit_rows, held)) == 0
    assert len(fit_rows) + len(held) == len(y)
    np.testing.assert_allclose(np.bincount(y[held]) / 36, np.bincount(y) / len(y), atol=0.02)
    np.testing.assert_array_equal(held, _held_out(y, 0.2, seed=3)[1])
    assert not np.array_equal(held, _held_out(y, 0.2, seed=4)[1])


def _weighted_loss(coef, intercept, X, y, w):
    z = X @ coef[0] + intercept[0]
    p = 1 / (1 + np.exp(-z))
    return log_loss(y, np.column_stack([1 - p, p]), sample_weight=w, labels=[0, 1])


def test_val_loss_is_x_val_when_given_and_the_monitor_still_uses_the_held_out_rows():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    params = {"solver": "nesterov", "alpha": 1e-3, "early_stopping": True,
              "validation_fraction": 0.25, "n_iter_no_change": 3, "random_state": 2,
              "class_weight": "balanced", "max_epochs": 300}
    with_x_val, without = LogisticRegressionGD(**params), LogisticRegressionGD(**params)
    weights, records = [], []
    for record in with_x_val.fit_iter(X, y, sample_weight=sw, X_val=X[:50], y_val=y[:50]):
        weights.append((with_x_val.coef_.copy(), with_x_val.intercept_.copy()))
        records.append(record)
        assert record["val_loss"] == pytest.approx(
            log_loss(y[:50], with_x_val.predict_proba(X[:50])), rel=1e-12)
    plain_records = list(without.fit_iter(X, y, sample_weight=sw))
    fit_rows, held = _held_out(y, 0.25, seed=2)
    w = sw * with_x_val.class_weight_[y]      # class weights of all the training rows
    monitored = [_weighted_loss(c, b, X[held], y[held], w[held]) for c, b in weights]
    assert [r["val_loss"] for r in plain_records] == pytest.approx(monitored, rel=1e-12)
    for (c, b), record in zip(weights, records, strict=True):   # trained on the other rows
        assert record["loss"] == pytest.approx(
            _weighted_loss(c, b, X[fit_rows], y[fit_rows], w[fit_rows]), rel=1e-12)
    best = int(np.argmin(monitored)) + 1
    assert with_x_val.best_epoch_ == without.best_epoch_ == best
    assert with_x_val.stop_reason_ == "early_stopping" and with_x_val.n_iter_ == best + 3
    np.testing.assert_array_equal(with_x_val.coef_, weights[best - 1][0])
    np.testing.assert_array_equal(without.coef_, with_x_val.coef_)


def test_a_run_that_converges_keeps_its_best_validation_epoch_too():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = SoftmaxRegressionGD(solver="nesterov", alpha=0.01, early_stopping=True,
                                n_iter_no_change=10_000, random_state=0).fit(X, y)
    assert model.stop_reason_ == "converged"
    val = [r["val_loss"] for r in model.history_]
    assert model.best_epoch_ == int(np.argmin(val)) + 1
    assert model.stop_message_.startswith("Converged: gradient norm <= tol=1e-06. Kept the "
                                          f"weights of epoch {model.best_epoch_}")
    assert model.n_iter_ < 200 and len(_held_out(y)[1]) == 18           # ceil(0.1 * 178)
    assert model.history_[-1]["grad_norm"] <= 1e-6                     # on the other 160


@pytest.mark.parametrize("name,value,wanted", [
    ("early_stopping", "yes", "True or False"), ("early_stopping", 1, "True or False"),
    ("validation_fraction", 0.0, "a number strictly between 0 and 1"),
    ("validation_fraction", 1.0, "a number strictly between 0 and 1"),
    ("validation_fraction", float("nan"), "a number strictly between 0 and 1"),
    ("n_iter_no_change", 0, "a whole number >= 1"), ("n_iter_no_change", 2.5,
                                                     "a whole number >= 1"),
])
def test_invalid_early_stopping_settings_are_refused_by_the_one_check(name, value, wanted):
    with pytest.raises(ValueError) as direct:
        check_hyperparameters(**{name: value})
    assert str(direct.value) == f"{name} must be {wanted}, not {value!r}."
    X, y = np.arange(40.0).reshape(20, 2), np.array([0, 1] * 10)
    with pytest.raises(ValueError) as from_fit:
        LogisticRegressionGD(**{name: value}).fit(X, y)
    assert str(from_fit.value) == str(direct.value)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_too_few_rows_to_hold_out_every_class_say_so():
    X, y = np.arange(40.0).reshape(20, 2), np.array([0, 1, 2, 3] * 5)
    with pytest.raises(ValueError, match=r"early_stopping cannot hold out a stratified "
                                         r"validation_fraction=0.1 of 20 training rows"):
        SoftmaxRegressionGD(early_stopping=True).fit(X, y)
    SoftmaxRegressionGD(early_stopping=True, validation_fraction=0.2, max_epochs=5).fit(X, y)


def test_partial_fit_ignores_early_stopping():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    a = LogisticRegressionGD(early_stopping=True).partial_fit(X, y, classes=[0, 1])
    b = LogisticRegressionGD().partial_fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(a.coef_, b.coef_)
