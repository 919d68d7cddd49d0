"""Charts of the binary explorer and the home page: -log(p), -log(1-p) against p or the
logit z, a probe with its tangent (dragged by an in-chart slider in :func:`binary_explorer`),
cross-entropy against squared error.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cecore.charts.style import (
    AXIS_STRIP,
    CHART_HEIGHT,
    COLOR_ACCENT,
    COLOR_ALT,
    COLOR_Y0,
    COLOR_Y1,
    SETTLED_LEFT,
    SETTLED_LEFT_LOG,
    SMALL_CHART_HEIGHT,
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
    P_MAX,
    P_MIN,
    Z_MAX,
    Z_MIN,
    binary_probe,
    cross_entropy_logit_gradient,
    logit,
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
CURVE_POINTS = 401  # logits 0.05 apart over [-10, 10]: smooth at the page's sizes


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


def _tangent(probe, *, logit_axis, log_y, points=41):
    """Points of the tangent at the probe: slope dJ/dz = p - y against z, dJ/dp against p."""
    x0 = probe.z if logit_axis else probe.p
    slope = probe.dloss_dz if logit_axis else probe.dloss_dp
    width, bounds = (2.0, (Z_MIN, Z_MAX)) if logit_axis else (0.15, (0.0, 1.0))
    xs, ys = tangent_segment(x0, probe.loss, slope, half_width=width, half_height=1.5,
                             x_bounds=bounds, n=points)
    if log_y:  # a log axis cannot show J <= 0
        ys = np.where(ys > 0, ys, np.nan)
    return slope, xs, ys


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
        slope, xs, ys = _tangent(probe, logit_axis=logit_axis, log_y=log_y)
        traces.insert(0, go.Scatter(
            x=xs, y=ys, mode="lines", name=f"tangent, slope {slope:.3g}",
            line={"color": COLOR_ACCENT, "width": 3, "dash": "dot"}, hoverinfo="skip",
        ))
    return traces


def binary_loss_curves(*, logit_axis=False, log_y=False, probes=(), tangent=True,
                       height=CHART_HEIGHT, n=CURVE_POINTS):
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


def ce_vs_mse_loss(y, *, logit_axis=False, log_y=False, n=CURVE_POINTS):
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


def ce_vs_mse_gradient(y, *, logit_axis=False, n=CURVE_POINTS):
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
    fig = binary_loss_curves(probes=[binary_probe(y, p) for y in (1, 0)], tangent=False,
                             height=SMALL_CHART_HEIGHT)
    return fig.update_layout(margin=settled_margin(bottom=AXIS_STRIP))


# --------------------------------------------------------------------------- dragged probe
P_STEP, Z_STEP = 0.02, 0.28
"""Spacing of the in-chart probe slider's steps: in p against p, in z on the logit axis
(51 steps either way, 9 px apart on a desktop screen, 5 on a phone's: a drag paints each.
The browser draws the slider step by step, and its frames, whenever a key press on the
page's own slider sends the figure again: with 101 steps, key press -> repaint took 153 ms
(median of 40, load average 3.4-4.4 on this project's 2-core machine), with 51 133 ms)."""


def probe_steps(*, logit_axis=False):
    """The probabilities of the in-chart probe slider's steps before :func:`probe_grid` puts
    the probe's own p among them (ascending).

    Against p: ``P_MIN``, the multiples of ``P_STEP`` in between, ``P_MAX`` (51 steps). On
    the logit axis they are evenly spaced in ``z = logit(p)``: ``logit(P_MIN)``, the
    multiples of ``Z_STEP`` at least ``Z_STEP / 2`` inside, ``logit(P_MAX)`` (51 steps),
    as ``p = sigmoid(z)``.
    """
    if logit_axis:
        return sigmoid(_logit_steps())
    inner = np.arange(1, round(1 / P_STEP))
    return np.r_[P_MIN, np.round(inner * P_STEP, 10), P_MAX]


def _logit_steps():
    """The logits of the probe slider's steps on the logit axis (see :func:`probe_steps`)."""
    z_lo, z_hi = float(logit(P_MIN)), float(logit(P_MAX))
    inner = np.arange(np.ceil(z_lo / Z_STEP + 0.5), np.floor(z_hi / Z_STEP - 0.5) + 1)
    return np.r_[z_lo, np.round(inner * Z_STEP, 10), z_hi]


def probe_grid(p, *, logit_axis=False):
    """The probe slider's steps with ``p`` among them, and the index of ``p``.

    :func:`probe_steps` with the step nearest to ``p`` (in p, or in z on the logit axis)
    replaced by ``p`` itself (:func:`replace_nearest`), so the slider starts exactly at p.
    Returns ``(ascending probabilities, index)``; ``P_MIN <= p <= P_MAX``.
    """
    if logit_axis:
        z, index = replace_nearest(_logit_steps(), logit(p))
        steps = sigmoid(z)
        steps[index] = p  # exactly p, not sigmoid(logit(p))
        return steps, index
    return replace_nearest(probe_steps(), p)


PROBE_TRACES = (2, 3, 4)
"""Indices, in :func:`binary_explorer`, of the traces its frames move: tangent, marker, text."""
EXPLORER_HEIGHT = CHART_HEIGHT + 90  # room for the in-chart slider under the x-axis


def probe_values(probe):
    """The values a dragged probe shows in the chart: p, z, J, dJ/dp and dJ/dz = p - y."""
    return (f"p = {probe.p:.4g} · z = {signed(probe.z, '.3f')}<br>"
            f"J = {signed(probe.loss)} · dJ/dp = {signed(probe.dloss_dp)} · "
            f"dJ/dz = {signed(probe.dloss_dz)}")


def probe_frame(probe, *, logit_axis, log_y):
    """The partial traces that put the probe of one slider step on the chart (the traces
    ``PROBE_TRACES``): its tangent (2 points, or 21 on a log axis, which draws only J > 0),
    its marker at (p or z, J) and the text of :func:`probe_values`; floats rounded by
    :func:`~cecore.charts.style.rounded`."""
    _, xs, ys = _tangent(probe, logit_axis=logit_axis, log_y=log_y, points=21 if log_y else 2)
    x0 = probe.z if logit_axis else probe.p
    return [
        {"type": "scatter", "x": rounded(xs), "y": rounded(ys)},
        {"type": "scatter", "x": rounded([x0]), "y": rounded([probe.loss]),
         "customdata": [rounded([probe.p, probe.z])]},
        {"type": "scatter", "text": [probe_values(probe)]},
    ]


def _loss_range(curves, tangents, log_y):
    """A y-range that holds the curves and every step's tangent (fixed while dragging)."""
    top = max(float(np.max(c)) for c in curves)
    if log_y:
        low = np.log10(min(float(np.min(c)) for c in curves))
        return [low - 0.1, np.log10(top) + 0.1]
    low = min(0.0, min(min(v for v in t if v is not None) for t in tangents))
    pad = 0.03 * (top - low)
    return [low - pad, top + pad]


def binary_explorer(y, p=0.25, *, logit_axis=False, log_y=False, n=CURVE_POINTS):
    """Both binary loss curves and a probe on the curve of label ``y`` that an in-chart
    slider drags, without a script rerun.

    The curves are those of :func:`binary_loss_curves`. For each step of
    :func:`probe_grid` (in p, or in z = logit(p) with ``logit_axis``) a
    frame (:func:`probe_frame`) moves the marker to (x, J), the tangent (slope
    dJ/dp = -y/p + (1 - y)/(1 - p), or dJ/dz = p - y against z) and the text of J, dJ/dp and
    dJ/dz in the top of the plot; the frames name only ``PROBE_TRACES``, so the curves are
    not resent. The slider (``layout.sliders[0]``) starts at ``p``: step ``active`` is
    exactly ``p`` and the figure's traces are that step's frame. The ranges are fixed (every
    step's tangent fits), so the view stays still while the probe moves.
    """
    probes = [binary_probe(y, q) for q in probe_steps(logit_axis=logit_axis)]
    steps = [probe_frame(probe, logit_axis=logit_axis, log_y=log_y) for probe in probes]
    z = logit_grid(n)
    curves = [_curve_trace(z, _binary_loss(label, z), name=_loss_name(label, logit_axis),
                           color=LABEL_COLORS[label], logit_axis=logit_axis, value_label="J")
              for label in (1, 0)]
    y_range = _loss_range([trace.y for trace in curves], [step[0]["y"] for step in steps],
                          log_y)
    x_range = [Z_MIN, Z_MAX] if logit_axis else [0.0, 1.0]
    layout = base_layout(x_title=_x_title(logit_axis), y_title=AXIS_LOSS,
                         height=EXPLORER_HEIGHT)
    layout["xaxis"].update(range=x_range, autorange=False)
    layout["yaxis"].update(_loss_axis(log_y), autorange=False, range=y_range)
    layout["sliders"] = [frame_slider(len(probes), 0)]
    layout["margin"] = settled_margin(left=SETTLED_LEFT_LOG if log_y else SETTLED_LEFT)
    layout["meta"] = {"probe": {"y": int(y), "logit_axis": bool(logit_axis),
                                "log_y": bool(log_y)}}
    # one construction (validated once) instead of add_traces/update_layout: half the time
    fig = go.Figure(data=[
        *curves,
        {"type": "scatter", "mode": "lines", "hoverinfo": "skip",
         "name": "tangent: slope dJ/dz" if logit_axis else "tangent: slope dJ/dp",
         "line": {"color": COLOR_ACCENT, "width": 3, "dash": "dot"}},
        {"type": "scatter", "mode": "markers", "name": f"probe, y = {y}", "showlegend": False,
         "marker": {"color": LABEL_COLORS[y], "size": 13, "symbol": "diamond",
                    "line": {"color": "white", "width": 1.5}}, "cliponaxis": False,
         "hovertemplate": HOVER_PZ + "J = %{y:.4g}<extra>probe</extra>"},
        # the values at the top centre of the plot, where the curves are not
        values_text("", x=sum(x_range) / 2, y=10 ** y_range[1] if log_y else y_range[1]),
    ], layout=layout, frames=frames(steps, PROBE_TRACES))
    return move_probe(fig, p)


def _set_step(fig, index, probe, options):
    """Step ``index`` of an explorer figure shows ``probe``: its frame."""
    data = probe_frame(probe, **options)
    for trace, values in zip(fig.frames[index].data, data, strict=True):
        trace.update({k: v for k, v in values.items() if k != "type"})
    return data


def move_probe(fig, p):
    """Put the probe of a :func:`binary_explorer` figure at ``p``, in place; returns ``fig``.

    The same figure as ``binary_explorer(y, p, ...)`` with the figure's own y, axis and
    scale, but only two of its frames are rewritten: the step that held the previous p gets
    its own value back and the step nearest to ``p`` becomes ``p`` (see :func:`probe_grid`);
    the slider starts there and the traces show it. For a figure kept between script runs:
    rebuilding its 51 frames takes some 15 ms, moving the probe 2 ms.
    """
    options = dict(fig.layout.meta["probe"])
    y = options.pop("y")
    slider = fig.layout.sliders[0]
    previous = slider.active
    base = probe_steps(logit_axis=options["logit_axis"])
    _set_step(fig, previous, binary_probe(y, base[previous]), options)
    grid, index = probe_grid(p, logit_axis=options["logit_axis"])
    data = _set_step(fig, index, binary_probe(y, grid[index]), options)
    slider.active = index
    for trace, values in zip((fig.data[i] for i in PROBE_TRACES), data, strict=True):
        trace.update({k: v for k, v in values.items() if k != "type"})
    return fig
