"""cecore.charts: every figure is checked against the formula it draws, without Streamlit."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cecore import charts
from cecore.charts.binary import (
    P_STEP,
    PROBE_TRACES,
    Z_STEP,
    binary_explorer,
    move_probe,
    probe_grid,
    probe_steps,
)
from cecore.charts.softmax import (
    SWEEP_STEP,
    SWEEP_TRACES,
    softmax_explorer,
    sweep_grid,
    sweep_steps,
)
from cecore.charts.style import ANIMATE_AT_ONCE, MODEBAR_STRIP, replace_nearest, rounded
from cecore.explorer import (
    P_MAX,
    P_MIN,
    Z_MAX,
    Z_MIN,
    binary_probe,
    logit,
    normalize_weights,
    softmax_state,
    with_logit,
)
from cecore.losses import sigmoid

MAX_FIGURE_BYTES = 300_000


def traces(fig):
    """The figure's traces keyed by name."""
    return {t.name: t for t in fig.data}


def xy(trace):
    """x (float, or the category labels) and y (float, None -> NaN) of a trace."""
    x = np.asarray(trace.x)
    return (x if x.dtype.kind == "U" else x.astype(float)), np.asarray(trace.y, dtype=float)


def curve(fig, prefix):
    """x and y of the one trace whose name starts with ``prefix``."""
    (trace,) = [t for name, t in traces(fig).items() if name.startswith(prefix)]
    return xy(trace)


def test_figures_serialise_for_the_browser():
    fig = charts.binary_loss_curves(log_y=True, probes=[binary_probe(0, 0.02)])
    assert json.loads(fig.to_json())["data"]


# --------------------------------------------------------------------------- layout
def test_palette_is_okabe_ito():
    assert set(charts.OKABE_ITO.values()) == {
        "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"}
    assert charts.COLOR_Y1 != charts.COLOR_Y0


def test_legend_sits_below_the_mode_bar_strip():
    for height, title in ((380, None), (760, "T")):
        layout = charts.base_layout(height=height, title=title)
        legend = layout["legend"]
        assert legend["yref"] == "container" and legend["yanchor"] == "top"
        top_px = (1 - legend["y"]) * height  # the legend starts this far below the top
        assert top_px >= MODEBAR_STRIP + (20 if title else 0)
        assert layout["margin"]["t"] > top_px - 1


def test_rounded_keeps_seven_digits_and_turns_nan_into_none():
    assert rounded(1 / 3) == 0.3333333
    assert rounded([0.25, np.nan, -np.inf, 1e-20 / 3]) == [0.25, None, None, 3.333333e-21]
    assert rounded(np.array([[1.23456789, 2.0]])) == [[1.234568, 2.0]]


def test_base_layout_sets_titles_and_takes_overrides():
    layout = charts.base_layout(title="T", x_title="x", y_title="y", height=300, barmode="group")
    fig = go.Figure(layout=layout)
    assert fig.layout.title.text == "T" and fig.layout.height == 300
    assert fig.layout.xaxis.title.text == "x" and fig.layout.yaxis.title.text == "y"
    assert fig.layout.barmode == "group"
    assert "title" not in charts.base_layout()
    assert "paper_bgcolor" not in layout  # the Streamlit theme supplies the colours


# --------------------------------------------------------------------------- binary curves
def test_loss_curves_against_p_are_minus_log_p_and_minus_log_one_minus_p():
    fig = charts.binary_loss_curves()
    p1, j1 = curve(fig, "y = 1")
    p0, j0 = curve(fig, "y = 0")
    assert len(traces(fig)) == 2
    np.testing.assert_allclose(j1, -np.log(p1), rtol=0, atol=1e-12)
    # Near p = 1 the stored p is itself rounded (abs. error 1e-16, relative to 1 - p up to
    # 1e-12), so -log(1 - p) of the stored p can only match to that; the curve is exact in z.
    z = np.asarray(traces(fig)["y = 0: −log(1 − p)"].customdata)[:, 1]
    np.testing.assert_allclose(j0, np.logaddexp(0, z), rtol=1e-13)
    np.testing.assert_allclose(j0, -np.log1p(-p0), rtol=1e-11)
    assert np.all(np.isfinite(j1)) and np.all(np.isfinite(j0))
    assert p1[0] == pytest.approx(sigmoid(-10.0)) and p1[-1] == pytest.approx(sigmoid(10.0))
    assert j1[0] == pytest.approx(10.0, abs=1e-4)  # -log sigmoid(-10): finite at the end


