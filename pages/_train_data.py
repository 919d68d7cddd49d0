"""The training page's data part: the source (upload or sample), the preview, the target,
the features and the data options, and the prepared data kept in the session."""

import hashlib

import pandas as pd
import streamlit as st

from cecore import column_choice, data, samples
from cecore.io import MAX_UPLOAD_MB, TABLE_EXTENSIONS
from cecore.prepare import MAX_DEGREE
from cecore.prepare.expansion import MAX_EXPANDED_BYTES
from cecore.prepare.options import DATES, MISSING
from cecore.training import DataOptions, prepare_data
from pages._markdown import markdown_text
from pages._shared import BIND_URL
from pages._train_common import (
    ALL_NUMERIC,
    COLUMNS_PAGE,
    DATA_KEY,
    DESCRIBED,
    FEATURE_FILTER,
    FRAME,
    KEEP,
    PREPARED,
    SUGGESTED,
    UPLOAD_ERROR,
    UPLOAD_SEEN,
    UPLOADED,
    say,
    state,
)

SOURCES = {"upload": "Upload a table", "sample": "Sample dataset"}


@st.cache_data(max_entries=8, show_spinner="Reading the file…")
def read_upload(content, name, sheet):
    """Parse an uploaded file once per content and sheet: ``(DataFrame, None)`` or
    ``(None, message)``."""
    try:
        return data.read_table(content, name, sheet=sheet), None
    except data.DataError as error:
        return None, str(error)


@st.cache_data(max_entries=8, show_spinner=False)
def upload_sheets(content, name):
    """The worksheets of an uploaded workbook (``[]`` for other files): ``(sheets, None)``
    or ``(None, message)`` when the file is refused."""
    try:
        return data.list_sheets(content, name), None
    except data.DataError as error:
        return None, str(error)


def read_new_upload(upload):
    """Read the uploaded file (in the chosen sheet of a workbook with several) unless this
    file and sheet were read already; the last good table stays in the session."""
    content = upload.getvalue()
    sheets, error = upload_sheets(content, upload.name)
    sheet = None
    if error is None and len(sheets) > 1:
        sheet = st.selectbox("Sheet", sheets, key="train_sheet", index=None,
                             placeholder="the first sheet with a table",
                             help=f"The workbook has {len(sheets)} sheets: choose the one "
                                  "with the table.")
    attempt = (upload.file_id, sheet)
    if attempt == state.get(UPLOAD_SEEN):
        return
    state[UPLOAD_SEEN] = attempt
    if error is None:
        frame, error = read_upload(content, upload.name, sheet)
    if error is None:
        digest = hashlib.sha256(content).hexdigest()[:16]
        shown = upload.name if sheet is None else f"{upload.name}, sheet {sheet}"
        state[UPLOADED] = {"name": shown, "frame": frame, "key": ("upload", digest, sheet),
                           "file_name": upload.name, "sheet": sheet}
        state[UPLOAD_ERROR] = None
    else:
        state[UPLOAD_ERROR] = (attempt, upload.name, error)


@st.cache_data(max_entries=16, show_spinner=False)
def sample_frame(name, noise):
    return samples.load_sample(name, noise=noise) if noise is not None else samples.load_sample(name)



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
        f"Upload a table (CSV, TSV or TXT, Excel .xlsx or Parquet; up to {MAX_UPLOAD_MB} MB)",
        type=[extension.lstrip(".") for extension in TABLE_EXTENSIONS], key="train_upload")
    st.caption("CSV: the encoding, the delimiter, a decimal comma and the header row are "
               "detected; title lines above the table are skipped. Excel: the saved values of "
               "the cells are read (formulas and macros are not run). The file stays in this "
               "session only.")
    if upload is not None:
        read_new_upload(upload)
    error = state.get(UPLOAD_ERROR)
    kept = state.get(UPLOADED)
    if error is not None and upload is not None and error[0] == state.get(UPLOAD_SEEN):
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
        start, stop = column_page(frame.shape[1])
        st.dataframe(frame.iloc[:10, start:stop], width="stretch")
        st.dataframe(described(frame).iloc[start:stop], width="stretch", hide_index=True,
                     column_config={"kind": st.column_config.TextColumn(
                         help="numeric, categorical, text (free text), datetime, boolean, "
                              "id (every row different), constant or empty")})


def column_page(n_columns):
    """The page of columns the preview shows (all of them up to PAGE_COLUMNS): a page
    number for wider tables; returns the positions ``start, stop``."""
    pages = column_choice.column_pages(n_columns)
    if pages == 1:
        return 0, n_columns
    if state.get(COLUMNS_PAGE, 1) > pages:  # a narrower table than the last one
        state[COLUMNS_PAGE] = pages
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    page = left.number_input(f"Columns page (of {pages:,})", min_value=1, max_value=pages,
                             step=1, key=COLUMNS_PAGE,
                             help=f"The preview shows {column_choice.PAGE_COLUMNS} columns "
                                  "at a time.")
    start, stop = column_choice.page_of_columns(n_columns, page)
    right.caption(column_choice.page_note(start, stop, n_columns))
    return start, stop


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
    """Default features for ``target``: the useful columns (dates too when expanded),
    computed once per data, target and date handling."""
    expand = state.get("train_dates") == "expand"
    cached = state.get(SUGGESTED)
    if cached is not None and cached[0] is frame and cached[1] == (target, expand):
        return cached[2]
    features, excluded = data.suggest_features(frame, target)
    if expand:
        dates = [c for c in date_columns(frame) if c in excluded]
        used = set(features) | set(dates)
        features = [c for c in frame.columns.tolist() if c in used]
        excluded = {c: why for c, why in excluded.items() if c not in dates}
    state[SUGGESTED] = (frame, (target, expand), (features, excluded))
    return features, excluded


