"""Streamlit helpers shared by the explorer pages (the pages stay free of repeated set-up)."""

import streamlit as st

BIND_URL = "query-params"
"""Pass as ``bind=`` to a widget: its value is mirrored in the URL under the widget's key, a
copied link restores it, and a bad value in the URL falls back to the widget's default."""

CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def show_chart(fig):
    """Draw a Plotly figure at the width of its container, with the Streamlit theme."""
    st.plotly_chart(fig, width="stretch", config=CHART_CONFIG)