def test_loss_curves_against_z_are_softplus():
    fig = charts.binary_loss_curves(logit_axis=True)
    z, j1 = curve(fig, "y = 1")
    _, j0 = curve(fig, "y = 0")
    assert z[0] == -10 and z[-1] == 10
    np.testing.assert_allclose(j1, np.logaddexp(0, -z), rtol=1e-13)
    np.testing.assert_allclose(j0, np.logaddexp(0, z), rtol=1e-13)
    assert fig.layout.xaxis.title.text == "logit z"


def test_hover_shows_p_z_and_j():
    for trace in traces(charts.binary_loss_curves(logit_axis=True)).values():
        assert all(part in trace.hovertemplate for part in ("p =", "z =", "J ="))
        p, z = np.asarray(trace.customdata).T
        np.testing.assert_allclose(p, sigmoid(z))


def test_log_scale_switch():
    assert charts.binary_loss_curves(log_y=True).layout.yaxis.type == "log"
    assert charts.binary_loss_curves().layout.yaxis.type in (None, "linear")


@pytest.mark.parametrize("logit_axis", [False, True])
@settings(max_examples=25, deadline=None)
@given(p=st.floats(0.001, 0.999), y=st.sampled_from([0, 1]))
def test_probe_marker_sits_on_the_curve_and_the_tangent_has_the_gradient(logit_axis, p, y):
    probe = binary_probe(y, p)
    fig = charts.binary_loss_curves(logit_axis=logit_axis, probes=[probe])
    (x0,), (j,) = curve(fig, "probe")
    assert x0 == pytest.approx(probe.z if logit_axis else p)
    assert j == pytest.approx(-np.log(p) if y == 1 else -np.log1p(-p), rel=1e-12)
    xs, ys = curve(fig, "tangent")
    slope = np.polyfit(xs, ys, 1)[0]
    expected = p - y if logit_axis else (-1 / p if y == 1 else 1 / (1 - p))
    assert slope == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert np.interp(x0, xs, ys) == pytest.approx(j, rel=1e-9, abs=1e-12)


def test_tangent_on_a_log_axis_keeps_only_positive_losses():
    fig = charts.binary_loss_curves(log_y=True, probes=[binary_probe(0, 0.02)])
    _, ys = curve(fig, "tangent")
    finite = ys[np.isfinite(ys)]
    assert finite.size > 10 and np.all(finite > 0) and np.isnan(ys).any()


def test_home_chart_marks_both_labels_without_tangents():
    names = traces(charts.home_loss_chart(0.8))
    assert {"probe, y = 1", "probe, y = 0"} <= set(names)
    assert not any(name.startswith("tangent") for name in names)
    (_,), (j0,) = xy(names["probe, y = 0"])
    assert j0 == pytest.approx(-np.log(0.2))


@pytest.mark.parametrize("y", [0, 1])
def test_squared_error_is_drawn_beside_cross_entropy(y):
    fig = charts.ce_vs_mse_loss(y)
    p, mse = curve(fig, "squared error")
    _, ce = curve(fig, "cross-entropy")
    np.testing.assert_allclose(mse, (p - y) ** 2, atol=1e-15)
    np.testing.assert_allclose(ce, -np.log(p) if y == 1 else -np.log1p(-p), rtol=1e-11)
    assert mse.max() <= 1 < ce.max()


