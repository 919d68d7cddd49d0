"""cecore.scoring_rules, cecore.focal and their charts: every value against its formula."""

import base64
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cecore import charts
from cecore.charts.scoring import ANIMATE_OPTIONS, RULE_Y_RANGES, best_name, true_p_name
from cecore.explorer import entropy, kl_divergence, logit_grid
from cecore.focal import (
    expected_focal_loss,
    focal_loss,
    focal_loss_gradient,
    focal_loss_with_logits,
    focal_loss_with_logits_gradient,
)
from cecore.losses import binary_cross_entropy_with_logits, sigmoid
from cecore.scoring_rules import (
    FREQUENCY_GRID,
    SCORING_RULES,
    BestReports,
    best_brier_reports,
    best_log_loss_reports,
    best_zero_one_reports,
    binary_entropy,
    binary_kl,
    expected_brier,
    expected_log_loss,
    expected_zero_one_loss,
    log_loss_decomposition,
    nearest_frequency_index,
)

FREQUENCIES = (0.01, 0.03, 0.1, 0.27, 0.5, 0.64, 0.9, 0.99)
GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)
RULES = {rule.key: rule for rule in SCORING_RULES}
inner = st.floats(1e-6, 1 - 1e-6)


# --------------------------------------------------------------------------- expected scores
def test_expected_scores_by_hand():
    # p = 0.7, q = 0.6: -(0.7 ln 0.6 + 0.3 ln 0.4) = 0.357578 + 0.274887
    assert expected_log_loss(0.7, 0.6) == pytest.approx(0.632465, abs=1e-6)
    assert expected_log_loss(0.5, 0.5) == pytest.approx(np.log(2))
    assert expected_brier(0.7, 0.6) == pytest.approx(0.7 * 0.16 + 0.3 * 0.36)  # 0.22
    assert expected_brier(0.25, 0.5) == pytest.approx(0.25)
    assert expected_zero_one_loss(0.7, 0.6) == pytest.approx(0.3)  # call yes, wrong 30 %
    assert expected_zero_one_loss(0.7, 0.4) == pytest.approx(0.7)  # call no, wrong 70 %
    assert expected_zero_one_loss(0.7, 0.5) == pytest.approx(0.7)  # q = 1/2 calls no
    assert binary_entropy(0.5) == pytest.approx(np.log(2))
    # 0.7 ln(7/6) + 0.3 ln(3/4) = 0.107905 - 0.086305
    assert binary_kl(0.7, 0.6) == pytest.approx(0.021601, abs=1e-6)


def test_expected_scores_at_the_ends():
    assert expected_log_loss(0.0, 0.0) == 0.0 and expected_log_loss(1.0, 1.0) == 0.0
    assert np.isinf(expected_log_loss(0.3, 0.0)) and np.isinf(expected_log_loss(0.3, 1.0))
    assert expected_brier(1.0, 1.0) == 0.0 and expected_brier(1.0, 0.0) == 1.0
    assert binary_entropy(0.0) == 0.0 and binary_kl(0.4, 0.4) == 0.0


def test_expected_scores_broadcast_over_p_and_q():
    p, q = np.array([[0.2], [0.7]]), np.linspace(0.1, 0.9, 5)
    for rule in SCORING_RULES:
        values = rule.expected(p, q)
        assert values.shape == (2, 5)
        np.testing.assert_array_equal(values[1], rule.expected(0.7, q))
    assert isinstance(expected_brier(0.2, 0.3), float)


@pytest.mark.parametrize("bad", [-0.1, 1.5, np.nan])
def test_probabilities_outside_0_1_are_refused(bad):
    for rule in SCORING_RULES:
        with pytest.raises(ValueError, match="must lie in"):
            rule.expected(bad, 0.5)
        with pytest.raises(ValueError, match="must lie in"):
            rule.expected(0.5, bad)


# --------------------------------------------------------------------------- minimisers
@pytest.mark.parametrize("p", FREQUENCIES)
@pytest.mark.parametrize("key", ["log", "brier"])
def test_log_loss_and_brier_are_lowest_at_q_equal_p_on_a_fine_grid(key, p):
    q = np.linspace(1e-5, 1 - 1e-5, 100_001)
    step = q[1] - q[0]
    rule = RULES[key]
    assert abs(q[np.argmin(rule.expected(p, q))] - p) <= step
    best = rule.best(p)
    assert best.unique and best.low == p and rule.strictly_proper
    assert best.value == pytest.approx(rule.expected(p, p), abs=1e-15)
    assert np.all(rule.expected(p, q) >= best.value - 1e-15)


