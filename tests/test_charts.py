"""cecore.charts: every figure is checked against the formula it draws, without Streamlit."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cecore import charts
from cecore.explorer import binary_probe, normalize_weights, softmax_state
from cecore.losses import sigmoid


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