@pytest.mark.parametrize("y", [0, 1])
def test_logit_gradients_of_both_losses(y):
    fig = charts.ce_vs_mse_gradient(y, logit_axis=True)
    z, ce = curve(fig, "cross-entropy")
    _, mse = curve(fig, "squared error")
    p = sigmoid(z)
    np.testing.assert_allclose(ce, np.abs(p - y), atol=1e-15)
    np.testing.assert_allclose(mse, np.abs(2 * (p - y) * p * (1 - p)), atol=1e-15)
    wrong_end = 0 if y == 1 else -1  # confidently wrong: CE ~ 1, squared error ~ 0
    assert ce[wrong_end] > 0.99 and mse[wrong_end] < 1e-3


# --------------------------------------------------------------------------- softmax
@pytest.fixture
def state():
    return softmax_state([2.0, 1.0, 0.1], 1, temperature=1.5, smoothing=0.1)


def bar_values(fig):
    """Per-category values of a chart that splits one series into two bar traces."""
    bars = [np.asarray(t.y, dtype=float) for t in fig.data if t.type == "bar"]
    return np.nansum(bars, axis=0)


def test_probability_bars_are_the_softmax_and_markers_the_target(state):
    fig = charts.softmax_probabilities(state)
    e = np.exp(np.array([2.0, 1.0, 0.1]) / 1.5)
    np.testing.assert_allclose(bar_values(fig), e / e.sum(), rtol=1e-12)
    _, target = curve(fig, "target")
    np.testing.assert_allclose(target, [0.1 / 3, 0.9 + 0.1 / 3, 0.1 / 3])
    _, true_bar = xy(traces(fig)["p, true class"])
    assert np.isfinite(true_bar).tolist() == [False, True, False]


def test_gradient_bars_are_p_minus_t_over_t(state):
    fig = charts.softmax_gradient(state)
    np.testing.assert_allclose(bar_values(fig), (state.probs - state.target) / 1.5, atol=1e-15)
    _, negative = curve(fig, "negative")
    assert np.all(np.nan_to_num(negative) <= 0)


def test_logit_sweep_chart_passes_through_the_current_point(state):
    fig = charts.softmax_logit_sweep(state, 0)
    grid, losses = curve(fig, "loss J")
    (z0,), (j,) = curve(fig, "current")
    assert grid[0] == -10 and grid[-1] == 10 and z0 == 2.0
    assert j == pytest.approx(state.loss)
    assert np.interp(z0, grid, losses) == pytest.approx(state.loss, rel=1e-3)


def test_simplex_map_is_the_loss_with_the_prediction_marked():
    state = softmax_state([0.5, 0.0, -0.5], 2)
    data = traces(charts.simplex_loss(state, resolution=12))
    grid = data["loss J"]
    np.testing.assert_allclose(grid.marker.color, -np.log(grid.c), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(grid.a) + grid.b + grid.c, 1.0)
    current = data["current prediction"]
    np.testing.assert_allclose([current.a[0], current.b[0], current.c[0]], state.probs)


def test_distribution_bars():
    p, q = normalize_weights([2, 1, 1]), normalize_weights([1, 1, 2])
    data = traces(charts.distribution_bars(p, q, ["A", "B", "C"]))
    np.testing.assert_allclose(data["p (truth)"].y, p)
    np.testing.assert_allclose(data["q (model)"].y, q)


# --------------------------------------------------------------------------- slider steps
def test_replace_nearest_keeps_the_ends_and_the_order():
    grid = np.array([0.0, 1.0, 2.0, 3.0])
    steps, index = replace_nearest(grid, 1.4)
    assert index == 1 and steps.tolist() == [0.0, 1.4, 2.0, 3.0]
    steps, index = replace_nearest(grid, 0.2)  # nearest is the end: its neighbour moves
    assert index == 1 and steps.tolist() == [0.0, 0.2, 2.0, 3.0]
    assert replace_nearest(grid, 3.0) == (pytest.approx(grid), 3)
    assert grid.tolist() == [0.0, 1.0, 2.0, 3.0]  # not changed in place


