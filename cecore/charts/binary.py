"""Charts of the binary explorer and the home page: -log(p), -log(1-p) against p or the
logit z, a probe with its tangent, cross-entropy against squared error.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cecore.charts.style import (
    CHART_HEIGHT,
    COLOR_ACCENT,
    COLOR_ALT,
    COLOR_Y0,
    COLOR_Y1,
    SMALL_CHART_HEIGHT,
    base_layout,
)
from cecore.explorer import (
    Z_MAX,
    Z_MIN,
    binary_probe,
    cross_entropy_logit_gradient,
    logit_grid,
    squared_error,
    squared_error_logit_gradient,
    tangent_segment,
)
from cecore.losses import sigmoid, softplus

LABEL_COLORS = {1: COLOR_Y1, 0: COLOR_Y0}
AXIS_P = "predicted probability p = σ(z)"
AXIS_Z = "logit z"
AXIS_LOSS = "loss J"
# hover for every binary curve: customdata = (p, z)
HOVER_PZ = "p = %{customdata[0]:.4g}<br>z = %{customdata[1]:.3f}<br>"


def _binary_x(z, logit_axis):
    """x-values of a binary chart: the logit z itself, or the probability sigmoid(z)."""
    return np.asarray(z, dtype=np.float64) if logit_axis else sigmoid(z)


def _curve_trace(z, values, *, name, color, logit_axis, value_label, dash=None):
    """A line over the logits ``z`` (drawn against z or p) whose hover shows p, z and the value."""
    z = np.asarray(z, dtype=np.float64)
    return go.Scatter(
        x=_binary_x(z, logit_axis), y=values, name=name, mode="lines",
        line={"color": color, "width": 2.5, "dash": dash},
        customdata=np.column_stack([sigmoid(z), z]),
        hovertemplate=HOVER_PZ + value_label + " = %{y:.4g}<extra>%{fullData.name}</extra>",
    )


def _x_title(logit_axis):
    """x-axis title of a binary chart."""
    return AXIS_Z if logit_axis else AXIS_P


def _loss_axis(log_y):
    """y-axis settings for a loss: linear from 0, or logarithmic."""
    return {"type": "log"} if log_y else {"rangemode": "tozero"}


def _loss_name(y, logit_axis):
    """Legend name of the loss curve for label y: its formula on the chosen x-axis."""
    if logit_axis:
        return f"y = {y}: softplus({'−z' if y == 1 else 'z'})"
    return f"y = {y}: −log({'p' if y == 1 else '1 − p'})"


def _binary_loss(y, z):
    """Binary cross-entropy at each logit in logit form: softplus(-z) for y = 1, softplus(z) for 0."""
    return softplus(-z) if y == 1 else softplus(z)


def _probe_traces(probe, *, logit_axis, log_y, tangent):
    """Marker at the probe and, optionally, its tangent (slope dJ/dz or dJ/dp)."""
    x0 = probe.z if logit_axis else probe.p
    color = LABEL_COLORS[probe.y]
    traces = [go.Scatter(
        x=[x0], y=[probe.loss], mode="markers", name=f"probe, y = {probe.y}",
        marker={"color": color, "size": 13, "symbol": "diamond",
                "line": {"color": "white", "width": 1.5}},
        customdata=[[probe.p, probe.z]], showlegend=False, cliponaxis=False,
        hovertemplate=HOVER_PZ + "J = %{y:.4g}<extra>probe</extra>",
    )]
    if tangent:
        slope = probe.dloss_dz if logit_axis else probe.dloss_dp
        width, bounds = (2.0, (Z_MIN, Z_MAX)) if logit_axis else (0.15, (0.0, 1.0))
        xs, ys = tangent_segment(x0, probe.loss, slope, half_width=width, half_height=1.5,
                                 x_bounds=bounds)
        if log_y:  # a log axis cannot show J <= 0
            ys = np.where(ys > 0, ys, np.nan)
        traces.insert(0, go.Scatter(
            x=xs, y=ys, mode="lines", name=f"tangent, slope {slope:.3g}",
            line={"color": COLOR_ACCENT, "width": 3, "dash": "dot"}, hoverinfo="skip",
        ))
    return traces


def binary_loss_curves(*, logit_axis=False, log_y=False, probes=(), tangent=True,
                       height=CHART_HEIGHT, n=801):
    """Binary cross-entropy for y = 1 and y = 0 over logits z in [-10, 10].

    J = -log p = softplus(-z) for y = 1 and J = -log(1 - p) = softplus(z) for y = 0, with
    p = sigmoid(z); both are computed in logit form, so finite and exact at every point. The
    x-axis is p (``logit_axis=False``) or z. Each :class:`~cecore.explorer.BinaryProbe` in
    ``probes`` adds a marker, and with ``tangent`` the tangent line at it.
    """
    z = logit_grid(n)
    fig = go.Figure([
        _curve_trace(z, _binary_loss(y, z), name=_loss_name(y, logit_axis),
                     color=LABEL_COLORS[y], logit_axis=logit_axis, value_label="J")
        for y in (1, 0)
    ])
    for probe in probes:
        fig.add_traces(_probe_traces(probe, logit_axis=logit_axis, log_y=log_y,
                                     tangent=tangent))
    fig.update_layout(**base_layout(x_title=_x_title(logit_axis),
                                    y_title=AXIS_LOSS, height=height))
    fig.update_yaxes(**_loss_axis(log_y))
    return fig


def ce_vs_mse_loss(y, *, logit_axis=False, log_y=False, n=801):
    """Cross-entropy and squared error (p - y)^2 for label y, on the same axes."""
    z = logit_grid(n)
    p = sigmoid(z)
    fig = go.Figure([
        _curve_trace(z, _binary_loss(y, z), name="cross-entropy", color=LABEL_COLORS[y],
                     logit_axis=logit_axis, value_label="J"),
        _curve_trace(z, squared_error(y, p), name="squared error (p − y)²", color=COLOR_ALT,
                     logit_axis=logit_axis, value_label="J", dash="dash"),
    ])
    fig.update_layout(**base_layout(x_title=_x_title(logit_axis),
                                    y_title=f"loss J for y = {y}"))
    fig.update_yaxes(**_loss_axis(log_y))
    return fig


def ce_vs_mse_gradient(y, *, logit_axis=False, n=801):
    """|dJ/dz| for label y: |p - y| for cross-entropy, |2 (p - y) p (1 - p)| for squared error."""
    z = logit_grid(n)
    p = sigmoid(z)
    fig = go.Figure([
        _curve_trace(z, np.abs(cross_entropy_logit_gradient(y, z)), name="cross-entropy",
                     color=LABEL_COLORS[y], logit_axis=logit_axis, value_label="|dJ/dz|"),
        _curve_trace(z, np.abs(squared_error_logit_gradient(y, p)), name="squared error",
                     color=COLOR_ALT, logit_axis=logit_axis, value_label="|dJ/dz|",
                     dash="dash"),
    ])
    fig.update_layout(**base_layout(x_title=_x_title(logit_axis),
                                    y_title=f"|dJ/dz| for y = {y}"))
    fig.update_yaxes(rangemode="tozero")
    return fig


def home_loss_chart(p):
    """Both binary loss curves with a marker for each label at probability ``p`` (no tangents)."""
    return binary_loss_curves(probes=[binary_probe(y, p) for y in (1, 0)], tangent=False,
                              height=SMALL_CHART_HEIGHT)
