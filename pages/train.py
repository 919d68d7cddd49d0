"""Train on your data: a CSV or a sample -> prepare -> train live -> compare with scikit-learn.

The pipeline is cecore.training (shared with ``python -m cecore train``); this page holds the
widgets, the session state and the charts. State that must survive reruns and page switches:
the parsed upload, the prepared data and the training run (its estimator is always fitted
with the last finished epoch, so a Stop click, which interrupts this script, keeps it).
"""

import hashlib
import time

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from cecore import charts, data, samples
from cecore.evaluation import decision_grid
from cecore.export import history_csv, model_json, predictions_csv
from cecore.io import MAX_UPLOAD_MB
from cecore.live import Throttle, TrainingTurns, live_cost_caption
from cecore.prepare.options import DATES, MISSING
from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data
from pages._markdown import markdown_text
from pages._shared import BIND_URL, show_chart

state = st.session_state
KEEP = "session"  # persist_state: widget values survive page switches
UPLOADED, UPLOAD_SEEN, UPLOAD_ERROR = "train_uploaded", "train_upload_seen", "train_upload_error"
DATA_KEY, FRAME, PREPARED = "train_data_key", "train_frame", "train_prepared"
DESCRIBED = "train_described"
RUN, RUN_SIGNATURE, LIVE_COST = "train_run", "train_run_signature", "train_live_cost"
SOURCES = {"upload": "Upload a CSV", "sample": "Sample dataset"}
STATUS_BOX = {"converged": st.success, "max_epochs": st.info, "stopped": st.info,
              "diverged": st.error}


@st.cache_data(max_entries=8, show_spinner="Reading the file…")
def read_upload(content):
    """Parse an uploaded file once per content: ``(DataFrame, None)`` or ``(None, message)``."""
    try:
        return data.read_csv(content), None
    except data.DataError as error:
        return None, str(error)


@st.cache_data(max_entries=16, show_spinner=False)
def sample_frame(name, noise):
    return samples.load_sample(name, noise=noise) if noise is not None else samples.load_sample(name)


def say(box, text):
    """Show text that may hold a user's column names or values, literally."""
    box(markdown_text(text))


# --------------------------------------------------------------------------- data
def choose_data():
    """The data source widgets; returns ``(DataFrame or None, key, label)``."""
    source = st.segmented_control("Data", list(SOURCES), format_func=SOURCES.get,
                                  key="train_source", default="upload", required=True,
                                  bind=BIND_URL, persist_state=KEEP)
    if source == "sample":
        name = st.selectbox("Sample dataset", list(samples.SAMPLES), key="train_sample",
                            bind=BIND_URL, persist_state=KEEP)
        st.caption(samples.SAMPLES[name].description)
        noise = None
        if samples.SAMPLES[name].synthetic:
            noise = st.slider("Noise (spread of the points)", 0.0, 1.0, 0.2, step=0.05,
                              key="train_noise", bind=BIND_URL, persist_state=KEEP)
        return sample_frame(name, noise), ("sample", name, noise), f"sample '{name}'"
    upload = st.file_uploader(
        f"Upload a CSV file (csv, tsv or txt; up to {MAX_UPLOAD_MB} MB)",
        type=["csv", "tsv", "txt"], key="train_upload")
    st.caption("The encoding, the delimiter, a decimal comma and the header row are detected; "
               "title lines above the table are skipped. The file stays in this session only.")
    if upload is not None and upload.file_id != state.get(UPLOAD_SEEN):
        state[UPLOAD_SEEN] = upload.file_id
        content = upload.getvalue()
        frame, error = read_upload(content)
        if error is None:
            digest = hashlib.sha256(content).hexdigest()[:16]
            state[UPLOADED] = {"name": upload.name, "frame": frame, "key": ("upload", digest)}
            state[UPLOAD_ERROR] = None
        else:
            state[UPLOAD_ERROR] = (upload.file_id, upload.name, error)
    error = state.get(UPLOAD_ERROR)
    kept = state.get(UPLOADED)
    if error is not None and upload is not None and error[0] == upload.file_id:
        say(st.error, f"{error[1]}: {error[2]}")
        if kept is not None:
            say(st.info, f"Still using the previous file, {kept['name']}.")
    if kept is None:
        return None, None, None
    return kept["frame"], kept["key"], f"file '{kept['name']}'"


