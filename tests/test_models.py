"""cecore.models: sklearn's estimator checks, the same optimum as lbfgs, fit_iter semantics."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from cecore import LogisticRegressionGD, SoftmaxRegressionGD
from cecore.models import DivergenceWarning, encode_labels
from cecore.steps import MAX_STEP_GROWTH


@parametrize_with_checks([LogisticRegressionGD(), SoftmaxRegressionGD(),
                          LogisticRegressionGD(solver="adam"), SoftmaxRegressionGD(solver="adam")])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if estimator.solver == "adam":
            # Adam's "auto" step (0.1) suits standardized features; on a few checks' unscaled
            # toy data (check_fit_idempotent, check_fit_check_is_fitted, check_n_features_in)
            # it overshoots, the divergence check rolls the step back, and the check passes.
            warnings.simplefilter("ignore", DivergenceWarning)
        check(estimator)


def _standardized(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _synthetic(n_classes):
    X, y = make_classification(n_samples=600, n_features=8, n_informative=5,
                               n_classes=n_classes, random_state=n_classes)
    return StandardScaler().fit_transform(X), y


DATASETS = {
    "breast_cancer": lambda: _standardized(load_breast_cancer),
    "wine": lambda: _standardized(load_wine),
    "iris": lambda: _standardized(load_iris),
    "digits": lambda: _standardized(load_digits),
    "synthetic_binary": lambda: _synthetic(2),
    "synthetic_4_classes": lambda: _synthetic(4),
}


def _sklearn_objective(model, X, y, alpha, sample_weight=None):
    return (log_loss(y, model.predict_proba(X), sample_weight=sample_weight)
            + 0.5 * alpha * float((model.coef_ ** 2).sum()))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", list(DATASETS))
def test_same_minimum_as_sklearn_lbfgs(name, weighted):
    X, y = DATASETS[name]()
    sw = np.random.default_rng(0).uniform(0.2, 3.0, len(y)) if weighted else None
    alpha = 1e-2
    total_weight = len(y) if sw is None else sw.sum()
    ours_cls = LogisticRegressionGD if len(np.unique(y)) == 2 else SoftmaxRegressionGD
    ours = ours_cls(solver="nesterov", alpha=alpha, tol=1e-10, max_epochs=50_000)
    ours.fit(X, y, sample_weight=sw)
    ref = LogisticRegression(C=1 / (alpha * total_weight), tol=1e-12, max_iter=20_000)
    ref.fit(X, y, sample_weight=sw)

    assert ours.stop_reason_ == "converged"
    ours_objective = ours.history_[-1]["objective"]
    ref_objective = _sklearn_objective(ref, X, y, alpha, sw)
    assert ours_objective == pytest.approx(_sklearn_objective(ours, X, y, alpha, sw), rel=1e-12)
    assert ours_objective == pytest.approx(ref_objective, rel=1e-6)
    assert ours_objective <= ref_objective * (1 + 1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4 * np.abs(ref.coef_).max())
    assert ours.coef_.shape == ref.coef_.shape
    np.testing.assert_array_equal(ours.classes_, ref.classes_)


def test_unpenalised_binary_fit_matches_sklearn_without_penalty():
    X, y = _synthetic(2)
    X = X + np.random.default_rng(1).normal(scale=2.0, size=X.shape)  # not separable
    ours = LogisticRegressionGD(solver="nesterov", alpha=0.0, tol=1e-10, max_epochs=50_000)
    ours.fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    assert ours.history_[-1]["loss"] == pytest.approx(log_loss(y, ref.predict_proba(X)),
                                                      rel=1e-9)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cls,name", [(LogisticRegressionGD, "breast_cancer"),
                                      (SoftmaxRegressionGD, "wine")])
@pytest.mark.parametrize("solver,batch_size", [("gd", None), ("nesterov", None), ("gd", 64)])
def test_fit_iter_record_is_the_log_loss_of_the_model_at_that_epoch(cls, name, solver,
                                                                    batch_size):
    X, y = DATASETS[name]()
    sw = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    X_val, y_val = X[::3], y[::3]
    model = cls(max_epochs=25, solver=solver, batch_size=batch_size, alpha=1e-3,
                random_state=0)
    records = []
    for record in model.fit_iter(X, y, sample_weight=sw, X_val=X_val, y_val=y_val):
        P = model.predict_proba(X)
        assert record["loss"] == pytest.approx(log_loss(y, P, sample_weight=sw), rel=1e-12)
        assert record["val_loss"] == pytest.approx(log_loss(y_val, model.predict_proba(X_val)),
                                                   rel=1e-12)
        W = model.coef_
        assert record["objective"] == pytest.approx(record["loss"] + 5e-4 * (W ** 2).sum(),
                                                    rel=1e-12)
        records.append(record)
    assert [r["epoch"] for r in records] == list(range(1, 26))
    assert model.n_iter_ == 25 and model.history_ == records
    assert all(r["grad_norm"] >= 0 and r["seconds"] >= 0 for r in records)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_training_starts_from_the_class_frequencies():
    X, y = load_wine(return_X_y=True)
    w = np.random.default_rng(5).uniform(0.5, 2.0, len(y))
    model = SoftmaxRegressionGD(learning_rate=1e6, max_epochs=3)
    with pytest.warns(DivergenceWarning, match="epoch 1"):
        model.fit(X, y, sample_weight=w)
    frequencies = np.bincount(y, weights=w) / w.sum()
    np.testing.assert_allclose(model.predict_proba(X), np.tile(frequencies, (len(y), 1)),
                               rtol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_full_batch_gd_with_auto_step_never_increases_the_objective():
    X, y = DATASETS["wine"]()
    model = SoftmaxRegressionGD(max_epochs=200, alpha=1e-2)
    objectives = [r["objective"] for r in model.fit_iter(X, y)]
    assert np.all(np.diff(objectives) <= 1e-15)
    assert objectives[-1] < objectives[0] < np.log(3)


def test_closing_fit_iter_early_leaves_the_last_finished_epoch():
    X, y = DATASETS["breast_cancer"]()
    model = LogisticRegressionGD(max_epochs=500)
    gen = model.fit_iter(X, y)
    for record in gen:
        if record["epoch"] == 7:
            coef_at_7 = model.coef_.copy()
            break
    gen.close()
    assert model.n_iter_ == 7 and len(model.history_) == 7
    np.testing.assert_array_equal(model.coef_, coef_at_7)
    assert model.history_[-1]["loss"] == pytest.approx(log_loss(y, model.predict_proba(X)),
                                                       rel=1e-12)
    assert model.score(X, y) > 0.9
    # The same seven epochs as a fresh run that stops there by itself:
    same = LogisticRegressionGD(max_epochs=7)
    with pytest.warns(ConvergenceWarning):
        same.fit(X, y)
    np.testing.assert_array_equal(same.coef_, coef_at_7)


def test_fit_iter_validates_before_the_first_epoch():
    X, y = DATASETS["iris"]()
    with pytest.raises(ValueError, match="SoftmaxRegressionGD"):
        LogisticRegressionGD().fit_iter(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        LogisticRegressionGD(learning_rate=-1).fit_iter(X, y == 0)
    with pytest.raises(ValueError, match="solver"):
        SoftmaxRegressionGD(solver="sgd").fit_iter(X, y)
    with pytest.raises(ValueError, match="not in the training data"):
        SoftmaxRegressionGD().fit_iter(X, y, X_val=X[:2], y_val=[0, 7])


def test_divergence_stops_with_a_readable_warning_and_keeps_the_last_good_epoch():
    X, y = load_breast_cancer(return_X_y=True)          # unscaled: features up to ~4000
    model = LogisticRegressionGD(learning_rate=10.0, max_epochs=100)
    with pytest.warns(DivergenceWarning, match="smaller learning rate.*standardize"):
        model.fit(X, y)
    assert model.stop_reason_ == "diverged"
    assert model.n_iter_ == len(model.history_) < 100
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.predict_proba(X)))
    losses = [r["loss"] for r in model.history_]
    assert np.all(np.isfinite(losses))
    if model.history_:
        assert model.history_[-1]["loss"] == pytest.approx(log_loss(y, model.predict_proba(X)),
                                                           rel=1e-9)


def test_softmax_divergence_is_caught_too():
    X, y = load_wine(return_X_y=True)
    model = SoftmaxRegressionGD(learning_rate=1e3, max_epochs=50)
    with pytest.warns(DivergenceWarning):
        model.fit(X, y)
    assert np.all(np.isfinite(model.coef_))


def test_mini_batches_are_reproducible_with_random_state():
    X, y = DATASETS["synthetic_4_classes"]()

    def fit(seed):
        return SoftmaxRegressionGD(batch_size=32, max_epochs=5, random_state=seed,
                                   solver="nesterov").fit(X, y).coef_

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a, b, c = fit(42), fit(42), fit(7)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_mini_batch_sgd_gets_close_to_the_minimum():
    X, y = DATASETS["synthetic_binary"]()
    full = LogisticRegressionGD(solver="nesterov", tol=1e-9, max_epochs=20_000,
                                alpha=1e-3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sgd = LogisticRegressionGD(batch_size=50, max_epochs=60, alpha=1e-3, random_state=0,
                                   learning_rate=0.5).fit(X, y)
    assert sgd.history_[-1]["objective"] == pytest.approx(full.history_[-1]["objective"],
                                                          rel=0.02)


def test_nesterov_needs_far_fewer_epochs_than_plain_gd():
    X, y = DATASETS["breast_cancer"]()
    kw = dict(alpha=1e-3, tol=1e-6, max_epochs=100_000)
    gd = LogisticRegressionGD(solver="gd", **kw).fit(X, y)
    nesterov = LogisticRegressionGD(solver="nesterov", **kw).fit(X, y)
    assert gd.stop_reason_ == nesterov.stop_reason_ == "converged"
    assert nesterov.n_iter_ * 5 < gd.n_iter_


def test_softmax_on_two_classes_is_logistic_with_half_the_penalty():
    # softmax's two weight vectors w0 = -w1 = v/2 carry alpha/2 (|w0|^2 + |w1|^2) = alpha/4 |v|^2
    X, y = DATASETS["breast_cancer"]()
    alpha = 0.02
    soft = SoftmaxRegressionGD(solver="nesterov", alpha=alpha, tol=1e-10,
                               max_epochs=50_000).fit(X, y)
    logi = LogisticRegressionGD(solver="nesterov", alpha=alpha / 2, tol=1e-10,
                                max_epochs=50_000).fit(X, y)
    np.testing.assert_allclose(soft.predict_proba(X), logi.predict_proba(X), atol=1e-7)
    np.testing.assert_allclose(soft.decision_function(X), logi.decision_function(X),
                               atol=1e-5)
    assert soft.history_[-1]["objective"] == pytest.approx(logi.history_[-1]["objective"],
                                                           rel=1e-9)


def test_string_labels_and_predictions():
    X, y = DATASETS["iris"]()
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = SoftmaxRegressionGD(solver="nesterov", alpha=1e-2).fit(X, names)
    assert list(model.classes_) == ["setosa", "versicolor", "virginica"]
    assert model.score(X, names) > 0.95
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), model.predict_proba(X),
                               rtol=1e-12)


# ----------------------------------------------------------------------------- hostile numerics
def test_separable_data_without_penalty_grows_weights_but_never_nans():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegressionGD(solver="nesterov", max_epochs=3000, tol=0.0)
    with pytest.warns(ConvergenceWarning, match="separable.*alpha > 0"):
        model.fit(X, y)
    assert model.stop_reason_ == "max_epochs"
    losses = np.array([r["loss"] for r in model.history_])
    assert np.all(np.isfinite(losses)) and losses[-1] < 1e-3 < losses[0]
    assert np.abs(model.coef_).max() > 50
    assert np.all(np.isfinite(model.predict_proba(X)))
    assert model.history_[-1]["loss"] == pytest.approx(log_loss(y, model.predict_proba(X)),
                                                       rel=1e-6)
    # Stopping on the gradient norm is no minimum either, and the message says so.
    stopped = LogisticRegressionGD(solver="nesterov", max_epochs=3000).fit(X, y)
    assert stopped.stop_reason_ == "converged"
    assert "separable" in stopped.stop_message_ and "alpha > 0" in stopped.stop_message_


def test_wildly_different_feature_scales_give_a_finite_model_and_say_standardize():
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(size=300) * 1e12, rng.normal(size=300) * 1e-12])
    y = (X[:, 1] > 0).astype(int)
    model = LogisticRegressionGD(max_epochs=100)
    with pytest.warns(ConvergenceWarning, match="differ by a factor of .*Standardize"):
        model.fit(X, y)
    assert np.all(np.isfinite(model.coef_)) and np.isfinite(model.history_[-1]["loss"])
    with pytest.warns(DivergenceWarning, match="epoch 1.*Kept the weights of epoch 0"):
        bad = LogisticRegressionGD(learning_rate=1.0, max_epochs=50).fit(X, y)
    assert bad.n_iter_ == 0 and bad.history_ == []
    # epoch 0: zero weights and the intercept of the class frequencies
    np.testing.assert_allclose(bad.predict_proba(X)[:, 1], y.mean(), rtol=1e-12)


def test_single_feature_and_twenty_classes():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 1))
    y = (x[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(int)
    one = LogisticRegressionGD(solver="nesterov", alpha=1e-3).fit(x, y)
    assert one.coef_.shape == (1, 1) and one.score(x, y) > 0.8
    X, y20 = make_classification(n_samples=2000, n_features=10, n_informative=8,
                                 n_classes=20, n_clusters_per_class=1, random_state=0)
    model = SoftmaxRegressionGD(solver="nesterov", alpha=1e-3, max_epochs=3000).fit(X, y20)
    assert model.coef_.shape == (20, 10) and np.all(np.isfinite(model.coef_))
    assert model.history_[-1]["loss"] < model.history_[0]["loss"] < np.log(20) + 1e-9
    ref = LogisticRegression(C=1 / (1e-3 * len(y20)), max_iter=5000).fit(X, y20)
    assert model.score(X, y20) == pytest.approx(ref.score(X, y20), abs=0.01)
    assert model.score(X, y20) > 3 / 20


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_auto_nesterov_adapts_its_step_to_the_local_curvature(name):
    """Full-batch Nesterov with "auto" steps between 1/L and MAX_STEP_GROWTH/L and gets there
    sooner than with the fixed step 1/L; plain GD keeps 1/L exactly, mini-batches start at
    most at 1/L (1/L(b): tests/test_models_review.py) and never lengthen their step."""
    from cecore.objective import BinaryObjective, MultinomialObjective

    X, y = DATASETS[name]()
    alpha = 1.0 / len(y)
    binary = len(np.unique(y)) == 2
    cls = LogisticRegressionGD if binary else SoftmaxRegressionGD
    objective = (BinaryObjective(X, y, None, alpha=alpha) if binary else
                 MultinomialObjective(X, y, None, n_classes=len(np.unique(y)), alpha=alpha))
    safe = 1.0 / objective.lipschitz_constant()
    reference = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X, y)
    target = _sklearn_objective(reference, X, y, alpha) * (1 + 1e-6)

    def epochs_to_target(model):
        for record in model.fit_iter(X, y):
            if record["objective"] <= target:
                return record["epoch"], model
        raise AssertionError(f"{model} never reached lbfgs's objective")

    adaptive_epochs, adaptive = epochs_to_target(
        cls(solver="nesterov", alpha=alpha, tol=0.0, max_epochs=5000))
    fixed_epochs, _ = epochs_to_target(
        cls(solver="nesterov", alpha=alpha, tol=0.0, max_epochs=5000, learning_rate=safe))
    rates = np.array([r["learning_rate"] for r in adaptive.history_])
    assert rates[0] == pytest.approx(safe, rel=1e-12)
    assert np.all(rates >= safe * (1 - 1e-12))
    assert np.all(rates <= MAX_STEP_GROWTH * safe * (1 + 1e-12))
    assert rates.max() > 2 * safe
    assert adaptive_epochs < 0.5 * fixed_epochs, (adaptive_epochs, fixed_epochs)

    fixed = cls(solver="gd", alpha=alpha, max_epochs=20).fit(X, y)
    assert [r["learning_rate"] for r in fixed.history_] == pytest.approx(
        [safe] * fixed.n_iter_, rel=1e-12)
    batches = cls(solver="nesterov", alpha=alpha, max_epochs=3, batch_size=100,
                  random_state=0).fit(X, y)
    rates = np.array([r["learning_rate"] for r in batches.history_])
    assert rates[0] <= safe * (1 + 1e-12) and np.all(np.diff(rates) <= 0)


def test_out_of_epochs_message_suggests_only_what_is_not_in_use():
    X, y = DATASETS["wine"]()
    with pytest.warns(ConvergenceWarning) as plain:
        SoftmaxRegressionGD(max_epochs=3).fit(X, y)
    with pytest.warns(ConvergenceWarning) as accelerated:
        SoftmaxRegressionGD(max_epochs=3, solver="nesterov").fit(X, y)
    assert "solver='nesterov'" in str(plain[0].message)
    assert "solver='nesterov'" not in str(accelerated[0].message)
    assert "More epochs" in str(accelerated[0].message)


@pytest.mark.parametrize("name", ["breast_cancer", "digits"])
def test_float32_training_reaches_the_float64_result_to_float32_precision(name):
    X, y = DATASETS[name]()
    cls = LogisticRegressionGD if len(np.unique(y)) == 2 else SoftmaxRegressionGD
    settings = dict(solver="nesterov", alpha=1.0 / len(y), max_epochs=5000, tol=1e-6)
    wide = cls(**settings).fit(X, y)
    narrow = cls(**settings, dtype="float32").fit(X, y)
    assert narrow.stop_reason_ == wide.stop_reason_ == "converged"
    last = narrow.history_[-1]
    assert last["objective"] == pytest.approx(wide.history_[-1]["objective"], rel=1e-6)
    assert last["loss"] == pytest.approx(log_loss(y, narrow.predict_proba(X)), rel=1e-5)
    scale = np.abs(wide.coef_).max()
    np.testing.assert_allclose(narrow.coef_, wide.coef_, rtol=0, atol=1e-3 * scale)
    np.testing.assert_allclose(narrow.predict_proba(X), wide.predict_proba(X), atol=1e-4)
    assert np.mean(narrow.predict(X) == wide.predict(X)) > 0.995


@pytest.mark.parametrize("dtype", ["float16", "int64", "double precision", None, np.complex128])
def test_dtype_other_than_float64_or_float32_is_refused(dtype):
    X, y = DATASETS["iris"]()
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32'"):
        SoftmaxRegressionGD(dtype=dtype).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_record_seconds_leave_out_the_time_the_consumer_holds_each_record(monkeypatch):
    import cecore.models

    clock = {"now": 1000.0}

    def fake_perf_counter():
        clock["now"] += 0.001                 # every reading of the clock: 1 ms of training
        return clock["now"]

    monkeypatch.setattr(cecore.models.time, "perf_counter", fake_perf_counter)
    X, y = DATASETS["iris"]()
    seconds = []
    for record in SoftmaxRegressionGD(max_epochs=5).fit_iter(X, y):
        seconds.append(record["seconds"])
        clock["now"] += 60.0                  # the consumer draws a chart for a minute
    assert len(seconds) == 5
    assert np.all(np.diff(seconds) > 0) and seconds[-1] < 0.1, seconds


def _hostile_problem(seed):
    """A small problem with unscaled (sometimes heavy-tailed) features and skewed weights."""
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(2, 60)), int(rng.integers(1, 6))
    X = rng.standard_cauchy(size=(n, d)) if rng.random() < 0.5 else rng.normal(size=(n, d))
    X *= 10.0 ** rng.uniform(-2, 2, size=d)
    y = rng.integers(0, 3 if rng.random() < 0.4 else 2, n)
    sw = rng.exponential(size=n) ** 3 if rng.random() < 0.5 else None
    return X, y, sw, float(rng.choice([0.0, 1e-6, 1e-2, 1.0]))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_auto_nesterov_never_diverges_nor_climbs_above_its_start():
    """The long steps are checked: one that climbs above the last epochs' objectives is
    retaken at 1/L, so "auto" never diverges and no epoch ends above the starting point."""
    X = np.array([[478.0, 0.077], [87.3, -0.17], [-68.8, 0.11], [578.0, 0.23], [870.0, -0.64],
                  [58.0, -0.91], [265.0, 0.26]])
    y = np.array([0, 1, 1, 1, 1, 1, 0])
    sw = np.array([1.08, 1.95, 74.1, 0.885, 0.231, 0.0045, 0.124])
    problems = [(X, y, sw, 1e-4)] + [_hostile_problem(seed) for seed in range(150)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        for X, y, sw, alpha in problems:
            if len(np.unique(y)) < 2:
                continue
            model = SoftmaxRegressionGD(solver="nesterov", alpha=alpha, max_epochs=300)
            objectives = [r["objective"] for r in model.fit_iter(X, y, sample_weight=sw)]
            assert model.stop_reason_ != "diverged"
            assert np.all(np.isfinite(objectives)) and np.all(np.isfinite(model.coef_))
            objective = model._make_objective(np.asarray(X, dtype=float),
                                              np.unique(y, return_inverse=True)[1],
                                              np.ones(len(y)) if sw is None else sw)
            start = objective.loss_objective_gradient(objective.initial())[1]
            assert max(objectives) <= start * (1 + 1e-12)


def test_float32_auto_nesterov_converges_where_float64_does():
    """Rounding in float32 objectives is not mistaken for steps uphill (which would reset
    the momentum every few epochs and stall)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 8)) + 3.0
    y = (X.sum(axis=1) + rng.logistic(size=20_000) > 24).astype(int)
    for dtype in ("float64", "float32"):
        model = LogisticRegressionGD(solver="nesterov", dtype=dtype, max_epochs=3000).fit(X, y)
        assert model.stop_reason_ == "converged", (dtype, model.n_iter_)


@pytest.mark.parametrize("labels", [
    np.array([1, 0, 1, 1, 0]),
    np.array([-5, 3, 3, -5, 0], dtype=np.int8),
    np.array([-100, 100, 100, -100], dtype=np.int8),   # y - min overflows int8
    np.array([-20000] * 40_000 + [20000], dtype=np.int16),  # counted: wraps in int16
    np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).min + 3]),
    np.array([2**64 - 1, 2**64 - 2, 2**64 - 1], dtype=np.uint64),
    np.array([2**62, -2**62, 0]),                       # a range too wide to count: sorted
    np.arange(10**6, 0, -97),
    np.array([7]),
    np.array(["b", "a", "b"]),
    np.array([True, False, True]),
])
def test_encode_labels_is_numpy_unique_with_inverse(labels):
    classes, index = encode_labels(labels)
    expected_classes, expected_index = np.unique(labels, return_inverse=True)
    assert classes.dtype == expected_classes.dtype and index.dtype == expected_index.dtype
    np.testing.assert_array_equal(classes, expected_classes)
    np.testing.assert_array_equal(index, expected_index)
