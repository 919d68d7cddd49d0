"""How numbers written as text are read: the decimal mark and the digit grouping of each
column, decided from all its values (cecore.io.numbers), through read_csv and prepare."""

import numpy as np
import pandas as pd
import pytest

from cecore.data import DataError, describe_columns, prepare, read_csv, suggest_target
from cecore.io.source import SAMPLE_BYTES
from cecore.io.values import numeric_view

GERMAN = b"t;einwohner;anteil\n0;1.234;0,5\n1;2.500;1,5\n0;12.000;2,5\n1;800;3,5\n"
BIG = 2**53  # 9007199254740992: float64 cannot tell it from BIG + 1


def kinds(frame):
    return describe_columns(frame).set_index("name")["kind"].to_dict()


def note_with(notes, text):
    """The one note that holds the text."""
    found = [note for note in notes if text in note]
    assert len(found) == 1, (text, notes)
    return found[0]


# ---------------------------------------------------------------------------------------
# 1. one file, two decimal marks: each column's marks decided from all its values
# ---------------------------------------------------------------------------------------


def test_german_export_reads_thousands_and_decimal_commas():
    df = read_csv(GERMAN)
    assert df["einwohner"].tolist() == [1234, 2500, 12000, 800]
    assert df["anteil"].tolist() == [0.5, 1.5, 2.5, 3.5]
    note = note_with(df.attrs["notes"], "Column 'einwohner'")
    assert note.startswith(
        "Column 'einwohner': '.' read as a thousands separator (1.234 = 1234), "
        "',' as the decimal mark."
    )
    assert "decimal comma" in note  # why: the other columns write numbers that way
    prepared = prepare(df, "t", ["einwohner", "anteil"], scale=False, test_size=0)
    np.testing.assert_array_equal(
        prepared.X, [[1234, 0.5], [2500, 1.5], [12000, 2.5], [800, 3.5]]
    )