def preview(frame, label):
    with st.expander(f"Preview of the {markdown_text(label)}: {frame.shape[0]:,} rows, "
                     f"{frame.shape[1]} columns", expanded=True):
        for note in frame.attrs.get("notes", []):
            say(st.caption, note)
        st.dataframe(frame.head(10), width="stretch")
        st.dataframe(described(frame), width="stretch", hide_index=True,
                     column_config={"kind": st.column_config.TextColumn(
                         help="numeric, categorical, text (free text), datetime, boolean, "
                              "id (every row different), constant or empty")})


def described(frame):
    """``describe_columns`` of the current data, computed once per data (it reads every value)."""
    cached = state.get(DESCRIBED)
    if cached is None or cached[0] is not frame:
        cached = (frame, data.describe_columns(frame))
        state[DESCRIBED] = cached
    return cached[1]


def date_columns(frame):
    columns = described(frame)
    return list(columns.loc[columns["kind"] == "datetime", "name"])


def suggested_features(frame, target):
    """Default features for ``target``: the useful columns (dates too when expanded)."""
    features, excluded = data.suggest_features(frame, target)
    if state.get("train_dates") == "expand":
        dates = [c for c in date_columns(frame) if c in excluded]
        features = [c for c in frame.columns if c in features or c in dates]
        excluded = {c: why for c, why in excluded.items() if c not in dates}
    return features, excluded


def reset_features():
    """on_change of the target and the date handling: re-suggest the features."""
    frame = state.get(FRAME)
    if frame is not None and state.get("train_target") in frame.columns:
        state["train_features"] = suggested_features(frame, state["train_target"])[0]


def default_target(frame):
    try:
        return data.suggest_target(frame)
    except data.DataError:
        return frame.columns[-1]


def sync_choices(frame, key):
    """When the data changes, keep target and features that still exist, suggest the rest."""
    if state.get(DATA_KEY) == key:
        return
    state[DATA_KEY] = key
    if state.get("train_target") not in frame.columns:
        state["train_target"] = default_target(frame)
        state.pop("train_features", None)
    kept = [c for c in state.get("train_features", []) if c in frame.columns
            and c != state["train_target"]]
    state["train_features"] = kept or suggested_features(frame, state["train_target"])[0]


def choose_columns(frame):
    """Target, features and preprocessing widgets; returns ``(target, features, options)``."""
    left, right = st.columns([1, 2], gap="medium")
    target = left.selectbox("Target column", list(frame.columns), key="train_target",
                            on_change=reset_features, persist_state=KEEP,
                            help="The column to predict: a column with a few classes.")
    features = right.multiselect("Feature columns", [c for c in frame.columns if c != target],
                                 key="train_features", persist_state=KEEP)
    _, excluded = suggested_features(frame, target)
    if excluded:
        with right.expander(f"{len(excluded)} column{'s are' if len(excluded) > 1 else ' is'} "
                            "left out by default",
                            expanded=len(excluded) <= 5):
            st.dataframe(pd.DataFrame({"column": list(excluded),
                                       "why": list(excluded.values())}),
                         hide_index=True, width="stretch")
    dates = date_columns(frame)
    cols = st.columns(4, gap="medium")
    with cols[0]:
        date_mode = st.radio("Date columns", DATES, key="train_dates",
                             format_func={"drop": "leave out", "expand": "expand"}.get,
                             help="expand: year, month, day and weekday as four numbers",
                             on_change=reset_features, bind=BIND_URL, persist_state=KEEP,
                             disabled=not dates)
        if dates:
            verb = "left out" if date_mode == "drop" else "expanded into 4 numbers each"
            say(st.caption, f"Dates ({', '.join(dates)}) are {verb}.")
        else:
            st.caption("This table has no date columns.")
    missing = cols[1].radio("Missing values", MISSING, key="train_missing",
                            format_func={"impute": "fill in", "drop": "drop rows"}.get,
                            help="fill in: the median (numbers) or the most frequent value "
                                 "(categories) of the training rows; drop rows: leave out "
                                 "every row with a missing value in a used column",
                            bind=BIND_URL, persist_state=KEEP)
    with cols[2]:
        scale = st.toggle("Standardize features", value=True, key="train_scale",
                          bind=BIND_URL, persist_state=KEEP)
        st.caption("Gradient descent uses one step size for every weight: on unscaled "
                   "features the loss is a long, narrow valley and it crawls, standardized "
                   "(mean 0, sd 1) it converges in far fewer epochs.")
    test_size = cols[3].slider("Test share", 0.0, 0.5, 0.25, step=0.05, key="train_test_size",
                               bind=BIND_URL, persist_state=KEEP,
                               help="Held out rows, split stratified by class with the seed.")
    return target, features, DataOptions(test_size=test_size, missing=missing, scale=scale,
                                         dates=date_mode)


