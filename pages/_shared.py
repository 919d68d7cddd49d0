"""Streamlit helpers shared by the explorer pages (the pages stay free of repeated set-up)."""

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


def show_chart(fig):
    """Draw a Plotly figure at the width of its container, with the Streamlit theme."""
    st.plotly_chart(fig, width="stretch", config=CHART_CONFIG)
