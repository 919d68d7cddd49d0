"""The saved model: model_json (format cecore-model/2) and load_model, which predicts in
numpy/pandas exactly as the trained model, and refuses damaged or foreign files."""

import copy
import io
import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss
from training_runs import trained

import cecore
from cecore import load_model
from cecore.data import DataError, DataOptions, read_csv
from cecore.export import model_json
from cecore.model_file import SavedModel
from cecore.model_schema import MAX_MODEL_BYTES
from cecore.samples import load_sample


def messy_table(n=400, seed=0):
    """Text categories (30 cities: the rarest share a column), missing values, numbers
    written with a decimal comma, a date, a free-text column; read as a user's CSV."""
    rng = np.random.default_rng(seed)
    cities = [f"city {i:02d}" for i in range(30)]
    weights = np.r_[np.full(10, 8.0), np.full(20, 1.0)]
    city = rng.choice(cities, n, p=weights / weights.sum())
    age = rng.integers(18, 80, n).astype(float)
    income = rng.gamma(2.0, 1500.0, n).round(2)
    score = 0.04 * (age - 50) + (np.char.find(city.astype(str), "0") > 0) + rng.normal(0, 1, n)
    frame = pd.DataFrame({
        "age": age,
        "income": [f"{v:.2f}".replace(".", ",") for v in income],
        "city": city,
        "signup": pd.date_range("2021-01-01", periods=n, freq="36h").strftime("%d/%m/%Y"),
        "plan": np.where(score > 0.6, "premium", np.where(score > -0.4, "basic", "free")),
    })
    frame.loc[rng.choice(n, 30, replace=False), "age"] = np.nan
    frame.loc[rng.choice(n, 15, replace=False), "city"] = None
    frame.loc[rng.choice(n, 10, replace=False), "income"] = None
    return read_csv(frame.to_csv(index=False, sep=";").encode())


FEATURES = ["age", "income", "city", "signup"]


@pytest.fixture(scope="module")
def messy_run():
    frame = messy_table()
    return trained(frame, "plan", FEATURES, DataOptions(dates="expand", degree=2))


@pytest.fixture(scope="module")
def iris_run():
    return trained(load_sample("iris"), "target")


def new_rows(seed=1):
    """Rows the model has not seen: unseen and rare cities, missing values, extra columns."""
    frame = messy_table(60, seed).drop(columns="plan")
    frame.loc[0:4, "city"] = ["Atlantis", "city 29", None, "city 15", "CITY 01"]  # 1, 3: rare
    frame["unused"] = "x"
    return frame[["unused", "signup", "city", "income", "age"]]  # another order


# --------------------------------------------------------------------------- parity
@pytest.mark.parametrize(("sample", "degree"), [("iris", 1), ("breast_cancer", 1),
                                                ("breast_cancer", 2), ("moons", 3)])
def test_the_loaded_model_predicts_as_the_trained_one(sample, degree):
    frame = load_sample(sample)
    run = trained(frame, "target", options=DataOptions(degree=degree))
    model = load_model(model_json(run))
    expected = run.estimator.predict_proba(run.prepared.X)
    np.testing.assert_allclose(model.predict_proba(frame), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.predict(frame),
                                  run.prepared.classes[run.estimator.predict(run.prepared.X)])
    np.testing.assert_allclose(model.transform(frame), run.prepared.X, rtol=0, atol=1e-12)


def test_a_messy_table_with_unseen_categories_missing_values_and_dates(messy_run):
    run = messy_run
    text = model_json(run)
    model = load_model(text)
    (city,) = [c for c in json.loads(text)["preprocessing"]["inputs"] if c["column"] == "city"]
    assert len(city["categories"]) == 19 and len(city["infrequent"]) == 11
    assert "age signup_month" in model.feature_names_out_
    assert list(model.feature_names_in_) == FEATURES
    np.testing.assert_allclose(model.predict_proba(run.frame),
                               run.estimator.predict_proba(run.prepared.X), atol=1e-12)
    rows = new_rows()
    rows.loc[[1, 3], "city"] = [city["infrequent"][0], city["infrequent"][-1]]
    X = model.transform(rows)
    np.testing.assert_allclose(X, run.prepared.transform(rows), rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.predict_proba(rows),
                               run.estimator.predict_proba(run.prepared.transform(rows)),
                               rtol=0, atol=1e-12)
    one_hot = [i for i, name in enumerate(model.feature_names_out_) if name.startswith("city=")]
    assert X[0, one_hot].sum() == 0  # unseen: zeros
    other = model.feature_names_out_.index("city=(other)")
    assert X[1, other] == X[3, other] == 1  # rare cities share (other)
    assert X[4, one_hot].sum() == 0  # case matters, as in the one-hot encoder


