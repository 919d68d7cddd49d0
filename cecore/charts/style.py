"""What every chart shares: the Okabe-Ito palette, sizes, :func:`base_layout`, safe labels.

Lines and markers use the palette members that keep enough contrast on both a white and a
near-black background (blue, vermillion, bluish green, reddish purple); the layout sets no
background or font colour, so the Streamlit theme (light or dark) supplies them.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

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


MODEBAR_STRIP = 34
"""Pixels at the top of every chart kept for Plotly's mode bar (its buttons are 26 px tall
with padding): the title and the legend start below it, so they never sit under the bar."""
TITLE_STRIP = 28


def base_layout(*, title=None, x_title=None, y_title=None, height=CHART_HEIGHT, **overrides):
    """Layout shared by every chart: compact margins, legend in a row above the plot.

    The legend is placed in pixels from the top of the figure (``yref="container"``, the
    figure's height is fixed): below a strip of ``MODEBAR_STRIP`` px for the mode bar (and
    the title, when there is one). A container-placed legend reserves its own room, so when
    it wraps onto more rows on a narrow screen the plot moves down instead of the legend
    growing into the mode bar. Returns a dict for ``fig.update_layout(**base_layout(...))``;
    ``overrides`` win.
    """
    top = MODEBAR_STRIP + (TITLE_STRIP if title else 0)
    layout = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": top + 8, "b": 10},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "yref": "container",
                   "y": 1 - top / height, "yanchor": "top"},
        "hovermode": "closest",
        "xaxis": {"title": {"text": x_title}, "automargin": True},
        "yaxis": {"title": {"text": y_title}, "automargin": True},
    }
    if title:
        layout["title"] = {"text": title, "x": 0, "xanchor": "left", "yref": "container",
                           "y": 1 - MODEBAR_STRIP / height, "yanchor": "top"}
    layout.update(overrides)
    return layout


SETTLED_LEFT, SETTLED_LEFT_LOG, SETTLED_RIGHT = 68, 84, 18
"""Left margin (px) that a y-axis needs in Streamlit's theme (its title, the title's standoff
and tick labels such as "8" or "0.5"; on a log axis labels such as "0.001"), and the right
margin for the last x tick label."""
LEGEND_ROW = 44
"""Height (px) of one row of a legend, with its padding, in Streamlit's theme."""
AXIS_STRIP, SLIDER_STRIP = 70, 104
"""Bottom margin (px) for the x-axis's tick labels and title; with an in-chart slider under
them (:func:`frame_slider`'s ``pad_top`` 48, the slider itself, its bottom pad)."""


def settled_margin(*, left=SETTLED_LEFT, right=SETTLED_RIGHT, bottom=SLIDER_STRIP, legend_rows=1,
                   title=False):
    """``layout.margin`` with the room that the axes, the legend and an in-chart slider take
    on a desktop screen, for the charts drawn anew on every key press (the explorers,
    the home page's chart).

    Plotly starts from ``layout.margin``; whenever the legend, an axis's labels or a slider
    need more room (``automargin``, ``margin.autoexpand``), it grows the margin and draws the
    whole chart again. Streamlit mounts a new chart whenever the figure changes, so a chart
    whose margins start at :func:`base_layout`'s 10 px was drawn three times per key press
    (the binary explorer's lines, counted in Chromium; its slider's steps too), two when its
    margins already have the room. The margins still grow where more is needed (a legend of
    more rows on a phone's screen): then it is drawn once more, as before.
    """
    top = MODEBAR_STRIP + (TITLE_STRIP if title else 0) + legend_rows * LEGEND_ROW
    return {"l": left, "r": right, "t": top, "b": bottom}


FIGURE_DIGITS = 7


def rounded(values, digits=FIGURE_DIGITS):
    """``values`` rounded to ``digits`` significant digits, as Python floats (a list for an
    array-like), NaN and infinities as None (JSON null: a gap in a line).

    For data that goes into a figure's JSON as text: ``0.25`` instead of 17 digits (numpy
    arrays would be sent as 8 bytes per value in base64 whatever their digits).
    """
    def one(v):
        v = float(v)
        return float(f"{v:.{digits}g}") if math.isfinite(v) else None

    if np.ndim(values) == 0:
        return one(values)
    return [rounded(v, digits) if np.ndim(v) else one(v) for v in values]