def prepared_for(box, frame, signature, target, features, options, seed):
    """The prepared data for these choices (kept in the session), or None after a DataError;
    its summary, notes or error go into the container ``box``."""
    cached = state.get(PREPARED)
    if cached is None or cached[0] != signature:
        try:
            cached = (signature, prepare_data(frame, target, features, options, seed), None)
        except data.DataError as error:
            cached = (signature, None, str(error))
        state[PREPARED] = cached
    _, prepared, error = cached
    if error is not None:
        say(box.error, error)
        return None
    classes = ", ".join(str(c) for c in prepared.classes[:12])
    more = "…" if len(prepared.classes) > 12 else ""
    say(box.caption, f"{len(prepared.y):,} rows → {len(prepared.y_train):,} for training and "
                    f"{len(prepared.y_test):,} for testing; {len(prepared.feature_names)} model "
                    f"feature{'s' if len(prepared.feature_names) != 1 else ''}; "
                    f"{len(prepared.classes)} classes: {classes}{more}.")
    if prepared.notes:
        with box.expander(f"Notes on the preparation ({len(prepared.notes)})"):
            for note in prepared.notes:
                say(st.caption, note)
    return prepared


# --------------------------------------------------------------------------- training
def choose_settings():
    cols = st.columns(4, gap="medium")
    model = cols[0].selectbox(
        "Model", ["auto", "softmax"], key="train_model", bind=BIND_URL, persist_state=KEEP,
        help="auto: logistic regression (sigmoid) for 2 classes, softmax for more. softmax: "
             "softmax also for 2 classes (then scikit-learn's C is 2/(alpha·n)).")
    solver = cols[0].selectbox("Solver", ["nesterov", "gd"], key="train_solver",
                               bind=BIND_URL, persist_state=KEEP,
                               help="nesterov: accelerated gradient with adaptive restart; "
                                    "gd: plain gradient descent, one step per batch.")
    auto_lr = cols[1].toggle("Auto learning rate", value=True, key="train_lr_auto",
                             bind=BIND_URL, persist_state=KEEP,
                             help="1/L, L the Lipschitz constant of the gradient: the largest "
                                  "step that cannot diverge. With nesterov on full batches, "
                                  "each step then adapts to the curvature measured along the "
                                  "last one (between 1/L and 30/L).")
    lr = cols[1].number_input("Learning rate", min_value=1e-6, max_value=1e3, value=0.5,
                              step=0.1, format="%g", key="train_lr", disabled=auto_lr,
                              bind=BIND_URL, persist_state=KEEP)
    epochs = cols[2].number_input("Epochs", min_value=1, max_value=100_000, value=1000,
                                  step=100, key="train_epochs", bind=BIND_URL,
                                  persist_state=KEEP)
    mini = cols[2].toggle("Mini-batches", value=False, key="train_mini_batch", bind=BIND_URL,
                          persist_state=KEEP, help="Off: every epoch is one full-batch step.")
    batch = cols[2].number_input("Batch size", min_value=1, max_value=1_000_000, value=64,
                                 step=16, key="train_batch_size", disabled=not mini,
                                 bind=BIND_URL, persist_state=KEEP)
    alpha = cols[3].number_input("L2 alpha", min_value=0.0, max_value=100.0, value=0.01,
                                 step=0.001, format="%g", key="train_alpha", bind=BIND_URL,
                                 persist_state=KEEP, help="Penalty alpha/2 ||W||²; the "
                                 "intercept is not penalised.")
    tol = cols[3].number_input("Tolerance (gradient norm)", min_value=0.0, max_value=1.0,
                               value=1e-6, step=1e-6, format="%g", key="train_tol",
                               bind=BIND_URL, persist_state=KEEP)
    seed = cols[3].number_input("Seed", min_value=0, max_value=2**32 - 1, value=0, step=1,
                                key="train_seed", bind=BIND_URL, persist_state=KEEP,
                                help="Seeds the train/test split and the mini-batch order.")
    return TrainConfig(model=model, learning_rate="auto" if auto_lr else float(lr),
                       epochs=int(epochs), batch_size=int(batch) if mini else None,
                       solver=solver, alpha=float(alpha), tol=float(tol), seed=int(seed))