def test_probe_steps_span_the_p_slider():
    p_steps = probe_steps()
    assert p_steps[0] == P_MIN and p_steps[-1] == P_MAX and p_steps.size == 51
    np.testing.assert_allclose(np.diff(p_steps[1:-1]), P_STEP)
    z_steps = logit(probe_steps(logit_axis=True))
    assert z_steps[0] == pytest.approx(logit(P_MIN)) and z_steps[-1] == pytest.approx(
        logit(P_MAX))
    np.testing.assert_allclose(np.diff(z_steps[1:-1]), Z_STEP, rtol=1e-9)
    assert np.diff(z_steps).min() >= Z_STEP / 2 - 1e-9


@given(st.floats(P_MIN, P_MAX), st.booleans())
def test_probe_grid_holds_p_exactly(p, logit_axis):
    steps, index = probe_grid(p, logit_axis=logit_axis)
    assert steps[index] == p
    assert steps.size == probe_steps(logit_axis=logit_axis).size
    assert np.all(np.diff(steps) > 0)
    assert steps[0] == pytest.approx(P_MIN) and steps[-1] == pytest.approx(P_MAX)
    # the others are the fixed steps
    others = np.delete(steps, index)
    assert np.isin(others, probe_steps(logit_axis=logit_axis)).all()


@given(st.floats(Z_MIN, Z_MAX))
def test_sweep_grid_holds_the_logit_exactly(value):
    steps, index = sweep_grid(value)
    assert steps[index] == value and np.all(np.diff(steps) > 0)
    assert steps[0] == pytest.approx(Z_MIN) and steps[-1] == pytest.approx(Z_MAX)
    np.testing.assert_allclose(np.diff(sweep_steps()), SWEEP_STEP)


# --------------------------------------------------------------------------- dragged probe
def browser_json(fig):
    """The figure as the browser gets it."""
    return json.loads(fig.to_json())


def frame_values(fig):
    """Each frame's partial traces, as the browser gets them."""
    return [frame["data"] for frame in browser_json(fig)["frames"]]


def check_slider_animates_frames(fig, traces, active):
    """The in-chart slider's steps animate, at once and without a redraw, to existing
    frames that change only ``traces``; it starts at ``active``, whose frame the figure's
    traces show."""
    spec = browser_json(fig)
    (slider,) = spec["layout"]["sliders"]
    names = [frame["name"] for frame in spec["frames"]]
    assert len(set(names)) == len(names) == len(slider["steps"])
    for k, step in enumerate(slider["steps"]):
        assert step["method"] == "animate"
        assert step["args"] == [[names[k]], ANIMATE_AT_ONCE]
        assert step["args"][1]["frame"]["redraw"] is False
    assert all(frame["traces"] == list(traces) for frame in spec["frames"])
    assert slider["active"] == active
    for index, partial in zip(traces, spec["frames"][active]["data"], strict=True):
        assert partial["type"] == spec["data"][index]["type"]
        for key, value in partial.items():
            assert spec["data"][index][key] == value, (index, key)
    return slider


@pytest.mark.parametrize("logit_axis", [False, True])
@pytest.mark.parametrize("log_y", [False, True])
@pytest.mark.parametrize("y", [0, 1])
def test_explorer_frames_are_the_probe_at_each_step(y, logit_axis, log_y):
    p = 0.253
    fig = binary_explorer(y, p, logit_axis=logit_axis, log_y=log_y)
    grid, active = probe_grid(p, logit_axis=logit_axis)
    assert len(fig.frames) == grid.size and grid[active] == p
    slider = check_slider_animates_frames(fig, PROBE_TRACES, active)
    assert [fig.data[i].name.split(":")[0].split(",")[0] for i in PROBE_TRACES] == [
        "tangent", "probe", "values"]
    for step, (tangent, marker, text) in zip(grid, frame_values(fig), strict=True):
        probe = binary_probe(y, step)  # computed directly, step by step
        x0 = probe.z if logit_axis else probe.p
        # exactly the rounded values of binary_probe, and those within 7 digits of it
        assert marker["x"] == [rounded(x0)] and marker["y"] == [rounded(probe.loss)]
        assert marker["customdata"] == [[rounded(probe.p), rounded(probe.z)]]
        assert marker["y"][0] == pytest.approx(probe.loss, rel=1e-6)
        xs, ys = (np.array(tangent[k], dtype=float) for k in ("x", "y"))
        finite = np.isfinite(ys)
        assert finite.sum() >= 2 and (not log_y or np.all(ys[finite] > 0))
        slope = np.polyfit(xs[finite], ys[finite], 1)[0]
        expected = probe.dloss_dz if logit_axis else probe.dloss_dp
        assert slope == pytest.approx(expected, rel=1e-4, abs=1e-5)
        shown = text["text"][0].replace("−", "-")
        for value in (probe.loss, probe.dloss_dp, probe.dloss_dz):
            assert f"{value:.4g}" in shown
    assert all(step["label"] == "" for step in slider["steps"])  # the text says where
    shown = frame_values(fig)[active][2]["text"][0]
    assert shown.startswith(f"p = 0.253 · z = {np.log(p / (1 - p)):.3f}".replace("-", "−"))