def test_german_export_with_thousands_only_after_the_first_megabyte():
    # the first megabyte has no number of a thousand or more, the rest has
    small = "".join(f"{i % 2};{i % 900};{i % 7},5\n" for i in range(SAMPLE_BYTES // 10))
    late = "0;1.234;0,5\n1;12.000;1,5\n0;1.234.567;2,5\n"
    df = read_csv(("t;einwohner;anteil\n" + small + late).encode())
    assert df["einwohner"].tolist()[-3:] == [1234, 12000, 1234567]
    assert df["einwohner"].tolist()[:3] == [0, 1, 2]
    assert df["anteil"].tolist()[-3:] == [0.5, 1.5, 2.5]


def test_points_are_decimal_points_when_the_file_shows_it():
    # one value with other than three decimals fixes '.' as the decimal point
    df = read_csv(b"t;a;b\n0;1.234;0.5\n1;2.500;1.5\n0;12.000;2\n1;800;3\n")
    assert df["a"].tolist() == [1.234, 2.5, 12.0, 800.0]
    in_column = read_csv(b"t;a\n0;1.234\n1;2.500\n0;3.14159\n1;800\n")
    assert in_column["a"].tolist() == [1.234, 2.5, 3.14159, 800.0]
    mixed = read_csv(b"a;b\n1.5;2\n2;4\n3.25;6\n")  # ';' with decimal points stays so
    assert mixed["a"].tolist() == [1.5, 2.0, 3.25]
    # and in a comma-separated file: '.' is the decimal point
    comma = read_csv(b"t,a\n0,1.234\n1,2.500\n0,12.000\n1,800\n")
    assert comma["a"].tolist() == [1.234, 2.5, 12.0, 800.0]


def test_an_undecidable_column_is_kept_as_text_with_a_note():
    # nothing in the file tells whether 1.234 is 1.234 or 1234
    df = read_csv(b"t;a\n0;1.234\n1;2.500\n0;12.000\n1;800\n")
    assert df["a"].tolist() == ["1.234", "2.500", "12.000", "800"]
    note = note_with(df.attrs["notes"], "Column 'a'")
    assert "was kept as text" in note and "'1.234'" in note and "1234" in note
    assert kinds(df)["a"] == "categorical"
    prepared = prepare(df, "t", ["a"], test_size=0)
    assert prepared.feature_names[0].startswith("a=")
    assert any("Column 'a' was used as categories" in n for n in prepared.notes)


def test_a_column_mixing_both_decimal_marks_is_kept_as_text():
    df = read_csv(b"t;a;b\n0;0,5;1\n1;2.5;2\n0;1,5;3\n1;3.25;4\n")
    assert df["a"].tolist() == ["0,5", "2.5", "1,5", "3.25"]
    note = note_with(df.attrs["notes"], "Column 'a'")
    assert "was kept as text" in note and "'2.5'" in note and "'0,5'" in note
    # grouping evidence against a decimal comma: 1,234,567 groups by ',' so 0,5 cannot be
    table = pd.DataFrame({"v": ["1,234,567", "0,5", "7", "8"], "y": list("abab")})
    assert numeric_view(table["v"]) is None
    prepared = prepare(table, "y", ["v"], test_size=0)
    assert any("Column 'v' was used as categories" in n for n in prepared.notes)


def test_english_grouping_stays_right():
    df = read_csv(b'revenue,label\n"1,234.5",x\n"12,500",y\n999.25,x\n"1,000,000",y\n')
    assert df["revenue"].tolist() == [1234.5, 12500.0, 999.25, 1_000_000.0]
    note = note_with(df.attrs["notes"], "Column 'revenue'")
    assert note.startswith("Column 'revenue': ',' read as a thousands separator")
    # quoted "1,234" alone in a comma-separated file: thousands
    alone = read_csv(b'n,label\n"1,234",x\n"2,500",y\n7,x\n')
    assert alone["n"].tolist() == [1234, 2500, 7]


def test_ambiguous_commas_follow_a_decimal_comma_file():
    # '1,234' in a file that writes 0,5 elsewhere is 1.234
    df = read_csv(b"t;a;b\n0;1,234;0,5\n1;2,5;1,5\n0;3,125;2,5\n1;4;3,5\n")
    assert df["a"].tolist() == [1.234, 2.5, 3.125, 4.0]
    alone = read_csv(b"t;a;b\n0;1,234;0,5\n1;2,500;1,5\n0;3,125;2,5\n1;4;3,5\n")
    assert alone["a"].tolist() == [1.234, 2.5, 3.125, 4.0]


def test_numeric_view_decides_per_column():
    view = lambda values: numeric_view(pd.Series(values, dtype="str"))  # noqa: E731
    assert view(["0,5", "1,234", "1.234,5", "7"]).tolist() == [0.5, 1.234, 1234.5, 7.0]
    assert view(["1,234", "12,500.75", "999"]).tolist() == [1234.0, 12500.75, 999.0]
    assert view(["1.234.567", "2.345.678", "5"]).tolist() == [1234567.0, 2345678.0, 5.0]
    assert view(["0.5", "1.234"]).tolist() == [0.5, 1.234]
    assert view(["0,500", "1.234"]).tolist() == [0.5, 1234.0]
    assert view(["1.234", "2.500", "800"]) is None  # either reading fits
    assert view(["0,5", "2.5"]) is None  # two decimal marks
    assert view(["1,5", "abc"]) is None


def test_number_format_decision():
    from cecore.io.numbers import number_format

    def decided(values, tie_break=None):
        fmt = number_format(pd.Series(values, dtype="str"), tie_break)
        return fmt.status, fmt.decimal, fmt.grouping

    assert decided(["1.234"]) == ("ambiguous", None, None)
    assert decided(["1.234"], ",") == ("numbers", ",", ".")
    assert decided(["1.234"], ".") == ("numbers", ".", None)
    assert decided(["1.234.567"]) == ("numbers", ",", ".")
    assert decided(["0,5", "2,500"]) == ("numbers", ",", None)
    assert decided(["0,5", "2.500"]) == ("numbers", ",", ".")
    assert decided(["0.5", "12.000"], ",") == ("numbers", ".", None)  # own values first
    assert decided(["3.14159", "1,234"]) == ("numbers", ".", ",")
    assert decided(["0,5", "1,234,567"]) == ("conflict", None, None)
    assert decided(["12", "-3", "inf"]) == ("numbers", ".", None)
    assert decided(["12", "x"]) == ("not numbers", None, None)


# ---------------------------------------------------------------------------------------
# 2. integers grouped by points are numbers, not categories
# ---------------------------------------------------------------------------------------


def test_point_grouped_integers_are_numbers():
    content = b"t;big;x\n0;1.234.567;1,5\n1;2.345.678;2,5\n0;3.000.000;3,5\n1;5;4,5\n"
    df = read_csv(content)
    assert df["big"].tolist() == [1234567, 2345678, 3000000, 5]
    note = note_with(df.attrs["notes"], "Column 'big'")
    assert "'.' read as a thousands separator (1.234.567 = 1234567)" in note
    assert kinds(df)["big"] == "numeric"
    prepared = prepare(df, "t", ["big", "x"], scale=False, test_size=0)
    assert prepared.feature_names == ["big", "x"]
    np.testing.assert_array_equal(prepared.X[:, 0], [1234567, 2345678, 3000000, 5])
    # the same as text in a DataFrame (no file around it)
    table = pd.DataFrame({"big": ["1.234.567", "2.345.678", "3.000.000", "5"],
                          "t": list("abab")})
    assert kinds(table)["big"] == "numeric"
    prepared = prepare(table, "t", ["big"], scale=False, test_size=0)
    assert prepared.feature_names == ["big"]
    np.testing.assert_array_equal(prepared.X[:, 0], [1234567, 2345678, 3000000, 5])
    assert any("'.' read as a thousands separator" in n for n in prepared.notes)


# ---------------------------------------------------------------------------------------
# 3. whole numbers beyond 2**53 written with grouping or ".0" stay exact labels
# ---------------------------------------------------------------------------------------

GROUPED_BIG = ["9,007,199,254,740,993", "9,007,199,254,740,992"]
POINT_ZERO_BIG = ["9007199254740993.0", "9007199254740992.0"]


@pytest.mark.parametrize("labels", [GROUPED_BIG, POINT_ZERO_BIG], ids=["grouped", "point zero"])
def test_big_whole_number_labels_stay_apart_through_read_csv(labels):
    rows = "".join(f'"{labels[i % 2]}",{i}\n' for i in range(40))
    df = read_csv(("y,x\n" + rows).encode())
    described = describe_columns(df).set_index("name").loc["y"]
    assert (described["kind"], described["distinct"]) == ("numeric", 2)
    assert suggest_target(df) == "y"
    prepared = prepare(df, "y", ["x"])
    assert list(prepared.classes) == [str(BIG), str(BIG + 1)]
    assert np.bincount(prepared.y).tolist() == [20, 20]


@pytest.mark.parametrize("labels", [GROUPED_BIG, POINT_ZERO_BIG], ids=["grouped", "point zero"])
def test_big_whole_number_labels_stay_apart_in_a_data_frame(labels):
    frame = pd.DataFrame({"x": np.arange(40.0), "y": pd.array(labels * 20, dtype="str")})
    described = describe_columns(frame).set_index("name").loc["y"]
    assert (described["kind"], described["distinct"]) == ("numeric", 2)
    assert suggest_target(frame) == "y"
    prepared = prepare(frame, "y", ["x"])
    assert list(prepared.classes) == [str(BIG), str(BIG + 1)]


def test_point_grouped_big_labels_and_beyond_int64():
    labels = ["9.007.199.254.740.993", "9.007.199.254.740.992"]
    df = read_csv(("y;x\n" + "".join(f"{labels[i % 2]};{i},5\n" for i in range(20))).encode())
    assert df["y"].tolist()[:2] == [BIG + 1, BIG]
    huge = read_csv(b'y,x\n"100,000,000,000,000,000,001",1\n"100,000,000,000,000,000,000",2\n')
    assert huge["y"].tolist() == ["100000000000000000001", "100000000000000000000"]


# ---------------------------------------------------------------------------------------
# new rows: a column whose reading is unclear is an error, not a silent guess
# ---------------------------------------------------------------------------------------


def test_new_rows_with_an_unclear_number_are_an_error():
    prepared = prepare(read_csv(GERMAN), "t", ["einwohner", "anteil"], test_size=0)
    new = pd.DataFrame({"einwohner": ["1.234"], "anteil": ["0,5"]})
    with pytest.raises(DataError, match="Column 'einwohner'.*1.234"):
        prepared.transform(new)
    clear = pd.DataFrame({"einwohner": ["1.234.567"], "anteil": ["0,5"]})
    assert prepared.transform(clear).shape == (1, 2)