def stop_training():
    """on_click of Stop: runs before the rerun that the click caused."""
    run = state.get(RUN)
    if run is not None:
        run.stop()


def start_training(prepared, config, options, frame, signature):
    old = state.get(RUN)
    if old is not None:
        old.stop()
    try:
        state[RUN] = TrainingRun(prepared, config, options, frame=frame)
    except (data.DataError, ValueError) as error:
        say(st.error, str(error))
        return
    state[RUN_SIGNATURE] = signature
    state[LIVE_COST] = {"seconds": 0.0, "drawing": 0.0, "redraws": 0}


def loss_chart(run, log_y, *, live):
    return charts.training_loss(run.history, max_epochs=run.config.epochs if live else None,
                                log_y=log_y)


def progress_text(run):
    last = run.last
    if last is None:
        return "Starting…"
    test = f", test loss {last['val_loss']:.5f}" if last["val_loss"] is not None else ""
    return (f"Epoch {last['epoch']:,} of {run.config.epochs:,}: train loss "
            f"{last['loss']:.5f}{test}")


@st.cache_resource
def training_turns():
    """The trainings of every visitor of this server take turns, one at a time (one object
    per server): the pages stay quick to answer however many train at once."""
    return TrainingTurns(slots=1)


def train_live(run, log_y):
    """Advance the run to its end, taking turns with other visitors' trainings and redrawing
    a few times a second (less often while others train too); then rerun the page.

    A click on Stop (or any widget) interrupts this at its next ``st`` call, the progress
    bar's update at most a quarter of a second later (plus the wait for this run's turn);
    the run stays in the session, so the next script run resumes it, or shows it stopped.
    Streamlit's own Stop (in the toolbar) ends the run too.
    """
    chart, progress = st.empty(), st.empty()
    turns = training_turns()
    throttle, progress_throttle = Throttle(shared=turns), Throttle()
    started = time.perf_counter()
    try:
        for _ in turns.take(run.records()):
            if throttle.due():
                with throttle.redraw(), chart.container():
                    show_chart(loss_chart(run, log_y, live=True))
            if progress_throttle.due():
                with progress_throttle.redraw():
                    progress.progress(run.last["epoch"] / run.config.epochs,
                                      text=progress_text(run))
    except StopException:
        # Streamlit's own Stop (toolbar) or the end of the session: end the run. With
        # runner.fastReruns (off in config.toml) every rerun would arrive this way too.
        if not st.get_option("runner.fastReruns"):
            run.stop()
        raise
    finally:
        cost = state.setdefault(LIVE_COST, {"seconds": 0.0, "drawing": 0.0, "redraws": 0})
        cost["seconds"] += time.perf_counter() - started
        cost["drawing"] += throttle.seconds
        cost["redraws"] += throttle.redraws
    if run.usable:
        with st.spinner("Comparing with scikit-learn…"):
            run.evaluate()
    st.rerun()