def test_explorer_y_range_holds_every_tangent():
    for log_y in (False, True):
        fig = binary_explorer(1, 0.5, log_y=log_y)
        low, high = fig.layout.yaxis.range
        values = [v for frame in fig.frames for v in frame.data[0].y if v is not None]
        values = np.log10(values) if log_y else np.array(values)
        assert low <= values.min() and values.max() <= high
        assert fig.layout.yaxis.autorange is False


@settings(max_examples=20, deadline=None)
@given(p=st.floats(0.001, 0.999), q=st.floats(0.001, 0.999), y=st.sampled_from([0, 1]),
       logit_axis=st.booleans())
def test_moving_the_probe_gives_the_figure_built_at_that_p(p, q, y, logit_axis):
    moved = move_probe(binary_explorer(y, q, logit_axis=logit_axis), p)
    assert moved.to_dict() == binary_explorer(y, p, logit_axis=logit_axis).to_dict()


def test_explorer_figures_stay_small():
    for y in (0, 1):
        for logit_axis in (False, True):
            for log_y in (False, True):
                size = len(binary_explorer(y, 0.25, logit_axis=logit_axis, log_y=log_y).to_json())
                assert size < MAX_FIGURE_BYTES
    state = softmax_state(np.linspace(-2, 2, 10), 3, 0.3, 0.2)
    assert len(softmax_explorer(state, 9).to_json()) < MAX_FIGURE_BYTES


@pytest.mark.parametrize("index", [0, 1])
def test_softmax_explorer_frames_are_the_state_at_each_value(state, index):
    fig = softmax_explorer(state, index)
    grid, active = sweep_grid(state.logits[index])
    assert grid[active] == state.logits[index]
    check_slider_animates_frames(fig, SWEEP_TRACES, active)
    names = [fig.data[i].name for i in SWEEP_TRACES]
    assert names[:4] == ["p, true class", "p, other classes", "dJ/dz < 0: logit goes up",
                         "dJ/dz > 0: logit goes down"]
    for value, (p_true, p_other, g_neg, g_pos, marker, text) in zip(
            grid, frame_values(fig), strict=True):
        direct = with_logit(state, index, value)  # computed directly, value by value
        first = np.arange(3) == direct.true_class
        assert p_true["y"] == rounded(np.where(first, direct.probs, np.nan))
        assert p_other["y"] == rounded(np.where(first, np.nan, direct.probs))
        assert g_neg["y"] == rounded(np.where(direct.grad < 0, direct.grad, np.nan))
        assert g_pos["y"] == rounded(np.where(direct.grad < 0, np.nan, direct.grad))
        assert marker["x"] == [rounded(value)] and marker["y"] == [rounded(direct.loss)]
        assert f"J = {direct.loss:.4g}" in text["text"][0].replace("−", "-")
    # the static traces: target marks and the loss curve through the marker's points
    target = fig.data[2]
    np.testing.assert_allclose(target.y, state.target, rtol=1e-6)
    curve = fig.data[5]
    assert np.interp(grid[active], curve.x, curve.y) == pytest.approx(state.loss, rel=2e-3)