def signed(value, spec=".4g"):
    """``format(value, spec)`` with a true minus sign (−), for chart text."""
    return format(value, spec).replace("-", "−")


def replace_nearest(grid, value, *, atol=1e-9):
    """``grid`` (ascending, ``grid[0] <= value <= grid[-1]``) with its point nearest to
    ``value`` replaced by ``value``, and the index of that point.

    An end point is kept unless it is within ``atol`` of ``value`` (its inner neighbour is
    replaced instead), so the steps still reach both ends. The result stays strictly
    ascending and as long as ``grid``; ``steps[index] == value`` exactly. Returns
    ``(steps, index)``.
    """
    steps = np.array(grid, dtype=np.float64)
    value = float(value)
    index = int(np.argmin(np.abs(steps - value)))
    if abs(steps[index] - value) > atol and steps.size > 2:
        index = min(max(index, 1), steps.size - 2)
    steps[index] = value
    return steps, index


ANIMATE_AT_ONCE = {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                   "transition": {"duration": 0}}
"""``Plotly.animate`` options of an in-chart slider step: jump to the frame, no transition,
no full redraw (only the traces named in the frame are restyled)."""
SLIDER_GREY = "rgba(128, 128, 128, {})"  # readable on the light and the dark theme


def frame_slider(n_steps, active, *, pad_top=48):
    """An in-chart slider (``layout.sliders[0]``) under the plot: step ``k`` animates to the
    frame named ``str(k)`` (see :func:`frames`); it starts at step ``active``.

    The steps have no labels and the slider shows no current value: the chart writes the
    values of the current step itself (:func:`values_text`), and the slider lies under an
    x-axis with its own ticks. Plotly measures every label twice (as a tick label and as a
    current value) each time it draws the slider, which a rerun of the page makes it do.
    """
    return {
        "active": int(active),
        "steps": [{"method": "animate", "label": "", "args": [[str(k)], ANIMATE_AT_ONCE]}
                  for k in range(n_steps)],
        "currentvalue": {"visible": False},
        "x": 0, "len": 1, "xanchor": "left", "y": 0, "yanchor": "top",
        "pad": {"t": pad_top, "b": 12, "l": 0, "r": 0},
        "transition": {"duration": 0},
        "bgcolor": SLIDER_GREY.format(0.25), "bordercolor": SLIDER_GREY.format(0.7),
        "activebgcolor": SLIDER_GREY.format(0.6), "tickcolor": SLIDER_GREY.format(0.9),
        "borderwidth": 1, "ticklen": 5, "minorticklen": 2,
    }


def frames(per_step, traces):
    """Plotly frames named ``"0"``, ``"1"``, ...: frame ``k`` sets the traces at indices
    ``traces`` to the partial traces ``per_step[k]`` (the other traces are not resent)."""
    traces = list(traces)
    return [{"name": str(k), "traces": traces, "data": list(data)}
            for k, data in enumerate(per_step)]


def values_text(text, *, x, y, xaxis="x", yaxis="y", position="bottom center"):
    """A text trace at ``(x, y)`` in the data coordinates of ``(xaxis, yaxis)`` (put it at
    the top of a fixed range), for the values that the frames of an in-chart slider
    update: a frame can change a trace's text, not an annotation's."""
    return go.Scatter(x=[x], y=[y], text=[text], mode="text", textposition=position,
                      xaxis=xaxis, yaxis=yaxis, showlegend=False, hoverinfo="skip",
                      cliponaxis=False, name="values")


PANEL_CHART_HEIGHT = SMALL_CHART_HEIGHT + 40  # the charts shown two to a row
CLASS_COLORS = [OKABE_ITO[name] for name in ("blue", "vermillion", "bluish_green",
                                             "reddish_purple", "orange", "sky_blue", "grey",
                                             "yellow")]


def plotly_text(value):
    """A user's text for a Plotly label: ``& < >`` as entities, so Plotly shows the
    characters instead of reading tags such as ``<a href>`` or ``<b>`` in them."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def class_color(k):
    return CLASS_COLORS[k % len(CLASS_COLORS)]
