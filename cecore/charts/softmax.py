"""Charts of the softmax explorer and the information section: probabilities, gradient
bars, a swept logit, the loss over the simplex, two distributions side by side.
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
    base_layout,
)
from cecore.explorer import (
    Z_MAX,
    Z_MIN,
    logit_sweep,
    simplex_grid,
    simplex_losses,
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
