"""The training page's models out: predictions on new rows with the trained model, a saved
model file read back to score a table, and the scripts that reproduce the run."""

import hashlib

import streamlit as st

from cecore import charts, data
from cecore.export import model_json, table_csv
from cecore.io import MAX_UPLOAD_MB, TABLE_EXTENSIONS
from cecore.model_file import load_model
from cecore.probability_report import probability_report
from cecore.script import reproducing_script, sklearn_script
from pages._markdown import markdown_text
from pages._shared import show_chart
from pages._train_common import say, state

UPLOAD_TYPES = [extension.lstrip(".") for extension in TABLE_EXTENSIONS]
SHOWN_ROWS = 1000  # rows of a prediction table shown on the page (the download has all)


@st.cache_data(max_entries=4, show_spinner="Reading the file…")
def read_rows(content, name):
    """A table of new rows: ``(DataFrame, None)`` or ``(None, message)``."""
    try:
        return data.read_table(content, name), None
    except data.DataError as error:
        return None, str(error)


def trained_model(run):
    """The run's model as its saved file reads it back (so the page scores new rows exactly
    as a downloaded model.json will), made once per run."""
    cached = state.get("train_saved_model")
    if cached is None or cached[0] is not run:
        cached = (run, load_model(model_json(run)))
        state["train_saved_model"] = cached
    return cached[1]


def score_upload(model, upload, key):
    """Predict the uploaded rows with ``model``: the table, its download, and with the
    target column its log loss, accuracy and reliability diagram. Errors are shown; what
    the user had stays."""
    frame, error = read_rows(upload.getvalue(), upload.name)
    if error is None:
        try:
            proba = model.predict_proba(frame)
            table = model.prediction_table(frame, proba)
            score = model.score(frame, proba)
        except data.DataError as problem:
            error = str(problem)
    if error is not None:
        say(st.error, f"{upload.name}: {error}")
        return
    for note in frame.attrs.get("notes", []):
        say(st.caption, note)
    if score.get("log_loss") is not None:
        cols = st.columns(3)
        cols[0].metric("Rows scored", f"{score['n_scored']:,} of {score['n_rows']:,}",
                       help=f"rows whose '{markdown_text(model.target)}' is one of the model's classes")
        cols[1].metric("Log loss", f"{score['log_loss']:.4f}")
        cols[2].metric("Accuracy", f"{score['accuracy']:.2%}")
        y = model.class_indices(frame[model.target])
        known = y >= 0
        report = probability_report(y[known], proba[known], list(model.classes_))
        name = next(iter(report.reliability))
        show_chart(charts.reliability_diagram({name: report.reliability[name]},
                                              {name: report.scores[name]}))
    elif model.target in frame.columns:
        say(st.info, f"No row's '{model.target}' is one of the model's classes, so the rows "
                     "were predicted but not scored.")
    else:
        say(st.caption, f"The file has no '{model.target}' column: predictions only.")
    say(st.caption, f"{len(table):,} rows predicted"
                    + (f"; the first {SHOWN_ROWS:,} are shown." if len(table) > SHOWN_ROWS
                       else "."))
    st.dataframe(table.head(SHOWN_ROWS), hide_index=True, width="stretch")
    digest = hashlib.sha256(upload.getvalue()).hexdigest()[:8]
    st.download_button("Predictions (CSV)", table_csv(table), file_name="new_predictions.csv",
                       mime="text/csv", key=f"{key}_download_{digest}", on_click="ignore")


def show_new_rows(run):
    """After training: predict a second file with the same feature columns."""
    st.subheader("Predict new rows")
    model = trained_model(run)
    say(st.caption, "A table with the same feature columns ("
               f"{', '.join(model.feature_names_in_[:8])}"
               f"{', …' if len(model.feature_names_in_) > 8 else ''}): missing columns are "
               "named, extra columns ignored, categories the model never saw count as none "
               "of its categories. With the target column, the rows are scored too.")
    upload = st.file_uploader(f"New rows (CSV, Excel or Parquet; up to {MAX_UPLOAD_MB} MB)",
                              type=UPLOAD_TYPES, key="train_predict_upload")
    if upload is not None:
        score_upload(model, upload, "train_predict")


def show_scripts(run, file_name, sheet=None):
    """Two downloads that rerun this training outside the app on the uploaded file (a
    sample has no file to read again)."""
    if file_name is None:
        return
    say(st.caption, f"Run it again outside the app: save the script next to {file_name} and "
                    "run it with Python; it prints the test log loss.")
    # written when clicked, like the other downloads: not on every rerun of the page
    scripts = st.container(key="train_scripts", horizontal=True)
    scripts.download_button("Python script (cecore)",
                            lambda: reproducing_script(run, file_name, sheet=sheet),
                            file_name="train_again.py", mime="text/x-python",
                            key="train_download_script", on_click="ignore",
                            help="reads the same file and reproduces this run with cecore, "
                                 "printing the test log loss")
    if run.frame is not None:
        scripts.download_button("Python script (scikit-learn only)",
                                lambda: sklearn_script(run, file_name, sheet=sheet),
                                file_name="train_again_sklearn.py", mime="text/x-python",
                                key="train_download_sklearn_script", on_click="ignore",
                                help="the same preprocessing and objective with pandas and "
                                     "scikit-learn (lbfgs), printing the test log loss")


@st.cache_data(max_entries=4, show_spinner=False)
def read_model(content):
    try:
        return load_model(content), None
    except data.DataError as error:
        return None, str(error)


def show_saved_model():
    """Score a table with a model file downloaded earlier (no training needed)."""
    with st.expander("Score a table with a saved model (model.json)"):
        model_upload = st.file_uploader("Model file (JSON, from “Model (JSON)” above)",
                                        type=["json"], key="train_model_upload")
        if model_upload is None:
            return
        model, error = read_model(model_upload.getvalue())
        if error is not None:
            say(st.error, f"{model_upload.name}: {error}")
            return
        say(st.caption, f"A {model.kind} model of '{model.target}' with classes "
                        f"{', '.join(model.classes_)}, made by cecore {model.cecore_version}.")
        upload = st.file_uploader("Rows to score", type=UPLOAD_TYPES,
                                  key="train_model_rows_upload")
        if upload is not None:
            score_upload(model, upload, "train_model_rows")
