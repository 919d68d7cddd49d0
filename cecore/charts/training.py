"""Charts of the training page: the loss per epoch (live), the confusion matrix, the
weights, the per-row losses and the probability map of a two-feature model.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cecore.charts.style import (
    CHART_HEIGHT,
    COLOR_Y0,
    COLOR_Y1,
    SMALL_CHART_HEIGHT,
    base_layout,
    class_color,
    plotly_text,
)

COLOR_TRAIN = COLOR_Y1
COLOR_TEST = COLOR_Y0
LIVE_MAX_POINTS = 2000


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


COEFFICIENT_BARS = 30  # weights a bar chart shows at most: the largest by |w|


def coefficient_bars(coefficients, row, *, top=COEFFICIENT_BARS):
    """The weights of one class (a row of ``coefficients``), largest magnitude first.

    Only the ``top`` largest |weights| are drawn (ties in column order); when there are
    more, the title says so ("30 of 20,000 weights, the largest by |w|"). On standardized
    features a weight is the change in that class's logit per standard deviation of the
    feature.
    """
    weights = coefficients.loc[row]
    values = weights.to_numpy(dtype=np.float64)
    size = np.abs(values)
    if len(values) > top:  # the largest |w| without sorting them all
        keep = np.argpartition(-size, top - 1)[:top]
        keep = keep[np.lexsort((keep, -size[keep]))]
    else:
        keep = np.lexsort((np.arange(len(values)), -size))
    keep = keep[::-1]  # Plotly draws the first bar at the bottom
    names = weights.index[keep]
    colors = [COLOR_Y1 if w >= 0 else COLOR_Y0 for w in values[keep]]
    fig = go.Figure(go.Bar(
        x=values[keep], y=[plotly_text(name) for name in names],
        orientation="h", marker={"color": colors},
        hovertemplate="%{y}: %{x:.4g}<extra></extra>"))
    fig.update_layout(**base_layout(
        title=weights_note(len(keep), len(values)), x_title=f"weight for {plotly_text(row)}",
        height=max(SMALL_CHART_HEIGHT, 24 * len(keep) + 80)))
    fig.update_yaxes(type="category")
    fig.update_xaxes(zeroline=True)
    return fig


def weights_note(shown, total):
    """``30 of 20,000 weights, the largest by |w|`` when some are left out, else None."""
    return f"{shown} of {total:,} weights, the largest by |w|" if shown < total else None


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
            colorscale=[[0, class_color(0)], [0.5, "rgba(255,255,255,0)"],
                        [1, class_color(1)]],
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
        scale = [[edge, class_color(k)] for k in range(K)
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
            marker={"color": class_color(k), "size": 7, "line": {"color": "white", "width": 1}},
            hovertemplate="true %{fullData.name}<br>(%{x:.3g}, %{y:.3g})<extra></extra>"))
    fig = go.Figure(traces)
    fig.update_layout(**base_layout(x_title=x_title, y_title=y_title, height=CHART_HEIGHT + 80))
    fig.update_xaxes(range=[grid.x[0], grid.x[-1]])
    fig.update_yaxes(range=[grid.y[0], grid.y[-1]])
    return fig
