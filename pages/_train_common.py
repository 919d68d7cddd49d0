"""What the training page's parts share: the session state's keys and literal user text."""

import streamlit as st

from cecore.live import TrainingTurns
from pages._markdown import markdown_text

state = st.session_state
KEEP = "session"  # persist_state: widget values survive page switches
UPLOADED, UPLOAD_SEEN, UPLOAD_ERROR = "train_uploaded", "train_upload_seen", "train_upload_error"
DATA_KEY, FRAME, PREPARED = "train_data_key", "train_frame", "train_prepared"
DESCRIBED, SUGGESTED = "train_described", "train_suggested"
ALL_NUMERIC, FEATURE_FILTER = "train_all_numeric", "train_feature_filter"
COLUMNS_PAGE = "train_columns_page"
RUN, RUN_SIGNATURE, LIVE_COST = "train_run", "train_run_signature", "train_live_cost"
MAX_ALPHA = 10_000.0  # the L2 alpha widget's maximum (and the regularisation path's)


def say(box, text):
    """Show text that may hold a user's column names or values, literally."""
    box(markdown_text(text))


@st.cache_resource
def training_turns():
    """The trainings of every visitor of this server take turns, one at a time (one object
    per server): the pages stay quick to answer however many train at once."""
    return TrainingTurns(slots=1)
