"""Streamlit helpers shared by the explorer pages (the pages stay free of repeated set-up)."""

import dataclasses
import threading
from collections import OrderedDict

import numpy as np
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

# Streamlit runs a fresh server in the legacy "pages/ directory" mode until app.py has called
# st.navigation once: a shared link such as /softmax?classes=4, opened first after a restart
# (a Community Cloud wake-up), would run this page without app.py (no page config, a sidebar
# listing file names). Every page imports this module, so the first such run switches the
# server to app.py's navigation and reruns, which then opens the same page properly.
if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()

BIND_URL = "query-params"
"""Pass as ``bind=`` to a widget: its value is mirrored in the URL under the widget's key, a
copied link restores it, and a bad value in the URL falls back to the widget's default."""

CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}

FIGURES_KEPT = 32
"""How many built figures are kept, for all sessions together (the explorer's figures with
their frames are about 1 MB of Python objects each)."""


class _FigureCache:
    """The last ``FIGURES_KEPT`` figures, by builder and arguments; each with its own lock."""

    def __init__(self, size):
        self.size = size
        self.entries = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, build):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
                return entry
        entry = (build(), threading.Lock())  # built outside the lock: others keep drawing
        with self.lock:
            entry = self.entries.setdefault(key, entry)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return entry


_FIGURES = _FigureCache(FIGURES_KEPT)


def _hashable(value):
    """A hashable stand-in for a chart's argument: arrays by their bytes, dataclasses (such
    as ``SoftmaxState``) by their fields, sequences item by item."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__qualname__,
                *(_hashable(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def show_chart(build, *args, place=None, **kwargs):
    """Draw the Plotly figure ``build(*args, **kwargs)`` (or ``build`` itself, when it is a
    figure) at the width of its container, with the Streamlit theme.

    The figure is built once for the same builder and arguments and then kept (the last
    ``FIGURES_KEPT``): a chart that did not change is not rebuilt on the next run, by this
    session or another. A kept figure is shared, so it is never changed, except by
    ``place = (function, *values)``: ``function(fig, *values)`` updates it in place (the
    probe's position among the explorer's frames, for instance, instead of rebuilding them
    all), under the figure's lock, and ``st.plotly_chart`` copies it before the lock is
    released, so no session draws another's update.
    """
    if not callable(build):  # a figure built by the caller: drawn as it is
        st.plotly_chart(build, width="stretch", config=CHART_CONFIG)
        return
    key = (build, _hashable(args), _hashable(sorted(kwargs.items())))
    fig, lock = _FIGURES.get(key, lambda: build(*args, **kwargs))
    with lock:
        if place is not None:
            place[0](fig, *place[1:])
        st.plotly_chart(fig, width="stretch", config=CHART_CONFIG)
