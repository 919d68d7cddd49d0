"""Polynomial feature expansion (DataOptions.degree): sklearn's pipeline, its objective,
names, the memory budget, and the decision map drawn in the two original features."""

import inspect
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from training_runs import trained

from cecore.data import DataError, DataOptions, expanded_feature_count, prepare
from cecore.evaluation import decision_grid
from cecore.prepare import numeric as numeric_path
from cecore.prepare.expansion import MAX_EXPANDED_BYTES
from cecore.samples import load_sample
from cecore.training import TrainConfig


def reference_pipeline(degree):
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                         PolynomialFeatures(degree, include_bias=False), StandardScaler())


def raw_rows(frame, prepared, positions):
    return frame.loc[prepared.row_index[positions], prepared.features]


# --------------------------------------------------------------------------- options
@pytest.mark.parametrize("degree", [0, 6, 2.5, True, "2", None])
def test_a_bad_degree_raises_a_data_error_naming_it(degree):
    with pytest.raises(DataError, match="degree"):
        DataOptions(degree=degree)
    with pytest.raises(DataError, match="degree"):
        prepare(load_sample("iris"), "target", degree=degree)


def test_prepare_takes_every_data_option_as_a_keyword_with_its_default():
    parameters = inspect.signature(prepare).parameters
    keywords = {name: p.default for name, p in parameters.items() if p.kind == p.KEYWORD_ONLY}
    assert keywords == {f.name: f.default for f in fields(DataOptions)}
    assert DataOptions().degree == 1


@pytest.mark.parametrize(("n", "degree", "count"), [(2, 1, 2), (2, 2, 5), (2, 3, 9),
                                                    (30, 2, 495), (4, 3, 34), (0, 3, 0)])
def test_expanded_feature_count(n, degree, count):
    assert expanded_feature_count(n, degree) == count
    X = np.zeros((1, n))
    if n:
        assert PolynomialFeatures(degree, include_bias=False).fit(X).n_output_features_ == count


# --------------------------------------------------------------------------- parity
@pytest.mark.parametrize(("sample", "degree"), [("iris", 3), ("wine", 2), ("breast_cancer", 2)])
def test_the_expanded_columns_are_sklearns_pipeline(sample, degree):
    frame = load_sample(sample)
    prepared = prepare(frame, "target", degree=degree)
    train = raw_rows(frame, prepared, prepared.train_positions)
    test = raw_rows(frame, prepared, prepared.test_positions)
    reference = reference_pipeline(degree).fit(train)
    np.testing.assert_allclose(prepared.X_train, reference.transform(train), rtol=0, atol=1e-12)
    np.testing.assert_allclose(prepared.X_test, reference.transform(test), rtol=0, atol=1e-12)
    np.testing.assert_allclose(prepared.transform(test), prepared.X_test, rtol=0, atol=1e-12)


def test_missing_values_and_text_numbers_on_the_large_path_too():
    """1500 rows of numbers (the fast path's size at degree 1): degree 2 takes the general
    path and still equals the sklearn pipeline; missing values are imputed first."""
    rng = np.random.default_rng(5)
    n = 1500
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.exponential(size=n),
                          "c": rng.normal(3, 2, n)})
    frame.loc[rng.choice(n, 100, replace=False), "a"] = np.nan
    frame["c"] = frame["c"].map(lambda v: f"{v:.6f}".replace(".", ","))  # decimal commas
    frame["y"] = np.where(frame["b"] + rng.normal(size=n) > 1, "yes", "no")
    assert len(frame) >= numeric_path.NUMERIC_PATH_MIN_ROWS
    prepared = prepare(frame, "y", degree=2)
    numbers = frame[["a", "b"]].assign(c=frame["c"].str.replace(",", ".").astype(float))
    train = numbers.loc[prepared.row_index[prepared.train_positions]]
    reference = reference_pipeline(2).fit(train)
    np.testing.assert_allclose(prepared.X_train, reference.transform(train), rtol=0, atol=1e-12)
    assert prepared.feature_names[:4] == ["a", "b", "c", "a^2"]


def objective(model_coef, intercept, X, y, alpha):
    z = X @ np.asarray(model_coef).T + intercept
    if z.shape[1] == 1:
        z = np.column_stack([np.zeros(len(z)), z[:, 0]])
    z -= z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean() + alpha / 2 * np.sum(np.asarray(model_coef) ** 2)


@pytest.mark.parametrize(("sample", "degree"), [("iris", 3), ("breast_cancer", 2)])
def test_the_fitted_objective_is_sklearns_optimum_on_the_expanded_columns(sample, degree):
    frame, alpha = load_sample(sample), 0.01
    run = trained(frame, "target", options=DataOptions(degree=degree),
                  config=TrainConfig(alpha=alpha, tol=1e-9, epochs=20_000))
    assert run.status == "converged"
    p = run.prepared
    X = reference_pipeline(degree).fit_transform(raw_rows(frame, p, p.train_positions))
    reference = LogisticRegression(C=1 / (alpha * len(X)), tol=1e-12, max_iter=20_000)
    reference.fit(X, p.y_train)
    ours = run.last["objective"]
    theirs = objective(reference.coef_, reference.intercept_, X, p.y_train, alpha)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    assert ours <= theirs + 1e-12
    np.testing.assert_allclose(run.estimator.predict_proba(p.X_test),
                               reference.predict_proba(p.X_test), atol=1e-5)


