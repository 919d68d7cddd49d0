"""Train on your data: a CSV or a sample -> prepare -> train live -> compare with scikit-learn.

The pipeline is cecore.training (shared with ``python -m cecore train``); this page holds the
widgets, the session state and the charts. State that must survive reruns and page switches:
the parsed upload, the prepared data and the training run (its estimator is always fitted
with the last finished epoch, so a Stop click, which interrupts this script, keeps it).
"""

import streamlit as st

from pages._train_common import FRAME, KEEP, RUN, state
from pages._train_data import choose_columns, choose_data, prepared_for, preview, sync_choices
from pages._train_predict import show_saved_model
from pages._train_run import choose_settings, show_run, start_training, stop_training

# --------------------------------------------------------------------------- page
st.title("Train on your data")
st.caption("Logistic (sigmoid) or softmax regression on a table: trained live by cecore's "
           "gradient descent, then checked against scikit-learn on the same objective.")

st.header("Data", divider="gray")
frame, data_key, data_label = choose_data()
signature = None
prepared = None
if frame is None:
    st.info("Upload a table to start (CSV, Excel or Parquet), or choose “Sample dataset” "
            "above to try the page "
            "on a bundled dataset.")
else:
    state[FRAME] = frame
    preview(frame, data_label)
    sync_choices(frame, data_key)
    st.header("Target and features", divider="gray")
    target, features, options = choose_columns(frame)
    prep_box = st.container()

st.header("Training", divider="gray")
config = choose_settings()
if frame is not None:
    signature = (data_key, target, tuple(features), options, config)
    prepared = prepared_for(prep_box, frame, signature[:4] + (config.seed,), target, features,
                            options, config.seed)
left, middle, right = st.columns([1, 1, 4], vertical_alignment="center")
if left.button("Train", key="train_start", type="primary", disabled=prepared is None,
               width="stretch"):
    start_training(prepared, config, options, frame, signature)
middle.button("Stop", key="train_stop", on_click=stop_training, width="stretch")
log_y = right.toggle("Log-scale loss axis", key="train_log_scale", persist_state=KEEP)
st.caption("Stop ends training and keeps the model of the last finished epoch. Changing a "
           "setting while training runs does not stop it; the next Train uses the new settings.")

run = state.get(RUN)
if run is not None:
    show_run(run, signature, log_y)

st.header("Saved models", divider="gray")
show_saved_model()
