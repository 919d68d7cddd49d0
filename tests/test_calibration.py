"""cecore.calibration: parity with sklearn's calibration_curve and brier_score_loss, hand-made
cases, the exact Brier decomposition, temperature scaling against scipy.optimize."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from cecore.calibration import (
    brier_decomposition,
    expected_calibration_error,
    fit_temperature,
    reliability_curve,
)

rng = np.random.default_rng(20261201)
ON_EDGES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1 / 3, 2 / 3, 0.25, 0.75]


def random_binary(n, seed):
    """Forecasts p (a third of them exactly on bin edges) and labels drawn with P(y=1) = p."""
    gen = np.random.default_rng(seed)
    p = gen.random(n)
    p[: n // 3] = gen.choice(ON_EDGES + list(np.linspace(0, 1, 11)), size=n // 3)
    y = (gen.random(n) < p).astype(int)
    return y, p


def random_proba(n, n_classes, seed, sharpness=2.0):
    gen = np.random.default_rng(seed)
    logits = gen.normal(scale=sharpness, size=(n, n_classes))
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    return gen.integers(0, n_classes, size=n), proba


def sample_labels(logits, seed):
    """Labels drawn from softmax(logits): the model giving these logits is calibrated."""
    proba = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    u = np.random.default_rng(seed).random(len(logits))
    return np.minimum((u[:, None] > np.cumsum(proba, axis=1)).sum(axis=1), logits.shape[1] - 1)


def bins_by_comparison(scores, edges):
    """Bin ids by brute force: the number of interior edges strictly below each score."""
    return (scores[:, None] > edges[None, 1:-1]).sum(axis=1)


# ----------------------------------------------------------------------- reliability_curve
@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 2, 3, 5, 7, 10, 13, 20, 50])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_positive_curve_equals_calibration_curve(strategy, n_bins, dtype):
    y, p = random_binary(3000, seed=n_bins)
    p = p.astype(dtype)
    curve = reliability_curve(y, p, n_bins=n_bins, strategy=strategy)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    assert list(curve.columns) == ["mean_predicted", "observed", "count"]
    np.testing.assert_array_equal(curve["mean_predicted"].to_numpy(), prob_pred)
    np.testing.assert_array_equal(curve["observed"].to_numpy(), prob_true)
    if strategy == "uniform":
        edges = np.linspace(0, 1, n_bins + 1)
    else:
        edges = np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)
    counts = np.bincount(bins_by_comparison(p, edges), minlength=n_bins)
    np.testing.assert_array_equal(curve["count"].to_numpy(), counts[counts > 0])
    assert curve["count"].dtype == np.int64


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n_bins=st.integers(1, 25), strategy=st.sampled_from(["uniform", "quantile"]))
def test_positive_curve_equals_calibration_curve_on_any_data(data, n_bins, strategy):
    edges = list(np.linspace(0, 1, n_bins + 1)) + ON_EDGES
    value = st.one_of(st.floats(0, 1), st.sampled_from(edges))
    p = np.array(data.draw(st.lists(value, min_size=1, max_size=60)))
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=len(p), max_size=len(p))))
    curve = reliability_curve(y, p, n_bins=n_bins, strategy=strategy)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    np.testing.assert_array_equal(curve["mean_predicted"].to_numpy(), prob_pred)
    np.testing.assert_array_equal(curve["observed"].to_numpy(), prob_true)
    assert curve["count"].sum() == len(p)


def test_edges_fall_in_the_lower_bin_and_one_in_the_last():
    # bins (0, .2], (.2, .4], ... ; 0.0 in bin 0, 1.0 in bin 4
    p = np.array([0.0, 0.2, 0.2000001, 0.4, 1.0, 1.0])
    y = np.array([0, 1, 0, 1, 1, 0])
    curve = reliability_curve(y, p, n_bins=5)
    np.testing.assert_array_equal(curve["count"], [2, 2, 2])
    np.testing.assert_allclose(curve["mean_predicted"], [0.1, (0.2000001 + 0.4) / 2, 1.0])
    np.testing.assert_allclose(curve["observed"], [0.5, 0.5, 0.5])


def test_two_column_proba_uses_column_one():
    y, p = random_binary(500, seed=1)
    pd.testing.assert_frame_equal(reliability_curve(y, np.column_stack([1 - p, p])),
                                  reliability_curve(y, p))


def test_top_label_curve_by_hand():
    proba = np.array([[0.70, 0.20, 0.10],    # right, confidence 0.7  -> bin (0.6, 0.8]
                      [0.10, 0.60, 0.30],    # wrong, 0.6             -> bin (0.4, 0.6]
                      [0.20, 0.20, 0.60],    # right, 0.6             -> bin (0.4, 0.6]
                      [0.45, 0.45, 0.10],    # tie: argmax 0, wrong   -> bin (0.4, 0.6]
                      [0.05, 0.05, 0.90]])   # right, 0.9             -> bin (0.8, 1]
    y = np.array([0, 2, 2, 1, 2])
    curve = reliability_curve(y, proba, n_bins=5, kind="top-label")
    np.testing.assert_allclose(curve["mean_predicted"], [0.55, 0.7, 0.9], rtol=1e-15)
    np.testing.assert_allclose(curve["observed"], [1 / 3, 1.0, 1.0], rtol=1e-15)
    np.testing.assert_array_equal(curve["count"], [3, 1, 1])
    assert expected_calibration_error(y, proba, n_bins=5) == pytest.approx(
        3 / 5 * (0.55 - 1 / 3) + 1 / 5 * 0.3 + 1 / 5 * 0.1, abs=1e-15)   # 0.21


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_top_label_curve_is_calibration_curve_of_confidence_and_correctness(strategy, n_classes):
    y, proba = random_proba(4000, n_classes, seed=n_classes)
    confidence, correct = proba.max(axis=1), proba.argmax(axis=1) == y
    curve = reliability_curve(y, proba, n_bins=8, strategy=strategy, kind="top-label")
    prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=8, strategy=strategy)
    np.testing.assert_array_equal(curve["mean_predicted"].to_numpy(), prob_pred)
    np.testing.assert_array_equal(curve["observed"].to_numpy(), prob_true)


def test_binary_vector_top_label_is_argmax_over_one_minus_p_and_p():
    y, p = random_binary(2000, seed=2)
    p[:50] = 0.5                                    # a tie: argmax picks class 0
    p[50:60] = np.nextafter(0.5, 1)
    p[60:70] = np.nextafter(0.5, 0)
    two_columns = np.column_stack([1 - p, p])
    pd.testing.assert_frame_equal(reliability_curve(y, p, kind="top-label"),
                                  reliability_curve(y, two_columns, kind="top-label"))
    for strategy in ("uniform", "quantile"):
        assert expected_calibration_error(y, p, strategy=strategy) == \
            expected_calibration_error(y, two_columns, strategy=strategy)


# ----------------------------------------------------------------------- ECE
def test_ece_of_binary_vector_by_hand():
    p = np.array([0.5, 0.5, 0.8, 0.2, 0.9])
    y = np.array([0, 1, 1, 1, 1])
    # p = 0.5 predicts 0 with confidence 0.5 (bin (0.4, 0.6]): one right, one wrong -> 0
    # 0.8 -> 1 (right), 0.2 -> 0 (wrong), both confidence 0.8 in (0.6, 0.8]: |0.5 - 0.8| * 2/5
    # 0.9 -> 1 (right) in (0.8, 1]: |1 - 0.9| * 1/5
    assert expected_calibration_error(y, p, n_bins=5) == pytest.approx(0.14, abs=1e-15)


def test_ece_is_zero_for_data_calibrated_in_every_bin():
    confidences = np.array([0.55, 0.65, 0.75, 0.85, 0.95])
    per_level = 20                                  # 0.55 * 20 = 11 right, ... 0.95 * 20 = 19
    p = np.repeat(confidences, per_level)
    right = [round(c * per_level) for c in confidences]
    y = np.concatenate([np.r_[np.ones(r), np.zeros(per_level - r)] for r in right]).astype(int)
    flip = rng.random(len(p)) < 0.5                  # p -> 1 - p with the label flipped too
    p, y = np.where(flip, 1 - p, p), np.where(flip, 1 - y, y)
    assert expected_calibration_error(y, p) == pytest.approx(0.0, abs=1e-12)
    proba = np.array([[0.8, 0.1, 0.1]] * 10 + [[0.2, 0.5, 0.3]] * 4)
    labels = np.array([0] * 8 + [1, 2] + [1, 1, 0, 2])
    assert expected_calibration_error(labels, proba) == pytest.approx(0.0, abs=1e-12)
    labels[0] = 2                                   # one more wrong in the 0.8 bin
    assert expected_calibration_error(labels, proba) == pytest.approx(0.1 * 10 / 14, abs=1e-12)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 4, 10, 15])
def test_ece_equals_weighted_gaps_of_calibration_curve(strategy, n_bins):
    y, proba = random_proba(5000, 4, seed=n_bins, sharpness=1.5)
    confidence, correct = proba.max(axis=1), proba.argmax(axis=1) == y
    prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=n_bins,
                                             strategy=strategy)
    if strategy == "uniform":
        edges = np.linspace(0, 1, n_bins + 1)
    else:
        edges = np.percentile(confidence, np.linspace(0, 1, n_bins + 1) * 100)
    counts = np.bincount(bins_by_comparison(confidence, edges), minlength=n_bins)
    expected = np.sum(counts[counts > 0] / len(y) * np.abs(prob_true - prob_pred))
    assert expected_calibration_error(y, proba, n_bins=n_bins, strategy=strategy) == \
        pytest.approx(expected, rel=1e-12, abs=1e-15)


# ----------------------------------------------------------------------- Brier
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_brier_equals_brier_score_loss(seed):
    y, p = random_binary(10_000, seed)
    assert brier_decomposition(y, p)["brier"] == pytest.approx(brier_score_loss(y, p), rel=1e-12)
    assert brier_decomposition(y, np.column_stack([1 - p, p])) == brier_decomposition(y, p)


def test_murphy_decomposition_by_hand():
    p = np.array([0.1, 0.1, 0.9, 0.9])
    y = np.array([0, 1, 1, 1])
    parts = brier_decomposition(y, p, n_bins=2)
    # bins (0, .5]: pbar .1, obar .5; (.5, 1]: pbar .9, obar 1; obar = .75
    assert parts["brier"] == pytest.approx((0.01 + 0.81 + 0.01 + 0.01) / 4, abs=1e-15)
    assert parts["reliability"] == pytest.approx(0.5 * 0.4 ** 2 + 0.5 * 0.1 ** 2, abs=1e-15)
    assert parts["resolution"] == pytest.approx(0.25 ** 2, abs=1e-15)
    assert parts["uncertainty"] == pytest.approx(0.75 * 0.25, abs=1e-15)


def test_within_bin_terms_by_hand():
    parts = brier_decomposition(np.array([0, 1]), np.array([0.1, 0.3]), n_bins=1)
    # pbar = .2, obar = .5: deviations of p (-.1, .1), of o (-.5, .5)
    assert parts["reliability"] == pytest.approx(0.09, abs=1e-15)
    assert parts["resolution"] == 0.0
    assert parts["within_bin_variance"] == pytest.approx(0.01, abs=1e-15)
    assert parts["within_bin_covariance"] == pytest.approx(0.05, abs=1e-15)
    assert parts["brier"] == pytest.approx((0.01 + 0.49) / 2, abs=1e-15)


def test_three_terms_are_exact_with_one_forecast_value_per_bin():
    levels = np.arange(10) / 10 + 0.05               # 0.05, 0.15, ..., 0.95
    p = rng.choice(levels, size=20_000)
    y = (rng.random(len(p)) < p ** 1.5).astype(int)  # miscalibrated: reliability > 0
    parts = brier_decomposition(y, p, n_bins=10)
    assert parts["reliability"] > 1e-3
    assert parts["within_bin_variance"] <= 1e-15
    assert abs(parts["within_bin_covariance"]) <= 1e-15
    assert parts["brier"] == pytest.approx(
        parts["reliability"] - parts["resolution"] + parts["uncertainty"], abs=1e-12)
    assert parts["brier"] == pytest.approx(brier_score_loss(y, p), rel=1e-12)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 2, 5, 10, 37, 100])
@pytest.mark.parametrize("seed", [3, 4])
def test_decomposition_identity_with_within_bin_terms(strategy, n_bins, seed):
    y, p = random_binary(20_000, seed)
    p = p ** 0.7                                     # miscalibrated
    parts = brier_decomposition(y, p, n_bins=n_bins, strategy=strategy)
    rebuilt = (parts["reliability"] - parts["resolution"] + parts["uncertainty"]
               + parts["within_bin_variance"] - 2 * parts["within_bin_covariance"])
    assert abs(parts["brier"] - rebuilt) <= 1e-12
    base_rate = y.mean()
    assert parts["uncertainty"] == pytest.approx(base_rate * (1 - base_rate), rel=1e-14)
    assert all(isinstance(value, float) for value in parts.values())


def test_reliability_and_resolution_against_calibration_curve():
    y, p = random_binary(10_000, seed=5)
    p = p ** 2
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    weights = np.bincount(bins_by_comparison(p, np.linspace(0, 1, 11)), minlength=10)
    weights = weights[weights > 0] / len(y)
    parts = brier_decomposition(y, p)
    assert parts["reliability"] == pytest.approx(np.sum(weights * (prob_pred - prob_true) ** 2),
                                                 rel=1e-12)
    assert parts["resolution"] == pytest.approx(np.sum(weights * (prob_true - y.mean()) ** 2),
                                                rel=1e-12)


# ----------------------------------------------------------------------- temperature
def mean_cross_entropy(temperature, logits, y):
    scaled = logits / temperature
    return np.mean(logsumexp(scaled, axis=1) - scaled[np.arange(len(y)), y])


def scipy_temperature(logits, y):
    """argmin of the mean cross-entropy by scipy.optimize.minimize over log T."""
    result = minimize(lambda s: mean_cross_entropy(np.exp(s[0]), logits, y), x0=[0.0],
                      method="Nelder-Mead", options={"xatol": 1e-13, "fatol": 1e-17,
                                                     "maxiter": 10_000})
    return float(np.exp(result.x[0]))


@pytest.mark.parametrize(("n_classes", "scale"),
                         [(2, 3.0), (2, 0.4), (3, 0.5), (5, 1.7), (10, 1.0), (10, 2.5)])
def test_temperature_matches_scipy_minimize(n_classes, scale):
    calibrated = rng.normal(scale=1.5, size=(4000, n_classes))
    y = sample_labels(calibrated, seed=n_classes)
    logits = scale * calibrated + rng.normal(scale=0.3, size=calibrated.shape)
    temperature = fit_temperature(logits, y)
    assert temperature == pytest.approx(scipy_temperature(logits, y), rel=1e-6)
    for nearby in (temperature * (1 - 1e-4), temperature * (1 + 1e-4)):
        assert mean_cross_entropy(temperature, logits, y) < mean_cross_entropy(nearby, logits, y)


def test_binary_vector_logit_means_logits_zero_and_z():
    calibrated = rng.normal(scale=2.0, size=3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-calibrated))).astype(int)
    z = 2.0 * calibrated
    temperature = fit_temperature(z, y)
    two_logits = np.column_stack([np.zeros_like(z), z])
    assert temperature == pytest.approx(fit_temperature(two_logits, y), rel=1e-10)
    assert temperature == pytest.approx(scipy_temperature(two_logits, y), rel=1e-6)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_overconfident_logits_give_t_above_one_and_underconfident_below(n_classes):
    calibrated = rng.normal(scale=2.0, size=(200_000, n_classes))
    y = sample_labels(calibrated, seed=7)
    assert fit_temperature(calibrated, y) == pytest.approx(1.0, rel=0.03)
    assert fit_temperature(3.0 * calibrated, y) == pytest.approx(3.0, rel=0.03)
    assert fit_temperature(calibrated / 3.0, y) == pytest.approx(1 / 3.0, rel=0.03)


def test_separable_data_returns_the_lower_bound_and_hopeless_data_the_upper():
    y = rng.integers(0, 3, size=500)
    logits = rng.normal(size=(500, 3))
    logits[np.arange(500), y] += 10.0                # argmax always right: T -> 0 keeps helping
    assert fit_temperature(logits, y) == 1e-2
    assert fit_temperature(logits, y, bounds=(0.2, 5.0)) == 0.2
    assert fit_temperature(-logits, y) == 1e2        # argmax always wrong: T -> inf
    z = np.where(rng.random(300) < 0.5, 4.0, -4.0)
    assert fit_temperature(z, (z > 0).astype(int)) == 1e-2


def test_constant_logits_give_one():
    assert fit_temperature(np.zeros(50), rng.integers(0, 2, 50)) == 1.0
    assert fit_temperature(np.full((40, 3), 2.5), rng.integers(0, 3, 40)) == 1.0
    assert fit_temperature(np.zeros((10, 2)), np.zeros(10, int), bounds=(2.0, 3.0)) == 2.0


def test_temperature_is_stable_for_huge_logits():
    calibrated = rng.normal(scale=2.0, size=(2000, 3))
    y = sample_labels(calibrated, seed=8)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        temperature = fit_temperature(50.0 * calibrated, y)
    assert temperature == pytest.approx(scipy_temperature(50.0 * calibrated, y), rel=1e-6)
    assert 30 < temperature < 70


# ----------------------------------------------------------------------- validation
P3 = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
BINARY_CASES = [
    (dict(y_true=[0, 1, 1], proba=[0.2, 0.3]), "different lengths"),
    (dict(y_true=[0, 2], proba=[0.2, 0.3]), r"labels must lie in 0\.\.1.*found 2"),
    (dict(y_true=[-1, 0], proba=[0.2, 0.3]), r"labels must lie in 0\.\.1.*found -1"),
    (dict(y_true=[0.5, 1], proba=[0.2, 0.3]), "integer labels"),
    (dict(y_true=["a", "b"], proba=[0.2, 0.3]), "integer labels"),
    (dict(y_true=[0.0, np.inf], proba=[0.2, 0.3]), "integer labels"),
    (dict(y_true=[0.0, np.nan], proba=[0.2, 0.3]), "integer labels"),
    (dict(y_true=[[0, 1]], proba=[0.2, 0.3]), "1-d"),
    (dict(y_true=[0, 1], proba=[0.2, 1.3]), r"proba must lie in \[0, 1\]"),
    (dict(y_true=[0, 1], proba=[-0.1, 0.3]), r"proba must lie in \[0, 1\]"),
    (dict(y_true=[0, 1], proba=[np.nan, 0.3]), "NaN"),
    (dict(y_true=[0, 1], proba=[[0.2, 0.7], [0.5, 0.5]]), "sum to 1.*row 0"),
    (dict(y_true=[0, 1], proba=[[0.2], [0.5]]), r"shape \(n,\) or \(n, K\)"),
    (dict(y_true=[0, 1], proba=np.zeros((2, 2, 2))), r"shape \(n,\) or \(n, K\)"),
    (dict(y_true=[], proba=[]), "empty"),
    (dict(y_true=[0, 1], proba=[0.2, 0.3], n_bins=0), "n_bins"),
    (dict(y_true=[0, 1], proba=[0.2, 0.3], n_bins=2.5), "n_bins"),
    (dict(y_true=[0, 1], proba=[0.2, 0.3], strategy="kmeans"), "strategy"),
]


@pytest.mark.parametrize(("arguments", "message"), BINARY_CASES)
@pytest.mark.parametrize("function", [reliability_curve, expected_calibration_error,
                                      brier_decomposition])
def test_invalid_input_raises_a_clear_error(function, arguments, message):
    arguments = dict(arguments)
    proba = arguments.pop("proba")
    with pytest.raises(ValueError, match=message):
        function(arguments.pop("y_true"), proba, **arguments)


def test_whole_valued_float_and_bool_labels_are_accepted():
    y, p = random_binary(300, seed=9)
    expected = reliability_curve(y, p)
    pd.testing.assert_frame_equal(reliability_curve(y.astype(float), p), expected)
    pd.testing.assert_frame_equal(reliability_curve(y.astype(bool), p), expected)


def test_multiclass_needs_top_label():
    with pytest.raises(ValueError, match="kind='positive' needs two classes"):
        reliability_curve([0, 2], P3)
    with pytest.raises(ValueError, match="kind must be"):
        reliability_curve([0, 2], P3, kind="class-wise")
    with pytest.raises(ValueError, match="binary only"):
        brier_decomposition([0, 2], P3)
    assert len(reliability_curve([0, 2], P3, kind="top-label")) == 2
    with pytest.raises(ValueError, match=r"0\.\.2.*found 3"):
        expected_calibration_error([0, 3], P3)


@pytest.mark.parametrize(("logits", "y", "kwargs", "message"), [
    (np.zeros((3, 2)), [0, 1], {}, "different lengths"),
    (np.zeros((2, 3)), [0, 3], {}, r"0\.\.2.*found 3"),
    (np.zeros(2), [0, 2], {}, r"0\.\.1.*found 2"),
    (np.array([[0.0, np.inf], [0, 1]]), [0, 1], {}, "finite"),
    (np.array([[0.0, np.nan], [0, 1]]), [0, 1], {}, "NaN"),
    (np.zeros((0, 2)), [], {}, "empty"),
    (np.zeros((2, 1)), [0, 0], {}, r"shape \(n,\) or \(n, K\)"),
    (np.zeros(2), [0, 1], {"bounds": (0.0, 10.0)}, "bounds"),
    (np.zeros(2), [0, 1], {"bounds": (5.0, 1.0)}, "bounds"),
])
def test_fit_temperature_rejects_bad_input(logits, y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit_temperature(logits, y, **kwargs)


def test_module_imports_only_numpy_pandas_and_scipy():
    # cecore/__init__ imports sklearn for the estimators, so read the module's own imports
    import ast
    import inspect

    import cecore.calibration

    tree = ast.parse(inspect.getsource(cecore.calibration))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert imported == {"__future__", "numpy", "pandas", "scipy"}
