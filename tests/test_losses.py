"""cecore.losses: parity with sklearn's log_loss, exactness of the logit forms, gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import log_loss

from cecore import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_with_logits,
    log_softmax,
    sigmoid,
    softmax,
)
from cecore.losses import (
    binary_cross_entropy_gradient,
    binary_cross_entropy_with_logits_gradient,
    cross_entropy_with_logits_gradient,
    logsumexp,
    softplus,
)

rng = np.random.default_rng(20261125)


# ----------------------------------------------------------------------------- links
def test_sigmoid_matches_definition_and_saturates_without_warnings():
    z = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15, atol=0)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        extreme = sigmoid(np.array([-1e4, -800.0, 0.0, 800.0, 1e4]))
    np.testing.assert_array_equal(extreme, [0.0, 0.0, 0.5, 1.0, 1.0])
    assert sigmoid(np.float32(3)).dtype == np.float32


def test_softplus_equals_logaddexp():
    z = np.concatenate([np.linspace(-50, 50, 1001), [-1e4, 1e4, -1e300, 1e300]])
    np.testing.assert_allclose(softplus(z), np.logaddexp(0, z), rtol=1e-15)


def test_softmax_and_log_softmax_are_stable_and_consistent():
    Z = rng.normal(size=(50, 7)) * 30
    Z[0] = [1e4, -1e4, 0, 0, 0, 0, 0]
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        P = softmax(Z)
        logP = log_softmax(Z)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    assert np.all(np.isfinite(logP))
    ref = Z - np.logaddexp.reduce(Z, axis=1, keepdims=True)
    np.testing.assert_allclose(logP, ref, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(np.exp(logP[1:]), P[1:], rtol=1e-12)


def test_logsumexp_keeps_relative_accuracy_when_one_logit_dominates():
    Z = np.array([[40.0, 0.0], [20.0, 1.0]])
    exact = Z[:, 0] + np.log1p(np.exp(Z[:, 1] - Z[:, 0]))
    # -log_softmax of the winner is tiny; it must still be right to the last digits.
    winner = np.log1p(np.exp(Z[:, 1] - Z[:, 0]))
    np.testing.assert_allclose(-log_softmax(Z)[:, 0], winner, rtol=1e-15)
    np.testing.assert_allclose(cross_entropy_with_logits([0, 0], Z, reduction="none"), winner,
                               rtol=1e-15)
    np.testing.assert_allclose(logsumexp(Z), exact, rtol=1e-15)


# ----------------------------------------------------------------------------- binary
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_cross_entropy_equals_log_loss_random(dtype):
    p = rng.random(5000).astype(dtype)
    y = rng.integers(0, 2, 5000)
    assert binary_cross_entropy(y, p) == pytest.approx(log_loss(y, p), rel=1e-12)


@pytest.mark.parametrize("dtype,certain_wrong", [(np.float64, 36.04365338911715),
                                                 (np.float32, 15.942384719848633)])
def test_binary_cross_entropy_clips_like_log_loss_at_zero_and_one(dtype, certain_wrong):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1e-300, 1 - 1e-17], dtype=dtype)
    y = np.array([1, 0, 0, 1, 1, 1, 0])
    per = binary_cross_entropy(y, p, reduction="none")
    assert np.all(np.isfinite(per))
    assert per[0] == pytest.approx(certain_wrong, rel=1e-6)
    assert per[1] == pytest.approx(certain_wrong, rel=1e-6)
    assert binary_cross_entropy(y, p) == pytest.approx(log_loss(y, p), rel=1e-6 if dtype ==
                                                       np.float32 else 1e-15)
    assert certain_wrong == pytest.approx(-np.log(np.finfo(dtype).eps), rel=1e-6)


def test_sample_weight_and_reductions_match_log_loss():
    p = rng.random(300)
    y = rng.integers(0, 2, 300)
    w = rng.random(300) * 3
    per = binary_cross_entropy(y, p, reduction="none")
    assert binary_cross_entropy(y, p, sample_weight=w) == pytest.approx(
        log_loss(y, p, sample_weight=w), rel=1e-13)
    assert binary_cross_entropy(y, p, reduction="sum") == pytest.approx(
        log_loss(y, p, normalize=False), rel=1e-13)
    assert binary_cross_entropy(y, p, sample_weight=w, reduction="sum") == pytest.approx(
        float(per @ w), rel=1e-13)
    np.testing.assert_allclose(binary_cross_entropy(y, p, sample_weight=w, reduction="none"),
                               per * w)
    with pytest.raises(ValueError, match="reduction"):
        binary_cross_entropy(y, p, reduction="avg")


def test_binary_with_logits_is_exact_for_extreme_logits():
    z = np.array([-1e4, -745.0, -40.0, -10.0, 0.0, 1e-8, 10.0, 40.0, 745.0, 1e4])
    for y in (0, 1):
        got = binary_cross_entropy_with_logits(np.full(z.shape, y), z, reduction="none")
        ref = np.logaddexp(0, -z if y == 1 else z)
        np.testing.assert_allclose(got, ref, rtol=1e-15, atol=0)
        assert np.all(np.isfinite(got))
    # y = 1, z = 40: exp(-40) = 4.25e-18, which 1 - sigmoid would round to 0.
    assert binary_cross_entropy_with_logits([1.0], [40.0]) == pytest.approx(np.exp(-40),
                                                                            rel=1e-14)


def test_binary_with_logits_agrees_with_probability_form_where_no_clipping():
    z = rng.normal(size=1000) * 5
    y = rng.integers(0, 2, 1000)
    assert binary_cross_entropy_with_logits(y, z) == pytest.approx(
        log_loss(y, sigmoid(z)), rel=1e-12)


def test_binary_gradients_match_finite_differences():
    z = rng.normal(size=40) * 3
    y = rng.integers(0, 2, 40).astype(float)
    w = rng.random(40)
    h = 1e-6
    for sw in (None, w):
        g = binary_cross_entropy_with_logits_gradient(y, z, sample_weight=sw)
        fd = np.array([
            (binary_cross_entropy_with_logits(y, z + h * e, sample_weight=sw)
             - binary_cross_entropy_with_logits(y, z - h * e, sample_weight=sw)) / (2 * h)
            for e in np.eye(40)])
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-10)
    p = np.linspace(0.05, 0.95, 19)
    for label in (0.0, 1.0):
        y = np.full(p.shape, label)
        fd = (binary_cross_entropy(y, p + h, reduction="none")
              - binary_cross_entropy(y, p - h, reduction="none")) / (2 * h)
        np.testing.assert_allclose(binary_cross_entropy_gradient(y, p), fd, rtol=1e-6)


# ----------------------------------------------------------------------------- multiclass
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_equals_log_loss(dtype):
    P = softmax(rng.normal(size=(2000, 5)) * 4).astype(dtype)
    P[:3] = np.eye(5, dtype=dtype)[[1, 2, 3]]          # certain predictions, right and wrong
    y = rng.integers(0, 5, 2000)
    y[:3] = [1, 0, 3]
    rel = 1e-6 if dtype == np.float32 else 1e-12
    assert cross_entropy(y, P) == pytest.approx(log_loss(y, P, labels=range(5)), rel=rel)
    w = rng.random(2000)
    assert cross_entropy(y, P, sample_weight=w) == pytest.approx(
        log_loss(y, P, labels=range(5), sample_weight=w), rel=rel)


def test_cross_entropy_accepts_probability_targets():
    P = softmax(rng.normal(size=(10, 3)))
    T = softmax(rng.normal(size=(10, 3)))
    expected = -(T * np.log(P)).sum(axis=1).mean()
    assert cross_entropy(T, P) == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_with_logits_matches_logaddexp_for_extreme_logits():
    Z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [0.0, 0.0, 0.0], [50.0, 49.0, -3.0]])
    y = np.array([0, 0, 2, 1])
    got = cross_entropy_with_logits(y, Z, reduction="none")
    ref = np.logaddexp.reduce(Z, axis=1) - Z[np.arange(4), y]
    np.testing.assert_allclose(got, ref, rtol=1e-14)  # the reference rounds 50 + log1p(..)
    assert got[3] == 1 + np.log1p(np.exp(-1) + np.exp(-53))
    assert np.all(np.isfinite(got))
    assert got[1] == 2e4


def test_label_smoothing_is_the_mixture_target():
    Z = rng.normal(size=(20, 4)) * 3
    y = rng.integers(0, 4, 20)
    s = 0.1
    T = (1 - s) * np.eye(4)[y] + s / 4
    expected = -(T * log_softmax(Z)).sum(axis=1).mean()
    assert cross_entropy_with_logits(y, Z, label_smoothing=s) == pytest.approx(expected,
                                                                              rel=1e-13)
    assert cross_entropy_with_logits(y, Z, label_smoothing=s) > cross_entropy_with_logits(
        y, Z) - 1  # defined and finite
    with pytest.raises(ValueError, match="label_smoothing"):
        cross_entropy_with_logits(y, Z, label_smoothing=1.5)


def test_multiclass_gradient_matches_finite_differences():
    Z = rng.normal(size=(6, 4)) * 2
    y = rng.integers(0, 4, 6)
    w = rng.random(6)
    h = 1e-6
    for sw, ls in ((None, 0.0), (w, 0.2)):
        g = cross_entropy_with_logits_gradient(y, Z, sample_weight=sw, label_smoothing=ls)
        fd = np.zeros_like(Z)
        for i in range(6):
            for k in range(4):
                E = np.zeros_like(Z)
                E[i, k] = h
                fd[i, k] = (cross_entropy_with_logits(y, Z + E, sample_weight=sw,
                                                      label_smoothing=ls)
                            - cross_entropy_with_logits(y, Z - E, sample_weight=sw,
                                                        label_smoothing=ls)) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-10)


def test_scalars_are_one_sample():
    assert binary_cross_entropy(1, 0.25) == pytest.approx(np.log(4), rel=1e-15)
    assert binary_cross_entropy_with_logits(0, 0.0) == pytest.approx(np.log(2), rel=1e-15)
    assert binary_cross_entropy_with_logits_gradient(1, 0.0) == pytest.approx(-0.5, rel=1e-15)


def test_bad_inputs_raise_value_error():
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        binary_cross_entropy([1], [1.5])
    with pytest.raises(ValueError, match="shape"):
        binary_cross_entropy([1, 0], [0.5])
    with pytest.raises(ValueError, match="NaN"):
        binary_cross_entropy_with_logits([1], [np.nan])
    with pytest.raises(ValueError, match="labels"):
        cross_entropy([3], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="sample_weight"):
        binary_cross_entropy([1, 0], [0.5, 0.5], sample_weight=[1, -1])


# ----------------------------------------------------------------------------- properties
probabilities = arrays(np.float64, st.integers(1, 50),
                       elements=st.floats(0, 1, allow_nan=False, allow_subnormal=True))
logits = arrays(np.float64, st.integers(1, 50),
                elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@settings(max_examples=200, deadline=None)
@given(p=probabilities, data=st.data())
def test_property_binary_probability_form_is_log_loss(p, data):
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=len(p), max_size=len(p))))
    loss = binary_cross_entropy(y, p, reduction="none")
    assert np.all(np.isfinite(loss)) and np.all(loss >= 0)
    assert loss.max() <= -np.log(np.finfo(np.float64).eps) + 1e-12
    if len(np.unique(y)) == 2:
        assert binary_cross_entropy(y, p) == pytest.approx(log_loss(y, p), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(z=logits, data=st.data())
def test_property_binary_logit_form_is_softplus(z, data):
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=len(z), max_size=len(z))))
    loss = binary_cross_entropy_with_logits(y, z, reduction="none")
    assert np.all(np.isfinite(loss)) and np.all(loss >= 0)
    np.testing.assert_allclose(loss, np.logaddexp(0, np.where(y == 1, -z, z)), rtol=1e-14)


@settings(max_examples=150, deadline=None)
@given(Z=arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(2, 6)),
                elements=st.floats(-1e5, 1e5, allow_nan=False)), data=st.data())
def test_property_softmax_cross_entropy_is_logsumexp_minus_target(Z, data):
    n, K = Z.shape
    y = np.array(data.draw(st.lists(st.integers(0, K - 1), min_size=n, max_size=n)))
    loss = cross_entropy_with_logits(y, Z, reduction="none")
    ref = np.logaddexp.reduce(Z, axis=1) - Z[np.arange(n), y]
    assert np.all(np.isfinite(loss)) and np.all(loss >= 0)
    np.testing.assert_allclose(loss, ref, rtol=1e-12, atol=1e-9 * np.abs(Z).max(initial=1))
    P = softmax(Z)
    assert np.all(P >= 0) and np.allclose(P.sum(axis=1), 1)
