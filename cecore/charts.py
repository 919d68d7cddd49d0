"""Pure functions that return Plotly figures; no Streamlit here, every chart is testable.

Colours come from the Okabe-Ito palette, which stays distinguishable under the common forms
of colour blindness. Lines and markers use the members that keep enough contrast on both a
white and a near-black background (blue, vermillion, bluish green, reddish purple); the
layout sets no background or font colour, so the Streamlit theme (light or dark) supplies them.
Sections: shared constants and :func:`base_layout`, the explorer charts, the training charts.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cecore.explorer import (
    Z_MAX,
    Z_MIN,
    binary_probe,
    cross_entropy_logit_gradient,
    logit_grid,
    logit_sweep,
    simplex_grid,
    simplex_losses,
    squared_error,
    squared_error_logit_gradient,
    tangent_segment,
)
from cecore.losses import sigmoid, softplus

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
COLOR_Y1 = OKABE_ITO["blue"]
COLOR_Y0 = OKABE_ITO["vermillion"]
COLOR_ACCENT = OKABE_ITO["bluish_green"]
COLOR_ALT = OKABE_ITO["reddish_purple"]
SEQUENTIAL_SCALE = "Cividis"
CHART_HEIGHT = 380
SMALL_CHART_HEIGHT = 280


def base_layout(*, title=None, x_title=None, y_title=None, height=CHART_HEIGHT, **overrides):
    """Layout shared by every chart: compact margins, legend in a row above the plot.

    Returns a dict for ``fig.update_layout(**base_layout(...))``; ``overrides`` win.
    """
    layout = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 60 if title else 30, "b": 10},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0,
                   "yanchor": "bottom"},
        "hovermode": "closest",
        "xaxis": {"title": {"text": x_title}, "automargin": True},
        "yaxis": {"title": {"text": y_title}, "automargin": True},
    }
    if title:
        layout["title"] = {"text": title, "x": 0, "xanchor": "left", "y": 0.98,
                           "yanchor": "top"}
        layout["legend"]["y"] = 1.02
    layout.update(overrides)
    return layout


# ---- explorer charts
LABEL_COLORS = {1: COLOR_Y1, 0: COLOR_Y0}
AXIS_P = "predicted probability p = σ(z)"
AXIS_Z = "logit z"
AXIS_LOSS = "loss J"
# hover for every binary curve: customdata = (p, z)
HOVER_PZ = "p = %{customdata[0]:.4g}<br>z = %{customdata[1]:.3f}<br>"
PANEL_CHART_HEIGHT = SMALL_CHART_HEIGHT + 40  # the charts shown two to a row


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


# ---- training charts
COLOR_TRAIN = COLOR_Y1
COLOR_TEST = COLOR_Y0
CLASS_COLORS = [OKABE_ITO[name] for name in ("blue", "vermillion", "bluish_green",
                                             "reddish_purple", "orange", "sky_blue", "grey",
                                             "yellow")]
LIVE_MAX_POINTS = 2000


def plotly_text(value):
    """A user's text for a Plotly label: ``& < >`` as entities, so Plotly shows the
    characters instead of reading tags such as ``<a href>`` or ``<b>`` in them."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _class_color(k):
    return CLASS_COLORS[k % len(CLASS_COLORS)]


def loss_axis_range(history, *, log_y=False):
    """A y-range for the loss history that changes rarely while training runs.

    Linear: ``[0, 1.05 max]`` (the first epochs set the max, the loss then falls). Log
    (Plotly wants log10 units): from the decade below the smallest loss to the one above
    the largest, so the axis moves only when the loss crosses a power of ten.
    """
    values = np.array([r[key] for r in history for key in ("loss", "val_loss")
                       if r.get(key) is not None], dtype=np.float64)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return [-3, 1] if log_y else [0, 1]
    if log_y:
        return [float(np.floor(np.log10(values.min()))), float(np.ceil(np.log10(values.max())))]
    return [0, 1.05 * float(values.max())]


