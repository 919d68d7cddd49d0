"""What every chart shares: the Okabe-Ito palette, sizes, :func:`base_layout`, safe labels.

Lines and markers use the palette members that keep enough contrast on both a white and a
near-black background (blue, vermillion, bluish green, reddish purple); the layout sets no
background or font colour, so the Streamlit theme (light or dark) supplies them.
"""

from __future__ import annotations

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
