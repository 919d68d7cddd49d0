"""Wide tables (thousands of columns): the vectorised paths give what the column-by-column
rules give. (Their speed is measured by benchmarks/wide_tables.py, not timed here.)"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from cecore import charts, column_choice
from cecore.data import describe_columns, prepare, read_csv, suggest_features, suggest_target
from cecore.evaluation import largest_inputs
from cecore.io.numbers import (
    beyond_float_precision_columns,
    decimal_mark_columns,
    is_number_text,
    number_texts,
    shows_a_decimal_mark,
    whole_beyond_float_precision,
)
from cecore.prepare import numeric as numeric_path
from cecore.prepare.features import FeatureSpec
from cecore.prepare.numeric import fit_by_position
from cecore.prepare.profile import column_profile, column_profiles
from cecore.prepare.transform import describe_preprocessing, make_preprocessor


def wide_frame(n_rows=60, n_columns=300, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.lognormal(2.0, 1.0, (n_rows, n_columns)).round(3)
    values[rng.random(values.shape) < 0.01] = np.nan
    frame = pd.DataFrame(values, columns=[f"gene_{j:05d}" for j in range(n_columns)])
    frame["label"] = np.where(np.arange(n_rows) % 2 == 0, "tumour", "normal")
    return frame


# --------------------------------------------------------------------------- reading
def test_a_wide_file_reads_as_pandas_reads_it():
    frame = wide_frame(n_rows=80, n_columns=3000)
    frame.insert(0, "count", np.arange(80) % 7)
    content = frame.to_csv(index=False).encode()
    assert len(content) > 2**20  # beyond the sample: the column types are pinned
    ours = read_csv(content)
    theirs = pd.read_csv(io.BytesIO(content))
    assert list(ours.columns) == list(theirs.columns)
    assert ours["count"].dtype == np.int64 and ours["label"].tolist() == theirs["label"].tolist()
    numbers = theirs.columns[1:-1]
    assert (ours[numbers].dtypes == np.float64).all()
    np.testing.assert_array_equal(ours[numbers].to_numpy(), theirs[numbers].to_numpy())
    assert ours.attrs["notes"] == []


def test_a_later_row_that_breaks_a_sampled_type_is_read_again():
    # the first megabyte makes 'n' integers and 'x' floats; far below, they are not
    rows = [f"{i},{i}.5,{'ab'[i % 2]}" for i in range(200_000)]
    rows += ["1.5,abc,a"]
    content = ("n,x,y\n" + "\n".join(rows) + "\n").encode()
    frame = read_csv(content)
    assert frame["n"].dtype == np.float64 and frame["n"].iloc[-1] == 1.5
    assert frame["x"].iloc[-1] == "abc" and frame["x"].iloc[0] == "0.5"


@pytest.mark.parametrize("decimal", [".", ","])
def test_sampled_types_are_the_ones_pyarrow_infers(decimal):
    values = {
        "int": ["1", "-2", "007", ""], "float": ["1.5", "2", "", "-3"], "exponent": ["1e5", "2", "3", "4"],
        "marks": ["1.", "2", ".5", "-.5"], "digits19": ["1234567890123456789", "1", "2", "3"],
        "plus": ["+1", "2", "3", "4"], "space": [" 1", "2", "3", "4"], "text": ["a", "1", "2", "3"],
        "date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"], "none": ["", "NA", "", ""],
    }  # fmt: skip
    delimiter = "," if decimal == "." else ";"
    header = delimiter.join(values) + "\n"
    body = "".join(delimiter.join(v[i].replace(".", decimal) for v in values.values()) + "\n"
                   for i in range(4))
    small = (header + body * 4).encode()  # read whole: pyarrow infers the types
    large = (header + body * 20_000).encode()  # over 1 MB: its first megabyte pins them
    assert len(large) > 2**20
    small_frame, large_frame = read_csv(small), read_csv(large)
    assert large_frame.dtypes.tolist() == small_frame.dtypes.tolist()
    assert large_frame.head(16).equals(small_frame)


def test_the_vector_tests_are_the_one_column_tests():
    rng = np.random.default_rng(3)
    columns = [rng.normal(size=50), rng.integers(0, 9, 50) * 1.0, np.full(50, 1.234),
               np.r_[np.inf, -np.inf, np.nan, np.full(47, 2.5)], np.full(50, np.nan),
               np.r_[2.0**60, 3.0, np.full(48, np.nan)], np.r_[2.0**60 + 0.5, np.zeros(49)] * 1e10,
               np.r_[1e308, 1234.5678, np.zeros(48)], np.arange(50) / 1000 + 1]
    block = np.column_stack(columns)
    assert decimal_mark_columns(block).tolist() == [shows_a_decimal_mark(c) for c in columns]
    assert beyond_float_precision_columns(block).tolist() == [
        whole_beyond_float_precision(c) for c in columns]
    texts = ["1", " 2 ", "1,5", "1.234,5", "abc", "", "inf", "-Infinity", "1e5", "1.2.3",
             "12,345.6", "+.5", "\u0663", "0x1", "1 000", "1\n", "1,234", "-0", "1.", ".5", "e5"]
    assert number_texts(texts).tolist() == [is_number_text(t) for t in texts]


# --------------------------------------------------------------------------- profiles
def test_the_profiles_of_all_columns_are_each_columns_profile():
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({
        "float": rng.normal(size=n),
        "gaps": np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 3, n).astype(float)),
        "small_ints": rng.integers(0, 5, n), "counter": np.arange(n),
        "row_id": rng.permutation(n) * 3, "constant": np.full(n, 7),
        "constant_float": np.full(n, 2.5), "empty": np.full(n, np.nan),
        "infinite": np.r_[np.inf, -np.inf, rng.integers(0, 3, n - 2)].astype(float),
        "zeros": np.r_[-0.0, np.zeros(n - 1)], "f32": rng.normal(size=n).astype(np.float32),
        "constant_f32": np.full(n, 0.1, dtype=np.float32),
        "u8": rng.integers(0, 255, n).astype(np.uint8),
        "beyond_2_53": np.r_[2**60, 2**60 + 1, np.full(n - 2, 3)].astype(np.int64),
        "year": rng.integers(1990, 2020, n), "nullable": pd.array(rng.integers(0, 3, n), dtype="Int64"),
        "text": rng.choice(["a", "b"], n), "flag": rng.random(n) < 0.5,
        "one_gap": np.r_[np.nan, np.full(n - 1, 1.0)],
    })  # fmt: skip
    profiles = column_profiles(frame)
    assert list(profiles) == list(frame.columns)
    for name, profile in profiles.items():
        one = column_profile(frame[name], name)
        assert profile == one, name
        assert type(profile.value) is type(one.value), name
    assert column_profiles(frame, ["text", "u8"]) == {"u8": profiles["u8"],
                                                        "text": profiles["text"]}


def test_describe_and_suggest_on_a_wide_table():
    frame = wide_frame()
    frame["sample_id"] = np.arange(len(frame))
    frame["batch"] = np.arange(len(frame)) % 3
    frame["constant"] = 1.0
    described = describe_columns(frame)
    assert len(described) == frame.shape[1]
    kinds = dict(zip(described["name"], described["kind"], strict=True))
    assert kinds["gene_00000"] == "numeric" and kinds["sample_id"] == "id"
    assert kinds["constant"] == "constant" and kinds["label"] == "categorical"
    assert suggest_target(frame) == "label"
    features, excluded = suggest_features(frame, "label")
    assert features == [c for c in frame.columns if c.startswith("gene_")] + ["batch"]
    assert excluded == {"sample_id": "an identifier: every row has a different value",
                        "constant": "constant: the only value is '1.0'"}


# --------------------------------------------------------------------------- prepare
def test_a_wide_table_takes_the_numeric_path_with_the_general_paths_results(monkeypatch):
    frame = wide_frame(n_rows=80, n_columns=numeric_path.NUMERIC_PATH_MIN_COLUMNS + 20)
    frame.iloc[3, 5] = np.inf
    calls = []
    original = numeric_path.NumericColumns.fit_transform

    def spy(self, *args):
        calls.append(args)
        return original(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(numeric_path.NumericColumns, "fit_transform", spy)
        ours = prepare(frame, "label")
    assert calls, "the numeric path was not taken"
    with monkeypatch.context() as patch:
        patch.setattr(numeric_path, "NUMERIC_PATH_MIN_COLUMNS", 2**62)
        general = prepare(frame, "label")
    for name in ("X_train", "X_test", "y_train", "y_test", "classes"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(general, name), name)
    assert ours.feature_names == general.feature_names and ours.notes == general.notes
    mine, theirs = (describe_preprocessing(p) for p in (ours, general))
    assert mine == theirs  # the same columns, kinds and learned numbers, to the last bit
    new_rows = frame.drop(columns="label").head(7)
    np.testing.assert_array_equal(ours.transform(new_rows), general.transform(new_rows))


def test_fitting_by_position_is_fitting_by_name():
    names = [f"c{i}" for i in range(6)]
    stand_in = pd.DataFrame(np.tile([[0.0], [1.0]], len(names)), columns=names)
    specs = {name: FeatureSpec("numeric") for name in names}
    by_name = make_preprocessor(stand_in, specs, True).fit(stand_in)
    by_position = fit_by_position(make_preprocessor(stand_in, specs, True), stand_in)
    assert repr(by_position.transformers_) == repr(by_name.transformers_)
    assert repr(by_position.transformers) == repr(by_name.transformers)
    assert list(by_position.get_feature_names_out()) == list(by_name.get_feature_names_out())
    rows = pd.DataFrame(np.random.default_rng(1).normal(size=(5, 6)), columns=names)
    np.testing.assert_array_equal(by_position.transform(rows), by_name.transform(rows))


# --------------------------------------------------------------------------- the page's helpers
def test_the_column_choice_helpers():
    names = [f"x{j}" for j in range(1200)] + ["Label"]
    assert column_choice.matching(names, " LAB ") == ["Label"]
    assert column_choice.matching(names, "") == names
    offered, note = column_choice.offered(names, ["x5", "Label"], "x1")
    assert offered[:5] == ["x5", "Label", "x1", "x10", "x11"] and note is None
    assert len(offered) == 2 + 1 + 10 + 100 + 200  # x1, x10.., x100.., x1000..x1199
    offered, note = column_choice.offered(names, ["x5", "Label"], "X")
    assert offered[:4] == ["x5", "Label", "x0", "x1"]
    assert len(offered) == 2 + column_choice.MAX_OFFERED
    assert note == ("The list offers 500 of the 1,199 matching columns not chosen yet: type "
                    "part of a name in the filter to find the others.")
    assert column_choice.column_pages(1201) == 25 and column_choice.column_pages(0) == 1
    assert column_choice.page_of_columns(1201, 25) == (1200, 1201)
    assert column_choice.page_of_columns(1201, 99) == (1200, 1201)
    assert column_choice.page_note(50, 100, 20_000) == "Columns 51 to 100 of 20,000."
    assert column_choice.numeric_note(20_000, 20_000, None) == "Using 20,000 numeric columns."
    assert column_choice.numeric_note(12, 20_000, " x1 ") == (
        "Using 12 of the 20,000 numeric columns: those whose name contains 'x1'.")
    described = pd.DataFrame({"name": ["a", "b", "c"], "kind": ["numeric", "id", "numeric"]})
    assert column_choice.numeric_columns(described, ["c", "b", "a"]) == ["c", "a"]
    assert not column_choice.is_wide(["a"] * column_choice.WIDE_FEATURES)
    assert column_choice.is_wide(["a"] * (column_choice.WIDE_FEATURES + 1))


def test_the_weights_chart_shows_the_largest_30_with_a_note():
    rng = np.random.default_rng(2)
    w = rng.normal(size=20_000)
    coefficients = pd.DataFrame([w], index=["yes"], columns=[f"g{j}" for j in range(20_000)])
    fig = charts.coefficient_bars(coefficients, "yes")
    largest = np.argsort(-np.abs(w))[:30]
    assert list(fig.data[0].y) == [f"g{j}" for j in largest[::-1]]
    np.testing.assert_array_equal(fig.data[0].x, w[largest[::-1]])
    assert fig.layout.title.text == "30 of 20,000 weights, the largest by |w|"
    few = charts.coefficient_bars(coefficients.iloc[:, :5], "yes")
    assert len(few.data[0].y) == 5 and few.layout.title.text is None


def test_the_largest_inputs_count_their_one_hot_and_date_features():
    features = ["age", "city", "signup", "city_size"]
    names = ["age", "city_size", "city=Nice", "city=Paris", "signup_year", "signup_month"]
    coef = np.array([[0.1, 0.2, -0.9, 0.3, 0.05, 0.0], [0.0, 0.0, 0.1, 0.0, -0.4, 0.0]])
    assert largest_inputs(features, coef, names, 2) == ["city", "signup"]
    assert largest_inputs(features, coef, names, 3) == ["city", "signup", "city_size"]
    assert largest_inputs(features, coef, names, 10) == features
