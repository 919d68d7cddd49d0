"""Charts of what the optimiser did: the loss surface with the walked paths, and the race.

The surface is drawn as contours of ``log10(J - J_min + tiny)`` (``J_min`` the grid's lowest
value): the valley floor and the rim both get contour lines, where contours of J itself
crowd at the rim. The hover shows J. The race is the gap ``J - J*`` to the best objective
any optimiser reached, on a log axis, against epochs or seconds.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cecore.charts.style import (
    CHART_HEIGHT,
    OKABE_ITO,
    SEQUENTIAL_SCALE,
    base_layout,
    plotly_text,
    rounded,
)

#: one colour per path (the palette's high-contrast members first)
PATH_COLORS = [OKABE_ITO[name] for name in ("vermillion", "blue", "bluish_green",
                                            "reddish_purple", "orange", "sky_blue", "grey")]
SURFACE_HEIGHT = 460
#: the smallest gap drawn (relative to |J*|): float64's resolution of the objective
GAP_FLOOR = 1e-15


def path_color(k):
    return PATH_COLORS[k % len(PATH_COLORS)]


def loss_surface(surface):
    """Contours of a :class:`cecore.surface.LossSurface` with each of its paths on top
    (a line through the kept epochs, a circle at the start, a star at the end)."""
    floor = float(np.min(surface.objective))
    spread = max(float(np.max(surface.objective)) - floor, 1e-12)
    shade = np.log10(surface.objective - floor + 1e-4 * spread)
    traces = [go.Contour(
        x=rounded(surface.a), y=rounded(surface.b), z=rounded(shade, 5),
        customdata=rounded(surface.objective), colorscale=SEQUENTIAL_SCALE, reversescale=True,
        ncontours=24, contours={"coloring": "fill", "showlines": True},
        line={"width": 0.5, "color": "rgba(255,255,255,0.35)"}, showscale=False,
        name="objective", hovertemplate="J = %{customdata:.6g}<extra></extra>")]
    for k, (name, path) in enumerate(surface.paths.items()):
        color, label = path_color(k), plotly_text(name)
        x, y = rounded(path.coords[:, 0]), rounded(path.coords[:, 1])
        traces.append(go.Scatter(
            x=x, y=y, mode="lines+markers", name=label, legendgroup=label,
            line={"color": color, "width": 2}, marker={"size": 4, "color": color},
            customdata=np.column_stack([path.epochs, rounded(path.objective)]).tolist(),
            hovertemplate="%{fullData.name}<br>epoch %{customdata[0]}<br>"
                          "J = %{customdata[1]:.6g}<extra></extra>"))
        traces.append(go.Scatter(
            x=[x[0], x[-1]], y=[y[0], y[-1]], mode="markers", legendgroup=label,
            showlegend=False, hoverinfo="skip",
            marker={"symbol": ["circle-open", "star"], "size": [11, 14], "color": color,
                    "line": {"width": 2, "color": color}}))
    fig = go.Figure(traces)
    x_title, y_title = (plotly_text(label) for label in surface.labels)
    fig.update_layout(**base_layout(x_title=x_title, y_title=y_title, height=SURFACE_HEIGHT))
    return fig


def race_gap(race, *, x="epoch"):
    """``J - J*`` per lane of a :class:`cecore.race.Race` (log scale) against ``x``: "epoch"
    or "seconds"; a dotted line at the 1e-6 relative gap of the race's table."""
    best = race.best_objective
    floor = GAP_FLOOR * max(abs(best), 1e-300)
    traces = []
    for k, lane in enumerate(race.lanes.values()):
        if not lane.records:
            continue
        gap = np.maximum(lane.objective - best, floor)
        along = np.array([r[x] for r in lane.records], dtype=np.float64)
        if x == "seconds":
            along = along * 1e3
        traces.append(go.Scatter(
            x=rounded(along), y=rounded(gap, 4), mode="lines", name=plotly_text(lane.label),
            line={"color": path_color(k), "width": 2},
            hovertemplate=("%{fullData.name}<br>" + ("epoch %{x}" if x == "epoch" else
                                                     "%{x:.4g} ms")
                           + "<br>J − J* = %{y:.3g}<extra></extra>")))
    fig = go.Figure(traces)
    fig.add_hline(y=1e-6 * abs(best), line={"dash": "dot", "width": 1, "color": "grey"},
                  annotation_text="1e-6 relative", annotation_position="top right")
    fig.update_layout(**base_layout(
        x_title="epoch (L-BFGS: iteration)" if x == "epoch" else "milliseconds of computing",
        y_title="objective − best objective", height=CHART_HEIGHT))
    fig.update_yaxes(type="log", exponentformat="power")
    return fig