def numeric_features(frame, target):
    """What "all numeric columns" uses: the suggested features that hold numbers, those
    the name filter keeps; and how many numeric features there are."""
    numeric = column_choice.numeric_columns(described(frame), suggested_features(frame, target)[0])
    return column_choice.matching(numeric, state.get(FEATURE_FILTER)), len(numeric)


def suggest_features_into_state(frame, target):
    """Features as suggested for ``target``: as chips, or for a wide table (more than
    column_choice.WIDE_FEATURES) as "all numeric columns"."""
    features = suggested_features(frame, target)[0]
    state[ALL_NUMERIC] = column_choice.is_wide(features)
    state["train_features"] = [] if state[ALL_NUMERIC] else features


def reset_features():
    """on_change of the target and the date handling: re-suggest the features."""
    frame = state.get(FRAME)
    if frame is not None and state.get("train_target") in frame.columns:
        suggest_features_into_state(frame, state["train_target"])


def all_numeric_changed():
    """on_change of "All numeric columns": turned off, the chips start from the numeric
    columns it used (none when they are too many to show as chips)."""
    frame = state.get(FRAME)
    if state.get(ALL_NUMERIC) or frame is None or state.get("train_target") not in frame.columns:
        state["train_features"] = []
        return
    used, _ = numeric_features(frame, state["train_target"])
    state["train_features"] = [] if column_choice.is_wide(used) else used


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
    if kept and not state.get(ALL_NUMERIC):
        state["train_features"] = kept
    else:
        suggest_features_into_state(frame, state["train_target"])


def choose_columns(frame):
    """Target, features and preprocessing widgets; returns ``(target, features, options)``."""
    left, right = st.columns([1, 2], gap="medium")
    columns = frame.columns.tolist()
    target = left.selectbox("Target column", columns, key="train_target",
                            on_change=reset_features, persist_state=KEEP,
                            help="The column to predict: a column with a few classes.")
    with right:
        features = choose_features(frame, [c for c in columns if c != target], target)
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
    degree = choose_degree(frame, features, date_mode)
    return target, features, DataOptions(test_size=test_size, missing=missing, scale=scale,
                                         dates=date_mode, degree=degree)


def choose_degree(frame, features, date_mode):
    """The polynomial degree, with the number of model columns it would make."""
    left, right = st.columns([1, 3], gap="medium", vertical_alignment="center")
    degree = left.number_input("Polynomial degree", min_value=1, max_value=MAX_DEGREE,
                               value=1, step=1, key="train_degree", bind=BIND_URL,
                               persist_state=KEEP,
                               help="2 or more adds every product of up to that many numeric "
                                    "features (x1², x1·x2, …), standardised: a linear model "
                                    "then draws curved boundaries.")
    kinds = dict(zip(described(frame)["name"], described(frame)["kind"], strict=True))
    numeric = sum(1 for name in features if kinds.get(name) in ("numeric", "id", "constant"))
    numeric += 4 * sum(1 for name in features
                       if kinds.get(name) == "datetime" and date_mode == "expand")
    if degree > 1 and numeric:
        columns = data.expanded_feature_count(numeric, int(degree))
        size = columns * len(frame) * 8
        text = (f"Degree {int(degree)} turns {numeric} numeric inputs into {columns:,} "
                f"columns ({size / 2**20:,.0f} MB for {len(frame):,} rows).")
        (right.warning if size > MAX_EXPANDED_BYTES / 4 else right.caption)(text)
    return int(degree)


def choose_features(frame, candidates, target):
    """The feature widgets: "All numeric columns" (with a count and the name filter) or
    the chips of a multiselect; a wide table's list offers the columns the filter keeps."""
    wide = column_choice.is_wide(candidates)
    all_numeric = st.toggle("All numeric columns", key=ALL_NUMERIC, on_change=all_numeric_changed,
                            persist_state=KEEP,
                            help="Use every numeric column that is suggested as a feature "
                                 "(and that the name filter keeps) instead of choosing "
                                 "them one by one.")
    if wide or all_numeric:
        st.text_input("Filter columns by name", key=FEATURE_FILTER, persist_state=KEEP,
                      placeholder="part of a name (case is ignored)")
    if all_numeric:
        features, n_numeric = numeric_features(frame, target)
        say(st.caption, column_choice.numeric_note(len(features), n_numeric,
                                                   state.get(FEATURE_FILTER)))
        return features
    note = None
    if wide:
        chosen = [c for c in state.get("train_features", []) if c != target]
        candidates, note = column_choice.offered(candidates, chosen, state.get(FEATURE_FILTER))
    features = st.multiselect("Feature columns", candidates, key="train_features",
                              persist_state=KEEP)
    if note:
        st.caption(note)
    return features


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