@given(inner, inner)
def test_honest_reporting_is_never_worse(p, q):
    assert expected_log_loss(p, q) >= expected_log_loss(p, p) - 1e-12
    assert expected_brier(p, q) >= expected_brier(p, p) - 1e-15


def test_best_values_are_the_formulas():
    assert best_log_loss_reports(0.3).value == pytest.approx(binary_entropy(0.3))
    assert best_brier_reports(0.3).value == pytest.approx(0.21)
    assert best_zero_one_reports(0.3).value == pytest.approx(0.3)
    assert best_zero_one_reports(0.8).value == pytest.approx(0.2)


@pytest.mark.parametrize("p", FREQUENCIES)
def test_zero_one_loss_is_flat_on_each_side_of_one_half(p):
    q = np.linspace(0, 1, 1001)
    loss = expected_zero_one_loss(p, q)
    np.testing.assert_array_equal(loss[q > 0.5], 1 - p)
    np.testing.assert_array_equal(loss[q <= 0.5], p)
    best = best_zero_one_reports(p)
    assert not best.unique and not RULES["zero_one"].strictly_proper
    # the best reports are exactly the q that reach the lowest value
    np.testing.assert_array_equal(best.contains(q), loss == loss.min())
    assert best.value == loss.min()


def test_zero_one_loss_cannot_tell_051_from_099():
    assert expected_zero_one_loss(0.99, 0.51) == expected_zero_one_loss(0.99, 0.99)
    assert expected_log_loss(0.99, 0.51) > expected_log_loss(0.99, 0.99) + 0.5
    best = best_zero_one_reports(0.7)
    assert (best.low, best.high, best.low_closed, best.high_closed) == (0.5, 1.0, False, True)
    assert not best.contains(0.5) and best.contains(0.51) and best.contains(1.0)
    assert best_zero_one_reports(0.5) == BestReports(value=0.5, low=0.0, high=1.0)


# --------------------------------------------------------------------------- decomposition
def test_log_loss_is_entropy_plus_kl():
    p = np.linspace(0, 1, 101)[:, None]
    q = np.linspace(0.001, 0.999, 999)
    parts = log_loss_decomposition(p, q)
    np.testing.assert_allclose(parts.expected, parts.entropy + parts.kl, rtol=0, atol=1e-12)
    assert np.all(parts.kl >= 0)


@given(inner, inner)
def test_binary_entropy_and_kl_are_the_two_outcome_distributions(p, q):
    assert binary_entropy(p) == pytest.approx(entropy([p, 1 - p]), abs=1e-12)
    assert binary_kl(p, q) == pytest.approx(kl_divergence([p, 1 - p], [q, 1 - q]), abs=1e-12)


def test_nearest_frequency_index():
    assert FREQUENCY_GRID[0] == 0.01 and FREQUENCY_GRID[-1] == 0.99 and FREQUENCY_GRID.size == 99
    assert nearest_frequency_index(0.7) == 69 and nearest_frequency_index(0.333) == 32


# --------------------------------------------------------------------------- focal loss
Z = np.linspace(-8, 8, 33)