def test_numbers_written_as_text_are_read_as_prepare_reads_them(messy_run):
    model = load_model(model_json(messy_run))
    rows = new_rows().iloc[:5].copy()
    as_text = rows.assign(age=rows["age"].map(lambda v: None if pd.isna(v) else f"{v:.1f}"
                                              .replace(".", ",")))
    np.testing.assert_allclose(model.predict_proba(as_text), model.predict_proba(rows),
                               atol=1e-12)


def test_missing_columns_are_named_and_extra_ones_ignored(iris_run):
    model = load_model(model_json(iris_run))
    frame = load_sample("iris")
    with pytest.raises(DataError, match="'petal width \\(cm\\)'.*model reads"):
        model.predict(frame.drop(columns=["petal width (cm)"]))
    proba = model.predict_proba(frame.assign(extra=1.0, target="x"))
    np.testing.assert_allclose(proba, model.predict_proba(frame), atol=0)
    assert model.predict_proba(frame.iloc[:0]).shape == (0, 3)
    with pytest.raises(DataError, match="as large as"):
        model.predict(frame.assign(**{"sepal length (cm)": 1e200}))


def test_the_file_has_the_format_the_version_and_no_code(iris_run):
    text = model_json(iris_run)
    document = json.loads(text)
    assert document["format"] == "cecore-model/2"
    assert document["cecore_version"] == cecore.__version__
    assert isinstance(cecore.__version__, str) and cecore.__version__
    assert document["input_columns"] == list(iris_run.prepared.features)
    assert load_model(text).cecore_version == cecore.__version__
    with pytest.raises(DataError, match="not text|not valid JSON"):
        load_model(pickle.dumps(load_model(text)))


def test_every_way_to_give_the_file(iris_run, tmp_path):
    text = model_json(iris_run)
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    frame = load_sample("iris")
    expected = load_model(text).predict_proba(frame)
    for source in (path, str(path), text, text.encode(), io.BytesIO(text.encode()),
                   io.StringIO(text), json.loads(text)):
        model = load_model(source)
        assert isinstance(model, SavedModel)
        np.testing.assert_array_equal(model.predict_proba(frame), expected)
    assert list(load_model(path).classes_) == ["setosa", "versicolor", "virginica"]
    with pytest.raises(DataError, match="There is no model file"):
        load_model(tmp_path / "missing.json")


def test_score_gives_log_loss_and_accuracy_when_the_target_is_there(iris_run):
    model = load_model(model_json(iris_run))
    frame = load_sample("iris")
    proba = model.predict_proba(frame)
    y = pd.Categorical(frame["target"], categories=model.classes_).codes
    scored = model.score(frame)
    assert scored["n_rows"] == scored["n_scored"] == 150
    assert scored["log_loss"] == pytest.approx(log_loss(y, proba), abs=1e-12)
    assert scored["accuracy"] == pytest.approx(np.mean(proba.argmax(axis=1) == y))
    frame.loc[:9, "target"] = "unknown"
    frame.loc[10:14, "target"] = None
    assert model.score(frame)["n_scored"] == 135
    assert "log_loss" not in model.score(frame.drop(columns="target"))


def test_whole_number_targets_are_matched_as_prepare_labels_them():
    frame = load_sample("breast_cancer")
    frame["target"] = (frame["target"] == "malignant").astype(int)
    model = load_model(model_json(trained(frame, "target")))
    assert list(model.classes_) == ["0", "1"]
    assert model.score(frame)["n_scored"] == len(frame)
    assert model.score(frame.assign(target=frame["target"].astype(float)))["n_scored"] == len(frame)


# --------------------------------------------------------------------------- damaged files
@pytest.fixture(scope="module")
def document(messy_run):
    return json.loads(model_json(messy_run))


def changed(document, change):
    document = copy.deepcopy(document)
    change(document)
    return document


def set_in(path, value):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def delete(path):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