# --------------------------------------------------------------------------- results
def show_comparison(results):
    c = results.comparison
    st.subheader("Compared with scikit-learn")
    table = c.table()
    st.dataframe(table, width="stretch", placeholder="",
                 column_config={name: st.column_config.NumberColumn(format="%.10g")
                                for name in table.columns})
    cols = st.columns(4)
    accuracy = c.ours_accuracy_test if results.split == "test" else c.ours_accuracy_train
    cols[0].metric(f"{results.split.capitalize()} accuracy", f"{accuracy:.2%}")
    cols[1].metric("Largest probability difference", f"{c.max_proba_difference:.2e}",
                   help="max over rows and classes of |P_cecore - P_sklearn|")
    cols[2].metric("Objective gap (relative)", f"{c.objective_gap:.2e}")
    cols[3].metric("scikit-learn C", "∞" if c.sklearn_C == float("inf") else f"{c.sklearn_C:.4g}",
                   help="C = 1/(alpha·n); 2/(alpha·n) for softmax on two classes")
    st.caption(results.note + " scikit-learn: LogisticRegression(C) solved by lbfgs to a "
               "gradient tolerance of 1e-10; log_loss is sklearn.metrics.log_loss on our "
               "predict_proba.")


def show_results(run):
    results = run.evaluate()
    show_comparison(results)
    st.subheader(f"On the {results.split} rows")
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**Confusion matrix**")
        show_chart(charts.confusion_heatmap(results.confusion))
    with right:
        st.markdown("**Precision and recall per class**")
        st.dataframe(results.per_class, width="stretch",
                     column_config={"precision": st.column_config.NumberColumn(format="%.3f"),
                                    "recall": st.column_config.NumberColumn(format="%.3f")})
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**Weights per class**")
        rows = list(results.coefficients.index)
        row = st.selectbox("Class", rows, key="train_coef_class") if len(rows) > 1 else rows[0]
        show_chart(charts.coefficient_bars(results.coefficients, row))
        st.caption("On standardized features a weight is the change of the class's logit "
                   "per standard deviation of the feature." if run.options.scale else
                   "Features are not standardized, so the weights are in their units.")
    with right:
        st.markdown("**Loss per row**")
        show_chart(charts.sample_loss_histogram(results.sample_losses, split=results.split))
        st.markdown("**Worst-predicted rows** (highest loss)")
        st.dataframe(results.worst, hide_index=True, width="stretch")
    grid = decision_grid(run)
    if grid is not None:
        st.markdown("**Decision boundary**")
        show_chart(charts.decision_map(grid))
        st.caption("The model's probabilities over the two features "
                   f"({'standardized' if run.options.scale else 'as in the table'}), with "
                   f"the {grid.split} rows on top.")
    st.subheader("Downloads")
    cols = st.columns(3)
    cols[0].download_button("Model (JSON)", model_json(run), file_name="model.json",
                            mime="application/json", key="train_download_model",
                            on_click="ignore")
    cols[1].download_button("Loss history (CSV)", history_csv(run.history),
                            file_name="loss_history.csv", mime="text/csv",
                            key="train_download_history", on_click="ignore")
    cols[2].download_button(f"Predictions on the {results.split} rows (CSV)",
                            predictions_csv(results), file_name="predictions.csv",
                            mime="text/csv", key="train_download_predictions",
                            on_click="ignore")


def show_run(run, signature, log_y):
    if state.get(RUN_SIGNATURE) != signature:
        st.warning("The data or settings changed since this model was trained: the results "
                   "below are for the earlier settings. Press Train to train with the new ones.")
    if run.running:
        train_live(run, log_y)
    show_chart(loss_chart(run, log_y, live=False))
    STATUS_BOX[run.status](run.message)
    cost = state.get(LIVE_COST)
    if run.history and cost and cost["seconds"] > 0:
        st.caption(live_cost_caption(len(run.history), run.compute_seconds, cost))
    if run.usable:
        show_results(run)


# --------------------------------------------------------------------------- page
st.title("Train on your data")
st.caption("Logistic (sigmoid) or softmax regression on a table: trained live by cecore's "
           "gradient descent, then checked against scikit-learn on the same objective.")

st.header("Data", divider="gray")
frame, data_key, data_label = choose_data()
signature = None
prepared = None
if frame is None:
    st.info("Upload a CSV file to start, or choose “Sample dataset” above to try the page "
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