@pytest.mark.parametrize("y", [0, 1])
def test_focal_loss_at_gamma_0_is_cross_entropy(y):
    np.testing.assert_allclose(focal_loss_with_logits(y, Z, 0.0),
                               binary_cross_entropy_with_logits(np.full(Z.size, y), Z,
                                                                reduction="none"), rtol=1e-14)
    np.testing.assert_allclose(focal_loss_with_logits_gradient(y, Z, 0.0), sigmoid(Z) - y,
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("y", [0, 1])
def test_focal_probability_form_equals_logit_form(y, gamma):
    p = sigmoid(Z)
    np.testing.assert_allclose(focal_loss(y, p, gamma), focal_loss_with_logits(y, Z, gamma),
                               rtol=1e-9)
    # the definition, literally: -(1 - p_t)^gamma log p_t
    p_t = p if y == 1 else 1 - p
    np.testing.assert_allclose(focal_loss(y, p, gamma), -((1 - p_t) ** gamma) * np.log(p_t),
                               rtol=1e-12)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("y", [0, 1])
def test_focal_logit_gradient_matches_a_central_difference(y, gamma):
    h = 1e-5
    numeric = (focal_loss_with_logits(y, Z + h, gamma)
               - focal_loss_with_logits(y, Z - h, gamma)) / (2 * h)
    np.testing.assert_allclose(focal_loss_with_logits_gradient(y, Z, gamma), numeric,
                               rtol=1e-7)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("y", [0, 1])
def test_focal_probability_gradient_matches_a_central_difference(y, gamma):
    p = np.linspace(0.01, 0.99, 99)
    h = 1e-5 * np.minimum(p, 1 - p)
    numeric = (focal_loss(y, p + h, gamma) - focal_loss(y, p - h, gamma)) / (2 * h)
    np.testing.assert_allclose(focal_loss_gradient(y, p, gamma), numeric, rtol=1e-7)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_focal_gradients_for_y_1_are_the_derived_formulas(gamma):
    p = sigmoid(Z)
    np.testing.assert_allclose(focal_loss_with_logits_gradient(1, Z, gamma),
                               (1 - p) ** gamma * (gamma * p * np.log(p) + p - 1), rtol=1e-9)
    np.testing.assert_allclose(
        focal_loss_gradient(1, p, gamma),
        gamma * (1 - p) ** (gamma - 1) * np.log(p) - (1 - p) ** gamma / p, rtol=1e-9)
    # chain rule: dFL/dz = dFL/dp * p (1 - p)
    np.testing.assert_allclose(focal_loss_gradient(1, p, gamma) * p * (1 - p),
                               focal_loss_with_logits_gradient(1, Z, gamma), rtol=1e-9)


def test_focal_loss_from_the_logit_is_exact_where_p_rounds_to_1():
    # p = sigmoid(40) is exactly 1.0 in float64: the probability form says 0
    assert focal_loss(1, sigmoid(40.0), 2.0) == 0.0
    assert focal_loss_with_logits(1, 40.0, 2.0) == pytest.approx(np.exp(-120.0), rel=1e-12)
    assert focal_loss_with_logits(1, -800.0, 2.0) == pytest.approx(800.0)
    assert focal_loss_with_logits_gradient(1, -800.0, 2.0) == -1.0
    assert np.isfinite(focal_loss_with_logits_gradient(1, 800.0, 0.5))


def test_focal_loss_shrinks_easy_examples_and_can_push_harder_on_hard_ones():
    assert focal_loss_with_logits(1, 3.0, 2.0) < 0.01 * focal_loss_with_logits(1, 3.0, 0.0)
    assert abs(focal_loss_with_logits_gradient(1, -3.0, 2.0)) == pytest.approx(1.127, abs=1e-3)


def test_focal_probability_gradient_at_p_t_1_is_zero_without_warnings():
    with np.errstate(all="raise"):
        assert focal_loss_gradient(1, 1.0, 0.5) == 0.0
        assert focal_loss_gradient(0, 0.0, 2.0) == 0.0


def test_focal_loss_is_not_a_proper_scoring_rule():
    q = np.linspace(1e-5, 1 - 1e-5, 100_001)
    step = q[1] - q[0]
    np.testing.assert_allclose(expected_focal_loss(0.8, q, 0.0), expected_log_loss(0.8, q),
                               rtol=1e-12)
    assert abs(q[np.argmin(expected_focal_loss(0.8, q, 0.0))] - 0.8) <= step
    assert q[np.argmin(expected_focal_loss(0.8, q, 2.0))] == pytest.approx(0.6266, abs=1e-3)
    for gamma in (0.5, 1.0, 5.0):  # pulled towards 1/2, on both sides
        assert 0.5 < q[np.argmin(expected_focal_loss(0.9, q, gamma))] < 0.9 - 0.05
        assert 0.1 + 0.05 < q[np.argmin(expected_focal_loss(0.1, q, gamma))] < 0.5


def test_focal_loss_refuses_bad_labels_gamma_and_probabilities():
    with pytest.raises(ValueError, match="labels"):
        focal_loss_with_logits(2, 0.0)
    with pytest.raises(ValueError, match="gamma"):
        focal_loss(1, 0.5, gamma=-1)
    with pytest.raises(ValueError, match="probabilities"):
        focal_loss(1, 1.2)


# --------------------------------------------------------------------------- charts
def traces(fig):
    """The figure's traces as dicts (what the browser gets), keyed by name."""
    return {t["name"]: t for t in fig.to_dict()["data"]}


def values(seq):
    """A trace attribute as floats: Plotly's base64 typed array, or a list (None -> NaN)."""
    if isinstance(seq, dict):
        return np.frombuffer(base64.b64decode(seq["bdata"]), dtype=seq["dtype"])
    return np.array([np.nan if v is None else v for v in seq], dtype=float)


def check_panels(by_name, p):
    """Curves equal the cecore functions at their x; the minima sit where cecore says."""
    for rule in SCORING_RULES:
        curve = by_name[rule.name]
        x, y = values(curve["x"]), values(curve["y"])
        known = ~np.isnan(x) & (x != 0.5) if rule.key == "zero_one" else ~np.isnan(x)
        np.testing.assert_allclose(y[known], rule.expected(p, x[known]), rtol=1e-15)
        best = rule.best(p)
        marker = by_name[best_name(rule)]
        if best.unique:
            assert list(marker["x"]) == [pytest.approx(p, abs=1e-15)]
            assert list(marker["y"]) == [pytest.approx(best.value, abs=1e-15)]
        else:
            assert list(marker["x"]) == [best.low, best.high]
            assert list(marker["y"]) == [pytest.approx(best.value)] * 2
        assert list(by_name[true_p_name(rule)]["x"]) == [p, p]
    zero_one = by_name[RULES["zero_one"].name]
    assert values(zero_one["y"])[[1, 3]] == pytest.approx([p, 1 - p])  # both sides of the jump


@pytest.mark.parametrize("p", [0.7, 0.2, 0.5])
def test_scoring_chart_draws_the_expected_scores_and_their_minima(p):
    fig = charts.scoring_rules_chart(p)
    by_name = traces(fig)
    check_panels(by_name, p)
    floor = by_name[[n for n in by_name if n.startswith("entropy")][0]]
    assert list(floor["y"]) == [pytest.approx(binary_entropy(p))] * 2
    assert fig.layout.sliders[0].active == nearest_frequency_index(p)


def test_scoring_chart_frames_move_every_curve_and_marker():
    fig = charts.scoring_rules_chart(0.7)
    assert [f.name for f in fig.frames] == [f"{p:.2f}" for p in FREQUENCY_GRID]
    steps = fig.layout.sliders[0].steps
    assert [list(s.args[0]) for s in steps] == [[f.name] for f in fig.frames]
    assert all(s.method == "animate" and s.args[1] == ANIMATE_OPTIONS for s in steps)
    assert ANIMATE_OPTIONS["frame"]["redraw"] is False
    for frame in fig.frames[::7]:
        p = float(frame.name)
        assert list(frame.traces) == list(range(len(fig.data)))
        moved = fig.to_dict()["data"]  # the browser merges each frame's data into its traces
        for index, update in zip(frame.traces, frame.to_plotly_json()["data"], strict=True):
            moved[index].update({k: v for k, v in update.items() if k != "type"})
        check_panels({t["name"]: t for t in moved}, p)
        for rule in SCORING_RULES:  # the fixed y-ranges hold every frame's minimum
            low, high = RULE_Y_RANGES[rule.key]
            assert low <= rule.best(p).value <= high


def test_scoring_chart_json_stays_small_and_serialises():
    spec = charts.scoring_rules_chart(0.7).to_json()
    assert len(spec) < 300_000
    assert len(json.loads(spec)["frames"]) == 99
    fig = charts.scoring_rules_chart(0.7, animate=False)
    assert not fig.frames and not fig.layout.sliders


def test_scoring_chart_has_one_y_axis_per_rule():
    layout = charts.scoring_rules_chart(0.4).layout
    titles = [layout[f"yaxis{i if i > 1 else ''}"].title.text for i in (1, 2, 3)]
    assert titles == ["E[log loss] (nats)", "E[Brier score]", "E[0/1 loss]"]
    assert [list(layout[f"yaxis{i if i > 1 else ''}"].range) for i in (1, 2, 3)] == [
        list(RULE_Y_RANGES[k]) for k in ("log", "brier", "zero_one")]


@pytest.mark.parametrize("logit_axis", [False, True])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_focal_loss_curves_are_the_focal_loss(gamma, logit_axis):
    fig = charts.focal_loss_curves(gamma, logit_axis=logit_axis)
    ce, fl = fig.data
    z = logit_grid(801)
    np.testing.assert_allclose(ce.x, z if logit_axis else sigmoid(z))
    np.testing.assert_allclose(ce.y, binary_cross_entropy_with_logits(np.ones(z.size), z,
                                                                      reduction="none"))
    np.testing.assert_allclose(fl.y, focal_loss_with_logits(1, z, gamma))
    assert fl.name == f"focal loss (γ = {gamma:g})"
    assert charts.focal_loss_curves(gamma, log_y=True).layout.yaxis.type == "log"


def test_focal_loss_gradient_chart_wrt_z_and_p():
    z = logit_grid(801)
    ce, fl = charts.focal_loss_gradients(2.0, logit_axis=True).data
    np.testing.assert_allclose(ce.y, sigmoid(-z), rtol=1e-12)  # = 1 - p, exact
    np.testing.assert_allclose(fl.y, np.abs(focal_loss_with_logits_gradient(1, z, 2.0)))
    fig = charts.focal_loss_gradients(2.0, wrt="p")
    np.testing.assert_allclose(fig.data[1].y, np.abs(focal_loss_gradient(1, sigmoid(z), 2.0)))
    assert fig.layout.yaxis.type == "log"
    with pytest.raises(ValueError, match="wrt"):
        charts.focal_loss_gradients(2.0, wrt="w")