def _thinned(history, max_points):
    """Every k-th record (and the last), at most about ``max_points`` of them."""
    step = max(1, len(history) // max_points)
    return history[::step] + ([history[-1]] if (len(history) - 1) % step else [])


def training_loss(history, *, max_epochs=None, log_y=False, y_range=None,
                  max_points=LIVE_MAX_POINTS):
    """Train and test loss per epoch (the mean cross-entropy at the end of each epoch).

    ``max_epochs`` fixes the x-axis (live drawing); ``y_range`` fixes the y-axis (default
    :func:`loss_axis_range`). Long histories are thinned to ``max_points``.
    """
    records = _thinned(history, max_points) if history else []
    epochs = [r["epoch"] for r in records]
    traces = [go.Scatter(x=epochs, y=[r["loss"] for r in records], name="train loss",
                         mode="lines", line={"color": COLOR_TRAIN, "width": 2.5},
                         hovertemplate="epoch %{x}<br>train loss %{y:.6g}<extra></extra>")]
    if any(r.get("val_loss") is not None for r in records):
        traces.append(go.Scatter(
            x=epochs, y=[r["val_loss"] for r in records], name="test loss", mode="lines",
            line={"color": COLOR_TEST, "width": 2.5, "dash": "dash"},
            hovertemplate="epoch %{x}<br>test loss %{y:.6g}<extra></extra>"))
    fig = go.Figure(traces)
    last = max_epochs if max_epochs is not None else (epochs[-1] if epochs else 1)
    fig.update_layout(**base_layout(x_title="epoch", y_title="mean cross-entropy (nats)"))
    fig.update_xaxes(range=[0, max(last, 1)])
    fig.update_yaxes(type="log" if log_y else "linear",
                     range=y_range if y_range is not None else loss_axis_range(history,
                                                                                log_y=log_y))
    if log_y:  # label 0.2, 0.3, ... in full rather than as bare digits 2, 3, ...
        fig.update_yaxes(minorloglabels="complete")
    return fig


def confusion_heatmap(confusion):
    """Counts of (true class, predicted class) from a square DataFrame, with the counts
    written in the cells; the diagonal holds the correct predictions.

    The cells are translucent blue, so the theme's text color stays readable on every cell
    in the light and the dark theme.
    """
    names = [plotly_text(c) for c in confusion.columns]
    counts = confusion.to_numpy()
    fig = go.Figure(go.Heatmap(
        z=counts, x=names, y=[plotly_text(i) for i in confusion.index], text=counts,
        texttemplate="%{text}", showscale=False,
        colorscale=[[0, "rgba(0, 114, 178, 0.03)"], [1, "rgba(0, 114, 178, 0.6)"]],
        hovertemplate="true %{y}<br>predicted %{x}<br>%{z} rows<extra></extra>"))
    height = min(CHART_HEIGHT + 20 * max(0, len(names) - 4), 700)
    fig.update_layout(**base_layout(x_title="predicted class", y_title="true class",
                                    height=height))
    fig.update_xaxes(type="category", side="bottom")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def coefficient_bars(coefficients, row, *, top=25):
    """The weights of one class (a row of ``coefficients``), largest magnitude first.

    Only the ``top`` largest |weights| are drawn. On standardized features a weight is the
    change in that class's logit per standard deviation of the feature.
    """
    weights = coefficients.loc[row]
    weights = weights.reindex(weights.abs().sort_values(ascending=False).index[:top])[::-1]
    colors = [COLOR_Y1 if w >= 0 else COLOR_Y0 for w in weights]
    fig = go.Figure(go.Bar(
        x=weights.to_numpy(), y=[plotly_text(name) for name in weights.index],
        orientation="h", marker={"color": colors},
        hovertemplate="%{y}: %{x:.4g}<extra></extra>"))
    fig.update_layout(**base_layout(x_title=f"weight for {plotly_text(row)}",
                                    height=max(SMALL_CHART_HEIGHT, 24 * len(weights) + 80)))
    fig.update_yaxes(type="category")
    fig.update_xaxes(zeroline=True)
    return fig


def sample_loss_histogram(losses, *, split="test"):
    """Histogram of each row's loss -log p(true class), with the mean (the loss) marked."""
    losses = np.asarray(losses, dtype=np.float64)
    fig = go.Figure(go.Histogram(
        x=losses, nbinsx=40, marker={"color": COLOR_TRAIN}, name="rows",
        hovertemplate="loss %{x}<br>%{y} rows<extra></extra>"))
    if losses.size:
        fig.add_vline(x=float(losses.mean()), line={"color": COLOR_TEST, "dash": "dash"},
                      annotation_text=f"mean {losses.mean():.4g}",
                      annotation_position="top right")
    fig.update_layout(**base_layout(x_title=f"loss −log p(true class), {split} rows",
                                    y_title="rows", height=SMALL_CHART_HEIGHT + 40,
                                    bargap=0.05))
    return fig


def decision_map(grid):
    """The model's probabilities over two features (a :class:`cecore.training.DecisionGrid`).

    Two classes: P(second class) as filled contours with the 0.5 boundary. More: the
    predicted class as colored regions (hover shows its probability). The rows are drawn
    on top, colored by their true class. User text enters only as names and titles, never
    into a hover template, where ``%{...}`` would be read as a placeholder.
    """
    names = [plotly_text(c) for c in grid.class_names]
    x_title, y_title = (plotly_text(n) for n in grid.feature_names)
    if len(names) == 2:
        background = go.Contour(
            x=grid.x, y=grid.y, z=grid.proba[:, :, 1], zmin=0, zmax=1,
            colorscale=[[0, _class_color(0)], [0.5, "rgba(255,255,255,0)"],
                        [1, _class_color(1)]],
            opacity=0.55, contours={"start": 0.1, "end": 0.9, "size": 0.1},
            colorbar={"title": {"text": f"P({names[1]})"}, "thickness": 12},
            name=f"P({names[1]})", hovertemplate="%{fullData.name} = %{z:.3f}<extra></extra>")
        boundary = go.Contour(
            x=grid.x, y=grid.y, z=grid.proba[:, :, 1], showscale=False, hoverinfo="skip",
            contours={"start": 0.5, "end": 0.5, "coloring": "none"},
            line={"color": "black", "width": 2}, name="boundary P = 0.5")
        traces = [background, boundary]
    else:
        winner = grid.proba.argmax(axis=2)
        sure = grid.proba.max(axis=2)
        K = len(names)
        scale = [[edge, _class_color(k)] for k in range(K)
                 for edge in (k / K, (k + 1) / K)]
        traces = [go.Heatmap(
            x=grid.x, y=grid.y, z=winner, zmin=-0.5, zmax=K - 0.5, colorscale=scale,
            opacity=0.35, showscale=False, customdata=sure,
            text=np.array(names, dtype=object)[winner],
            hovertemplate="predicted %{text}<br>p = %{customdata:.3f}<extra></extra>")]
    for k, name in enumerate(names):
        mask = grid.labels == k
        traces.append(go.Scatter(
            x=grid.points[mask, 0], y=grid.points[mask, 1], mode="markers", name=name,
            marker={"color": _class_color(k), "size": 7, "line": {"color": "white", "width": 1}},
            hovertemplate="true %{fullData.name}<br>(%{x:.3g}, %{y:.3g})<extra></extra>"))
    fig = go.Figure(traces)
    fig.update_layout(**base_layout(x_title=x_title, y_title=y_title, height=CHART_HEIGHT + 80))
    fig.update_xaxes(range=[grid.x[0], grid.x[-1]])
    fig.update_yaxes(range=[grid.y[0], grid.y[-1]])
    return fig
