"""Charts of the softmax explorer and the information section: probabilities, gradient
bars, a swept logit (dragged by an in-chart slider in :func:`softmax_explorer`), the loss
over the simplex, two distributions side by side.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cecore.charts.binary import AXIS_LOSS
from cecore.charts.style import (
    CHART_HEIGHT,
    COLOR_ACCENT,
    COLOR_Y0,
    COLOR_Y1,
    PANEL_CHART_HEIGHT,
    SEQUENTIAL_SCALE,
    SETTLED_LEFT,
    base_layout,
    frame_slider,
    frames,
    replace_nearest,
    rounded,
    settled_margin,
    signed,
    values_text,
)
from cecore.explorer import (
    Z_MAX,
    Z_MIN,
    logit_sweep,
    simplex_grid,
    simplex_losses,
    sweep_states,
)


def _class_labels(n_classes):
    """Axis labels "class 0", "class 1", ... for K classes."""
    return [f"class {k}" for k in range(n_classes)]


def _split_bars(labels, values, first, *, names, colors, hovertemplate):
    """Two bar traces over the same categories: ``values`` where ``first`` is true, the rest.

    Each category has a bar in one trace only (NaN in the other), so bars stay centred.
    """
    first = np.asarray(first, dtype=bool)
    return [
        go.Bar(x=labels, y=np.where(mask, values, np.nan), name=name, marker={"color": color},
               hovertemplate=hovertemplate)
        for mask, name, color in zip((first, ~first), names, colors, strict=True)
    ]


def softmax_probabilities(state):
    """Bars of p = softmax(z / T), the true class apart from the others, and markers at t."""
    labels = _class_labels(state.probs.size)
    fig = go.Figure(_split_bars(
        labels, state.probs, np.arange(state.probs.size) == state.true_class,
        names=("p, true class", "p, other classes"), colors=(COLOR_Y1, COLOR_Y0),
        hovertemplate="%{x}: p = %{y:.4f}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=labels, y=state.target, name="target t", mode="markers",
        marker={"color": COLOR_ACCENT, "symbol": "line-ew-open", "size": 28,
                "line": {"width": 4, "color": COLOR_ACCENT}},
        hovertemplate="%{x}: t = %{y:.4f}<extra></extra>",
    ))
    fig.update_layout(**base_layout(y_title="probability", barmode="overlay",
                                    height=PANEL_CHART_HEIGHT))
    fig.update_yaxes(range=[0, 1.05])
    return fig


def softmax_gradient(state):
    """Bars of dJ/dz_k = (p_k - t_k) / T; gradient descent raises the logits with negative bars."""
    bound = 1.05 / min(state.temperature, 1.0)  # |p - t| <= 1
    fig = go.Figure(_split_bars(
        _class_labels(state.grad.size), state.grad, state.grad < 0,
        names=("negative: logit goes up", "positive: logit goes down"),
        colors=(COLOR_Y1, COLOR_Y0), hovertemplate="%{x}: dJ/dz = %{y:.4f}<extra></extra>",
    ))
    fig.update_layout(**base_layout(y_title="dJ/dz = (p − t) / T", barmode="overlay",
                                    height=PANEL_CHART_HEIGHT))
    fig.update_yaxes(range=[-bound, bound], zeroline=True)
    return fig


def softmax_logit_sweep(state, index, *, n=401):
    """Loss as logit ``index`` sweeps [-10, 10] with the other logits fixed; marker at its value."""
    grid = np.linspace(Z_MIN, Z_MAX, n)
    name = f"z{index}"
    fig = go.Figure([
        go.Scatter(x=grid, y=logit_sweep(state, index, grid), mode="lines",
                   name=f"loss J as {name} moves",
                   line={"color": COLOR_Y1, "width": 2.5},
                   hovertemplate=name + " = %{x:.2f}<br>J = %{y:.4g}<extra></extra>"),
        go.Scatter(x=[state.logits[index]], y=[state.loss], mode="markers",
                   name=f"current {name}",
                   marker={"color": COLOR_Y0, "size": 13, "symbol": "diamond",
                           "line": {"color": "white", "width": 1.5}},
                   hovertemplate=name + " = %{x:.2f}<br>J = %{y:.4g}<extra></extra>"),
    ])
    fig.update_layout(**base_layout(x_title=f"logit {name}", y_title=AXIS_LOSS,
                                    height=PANEL_CHART_HEIGHT))
    fig.update_yaxes(rangemode="tozero")
    return fig


def simplex_loss(state, *, resolution=50):
    """Ternary map of J(p) = -sum_k t_k log p_k over 3-class probabilities.

    Markers: the current prediction ``state.probs`` and the target ``t``, where J is lowest.
    """
    points = simplex_grid(resolution)
    losses = simplex_losses(points, state.target)
    labels = _class_labels(3)
    fig = go.Figure([
        go.Scatterternary(
            a=points[:, 0], b=points[:, 1], c=points[:, 2], mode="markers", name="loss J",
            marker={"color": losses, "colorscale": SEQUENTIAL_SCALE, "size": 8,
                    "symbol": "circle", "colorbar": {"title": {"text": "J"}, "thickness": 12}},
            hovertemplate="p = (%{a:.2f}, %{b:.2f}, %{c:.2f})<br>J = %{marker.color:.3f}"
                          "<extra></extra>",
            showlegend=False,
        ),
        go.Scatterternary(
            a=[state.probs[0]], b=[state.probs[1]], c=[state.probs[2]], mode="markers",
            name="current prediction",
            marker={"color": COLOR_Y0, "size": 16, "symbol": "star",
                    "line": {"color": "white", "width": 1.5}},
            hovertemplate=f"current p<br>J = {state.loss:.4f}<extra></extra>",
        ),
        go.Scatterternary(
            a=[state.target[0]], b=[state.target[1]], c=[state.target[2]], mode="markers",
            name="target t (lowest loss)",
            marker={"color": COLOR_ACCENT, "size": 14, "symbol": "x",
                    "line": {"color": "white", "width": 1}},
            hovertemplate="target t<extra></extra>",
        ),
    ])
    fig.update_layout(**base_layout(
        height=CHART_HEIGHT + 60, margin={"l": 40, "r": 40, "t": 40, "b": 10},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.02, "yanchor": "top"},
    ))
    fig.update_ternaries(aaxis_title_text=labels[0], baxis_title_text=labels[1],
                         caxis_title_text=labels[2])
    return fig


def distribution_bars(p, q, labels):
    """Side-by-side bars of two distributions p and q over the same outcomes."""
    fig = go.Figure([
        go.Bar(x=labels, y=values, name=name, marker={"color": color},
               hovertemplate="%{x}: " + short + " = %{y:.4f}<extra></extra>")
        for values, name, short, color in ((p, "p (truth)", "p", COLOR_Y1),
                                           (q, "q (model)", "q", COLOR_Y0))
    ])
    fig.update_layout(**base_layout(y_title="probability", barmode="group",
                                    height=PANEL_CHART_HEIGHT))
    fig.update_yaxes(range=[0, 1.05])
    return fig


# --------------------------------------------------------------------------- dragged logit
SWEEP_STEP = 0.2
"""Spacing of the in-chart slider's steps over the swept logit, on ``[Z_MIN, Z_MAX]``
(101 steps: a figure's frames cost their size in the page and their number in building)."""


def sweep_steps(step=SWEEP_STEP):
    """The swept logit's steps before :func:`sweep_grid` puts the logit's value among them:
    the multiples of ``step`` in ``[Z_MIN, Z_MAX]``."""
    k = np.arange(np.ceil(Z_MIN / step - 1e-9), np.floor(Z_MAX / step + 1e-9) + 1)
    return np.round(k * step, 10)


def sweep_grid(value, *, step=SWEEP_STEP):
    """:func:`sweep_steps` with the step nearest to ``value`` replaced by ``value``
    (:func:`replace_nearest`). Returns ``(ascending values, index of value)``."""
    return replace_nearest(sweep_steps(step), value)


SWEEP_TRACES = (0, 1, 3, 4, 6, 7)
"""Indices, in :func:`softmax_explorer`, of the traces its frames change: the probability
bars (true class, others), the gradient bars (negative, positive), the marker on the loss
curve and the values text. The target marks (2) and the loss curve (5) stay."""
EXPLORER_HEIGHT = 760
ROWS = {"p": [0.70, 1.0], "grad": [0.38, 0.62], "loss": [0.0, 0.26]}  # y-domains, top down


def _split(values, first):
    """``values`` where ``first`` is true and where it is not, rounded, None elsewhere."""
    values = np.asarray(values, dtype=np.float64)
    return (rounded(np.where(first, values, np.nan)),
            rounded(np.where(first, np.nan, values)))


def sweep_values(value, loss, p_true, *, index, true_class):
    """The values the dragged logit shows in the chart: z_index, J and p of the true class."""
    return (f"z{index} = {signed(value, '.2f')} · J = {signed(loss)} · "
            f"p(class {true_class}) = {p_true:.4f}")


def sweep_frame(sweeps, row, true_class):
    """The partial traces ``SWEEP_TRACES`` for one value of the swept logit (row ``row`` of
    a :class:`~cecore.explorer.SweepStates`): the bars of p = softmax(z / T) (true class
    apart), of dJ/dz = (p - t) / T (negative apart), the marker (z_index, J) and the text of
    :func:`sweep_values`; floats rounded."""
    probs, grad = sweeps.probs[row], sweeps.grad[row]
    value, loss = sweeps.values[row], sweeps.loss[row]
    p_true, p_other = _split(probs, np.arange(probs.size) == true_class)
    g_neg, g_pos = _split(grad, grad < 0)
    return [
        {"type": "bar", "y": p_true}, {"type": "bar", "y": p_other},
        {"type": "bar", "y": g_neg}, {"type": "bar", "y": g_pos},
        {"type": "scatter", "x": rounded([value]), "y": rounded([loss])},
        {"type": "scatter", "text": [sweep_values(value, loss, probs[true_class], index=sweeps.index,
                                                  true_class=true_class)]},
    ]


def softmax_explorer(state, index, *, n=401):
    """Probabilities, gradient and the loss curve of logit ``index``, one above the other,
    with an in-chart slider that drags that logit (the others, T and s as in ``state``)
    without a script rerun.

    Rows: bars of p = softmax(z / T) with the target t = (1 - s) onehot + s / K marked; bars
    of dJ/dz_k = (p_k - t_k) / T; J as z_index sweeps [-10, 10] with a marker at its value.
    One frame (:func:`sweep_frame`) per step of :func:`sweep_grid`, the
    states of all steps computed at once (:func:`~cecore.explorer.sweep_states`); the frames
    change only ``SWEEP_TRACES``. The slider starts at ``state.logits[index]``: that step is
    exactly the value, and the figure's traces show it.
    """
    grid, active = sweep_grid(state.logits[index])
    sweeps = sweep_states(state, index, grid)
    steps = [sweep_frame(sweeps, row, state.true_class) for row in range(grid.size)]
    labels = [f"class {k}" for k in range(state.probs.size)]
    name = f"z{index}"
    p_true, p_other, g_neg, g_pos, marker, text = steps[active]
    curve_z = np.linspace(Z_MIN, Z_MAX, n)
    curve = logit_sweep(state, index, curve_z)
    bar = {"type": "bar", "x": labels, "xaxis": "x", "yaxis": "y",
           "hovertemplate": "%{x}: p = %{y:.4f}<extra></extra>"}
    grad_bar = {"type": "bar", "x": labels, "xaxis": "x2", "yaxis": "y2",
                "hovertemplate": "%{x}: dJ/dz = %{y:.4f}<extra></extra>"}
    curve_line = {"type": "scatter", "xaxis": "x3", "yaxis": "y3", "showlegend": False,
                  "hovertemplate": name + " = %{x:.2f}<br>J = %{y:.4g}<extra></extra>"}
    bound = 1.05 / min(state.temperature, 1.0)  # |p - t| <= 1
    top = max(float(np.max(curve)), float(np.max(sweeps.loss)))
    layout = base_layout(height=EXPLORER_HEIGHT, barmode="overlay",
                         y_title="probability p = softmax(z / T)")
    layout["xaxis"].update(anchor="y")
    layout["yaxis"].update(domain=ROWS["p"], range=[0, 1.05], anchor="x")
    layout.update(
        xaxis2={"anchor": "y2", "matches": "x", "automargin": True},
        yaxis2={"domain": ROWS["grad"], "anchor": "x2", "range": [-bound, bound],
                "zeroline": True, "automargin": True,
                "title": {"text": "dJ/dz = (p − t) / T"}},
        xaxis3={"anchor": "y3", "range": [Z_MIN - 0.3, Z_MAX + 0.3], "automargin": True,
                "title": {"text": f"logit {name}"}},
        yaxis3={"domain": ROWS["loss"], "anchor": "x3", "range": [0, 1.3 * top],
                "automargin": True, "title": {"text": AXIS_LOSS}},
        sliders=[frame_slider(grid.size, active)],
        # two legend rows (five entries), the longer tick labels of the gradient's axis, and
        # no x tick label at the right edge (class names are centred under their bars)
        margin=settled_margin(left=SETTLED_LEFT + 10, right=12, legend_rows=2),
    )
    return go.Figure(data=[
        {**bar, "y": p_true["y"], "name": "p, true class", "marker": {"color": COLOR_Y1}},
        {**bar, "y": p_other["y"], "name": "p, other classes", "marker": {"color": COLOR_Y0}},
        {**bar, "type": "scatter", "y": rounded(state.target), "name": "target t",
         "mode": "markers", "hovertemplate": "%{x}: t = %{y:.4f}<extra></extra>",
         "marker": {"color": COLOR_ACCENT, "symbol": "line-ew-open", "size": 24,
                    "line": {"width": 4, "color": COLOR_ACCENT}}},
        {**grad_bar, "y": g_neg["y"], "name": "dJ/dz < 0: logit goes up",
         "marker": {"color": COLOR_Y1}},
        {**grad_bar, "y": g_pos["y"], "name": "dJ/dz > 0: logit goes down",
         "marker": {"color": COLOR_Y0}},
        {**curve_line, "x": curve_z, "y": curve, "mode": "lines",
         "name": f"loss J as {name} moves", "line": {"color": COLOR_Y1, "width": 2.5}},
        {**curve_line, **marker, "mode": "markers", "name": f"current {name}",
         "cliponaxis": False, "marker": {"color": COLOR_Y0, "size": 13, "symbol": "diamond",
                                         "line": {"color": "white", "width": 1.5}}},
        values_text(text["text"][0], x=0.0, y=1.3 * top, xaxis="x3", yaxis="y3"),
    ], layout=layout, frames=frames(steps, SWEEP_TRACES))

