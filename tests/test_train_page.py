"""The training page under Streamlit's AppTest: upload, choose, train, compare, stop, rerun."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from streamlit.testing.v1 import AppTest

from cecore import samples
from cecore.live import live_cost_caption
from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.filterwarnings("ignore::cecore.models.DivergenceWarning")]

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "pages/train.py"
COMPARISON_COLUMN = "cecore (training record)"


def customers_csv(n=200, seed=0):
    """A real-looking export: an id, missing values, text categories, a date, free text."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n).astype(float)
    city = rng.choice(["Paris", "Lyon", "Nice"], n)
    score = 0.05 * (age - 50) + (city == "Paris") + rng.normal(0, 1, n)
    frame = pd.DataFrame({
        "customer_id": np.arange(5000, 5000 + n),
        "age": age,
        "city": city,
        "signup": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "comment": [f"spoke on the phone, ticket {rng.integers(10**6)}" for _ in range(n)],
        "plan": np.where(score > 0.5, "premium", np.where(score > -0.5, "basic", "free")),
    })
    frame.loc[rng.choice(n, 15, replace=False), "age"] = np.nan
    return frame.to_csv(index=False).encode()


def open_page(**query):
    """The page as a link with these query parameters opens it."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(PAGE)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def open_sample(name, **query):
    return open_page(train_source="Sample dataset", train_sample=name, **query)


def upload(at, content, name="customers.csv"):
    at.file_uploader(key="train_upload").upload(name, content, "text/csv").run()
    assert not at.exception


def train(at):
    at.button(key="train_start").click().run()
    assert not at.exception


def comparison(at):
    tables = [t.value for t in at.dataframe if COMPARISON_COLUMN in t.value.columns]
    return tables[0] if tables else None


def plain(markdown):
    """The text of an element whose user-supplied parts were backslash-escaped."""
    return markdown.replace("\\", "")


def test_the_page_opens_on_the_upload_and_names_its_widgets_as_expected():
    at = open_page()
    label = at.file_uploader(key="train_upload").label
    assert "CSV" in label and "Excel" in label and "Parquet" in label and "100 MB" in label
    assert at.file_uploader(key="train_upload").allowed_type == [
        ".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq"]
    assert "Upload a table to start" in at.info[0].value
    assert at.button(key="train_start").label == "Train" and at.button(key="train_start").disabled
    assert at.button(key="train_stop").label == "Stop"

    at.segmented_control(key="train_source").set_value("sample").run()
    assert at.selectbox(key="train_sample").value == "iris"
    assert at.selectbox(key="train_target").label == "Target column"
    assert at.multiselect(key="train_features").label == "Feature columns"
    assert not at.button(key="train_start").disabled


def test_upload_choose_train_and_compare_with_sklearn():
    at = open_page()
    upload(at, customers_csv())

    assert at.selectbox(key="train_target").value == "plan"
    assert at.multiselect(key="train_features").value == ["age", "city"]
    excluded = [t.value for t in at.dataframe if "why" in t.value.columns][0]
    reasons = dict(zip(excluded["column"], excluded["why"], strict=True))
    assert set(reasons) == {"customer_id", "signup", "comment"}
    assert "identifier" in reasons["customer_id"] and "date" in reasons["signup"]

    at.radio(key="train_dates").set_value("expand").run()
    assert "signup" in at.multiselect(key="train_features").value
    at.multiselect(key="train_features").set_value(["age", "city", "signup"]).run()
    train(at)

    assert "Converged" in at.success[0].value
    table = comparison(at)
    for split in ("train loss", "test loss"):
        ours, check = table.loc[split, COMPARISON_COLUMN], table.loc[split, "log_loss(our predict_proba)"]
        assert check == pytest.approx(ours, abs=1e-9)
    objective = table.loc["objective (loss + penalty)"]
    assert objective["scikit-learn lbfgs"] == pytest.approx(objective[COMPARISON_COLUMN],
                                                            rel=1e-6)
    run = at.session_state["train_run"]
    assert "signup_year" in run.prepared.feature_names
    assert len(at.get("download_button")) == 5  # model, history, predictions, two scripts
    assert not at.warning  # the results are for the current settings
    assert [c.value for c in at.caption if " of training; the live chart took " in c.value] == [
        live_cost_caption(len(run.history), run.compute_seconds,
                          at.session_state["train_live_cost"])]


def test_scikit_learn_own_csv_file_trains_with_its_first_line_explained():
    # sklearn's breast_cancer.csv, as shipped: "569,30,malignant,benign", then 569 rows of
    # 30 features and the class code
    path = Path(sklearn.__file__).parent / "datasets" / "data" / "breast_cancer.csv"
    at = open_page()
    upload(at, path.read_bytes(), name="breast_cancer.csv")
    assert not at.error
    captions = [plain(c.value) for c in at.caption]
    assert any(c.startswith("Line 1 is scikit-learn's dataset header (569 samples, 30 features,")
               for c in captions), captions
    assert at.selectbox(key="train_target").value == "column_31"
    assert len(at.multiselect(key="train_features").value) == 30
    train(at)
    assert "Converged" in at.success[0].value
    run = at.session_state["train_run"]
    assert list(run.prepared.classes) == ["0", "1"] and run.prepared.X.shape == (569, 30)


def test_the_loss_chart_shows_every_epoch():
    at = open_sample("iris")
    train(at)
    run = at.session_state["train_run"]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [trace["name"] for trace in spec["data"]] == ["train loss", "test loss"]
    assert spec["layout"]["xaxis"]["range"] == [0, len(run.history)]
    assert len(spec["data"][0]["x"]) == len(run.history)


def running_iris_run(epochs_done):
    """A run as a Stop click finds it: interrupted in the middle of training."""
    frame = samples.load_sample("iris")
    prepared = prepare_data(frame, "target", None, DataOptions(), 0)
    run = TrainingRun(prepared, TrainConfig(solver="gd"), DataOptions(), frame=frame)
    for _ in range(epochs_done):
        run.step()
    return run


def test_stop_ends_training_and_keeps_the_model_of_the_last_epoch():
    at = open_sample("iris")
    at.session_state["train_run"] = running_iris_run(3)
    at.button(key="train_stop").click().run()
    assert not at.exception

    run = at.session_state["train_run"]
    assert run.status == "stopped" and len(run.history) == 3
    assert "Stopped after epoch 3" in at.info[0].value
    assert comparison(at).loc["train loss", COMPARISON_COLUMN] == run.history[-1]["loss"]
    at.run()  # a later rerun does not start training again
    assert len(at.session_state["train_run"].history) == 3


def test_a_run_interrupted_by_a_widget_resumes_where_it_was():
    at = open_sample("iris")
    at.session_state["train_run"] = running_iris_run(3)
    at.toggle(key="train_log_scale").set_value(True).run()
    assert not at.exception

    run = at.session_state["train_run"]
    assert run.status in ("converged", "max_epochs") and len(run.history) > 3
    assert [r["epoch"] for r in run.history] == list(range(1, len(run.history) + 1))


def test_reruns_and_page_switches_keep_data_choices_and_model():
    at = open_page()
    upload(at, customers_csv())
    at.multiselect(key="train_features").set_value(["age"]).run()
    train(at)
    trained = at.session_state["train_run"]

    at.number_input(key="train_alpha").set_value(0.5).run()
    assert at.session_state["train_run"] is trained
    assert comparison(at) is not None
    assert "settings changed" in at.warning[0].value

    at.switch_page("pages/home.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.segmented_control(key="train_source").value == "upload"
    assert at.multiselect(key="train_features").value == ["age"]
    assert at.number_input(key="train_alpha").value == 0.5
    assert at.session_state["train_run"] is trained and comparison(at) is not None

    at.number_input(key="train_alpha").set_value(0.01).run()
    assert not [w for w in at.warning if "settings changed" in w.value]


def test_a_bad_file_shows_an_error_and_keeps_the_previous_data_and_model():
    at = open_page()
    upload(at, customers_csv())
    train(at)
    trained = at.session_state["train_run"]

    at.file_uploader(key="train_upload").clear()
    upload(at, b"\x89PNG\r\n\x1a\n\x00\x00not a table", name="photo.csv")

    assert "PNG image" in plain(at.error[0].value)
    assert "customers.csv" in plain(at.info[0].value)
    assert at.selectbox(key="train_target").value == "plan"
    assert at.session_state["train_run"] is trained and comparison(at) is not None


def test_a_table_that_cannot_be_prepared_shows_the_reason():
    at = open_page()
    upload(at, b"name,value\na,1\nb,2\nc,3\nd,4\ne,5\nf,6\n")
    at.selectbox(key="train_target").set_value("value").run()
    at.multiselect(key="train_features").set_value(["name"]).run()
    assert not at.exception
    assert any("class" in plain(e.value) for e in at.error)
    assert at.button(key="train_start").disabled


def test_a_share_link_reproduces_a_sample_run_with_its_decision_boundary():
    at = open_sample("moons", train_noise="0.35", train_epochs="400", train_solver="gd",
                     train_alpha="0.05")
    assert at.selectbox(key="train_sample").value == "moons"
    assert at.slider(key="train_noise").value == 0.35
    config = (at.number_input(key="train_epochs").value, at.selectbox(key="train_solver").value,
              at.number_input(key="train_alpha").value)
    assert config == (400, "gd", 0.05)
    train(at)

    run = at.session_state["train_run"]
    assert run.config.epochs == 400 and run.config.solver == "gd"
    titles = [json.loads(c.proto.spec)["layout"]["xaxis"].get("title", {}).get("text")
              for c in at.get("plotly_chart")]
    assert "x1" in titles  # the decision boundary over the two features


def test_divergence_is_explained_with_the_fix():
    at = open_sample("breast_cancer", train_lr_auto="false", train_lr="1000",
                     train_solver="gd", train_alpha="0")
    train(at)
    assert at.session_state["train_run"].status == "diverged"
    assert "smaller learning rate" in at.error[0].value
    assert comparison(at) is None  # it diverged in the first epoch: no model to compare


def metric_values(at):
    return {m.label: m.value for m in at.metric}


def imbalanced_csv(n=4000, seed=0):
    """A credit-default-like table: 4% defaulters that the default threshold mostly misses."""
    rng = np.random.default_rng(seed)
    income = rng.normal(0, 1, n)
    debt = rng.normal(0, 1, n)
    p = 1 / (1 + np.exp(-(-3.8 + 1.2 * debt - 0.8 * income)))
    default = np.where(rng.random(n) < p, "yes", "no")
    return pd.DataFrame({"income": income, "debt": debt, "default": default}).to_csv(
        index=False).encode()


def test_the_probabilities_section_equals_sklearn_and_moves_with_the_threshold():
    from sklearn.metrics import log_loss, precision_score, recall_score, roc_auc_score

    from cecore.calibration import expected_calibration_error

    at = open_page()
    upload(at, imbalanced_csv(), name="credit.csv")
    assert at.selectbox(key="train_target").value == "default"
    train(at)
    run = at.session_state["train_run"]
    y, p = run.prepared.y_test, run.estimator.predict_proba(run.prepared.X_test)
    shown = metric_values(at)
    assert float(shown["Log loss"]) == pytest.approx(log_loss(y, p), abs=5e-5)
    assert float(shown["Expected calibration error"]) == pytest.approx(
        expected_calibration_error(y, p), abs=5e-5)
    assert float(shown["ROC AUC"]) == pytest.approx(roc_auc_score(y, p[:, 1]), abs=5e-5)
    warning = plain(at.warning[0].value)
    assert "calling every row 'no' would score" in warning
    assert f"Of the {int(y.sum())} 'yes' rows the model finds" in warning

    recall_at_half = float(shown["Recall"])
    assert recall_at_half == pytest.approx(recall_score(y, p[:, 1] >= 0.5), abs=5e-4)
    at.slider(key="train_threshold").set_value(0.1).run()
    shown = metric_values(at)
    assert float(shown["Recall"]) == pytest.approx(recall_score(y, p[:, 1] >= 0.1), abs=5e-4)
    assert float(shown["Precision"]) == pytest.approx(precision_score(y, p[:, 1] >= 0.1),
                                                      abs=5e-4)
    assert float(shown["Recall"]) > recall_at_half
    roc = next(spec for spec in map(lambda c: json.loads(c.proto.spec), at.get("plotly_chart"))
               if spec["layout"].get("xaxis", {}).get("title", {}).get("text")
               == "false-positive rate")
    marker = next(t for t in roc["data"] if t["name"].startswith("threshold"))
    assert marker["y"] == [pytest.approx(recall_score(y, p[:, 1] >= 0.1))]

    at.number_input(key="train_cost_fn").set_value(9.0).run()
    at.button(key="train_use_optimal").click().run()
    assert at.slider(key="train_threshold").value == pytest.approx(0.1)
    assert at.session_state["train_run"] is run  # moving the threshold retrains nothing


def test_a_validation_share_fits_a_temperature_shown_before_and_after():
    at = open_sample("breast_cancer", train_validation_share="0.2")
    train(at)
    run = at.session_state["train_run"]
    scaling = run.evaluate().temperature
    assert len(run.y_validation) == int(np.ceil(0.2 * len(run.prepared.y_train)))
    assert float(metric_values(at)["Temperature T"]) == pytest.approx(scaling.temperature,
                                                                      abs=5e-4)
    names = [t.get("name") for chart in at.get("plotly_chart")
             for t in json.loads(chart.proto.spec)["data"]]
    assert "before (T = 1)" in names and any(str(n).startswith("after (T = ") for n in names)


def test_a_workbook_with_several_sheets_offers_a_sheet_chooser_and_keeps_the_last_good_one():
    import openpyxl
    from table_files import two_class_frame, workbook_bytes

    frame = two_class_frame()
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Exported from the CRM on 2026-11-30"])
    data_sheet = book.create_sheet("Data")
    data_sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        data_sheet.append(list(row))
    book.create_sheet("Empty")
    at = open_page()
    at.file_uploader(key="train_upload").upload(
        "crm.xlsx", workbook_bytes(book),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").run()
    assert not at.exception
    assert at.selectbox(key="train_sheet").options == ["Notes", "Data", "Empty"]
    assert at.selectbox(key="train_sheet").value is None  # the first sheet with a table
    assert at.selectbox(key="train_target").value == "label"
    assert any("hold no table" in c.value for c in at.caption)
    at.selectbox(key="train_sheet").set_value("Data").run()
    assert at.selectbox(key="train_target").value == "label"
    assert list(at.session_state["train_frame"].columns) == ["x1", "x2", "count", "label"]
    at.selectbox(key="train_sheet").set_value("Empty").run()
    assert "The sheet 'Empty' is empty" in plain(at.error[0].value)
    assert "Still using the previous file, crm.xlsx, sheet Data." in plain(at.info[0].value)
    assert list(at.session_state["train_frame"].columns) == ["x1", "x2", "count", "label"]
    train(at)
    assert comparison(at) is not None


def test_a_degree_3_model_fits_the_moons_and_scores_new_rows_like_its_saved_file():
    from cecore.export import model_json
    from cecore.model_file import load_model

    at = open_sample("moons", train_degree="3", train_alpha="0.0001")
    assert at.number_input(key="train_degree").value == 3
    assert any("turns 2 numeric inputs into 9 columns" in c.value for c in at.caption)
    train(at)
    run = at.session_state["train_run"]
    assert run.prepared.feature_names[:5] == ["x1", "x2", "x1^2", "x1 x2", "x2^2"]
    assert run.evaluate().comparison.ours_accuracy_test >= 0.95
    names = [json.loads(c.proto.spec)["layout"]["xaxis"].get("title", {}).get("text")
             for c in at.get("plotly_chart")]
    assert "x1" in names  # the decision map over the two original features

    new_rows = samples.load_sample("moons", random_state=7)
    at.file_uploader(key="train_predict_upload").upload(
        "new.csv", new_rows.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception
    saved = load_model(model_json(run))
    expected = saved.score(new_rows)
    shown = metric_values(at)
    assert shown["Rows scored"] == f"{len(new_rows):,} of {len(new_rows):,}"
    assert float(shown["Log loss"]) == pytest.approx(expected["log_loss"], abs=5e-5)
    table = [t.value for t in at.dataframe if "predicted" in t.value.columns][-1]
    np.testing.assert_allclose(table[[f"p({c})" for c in saved.classes_]].to_numpy(),
                               saved.predict_proba(new_rows)[:len(table)], rtol=0, atol=1e-12)


def test_a_saved_model_file_scores_a_table_and_a_tampered_one_is_refused():
    from cecore.export import model_json

    frame = samples.load_sample("iris")
    run = TrainingRun(prepare_data(frame, "target", None, DataOptions(), 0), TrainConfig(),
                      frame=frame)
    for _ in run.records():
        pass
    document = model_json(run)
    at = open_page()
    at.file_uploader(key="train_model_upload").upload(
        "model.json", document.encode(), "application/json").run()
    assert any("A softmax model of 'target'" in plain(c.value) for c in at.caption)
    at.file_uploader(key="train_model_rows_upload").upload(
        "iris.csv", frame.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception
    assert metric_values(at)["Rows scored"] == "150 of 150"
    tampered = document.replace('"coef": [', '"coef": [[1e999], ', 1)
    at.file_uploader(key="train_model_upload").upload(
        "model.json", tampered.encode(), "application/json").run()
    assert not at.exception and "model.json:" in plain(at.error[0].value)


def test_an_uploaded_run_offers_the_two_scripts():
    at = open_page()
    upload(at, customers_csv())
    train(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Python script (cecore)" in labels and "Python script (scikit-learn only)" in labels


def test_class_weights_against_a_lower_threshold_side_by_side():
    at = open_page(train_class_weight="balanced")
    upload(at, imbalanced_csv(), name="credit.csv")
    assert at.selectbox(key="train_class_weight").value == "balanced"
    train(at)
    run = at.session_state["train_run"]
    assert run.config.class_weight == "balanced"
    assert run.estimator.class_weight == "balanced"
    at.button(key="train_weights_lesson").click().run()
    assert not at.exception
    table = [t.value for t in at.dataframe if "log loss" in t.value.index][-1]
    weighted = table.columns[-1]
    assert weighted.startswith("balanced weights")
    moved = table.columns[1]
    # the moved threshold finds at least as many defaulters, with honest probabilities
    assert table.loc["recall", moved] >= table.loc["recall", weighted]
    assert table.loc["log loss", moved] < table.loc["log loss", weighted]
    assert (table.loc["calibration error (ECE)", moved]
            < table.loc["calibration error (ECE)", weighted])
    assert at.session_state["train_run"] is run