# --------------------------------------------------------------------------- what is expanded
def test_feature_names_name_the_terms_and_categories_are_not_expanded():
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                          "color": rng.choice(["red", "blue"], n),
                          "y": rng.choice(["a", "b"], n)})
    prepared = prepare(frame, "y", degree=2)
    assert prepared.feature_names == ["x1", "x2", "x1^2", "x1 x2", "x2^2",
                                      "color=blue", "color=red"]
    one_hot = prepared.X_train[:, 5:]
    assert set(np.unique(one_hot)) == {0.0, 1.0}
    assert prepare(frame, "y", degree=3).feature_names[-3:] == ["x2^3", "color=blue", "color=red"]


def test_date_parts_are_numeric_columns_and_are_expanded():
    n = 60
    frame = pd.DataFrame({"x": np.random.default_rng(0).normal(size=n),
                          "day": pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"),
                          "y": ["a", "b"] * (n // 2)})
    prepared = prepare(frame, "y", ["x", "day"], dates="expand", degree=2)
    assert expanded_feature_count(5, 2) == len(prepared.feature_names) == 20
    assert "x day_month" in prepared.feature_names


def test_without_scaling_the_terms_are_products_of_the_raw_values():
    frame = pd.DataFrame({"u": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                          "v": [2.0, 1.0, 0.5, 3.0, 2.0, 1.0, 4.0, 2.0],
                          "y": ["a", "b"] * 4})
    prepared = prepare(frame, "y", scale=False, degree=2, test_size=0.25)
    rows = frame.loc[prepared.row_index[prepared.train_positions]]
    expected = np.column_stack([rows.u, rows.v, rows.u**2, rows.u * rows.v, rows.v**2])
    np.testing.assert_array_equal(prepared.X_train, expected)


def test_an_expansion_beyond_the_memory_budget_says_how_many_columns():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(100, 60)), columns=[f"c{i}" for i in range(60)])
    frame["y"] = ["a", "b"] * 50
    n_columns = expanded_feature_count(60, 5)
    assert 100 * n_columns * 8 > MAX_EXPANDED_BYTES
    with pytest.raises(DataError, match=f"{n_columns:,} columns.*lower degree or fewer features"):
        prepare(frame, "y", degree=5)
    assert prepare(frame, "y", degree=1).X_train.shape[1] == 60


def test_new_rows_are_expanded_like_the_training_rows():
    frame = load_sample("moons")
    prepared = prepare(frame, "target", degree=3)
    new = frame.drop(columns="target").iloc[prepared.train_positions[:7]]
    np.testing.assert_allclose(prepared.transform(new), prepared.X_train[:7], atol=1e-12)


# --------------------------------------------------------------------------- decision map
def test_moons_with_degree_3_is_drawn_in_the_two_original_features():
    frame = load_sample("moons")
    config = TrainConfig(alpha=1e-4)
    linear = trained(frame, "target", options=DataOptions(), config=config)
    cubic = trained(frame, "target", options=DataOptions(degree=3), config=config)
    assert linear.evaluate().comparison.ours_accuracy_test < 0.9
    assert cubic.evaluate().comparison.ours_accuracy_test >= 0.95
    grid = decision_grid(cubic, resolution=40)
    assert grid.proba.shape == (40, 40, 2) and grid.feature_names == ["x1", "x2"]
    np.testing.assert_allclose(grid.proba.sum(axis=2), 1.0)
    p = cubic.prepared
    # the points are the test rows standardised (the first scaling), as for degree 1
    standardised = StandardScaler().fit(raw_rows(frame, p, p.train_positions))
    np.testing.assert_allclose(grid.points,
                               standardised.transform(raw_rows(frame, p, p.test_positions)),
                               atol=1e-12)
    np.testing.assert_allclose(grid.points, decision_grid(linear, resolution=5).points,
                               atol=1e-12)
    assert grid.x[0] <= grid.points[:, 0].min() and grid.points[:, 0].max() <= grid.x[-1]
    # the map's probability at a point is the model's at that point
    at = standardised.inverse_transform([[grid.x[7], grid.y[11]]])
    point = pd.DataFrame(at, columns=["x1", "x2"])
    np.testing.assert_allclose(grid.proba[11, 7],
                               cubic.estimator.predict_proba(p.transform(point))[0], atol=1e-12)
    # the boundary bends: the map is not a function of one direction only
    assert len(np.unique(np.round(grid.proba[:, :, 1], 3))) > 100


def test_circles_need_degree_2_and_the_map_without_scaling_is_in_table_units():
    frame = load_sample("circles", noise=0.1)
    linear = trained(frame, "target", options=DataOptions())
    quadratic = trained(frame, "target", options=DataOptions(degree=2))
    assert linear.evaluate().comparison.ours_accuracy_test < 0.6
    assert quadratic.evaluate().comparison.ours_accuracy_test >= 0.95
    raw = trained(frame, "target", options=DataOptions(degree=2, scale=False))
    grid = decision_grid(raw, resolution=20)
    p = raw.prepared
    np.testing.assert_allclose(grid.points, raw_rows(frame, p, p.test_positions), atol=0)


def test_the_map_needs_exactly_two_numeric_inputs():
    frame = load_sample("iris")
    assert decision_grid(trained(frame, "target", options=DataOptions(degree=2))) is None
    rng = np.random.default_rng(1)
    one = pd.DataFrame({"x": rng.normal(size=80), "y": ["a", "b"] * 40})
    assert decision_grid(trained(one, "y", options=DataOptions(degree=2))) is None


def test_log_loss_of_a_degree_run_is_sklearns_on_our_probabilities():
    run = trained(load_sample("moons"), "target", options=DataOptions(degree=2))
    p = run.prepared
    assert run.last["val_loss"] == pytest.approx(
        log_loss(p.y_test, run.estimator.predict_proba(p.X_test)), abs=1e-12)
