"""cecore.explorer: every computation behind the explorer pages, checked against its formula."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import log_loss

from cecore.explorer import (
    QUIZ,
    binary_probe,
    cross_entropy_logit_gradient,
    distribution_cross_entropy,
    entropy,
    format_value,
    kl_divergence,
    likelihood_steps,
    logit,
    logit_grid,
    logit_sweep,
    normalize_weights,
    quiz_score,
    simplex_grid,
    simplex_losses,
    smoothed_target,
    softmax_state,
    squared_error,
    squared_error_logit_gradient,
    stability_table,
    sweep_states,
    tangent_segment,
    with_logit,
)
from cecore.losses import sigmoid

probabilities = st.floats(1e-6, 1 - 1e-6)
weights = st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6)


def numerical_derivative(f, x, h=1e-6):
    """Central difference (f(x + h) - f(x - h)) / 2h."""
    return (f(x + h) - f(x - h)) / (2 * h)


# --------------------------------------------------------------------------- binary
@given(probabilities)
def test_logit_inverts_the_sigmoid(p):
    assert sigmoid(logit(p)) == pytest.approx(p, rel=1e-12)


def test_logit_grid_spans_the_original_figure():
    z = logit_grid(401)
    assert z[0] == -10 and z[-1] == 10 and z.size == 401


@given(probabilities, st.sampled_from([0, 1]))
def test_probe_is_the_loss_and_its_two_derivatives(p, y):
    probe = binary_probe(y, p)
    assert probe.z == pytest.approx(np.log(p / (1 - p)), abs=1e-9)
    assert probe.loss == pytest.approx(-np.log(p) if y == 1 else -np.log1p(-p), rel=1e-12)
    assert probe.dloss_dp == pytest.approx(-1 / p if y == 1 else 1 / (1 - p), rel=1e-12)
    assert probe.dloss_dz == pytest.approx(p - y, abs=1e-15)


def test_probe_gradient_matches_a_finite_difference():
    p, y = 0.3, 1
    slope = numerical_derivative(lambda q: binary_probe(y, q).loss, p)
    assert binary_probe(y, p).dloss_dp == pytest.approx(slope, rel=1e-6)


@given(st.floats(-5, 5), st.floats(0, 10), st.floats(-1e3, 1e3))
def test_tangent_passes_through_the_point_with_the_slope(x0, y0, slope):
    xs, ys = tangent_segment(x0, y0, slope, half_width=2.0, half_height=1.5)
    np.testing.assert_allclose(ys, y0 + slope * (xs - x0))
    assert xs[0] <= x0 <= xs[-1]
    assert np.ptp(ys) <= 3.0 + 1e-9  # rises at most half_height to each side
    assert np.ptp(xs) <= 4.0 + 1e-9


def test_tangent_is_clipped_to_the_axis():
    xs, _ = tangent_segment(0.02, 1.0, 0.5, half_width=0.15, half_height=1.5, x_bounds=(0, 1))
    assert xs[0] == 0 and xs[-1] == pytest.approx(0.17)


def test_sweep_states_are_with_logit_row_by_row():
    for logits, true_class, T, s in [([2.0, 1.0, 0.1], 0, 1.0, 0.0),
                                     (np.linspace(-3, 4, 10), 3, 0.35, 0.1),
                                     ([0.5, -1.0], 1, 2.5, 0.3)]:
        state = softmax_state(logits, true_class, T, s)
        values = np.r_[np.linspace(-10, 10, 101), 0.33]
        sweeps = sweep_states(state, 1, values)
        for row, value in enumerate(values):
            one = with_logit(state, 1, value)
            assert one.logits[1] == value and one.logits[0] == state.logits[0]
            # the same arithmetic: equal to the last bit
            assert np.array_equal(sweeps.probs[row], one.probs)
            assert np.array_equal(sweeps.grad[row], one.grad)
            assert sweeps.loss[row] == one.loss


def test_squared_error_and_its_logit_gradient():
    z = np.linspace(-6, 6, 25)
    p = sigmoid(z)
    for y in (0, 1):
        np.testing.assert_allclose(squared_error(y, p), (p - y) ** 2)
        slope = numerical_derivative(lambda t, y=y: squared_error(y, sigmoid(t)), z)
        np.testing.assert_allclose(squared_error_logit_gradient(y, p), slope, atol=1e-8)
        np.testing.assert_allclose(cross_entropy_logit_gradient(y, z), p - y, atol=1e-15)


def test_squared_error_gradient_vanishes_when_confidently_wrong():
    p_wrong = sigmoid(-10.0)  # y = 1 but p is 4.5e-5
    assert abs(squared_error_logit_gradient(1, p_wrong)) < 1e-4
    assert abs(cross_entropy_logit_gradient(1, -10.0)) > 0.99


def test_stability_table_shows_the_three_behaviours():
    table = stability_table().set_index("logit z")
    assert np.isinf(table.loc[-800.0, "naive −log p"])
    assert table.loc[-800.0, "clipped, float64"] == pytest.approx(36.04, abs=5e-3)
    assert table.loc[-800.0, "clipped, float32"] == pytest.approx(15.94, abs=5e-3)
    assert table.loc[-800.0, "logit form softplus(−z)"] == 800.0
    assert table.loc[40.0, "naive −log p"] == 0.0  # p rounds to 1: the loss is lost entirely
    assert table.loc[40.0, "logit form softplus(−z)"] == pytest.approx(np.exp(-40.0), rel=1e-12)
    assert np.all(np.isfinite(table["logit form softplus(−z)"]))


def test_stability_table_clipping_is_sklearns_log_loss():
    table = stability_table()
    for p, clipped in zip(table["p = σ(z)"], table["clipped, float64"], strict=True):
        assert clipped == pytest.approx(log_loss([1], [p], labels=[0, 1]), rel=1e-12)


# --------------------------------------------------------------------------- softmax
def test_softmax_state_follows_the_formulas():
    logits, T, s = np.array([2.0, 1.0, 0.1, -1.0]), 2.0, 0.1
    state = softmax_state(logits, 1, T, s)
    e = np.exp(logits / T)
    np.testing.assert_allclose(state.probs, e / e.sum(), rtol=1e-12)
    np.testing.assert_allclose(state.target, [0.025, 0.925, 0.025, 0.025])
    assert state.loss == pytest.approx(-(state.target * np.log(state.probs)).sum(), rel=1e-12)
    np.testing.assert_allclose(state.grad, (state.probs - state.target) / T, atol=1e-15)
    assert state.grad.sum() == pytest.approx(0.0, abs=1e-15)


def test_softmax_gradient_matches_finite_differences():
    logits = np.array([0.5, -1.0, 2.0])
    state = softmax_state(logits, 2, 0.7, 0.2)
    for k in range(3):
        def loss_at(v, k=k):
            moved = logits.copy()
            moved[k] = v
            return softmax_state(moved, 2, 0.7, 0.2).loss
        assert state.grad[k] == pytest.approx(numerical_derivative(loss_at, logits[k]), rel=1e-6)


def test_smoothed_target_sums_to_one():
    np.testing.assert_allclose(smoothed_target(0, 4, 0.0), [1, 0, 0, 0])
    assert smoothed_target(3, 10, 0.3).sum() == pytest.approx(1.0)


def test_logit_sweep_passes_through_the_current_loss():
    state = softmax_state([1.0, -0.5, 0.3], 0, 1.0, 0.0)
    grid = np.linspace(-10, 10, 201)
    losses = logit_sweep(state, 0, grid)
    assert logit_sweep(state, 0, [1.0])[0] == pytest.approx(state.loss, rel=1e-12)
    assert np.all(np.diff(losses) < 0)  # raising the true logit always helps
    assert np.all(np.diff(logit_sweep(state, 1, grid)) > 0)  # raising another always hurts


def test_simplex_grid_is_inside_the_triangle():
    points = simplex_grid(20)
    assert points.shape == (20 * 21 // 2, 3)
    np.testing.assert_allclose(points.sum(axis=1), 1.0)
    assert points.min() > 0


def test_simplex_losses_with_a_one_hot_target_are_minus_log_p_true():
    points = simplex_grid(10)
    np.testing.assert_allclose(simplex_losses(points, [0.0, 1.0, 0.0]), -np.log(points[:, 1]))


# --------------------------------------------------------------------------- information
@given(weights)
def test_normalized_weights_form_a_distribution(w):
    p = normalize_weights(w)
    assert p.sum() == pytest.approx(1.0) and np.all(p >= 0)


def test_all_zero_weights_give_the_uniform_distribution():
    np.testing.assert_allclose(normalize_weights([0, 0, 0, 0]), 0.25)


@given(weights, weights.filter(lambda w: min(w) > 1e-3))
def test_cross_entropy_is_entropy_plus_kl(wp, wq):
    size = min(len(wp), len(wq))
    p, q = normalize_weights(wp[:size]), normalize_weights(wq[:size])
    kl = kl_divergence(p, q)
    assert distribution_cross_entropy(p, q) == pytest.approx(entropy(p) + kl, abs=1e-12)
    assert kl >= -1e-12


def test_entropy_values():
    assert entropy([0.25] * 4) == pytest.approx(np.log(4))
    assert entropy([1.0, 0.0]) == 0.0  # 0 log 0 = 0
    assert kl_divergence([0.3, 0.7], [0.3, 0.7]) == 0.0


def test_a_model_that_rules_out_a_possible_outcome_costs_infinity():
    assert np.isinf(distribution_cross_entropy([0.5, 0.5], [1.0, 0.0]))
    assert np.isinf(kl_divergence([0.5, 0.5], [1.0, 0.0]))
    assert distribution_cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0


def test_format_value():
    assert format_value(1.23456) == "1.2346"
    assert format_value(np.inf) == "∞"
    assert format_value(np.inf, infinity=r"\infty") == r"\infty"


def test_likelihood_steps_end_at_the_log_loss():
    y, p = np.array([1, 0, 1, 1, 0]), np.array([0.9, 0.2, 0.6, 0.95, 0.4])
    steps = likelihood_steps(y, p)
    assert steps.likelihood == pytest.approx(np.prod(np.where(y == 1, p, 1 - p)), rel=1e-12)
    assert steps.log_likelihood == pytest.approx(np.log(steps.likelihood), rel=1e-12)
    assert steps.mean_negative_log_likelihood == pytest.approx(steps.log_loss, rel=1e-12)
    assert steps.log_loss == pytest.approx(log_loss(y, p), rel=1e-12)


# --------------------------------------------------------------------------- quiz
def test_quiz_has_five_well_formed_questions():
    assert len(QUIZ) == 5
    for question in QUIZ:
        assert len(set(question.options)) == len(question.options) >= 3
        assert 0 <= question.answer < len(question.options)
        assert question.explanation
    assert len({question.answer for question in QUIZ}) > 1  # the right answer moves around


def test_quiz_says_cross_entropy_alone_does_not_prevent_overfitting():
    overfitting = QUIZ[4]
    assert "overfitting" in overfitting.prompt
    assert overfitting.options[overfitting.answer].startswith("No")
    assert "regularisation" in overfitting.options[overfitting.answer]


def test_quiz_score_counts_right_answers():
    right = [q.options[q.answer] for q in QUIZ]
    assert quiz_score(right) == 5
    assert quiz_score([None] * 5) == 0
    wrong_first = [QUIZ[0].options[(QUIZ[0].answer + 1) % 4], *right[1:]]
    assert quiz_score(wrong_first) == 4