@pytest.mark.parametrize(("change", "message"), [
    (set_in(["format"], "cecore-model/1"), "format 'cecore-model/1'.*train the model again"),
    (set_in(["format"], "something/3"), "not a cecore model file"),
    (delete(["format"]), "not a cecore model file"),
    (delete(["coef"]), "has no 'coef'"),
    (delete(["preprocessing", "inputs", 0, "mean"]), "'age' has no 'mean'"),
    (delete(["preprocessing", "polynomial", "terms"]), "has no 'terms'"),
    (set_in(["model"], "tree"), "'model' is 'tree'"),
    (set_in(["classes"], ["a", "a", "b"]), "'classes' lists a value twice"),
    (set_in(["coef"], [[0.5] * 3]), "'coef' has shape \\(1, 3\\).*\\(3, "),
    (set_in(["coef", 1, 2], None), "'coef' is not a list of numbers"),
    (set_in(["coef", 0, 0], "1.5"), "'coef' is not a list of numbers"),
    (set_in(["intercept"], [0.0, 1.0]), "'intercept' has 2 numbers, not 3"),
    (set_in(["coef", 0, 0], 1e400), "not finite|number Infinity"),
    (set_in(["preprocessing", "inputs", 0, "scale"], 0.0), "scale is not positive"),
    (set_in(["preprocessing", "inputs", 0, "impute"], None), "'impute' is not a number"),
    (set_in(["preprocessing", "inputs", 0, "kind"], "image"), "'kind' is 'image'"),
    (set_in(["preprocessing", "inputs", 2, "categories"], ["city 00"]),
     "'feature_names' are not the features"),
    (set_in(["preprocessing", "inputs", 2, "impute"], "nowhere"), "none of its categories"),
    (set_in(["preprocessing", "polynomial", "terms", 3], [7, 1]), "term \\[7, 1\\]"),
    (set_in(["preprocessing", "polynomial", "degree"], 9), "degree"),
    (set_in(["preprocessing", "polynomial", "mean"], [0.0]), "polynomial 'mean' has 1"),
    (set_in(["feature_names", 0], "AGE"), "'feature_names' are not the features"),
    (set_in(["input_columns"], ["age"]), "'input_columns' are not"),
    (set_in(["preprocessing", "inputs", 3, "parts"], []), "'parts' are not the columns"),
    (set_in(["preprocessing"], "none"), "'preprocessing' is not an object"),
])
def test_a_damaged_file_raises_a_data_error_saying_what(document, change, message):
    with pytest.raises(DataError, match=message):
        load_model(changed(document, change))
    with pytest.raises(DataError, match=message):  # and as the file's text
        load_model(json.dumps(changed(document, change)))


@pytest.mark.parametrize(("text", "message"), [
    ("not json at all", "There is no model file"),
    ("{\"format\": ", "not valid JSON"),
    ("[1, 2, 3]", "not a cecore model"),
    ("{\"format\": \"cecore-model/2\", \"coef\": [[NaN]]}", "number NaN"),
    ("{\"format\": \"cecore-model/2\", \"coef\": [[Infinity]]}", "number Infinity"),
    ("{\"a\": " + "[" * 100_000 + "]" * 100_000 + "}", "cannot be read as JSON"),
    ("{\"x\": 1" + "0" * 5000 + "}", "cannot be read as JSON"),
])
def test_text_that_is_not_a_model_file(text, message):
    with pytest.raises(DataError, match=message):
        load_model(text if text.startswith(("{", "[")) else text)


def test_non_finite_weights_written_as_null(messy_run, document):
    weights = copy.deepcopy(document)
    weights["intercept"][0] = float("nan")
    text = json.dumps(weights, allow_nan=True)  # "NaN" token
    with pytest.raises(DataError, match="number NaN"):
        load_model(text)
    nulls = changed(document, set_in(["intercept", 0], None))
    with pytest.raises(DataError, match="'intercept' is not a list of numbers"):
        load_model(nulls)


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("w") as out:
        out.write('{"format": "cecore-model/2", "coef": [[')
        chunk = "0," * (2**20)
        for _ in range(MAX_MODEL_BYTES // len(chunk) + 1):
            out.write(chunk)
        out.write("0]]}")
    with pytest.raises(DataError, match="larger than 64 MB"):
        load_model(path)
    with pytest.raises(DataError, match="larger than 64 MB"):
        load_model(path.read_bytes())


def test_binary_and_other_objects_are_refused():
    with pytest.raises(DataError, match="not text"):
        load_model(b"\xff\xfe\x00\x89PNG")
    with pytest.raises(DataError, match="not int"):
        load_model(42)


@pytest.mark.parametrize("options", [DataOptions(degree=2, scale=False),
                                     DataOptions(degree=3, missing="drop")])
def test_other_options_round_trip(messy_run, options):
    frame = messy_table()
    run = trained(frame, "plan", ["age", "income", "city"], options)
    model = load_model(model_json(run))
    rows = new_rows()
    np.testing.assert_allclose(model.predict_proba(rows),
                               run.estimator.predict_proba(run.prepared.transform(rows)),
                               rtol=0, atol=1e-12)


def test_a_model_of_categories_only_with_a_degree():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"color": rng.choice(["red", "green", "blue"], 90),
                          "size": rng.choice(["S", "M"], 90), "y": ["a", "b", "c"] * 30})
    run = trained(frame, "y", options=DataOptions(degree=2))
    assert run.prepared.feature_names[0] == "color=blue"
    model = load_model(model_json(run))
    np.testing.assert_allclose(model.predict_proba(frame),
                               run.estimator.predict_proba(run.prepared.X), atol=1e-12)
