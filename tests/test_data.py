"""Tests for cecore.data: reading CSV files, column analysis, prepare, samples, escaping."""

import codecs
import io
import math
import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cecore import errors
from cecore.data import (
    DataError,
    describe_columns,
    prepare,
    read_csv,
    suggest_features,
    suggest_target,
)
from cecore.io import source as byte_source
from cecore.io.source import SAMPLE_BYTES
from cecore.prepare import numeric as numeric_path
from cecore.prepare.transform import MAX_CATEGORIES
from cecore.samples import SAMPLES, load_sample
from cecore.spreadsheet import escape_spreadsheet_cells

HOSTILE_TEXT = [
    "<img src=x onerror=alert(1)>",
    "![x](http://127.0.0.1:9/t.png)",
    "$$\\frac{1}{0}$$",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2-2",
    "@SUM(A1)",
]


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    """The text encoded as a file would be."""
    return text.encode(encoding)


def raises_data_error(call, *args, **kwargs) -> DataError:
    """Run the call, expect a DataError from a known check (not the catch-all), return it."""
    with pytest.raises(DataError) as caught:
        call(*args, **kwargs)
    assert not str(caught.value).startswith(errors.UNEXPECTED), caught.value
    return caught.value


def messy_table(n: int = 80, seed: int = 0) -> pd.DataFrame:
    """A realistic table: an id, numbers with gaps, text categories, free text, a date,
    a constant, numbers written with a decimal comma, and a target with some gaps."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n).astype(float)
    age[rng.random(n) < 0.1] = np.nan
    label = rng.choice(["churned", "stayed"], n).astype(object)
    label[[3, 7]] = None
    return pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + n),
            "age": age,
            "height": rng.normal(170, 10, n),
            "color": rng.choice(["red", "green", "blue", None], n),
            "comment": [f"free text comment number {i}" for i in range(n)],
            "signup": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "plan": "basic",
            "price": [f"{v:.2f}".replace(".", ",") for v in rng.random(n) * 100],
            "label": label,
        }
    )


# ---------------------------------------------------------------------------------------
# read_csv: dialects, encodings, headers
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_read_csv_detects_each_delimiter(delimiter):
    rows = [["name", "size", "weight"], ["a b", "1", "2.5"], ["c", "3", "4.5"], ["d", "5", "6.5"]]
    text = "\n".join(delimiter.join(row) for row in rows) + "\n"
    df = read_csv(csv_bytes(text))
    assert list(df.columns) == ["name", "size", "weight"]
    assert df["name"].tolist() == ["a b", "c", "d"]
    assert df["size"].tolist() == [1, 3, 5]
    assert df["weight"].tolist() == [2.5, 4.5, 6.5]


def test_read_csv_semicolon_with_decimal_comma():
    df = read_csv(b"a;b;c\n1,5;2,25;x\n3,0;-4,5;y\n")
    assert df["a"].tolist() == [1.5, 3.0]
    assert df["b"].tolist() == [2.25, -4.5]
    assert df["c"].tolist() == ["x", "y"]
    assert any("decimal comma" in note for note in df.attrs["notes"])


def test_read_csv_tab_with_decimal_comma():
    df = read_csv(b"a\tb\n1,5\t2\n3,5\t4\n")
    assert df["a"].tolist() == [1.5, 3.5]


def test_read_csv_keeps_decimal_point_when_semicolon_file_has_points():
    df = read_csv(b"a;b\n1.5;2\n3.5;4\n")
    assert df["a"].tolist() == [1.5, 3.5]


def test_read_csv_quoted_delimiters_do_not_confuse_detection():
    comma = read_csv(b'id,note,v\n1,"x;y",2\n2,"p;q",3\n3,"r;s",4\n')
    assert list(comma.columns) == ["id", "note", "v"]
    assert comma["note"].tolist() == ["x;y", "p;q", "r;s"]
    semicolon = read_csv(b'id;note;v\n1;"hello, world";2\n2;"a, b";3\n3;c;4\n')
    assert list(semicolon.columns) == ["id", "note", "v"]
    assert semicolon["note"].tolist() == ["hello, world", "a, b", "c"]


@pytest.mark.parametrize(
    "encoded",
    [
        "name,city\nMüller,café\nZoë,Århus\n".encode(),
        "name,city\nMüller,café\nZoë,Århus\n".encode("utf-8-sig"),
        "name,city\nMüller,café\nZoë,Århus\n".encode("utf-16"),
        codecs.BOM_UTF16_BE + "name,city\nMüller,café\nZoë,Århus\n".encode("utf-16-be"),
        "name,city\nMüller,café\nZoë,Århus\n".encode("latin-1"),
        "name,city\nMüller,café\nZoë,Århus\n".encode("cp1252"),
        "name,city\nMüller,café\nZoë,Århus\n".encode("utf-32"),
        codecs.BOM_UTF32_BE + "name,city\nMüller,café\nZoë,Århus\n".encode("utf-32-be"),
        "name,city\nMüller,café\nZoë,Århus\n".encode("utf-32-le"),
        "name,city\nMüller,café\nZoë,Århus\n".encode("utf-32-be"),
        "name,city\nMüller,café\nZoë,Århus\n".encode("utf-16-le"),
        "name,city\nMüller,café\nZoë,Århus\n".encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "latin-1", "cp1252", "utf-32-le",
         "utf-32-be", "utf-32-le-no-bom", "utf-32-be-no-bom", "utf-16-le-no-bom",
         "utf-16-be-no-bom"],
)
def test_read_csv_encodings(encoded):
    df = read_csv(encoded)
    assert list(df.columns) == ["name", "city"]
    assert df["name"].tolist() == ["Müller", "Zoë"]
    assert df["city"].tolist() == ["café", "Århus"]


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-le", "utf-16-be"])
def test_read_csv_wide_encodings_are_named_in_the_notes(codec):
    df = read_csv("a,b\n1,x\n2,y\n".encode(codec))
    assert df.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
    name = codec[:6].upper()
    assert f"it was read as {name} text" in " ".join(df.attrs["notes"])


def test_read_csv_large_utf32_file_without_bom(tmp_path):
    rows = "".join(f"{i},{i % 3},café\n" for i in range(100_000))
    path = tmp_path / "wide.csv"
    path.write_bytes(("n,k,word\n" + rows).encode("utf-32-le"))
    assert path.stat().st_size > SAMPLE_BYTES
    df = read_csv(path)
    assert len(df) == 100_000 and df["word"].eq("café").all() and df["n"].iloc[-1] == 99_999


def test_read_csv_cp1252_euro_sign_and_note():
    df = read_csv("item,price\nbook,5€\n".encode("cp1252"))
    assert df["price"].tolist() == ["5€"]
    assert any("Windows-1252" in note for note in df.attrs["notes"])


def test_read_csv_bytes_without_cp1252_meaning_fall_back_to_latin1():
    df = read_csv(b"a,b\nx\x81y,1\nz,2\n")
    assert df["a"].tolist() == ["x\x81y", "z"]
    assert any("Latin-1" in note for note in df.attrs["notes"])


def test_read_csv_finds_non_utf8_bytes_beyond_the_sample():
    body = "".join(f"row{i},{i}\n" for i in range(120_000))
    encoded = ("name,value\n" + body + "café,1\n").encode("latin-1")
    assert len(encoded) > SAMPLE_BYTES
    df = read_csv(encoded)
    assert df["name"].iloc[-1] == "café"


def test_read_csv_without_header_names_columns():
    df = read_csv(b"1,2.5,3\n4,5.5,6\n")
    assert list(df.columns) == ["column_1", "column_2", "column_3"]
    assert df["column_2"].tolist() == [2.5, 5.5]
    assert any("No header row" in note for note in df.attrs["notes"])


def test_read_csv_without_header_text_only():
    df = read_csv(b"red,small\nblue,small\nred,large\n")
    assert list(df.columns) == ["column_1", "column_2"]
    assert len(df) == 3


def test_read_csv_header_over_numbers():
    df = read_csv(b"x,2020\n1,2\n3,4\n")
    assert list(df.columns) == ["x", "2020"]
    assert len(df) == 2


def test_read_csv_quoted_newlines_small_file():
    df = read_csv(b'id,text\n1,"line one\nline two"\n2,"a ""quoted"" word"\n')
    assert df["text"].tolist() == ["line one\nline two", 'a "quoted" word']


def test_read_csv_quoted_newlines_in_a_large_file():
    rows = "".join(
        f'{i},"first line {i}\nsecond line, with comma",{i * 0.5}\n' for i in range(40_000)
    )
    encoded = ("id,text,v\n" + rows).encode()
    assert len(encoded) > SAMPLE_BYTES
    df = read_csv(encoded)
    assert len(df) == 40_000
    assert df["text"].str.contains("\n").all()
    assert df["v"].iloc[-1] == 39_999 * 0.5


def test_read_csv_quoted_newlines_only_after_the_sample():
    plain = "".join(f"{i},plain,{i}\n" for i in range(100_000))
    quoted = "".join(f'{i},"two\nlines",{i}\n' for i in range(100_000, 100_010))
    encoded = ("id,text,v\n" + plain + quoted).encode()
    assert b'"' not in encoded[: SAMPLE_BYTES]
    df = read_csv(encoded)
    assert len(df) == 100_010
    assert df["text"].iloc[-1] == "two\nlines"


def test_read_csv_duplicate_and_blank_column_names():
    df = read_csv(b" a ,a,,b,a,a.1\n1,2,3,4,5,6\n")
    assert list(df.columns) == ["a", "a.2", "column_3", "b", "a.3", "a.1"]
    assert df.iloc[0].tolist() == [1, 2, 3, 4, 5, 6]
    notes = " ".join(df.attrs["notes"])
    assert "'a' -> 'a.2'" in notes and "column_3" in notes


def test_read_csv_keeps_hostile_text_verbatim():
    header = ",".join(f'"{text}"' for text in HOSTILE_TEXT[:3])
    row = ",".join(f'"{text}"' for text in HOSTILE_TEXT[3:6])
    df = read_csv(f"{header}\n{row}\n{row}\n".encode())
    assert list(df.columns) == HOSTILE_TEXT[:3]
    assert df.iloc[0].tolist() == HOSTILE_TEXT[3:6]


def test_read_csv_formula_like_values_are_plain_data():
    df = read_csv(b"a,b\n=cmd,@x\n+1,-2\n")
    assert df["a"].tolist() == ["=cmd", "+1"]
    assert df["b"].tolist() == ["@x", "-2"]


def test_read_csv_inf_and_huge_numbers_are_floats():
    df = read_csv(b"a,b\ninf,1e308\n-inf,2\n1,-1e308\n")
    assert df["a"].dtype == np.float64 and df["b"].dtype == np.float64
    assert df["a"].tolist()[:2] == [math.inf, -math.inf]
    assert df["b"].tolist() == [1e308, 2.0, -1e308]


def test_read_csv_missing_markers_and_iso_dates():
    df = read_csv(b"d,v,w\n2024-01-05,NA,x\n2024-02-05,,null\n2024-03-05,3,y\n")
    assert pd.api.types.is_datetime64_any_dtype(df["d"])
    assert df["v"].isna().tolist() == [True, True, False]
    assert df["w"].isna().tolist() == [False, True, False]


def test_read_csv_empty_column_is_float_nan():
    df = read_csv(b"a,b\n1,\n2,\n")
    assert df["b"].dtype == np.float64 and df["b"].isna().all()


@pytest.mark.parametrize("kind", ["str", "path", "bytearray", "binary_file", "text_file"])
def test_read_csv_source_types(kind, tmp_path):
    content = b"a,b\n1,x\n2,y\n"
    file = tmp_path / "table.csv"
    file.write_bytes(content)
    sources = {
        "str": str(file),
        "path": file,
        "bytearray": bytearray(content),
        "binary_file": io.BytesIO(content),
        "text_file": io.StringIO(content.decode()),
    }
    df = read_csv(sources[kind])
    assert df.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


def test_read_csv_reads_file_objects_from_the_start():
    class UploadedFile(io.BytesIO):
        """Like Streamlit's UploadedFile: a BytesIO subclass."""

    upload = UploadedFile(b"a,b\n1,2\n3,4\n")
    upload.read()
    assert len(read_csv(upload)) == 2
    assert len(read_csv(upload)) == 2


def test_read_csv_missing_path_and_wrong_type():
    assert "no file" in str(raises_data_error(read_csv, "/nonexistent/table.csv"))
    assert "int" in str(raises_data_error(read_csv, 42))


def test_read_csv_rejects_files_over_the_limit(monkeypatch, tmp_path):
    monkeypatch.setattr(byte_source, "MAX_UPLOAD_BYTES", 100)
    content = b"a,b\n" + b"1,2\n" * 50
    file = tmp_path / "big.csv"
    file.write_bytes(content)
    for source in (content, file, io.BytesIO(content)):
        assert "limit" in str(raises_data_error(read_csv, source))


def test_read_csv_ragged_row_names_the_line():
    error = raises_data_error(read_csv, b"a,b\n1,2\n3,4,5\n6,7\n")
    assert "Line 3" in str(error) and "3 fields" in str(error)


def test_read_csv_ragged_row_after_the_sample_names_the_line():
    body = "".join(f"{i},{i}\n" for i in range(200_000))
    encoded = ("a,b\n" + body + "1,2,3\n").encode()
    error = raises_data_error(read_csv, encoded)
    assert "Line 200002" in str(error)


def test_read_csv_short_rows_are_padded_with_a_note():
    df = read_csv(b"a,b,c\n1,2,3\n4,5\n6,7,8\n")
    assert df["c"].isna().tolist() == [False, True, False]
    assert any("fewer fields" in note for note in df.attrs["notes"])


def test_read_csv_unclosed_quote():
    body = "".join(f"{i},{i}\n" for i in range(200_000))
    error = raises_data_error(read_csv, ("a,b\n" + body + '1,"open\n2,3\n').encode())
    assert "never closed" in str(error)


def test_read_csv_column_types_change_after_the_sample():
    ints = "".join(f"{i},{i}\n" for i in range(150_000))
    df = read_csv(("a,b\n" + ints + "2.5,word\n").encode())
    assert df["a"].dtype == np.float64 and df["a"].iloc[-1] == 2.5
    assert df["b"].iloc[-1] == "word" and df["b"].iloc[0] == "0"


def test_read_csv_excel_separator_line():
    df = read_csv(b"sep=;\na;b;label\n1,5;2;x\n3;4;y\n")
    assert df.to_dict("list") == {"a": [1.5, 3.0], "b": [2, 4], "label": ["x", "y"]}
    assert "it was skipped" in " ".join(df.attrs["notes"])
    # line numbers in messages still count the hint line
    error = raises_data_error(read_csv, b"sep=,\na,b\n1,2\n3,4,5\n")
    assert "Line 4 has 3 fields" in str(error)
    big = ("sep=;\na;b\n" + "1;2\n" * 300_000 + "3;4;5\n").encode()
    assert "Line 300003 has 3 fields" in str(raises_data_error(read_csv, big))


def test_read_csv_skips_title_lines_above_the_table():
    # short lines above a table (a title, a source line) are skipped, with a note
    df = read_csv(b"Survey 2024\n\nSource: x;y\na,b,label\n1,2,x\n3,4,y\n5,6,x\n")
    assert df.to_dict("list") == {"a": [1, 3, 5], "b": [2, 4, 6], "label": ["x", "y", "x"]}
    assert df.attrs["notes"] == [
        "Lines 1 to 3 have fewer values than the 3 columns of the table below, so they were "
        "read as a title and skipped."
    ]
    # line numbers in later messages still count the skipped lines
    error = raises_data_error(read_csv, b"Title\na,b,c\n1,2,3\n4,5,6\n7,8,9,10\n")
    assert "Line 5 has 4 fields but the header has 3" in str(error)
    # a header one or two fields short is not a title: its rows have fields too many
    error = raises_data_error(read_csv, b"a,b\n1,2,3\n4,5,6\n")
    assert "Line 2 has 3 fields but the header has 2" in str(error)
    error = raises_data_error(
        read_csv, b"name,age,city\nDoe, John,30,Paris, France\nRoe, Jane,31,Lyon, France\n")
    assert "Line 2 has 5 fields but the header has 3" in str(error)
    # a title, a blank line, then the header: the header names the columns (both parsers)
    for extra in (b"", b"7,8\n"):  # a short row makes pandas' C engine read the file
        df = read_csv(b"Sales report\nGenerated 2024-01-01\n\nregion,q1,label\n"
                      b"n,1,x\ns,3,y\ne,5,x\n" + extra)
        assert list(df.columns) == ["region", "q1", "label"]
        assert df["region"].tolist()[:3] == ["n", "s", "e"] and df["q1"].tolist()[:3] == [1, 3, 5]
        assert df.attrs["notes"][0].startswith("Lines 1 to 2 have fewer values than the 3 ")
    # a quoted title over two lines is one title; no data row is lost in either parser
    for extra in (b"", b"7,8\n"):
        df = read_csv(b'"Title\nsecond line"\na,b,c\n1,2,3\n4,5,6\n' + extra)
        assert df[["a", "b", "c"]].iloc[:2].to_numpy().tolist() == [[1, 2, 3], [4, 5, 6]]
        assert df.attrs["notes"][0].startswith("Line 1 ('Title\\nsecond line')")
    # a title above two columns
    df = read_csv(b"My title\na,b\n1,2\n3,4\n5,6\n")
    assert df.to_dict("list") == {"a": [1, 3, 5], "b": [2, 4, 6]}
    # a spreadsheet's title, padded with empty fields to the table's width, and an empty row
    df = read_csv(b"Sales report 2024,,,\n,,,\nregion,q1,q2,label\nn,1,2,x\ns,3,4,y\n"
                  b"e,5,6,x\n")
    assert df.to_dict("list") == {"region": ["n", "s", "e"], "q1": [1, 3, 5],
                                  "q2": [2, 4, 6], "label": ["x", "y", "x"]}
    assert df.attrs["notes"] == [
        "Lines 1 to 2 have fewer values than the 4 columns of the table below, so they were "
        "read as a title and skipped."
    ]
    # but a header that names some of its columns stays a header: as before titles were
    # skipped, the unnamed columns get names and no row is lost
    for content, columns, n_rows in [
        (b"id,,,\n1,2,3,4\n5,6,7,8\n9,10,11,12\n", ["id", "column_2", "column_3", "column_4"], 3),
        (b",name\nx,alice\ny,bob\nz,carol\nw,dan\n", ["column_1", "name"], 4),  # pandas' to_csv
        (b"id,,\n1,NA,3\n2,5,6\n3,7,8\n4,9,10\n", ["id", "column_2", "column_3"], 4),
        (b"word,\nhello,bonjour\nworld,monde\ncat,chat\n", ["word", "column_2"], 3),
        (b"Sales report 2024,,,\nregion,q1,q2,label\nn,1,2,x\ns,3,4,y\n",  # no gap below
         ["Sales report 2024", "column_2", "column_3", "column_4"], 3),
    ]:
        df = read_csv(content)
        assert (list(df.columns), len(df)) == (columns, n_rows), content
    df = read_csv(b",\ngreen,\nred,\nblue,2.5\nno,\n")  # no header: every row is data
    assert df.shape == (5, 2)
    # old Mac line ends (a lone CR), a blank line under the title, a quote mark in a value
    # (pandas' C engine reads the file): the header and every row are kept
    df = read_csv(b'Inventory\r\rname,size,price\rTV 55",55,499\rlamp,1,20\rdesk,2,150\r')
    assert df.to_dict("list") == {"name": ['TV 55"', "lamp", "desk"], "size": [55, 1, 2],
                                  "price": [499, 20, 150]}


def test_read_csv_keeps_short_first_rows_of_numbers_as_data():
    # rows of numbers with values missing at the end are data, not a title
    rows = b"".join(b"%d,%d,%d,%d\n" % (i, 2 * i, 3 * i, i % 2) for i in range(3, 30))
    df = read_csv(b"1,2\n2,4\n" + rows)
    assert df.shape == (29, 4) and df.iloc[:2, :2].to_numpy().tolist() == [[1, 2], [2, 4]]
    assert df.iloc[:2, 2:].isna().all().all()
    # nor is a headerless row that happens to start "count, width - 1, words"
    df = read_csv(b"7,3,red,big\n8,1,blue,small\n9,2,green,big\n10,3,red,small\n")
    assert df.shape == (4, 4) and df.iloc[0].tolist() == [7, 3, "red", "big"]
    df = read_csv(b"12,3,,\n1,2,3,4\n5,6,7,8\n9,10,11,12\n")
    assert df.shape == (4, 4) and df.iloc[0, :2].tolist() == [12, 3]


@pytest.mark.parametrize("name", ["iris.csv", "breast_cancer.csv", "wine_data.csv"])
def test_read_csv_skips_the_header_of_sklearn_dataset_files(name):
    # scikit-learn's own files start "n_samples,n_features,class names...": iris's line has
    # as many fields as its table, breast cancer's and wine's fewer
    path = Path(sklearn.__file__).parent / "datasets" / "data" / name
    first = path.read_text().splitlines()[0].split(",")
    df = read_csv(path)
    expected = np.loadtxt(path, delimiter=",", skiprows=1)
    assert df.shape == expected.shape == (int(first[0]), int(first[1]) + 1)
    np.testing.assert_array_equal(df.to_numpy(dtype=float), expected)
    assert df.attrs["notes"][0] == (
        f"Line 1 is scikit-learn's dataset header ({first[0]} samples, {first[1]} features, "
        f"classes {', '.join(first[2:])} coded {', '.join(map(str, range(len(first) - 2)))} "
        "in the last column); it was skipped."
    )
    assert suggest_target(df) == df.columns[-1]


def test_read_csv_lines_ending_with_a_delimiter():
    df = read_csv(b"a;b;label\n1;2;x;\n3;4;y;\n5;6;x\n")
    assert df.to_dict("list") == {"a": [1, 3, 5], "b": [2, 4, 6], "label": ["x", "y", "x"]}
    assert "The rows end with an extra ';'" in " ".join(df.attrs["notes"])
    # a value in that field after the sample is an error that names the row
    late = ("a,b\n" + "1,2,\n" * 200_000 + "3,4,oops\n").encode()
    assert "Data row 200001 has a value after the last column ('oops')" in str(
        raises_data_error(read_csv, late)
    )
    numeric = raises_data_error(read_csv, b"a,b,c\n1,2,3,\n1,2,3,\n1,2,3,\n4,5,6,7\n")
    assert "Data row 4 has a value after the last column ('7')" in str(numeric)
    # more than one extra field is the usual error
    assert "Line 3 has 4 fields" in str(raises_data_error(read_csv, b"a,b\n1,2,\n3,4,5,\n"))


def test_read_csv_integers_beyond_2_to_the_53_stay_exact():
    big = 2**53 + 1
    exact = read_csv(f"x,n\n1,{big}\n2,{big - 1}\n".encode())
    assert exact["n"].tolist() == [big, big - 1]
    # a gap makes pyarrow and pandas read an integer column as float64: read again exactly
    gap = read_csv(f"x,n\n1,{big}\n2,\n3,{big - 1}\n".encode())
    assert str(gap["n"].dtype) == "Int64" and gap["n"].tolist()[::2] == [big, big - 1]
    assert gap["n"].isna().tolist() == [False, True, False]
    beyond = read_csv(b"x,n\n1,100000000000000000001\n2,NA\n3,-100000000000000000000\n")
    assert beyond["n"].tolist()[::2] == ["100000000000000000001", "-100000000000000000000"]
    # whole floats written as floats keep their float form; small ones are untouched
    floats = read_csv(b"x,n,m\n1,1e17,1.0\n2,,2.0\n")
    assert floats["n"].dtype == np.float64 and floats["m"].dtype == np.float64


def test_read_csv_first_row_longer_than_the_sample():
    header = ",".join(f"column_name_{i}" for i in range(120_000))
    error = raises_data_error(read_csv, (header + "\n" + "1," * 119_999 + "1\n").encode())
    assert "longer than 1 MB" in str(error)


def test_read_csv_keeps_no_parsed_table_alive():
    # after a read, pyarrow holds the frame's own columns (it allocates them), not the
    # parsed table besides
    import pyarrow as pa

    content = ("a,b,c\n" + "".join(f"{i},{i * 0.5},{i % 7}\n" for i in range(200_000))).encode()
    before = pa.default_memory_pool().bytes_allocated()
    frame = read_csv(content)
    assert len(frame) == 200_000
    held = pa.default_memory_pool().bytes_allocated() - before
    assert held <= 1.5 * frame.memory_usage().sum()


# ---------------------------------------------------------------------------------------
# read_csv: hostile input
# ---------------------------------------------------------------------------------------

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n\n \r\n", "empty"),
        (codecs.BOM_UTF8, "empty"),
        (b"a,b,c\n", "no data rows"),
        (b"a,b,c", "no data rows"),
        (b"a,b\n\n\n", "no data rows"),
        (PNG_HEADER, "PNG"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel"),
        (b"%PDF-1.7\n", "PDF"),
        (b"a,b\n1,\x002\n", "NUL"),
        (bytes(range(1, 32)) * 40, "control characters"),
        (np.random.default_rng(7).bytes(4096), "binary"),
        (codecs.BOM_UTF16_LE + b"a\x00,", "UTF-16"),
        (codecs.BOM_UTF32_LE + b"a\x00\x00", "UTF-32"),
        (codecs.BOM_UTF32_BE + b"\x00\x11\x00\x00", "UTF-32"),
        (bytes(4096), "NUL"),
        ("a,b\n1,2\n3,4\n".encode("utf-16-le") + b"\x00\xd8", "not valid UTF-16"),
    ],
    ids=[
        "empty",
        "whitespace",
        "bom-only",
        "header-only",
        "header-no-newline",
        "header-blank-lines",
        "png",
        "zip",
        "pdf",
        "nul",
        "control",
        "random",
        "bad-utf16",
        "bad-utf32",
        "utf32-beyond-unicode",
        "zeros",
        "utf16-no-bom-unpaired-surrogate",
    ],
)
def test_read_csv_rejects_unreadable_content(content, message):
    assert message in str(raises_data_error(read_csv, content))


def test_read_csv_rejects_png_renamed_csv(tmp_path):
    image = tmp_path / "image.csv"
    image.write_bytes(PNG_HEADER + bytes(100))
    assert "PNG" in str(raises_data_error(read_csv, image))


@pytest.mark.parametrize("seed", range(5))
def test_read_csv_random_bytes_raise_data_error(seed):
    raises_data_error(read_csv, np.random.default_rng(seed).bytes(2000 + seed * 997))


# ---------------------------------------------------------------------------------------
# Column analysis
# ---------------------------------------------------------------------------------------


def test_describe_columns_kinds_and_counts():
    table = messy_table()
    table["empty"] = np.nan
    table["member"] = np.where(np.arange(len(table)) % 2 == 0, "yes", "no")
    described = describe_columns(table).set_index("name")
    assert described["kind"].to_dict() == {
        "customer_id": "id",
        "age": "numeric",
        "height": "numeric",
        "color": "categorical",
        "comment": "text",
        "signup": "datetime",
        "plan": "constant",
        "price": "numeric",
        "label": "categorical",
        "empty": "empty",
        "member": "boolean",
    }
    assert described.loc["age", "missing"] == table["age"].isna().sum()
    assert described.loc["color", "distinct"] == 3
    assert described.loc["empty", "missing"] == len(table)
    assert list(describe_columns(table).columns) == ["name", "kind", "dtype", "missing", "distinct"]


def test_describe_columns_row_number_and_unique_codes_are_ids():
    n = 30
    table = pd.DataFrame(
        {
            "row": np.arange(n),
            "code": [f"C{i:04d}" for i in range(n)],
            "score": np.arange(n) * 1.5,
            "PassengerId": np.arange(5, 5 + 2 * n, 2),
        }
    )
    kinds = describe_columns(table).set_index("name")["kind"].to_dict()
    assert kinds == {"row": "id", "code": "id", "score": "numeric", "PassengerId": "id"}


def test_suggest_target_prefers_target_like_names():
    table = messy_table()
    table = table[["label"] + [c for c in table.columns if c != "label"]]
    table["size"] = np.random.default_rng(0).choice(["S", "M", "L"], len(table))
    assert suggest_target(table) == "label"


def test_suggest_target_prefers_a_text_category_over_a_number_column():
    rng = np.random.default_rng(1)
    table = pd.DataFrame(
        {
            "grp": rng.choice(["a", "b"], 50),
            "level": rng.integers(0, 3, 50),
            "x": rng.normal(size=50),
            "id": np.arange(50),
        }
    )
    assert suggest_target(table) == "grp"
    assert suggest_target(table.drop(columns="grp")) == "level"


def test_suggest_target_falls_back_to_last_class_like_column():
    rng = np.random.default_rng(1)
    table = pd.DataFrame(
        {
            "grp": rng.choice(["a", "b"], 50),
            "x": rng.normal(size=50),
            "kind": rng.choice(["p", "q", "r"], 50),
            "level": rng.integers(0, 3, 50),
            "code": rng.integers(0, 4, 50),
        }
    )
    assert suggest_target(table) == "kind"
    assert suggest_target(table.drop(columns=["grp", "kind"])) == "code"


def test_suggest_target_prefers_a_yes_no_column():
    rng = np.random.default_rng(4)
    table = pd.DataFrame(
        {
            "smoker": rng.choice(["Yes", "No"], 60),
            "day": rng.choice(["Mon", "Tue", "Wed"], 60),
            "x": rng.normal(size=60),
        }
    )
    assert suggest_target(table) == "smoker"
    assert suggest_target(table.assign(smoker=table["smoker"] == "Yes")) == "smoker"


@pytest.mark.parametrize(
    "name", ["year", "Year", "birth_year", "yr", "size", "n_rooms", "guestCount", "num_kids"]
)
def test_suggest_target_avoids_years_and_counts(name):
    rng = np.random.default_rng(5)
    n = 60
    values = rng.integers(1, 7, n) if name != "year" else rng.choice([1990, 1995, 2000], n)
    table = pd.DataFrame({"g": rng.choice(["u", "v"], n), "x": rng.normal(size=n), name: values})
    assert suggest_target(table) == "g"
    # Without a text column a plain class code beats the year or count column...
    codes = table.drop(columns="g").assign(grade_code=rng.integers(0, 3, n))
    codes = codes[["grade_code", "x", name]]
    assert suggest_target(codes) == "grade_code"
    # ... and the year or count column is the last resort.
    assert suggest_target(codes.drop(columns="grade_code")) == name


def test_suggest_target_treats_4_digit_values_as_years():
    rng = np.random.default_rng(6)
    table = pd.DataFrame(
        {
            "cohort": rng.choice([2019, 2020, 2021], 60),
            "x": rng.normal(size=60),
            "arm": rng.integers(0, 2, 60),
        }
    )
    table = table[["arm", "x", "cohort"]]
    assert suggest_target(table) == "arm"


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        ("gapminder", "continent"),  # not year (12 whole numbers) or iso_num
        ("tips", "smoker"),  # a yes/no column; not size (a party's head count)
        ("iris", "species"),  # a target name; not species_id
        ("wind", "strength"),  # the last text category (8 classes; direction has 16)
        ("election", "result"),  # a target name (majority / plurality)
    ],
)
def test_suggest_target_on_plotly_datasets(dataset, expected):
    plotly_data = pytest.importorskip("plotly.data")
    table = getattr(plotly_data, dataset)()
    assert suggest_target(table) == expected
    # The same through a CSV file, as a user would upload it.
    assert suggest_target(read_csv(table.to_csv(index=False).encode())) == expected
    prepare(table, expected)


def test_suggest_target_skips_a_continuous_y():
    rng = np.random.default_rng(2)
    table = pd.DataFrame(
        {"x": rng.normal(size=40), "y": rng.normal(size=40), "g": rng.choice(["u", "v"], 40)}
    )
    assert suggest_target(table) == "g"


def test_suggest_target_raises_when_nothing_fits():
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"id": np.arange(40), "x": rng.normal(size=40)})
    assert "class column" in str(raises_data_error(suggest_target, table))


def test_suggest_features_excludes_with_reasons():
    table = messy_table()
    table["empty"] = np.nan
    features, excluded = suggest_features(table, "label")
    assert features == ["age", "height", "color", "price"]
    assert set(excluded) == {"customer_id", "comment", "signup", "plan", "empty"}
    assert "identifier" in excluded["customer_id"]
    assert "free text" in excluded["comment"]
    assert "expanded" in excluded["signup"]
    assert "constant" in excluded["plan"] and "basic" in excluded["plan"]
    assert "empty" in excluded["empty"]
    assert "no column" in str(raises_data_error(suggest_features, table, "nope"))


def test_suggest_features_can_include_dates():
    table = messy_table()
    assert suggest_features(table, "label") == suggest_features(table, "label", dates="drop")
    features, excluded = suggest_features(table, "label", dates="expand")
    assert features == ["age", "height", "color", "signup", "price"]
    assert "signup" not in excluded
    assert set(excluded) == {"customer_id", "comment", "plan"}
    # The same columns prepare uses on its own with dates="expand".
    prepared = prepare(table, "label", features, dates="expand")
    assert prepared.feature_names == prepare(table, "label", dates="expand").feature_names
    assert {"signup_year", "signup_month", "signup_day", "signup_dayofweek"} <= set(
        prepared.feature_names
    )
    assert "dates must be" in str(raises_data_error(suggest_features, table, "label", dates="x"))


# ---------------------------------------------------------------------------------------
# prepare
# ---------------------------------------------------------------------------------------


def test_prepare_messy_table_shapes_names_and_notes():
    table = messy_table()
    prepared = prepare(table, "label")
    n_rows = len(table) - 2
    assert prepared.X.shape == (n_rows, 6)
    assert prepared.X.dtype == np.float64 and np.isfinite(prepared.X).all()
    assert prepared.feature_names == [
        "age",
        "height",
        "price",
        "color=blue",
        "color=green",
        "color=red",
    ]
    assert prepared.features == ["age", "height", "color", "price"]
    assert list(prepared.classes) == ["churned", "stayed"]
    assert prepared.y.dtype == np.int64 and set(prepared.y) == {0, 1}
    assert prepared.dropped_rows == 2
    assert len(prepared.row_index) == n_rows and 3 not in prepared.row_index
    assert prepared.X_train.shape == (math.floor(n_rows * 0.75), 6)
    assert prepared.X_test.shape == (math.ceil(n_rows * 0.25), 6)
    assert len(prepared.y_train) + len(prepared.y_test) == n_rows
    assert sorted(np.r_[prepared.train_positions, prepared.test_positions]) == list(range(n_rows))
    np.testing.assert_array_equal(prepared.X[prepared.test_positions], prepared.X_test)
    np.testing.assert_array_equal(prepared.y[prepared.train_positions], prepared.y_train)
    notes = "\n".join(prepared.notes)
    assert "2 rows without a target value were dropped." in notes
    assert "Column 'customer_id' was left out" in notes
    assert "Column 'price' holds numbers written as text" in notes
    assert prepared.target == "label"


def test_prepare_decimal_comma_text_becomes_numbers():
    table = messy_table()
    prepared = prepare(table, "label", ["price"], scale=False)
    expected = table["price"].str.replace(",", ".").astype(float)[table["label"].notna()]
    np.testing.assert_allclose(prepared.X[:, 0], expected.to_numpy())


def test_prepare_reads_quoted_numbers_with_digit_grouping_whole():
    # spreadsheets quote "1,234" in comma-separated files: thousands, not 1.234
    csv = b'revenue,rate,label\n"1,234",0.5,x\n"12,500.75",1.5,y\n999,2.5,x\n' \
          b'"1,000,000",3.5,y\n"2,001",1,x\n'
    df = read_csv(csv)
    assert describe_columns(df).set_index("name").loc["revenue", "kind"] == "numeric"
    prepared = prepare(df, "label", ["revenue"], scale=False)
    assert sorted(prepared.X[:, 0]) == [999.0, 1234.0, 2001.0, 12500.75, 1_000_000.0]
    # a column whose commas are not all thousands groups has a decimal comma; there a "."
    # groups thousands (1.234,5), and "1,234" is 1.234
    table = pd.DataFrame({"v": ["0,5", "1,234", "1.234,5", "2,5", "7"], "y": list("ababa")})
    prepared = prepare(table, "y", ["v"], scale=False)
    assert sorted(prepared.X[:, 0]) == [0.5, 1.234, 2.5, 7.0, 1234.5]
    # a column that also has "2.5" ('.' as the decimal mark) mixes two ways of writing
    # numbers: it is not guessed, but used as categories with a note
    table = pd.DataFrame({"v": ["0,5", "1,234", "1.234,5", "2.5", "7"], "y": list("ababa")})
    prepared = prepare(table, "y", ["v"], scale=False)
    assert prepared.feature_names[0].startswith("v=")
    assert any("Column 'v' was used as categories: it mixes" in n for n in prepared.notes)


def test_numbers_written_as_text_are_counted_as_numbers():
    # "1,5" and "1,50" are one number; whole numbers beyond 2**53 stay apart
    table = pd.DataFrame({
        "one": pd.array(["1,5", "1,50"] * 30, dtype="str"),
        "thirty": pd.array([f"{i % 30},{'0' if i % 2 else '00'}" for i in range(60)],
                           dtype="str"),
        "big": pd.array([str(2**60 + i % 3) for i in range(40)] + [None] * 20, dtype="str"),
    })
    described = describe_columns(table).set_index("name")
    assert described.loc["one", ["kind", "distinct"]].tolist() == ["constant", 1]
    assert described.loc["thirty", ["kind", "distinct"]].tolist() == ["numeric", 30]
    assert described.loc["big", ["kind", "missing", "distinct"]].tolist() == ["numeric", 20, 3]


def test_prepare_fits_preprocessing_on_training_rows_only():
    table = messy_table()
    prepared = prepare(table, "label", ["height", "age"])
    scaler = prepared.preprocessor.named_transformers_["numeric"].named_steps["scale"]
    usable = table[table["label"].notna()].reset_index(drop=True)
    train = usable.iloc[prepared.train_positions]
    assert scaler.mean_[0] == pytest.approx(train["height"].mean())
    assert scaler.mean_[0] != pytest.approx(usable["height"].mean())
    imputer = prepared.preprocessor.named_transformers_["numeric"].named_steps["impute"]
    assert imputer.statistics_[1] == pytest.approx(train["age"].median())
    np.testing.assert_allclose(prepared.X_train.mean(axis=0), 0, atol=1e-12)


def test_prepare_split_is_stratified_and_seeded():
    table = load_sample("iris")
    first = prepare(table, "target", test_size=0.2, random_state=3)
    again = prepare(table, "target", test_size=0.2, random_state=3)
    other = prepare(table, "target", test_size=0.2, random_state=4)
    np.testing.assert_array_equal(first.X_test, again.X_test)
    assert not np.array_equal(first.X_test, other.X_test)
    assert np.bincount(first.y_test).tolist() == [10, 10, 10]
    assert np.bincount(first.y_train).tolist() == [40, 40, 40]


def test_prepare_test_size_zero_gives_empty_test_arrays():
    prepared = prepare(load_sample("iris"), "target", test_size=0)
    assert prepared.X_train.shape == (150, 4)
    assert prepared.X_test.shape == (0, 4)
    assert prepared.y_test.shape == (0,) and prepared.y_test.dtype == np.int64


def test_prepare_transform_new_rows_with_unseen_categories():
    table = messy_table()
    prepared = prepare(table, "label")
    new_rows = pd.DataFrame(
        {
            "age": [30.0, np.nan],
            "height": [180.0, 160.0],
            "color": ["purple", "red"],
            "price": ["12,5", "x"],
        }
    )
    X_new = prepared.transform(new_rows)
    assert X_new.shape == (2, len(prepared.feature_names))
    assert np.isfinite(X_new).all()
    colors = [i for i, name in enumerate(prepared.feature_names) if name.startswith("color=")]
    assert X_new[0, colors].tolist() == [0.0, 0.0, 0.0]
    assert X_new[1, prepared.feature_names.index("color=red")] == 1.0
    assert "lack" in str(raises_data_error(prepared.transform, new_rows.drop(columns="color")))


def test_prepare_transform_reproduces_x():
    table = messy_table()
    prepared = prepare(table, "label")
    np.testing.assert_allclose(prepared.transform(table.loc[prepared.row_index]), prepared.X)


def test_prepare_missing_drop_and_dates_expand():
    table = messy_table()
    prepared = prepare(table, "label", missing="drop", dates="expand")
    complete = table["label"].notna() & table["age"].notna() & table["color"].notna()
    assert len(prepared.X) == complete.sum()
    assert prepared.dropped_rows == len(table) - complete.sum()
    for part in ("year", "month", "day", "dayofweek"):
        assert f"signup_{part}" in prepared.feature_names
    assert "Column 'signup' was expanded into year, month, day and weekday." in prepared.notes
    assert any("rows with missing values were dropped" in note for note in prepared.notes)
    unscaled = prepare(table, "label", ["signup"], dates="expand", scale=False)
    assert unscaled.X[0].tolist() == [2024, 1, 1, 0]  # 2024-01-01 was a Monday


def test_prepare_explicit_date_feature_is_dropped_by_default():
    table = messy_table()
    prepared = prepare(table, "label", ["signup", "age"])
    assert prepared.features == ["age"]
    assert any("holds dates" in note for note in prepared.notes)


def test_prepare_infinite_values_become_missing_with_a_note():
    table = messy_table()
    table.loc[[0, 1], "height"] = [np.inf, -np.inf]
    prepared = prepare(table, "label")
    assert np.isfinite(prepared.X).all()
    assert "2 infinite values in column 'height' were treated as missing." in prepared.notes


def test_prepare_huge_values_raise_naming_the_column():
    table = messy_table()
    table.loc[0, "height"] = 1e308
    error = raises_data_error(prepare, table, "label")
    assert "'height'" in str(error) and "1e+308" in str(error)


def test_prepare_numeric_target_labels_are_whole_number_strings():
    rng = np.random.default_rng(5)
    table = pd.DataFrame({"x": rng.normal(size=40), "y": rng.integers(0, 2, 40).astype(float)})
    prepared = prepare(table, "y")
    assert list(prepared.classes) == ["0", "1"]


def test_prepare_rare_categories_are_grouped():
    rng = np.random.default_rng(6)
    n = 400
    table = pd.DataFrame(
        {
            "city": [f"city{i % 60}" for i in range(n)],
            "x": rng.normal(size=n),
            "y": rng.choice(["a", "b"], n),
        }
    )
    prepared = prepare(table, "y", ["city", "x"])
    city_columns = [name for name in prepared.feature_names if name.startswith("city=")]
    assert len(city_columns) == MAX_CATEGORIES
    assert "city=(other)" in city_columns
    assert any("rare values share the column 'city=(other)'" in note for note in prepared.notes)


def test_prepare_non_string_column_names():
    rng = np.random.default_rng(8)
    table = pd.DataFrame({0: rng.normal(size=30), 1: rng.choice(["a", "b"], 30)})
    prepared = prepare(table, 1)
    assert prepared.target == "1" and prepared.feature_names == ["0"]


def test_prepared_survives_pickling():
    prepared = prepare(messy_table(), "label")
    restored = pickle.loads(pickle.dumps(prepared))
    np.testing.assert_allclose(
        restored.transform(messy_table().head(3)), prepared.transform(messy_table().head(3))
    )


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (None, {"target": "nope"}, "no column 'nope'"),
        (lambda t: t.assign(label="stayed"), {}, "only one class ('stayed')"),
        (lambda t: t.assign(label=np.linspace(0, 1, len(t))), {}, "looks continuous"),
        (lambda t: t.assign(label=[f"c{i}" for i in range(len(t))]), {}, "at most 50 classes"),
        (lambda t: t.assign(label=np.nan), {}, "has no values"),
        (None, {"features": ["age", "label"]}, "cannot also be a feature"),
        (None, {"features": ["ghost"]}, "no column 'ghost'"),
        (None, {"features": []}, "no usable feature"),
        (lambda t: t.assign(e=np.nan), {"features": ["e"]}, "no usable feature"),
        (lambda t: t.head(4), {}, "at least 4"),
        (
            lambda t: t.assign(
                age=np.where(np.arange(len(t)) % 2 == 0, np.nan, 30.0),
                color=np.where(np.arange(len(t)) % 2 == 1, None, "red"),
            ),
            {"features": ["age", "color"], "missing": "drop"},
            "No rows are left",
        ),
        (lambda t: t.assign(label=["solo"] + ["a", "b"] * 39 + ["a"]), {}, "'solo' has only 1 row"),
        (lambda t: t.head(10), {"test_size": 0.1}, "Change the test size"),
        (None, {"missing": "zero"}, "missing must be"),
        (None, {"dates": "keep"}, "dates must be"),
        (None, {"test_size": 1.0}, "test size"),
        (None, {"test_size": "0.2"}, "test size"),
        (None, {"max_classes": 1}, "max_classes"),
        (lambda t: t.set_axis(["a"] * len(t.columns), axis=1), {"target": "a"}, "unique"),
    ],
    ids=[
        "unknown-target",
        "one-class",
        "continuous",
        "many-classes",
        "empty-target",
        "target-as-feature",
        "unknown-feature",
        "no-features",
        "only-empty-feature",
        "too-few-rows",
        "nothing-left",
        "singleton-class",
        "tiny-test-set",
        "bad-missing",
        "bad-dates",
        "bad-test-size",
        "text-test-size",
        "bad-max-classes",
        "duplicate-names",
    ],
)
def test_prepare_raises_clear_data_errors(change, kwargs, message):
    table = messy_table()
    if change is not None:
        table = change(table)
    arguments = {"target": "label", **kwargs}
    target = arguments.pop("target")
    assert message in str(raises_data_error(prepare, table, target, **arguments))


def test_prepare_singleton_class_works_without_a_test_set():
    table = messy_table().assign(label=["solo"] + ["a", "b"] * 39 + ["a"])
    assert prepare(table, "label", test_size=0).classes.tolist() == ["a", "b", "solo"]


def test_prepare_rejects_non_frames():
    assert "DataFrame" in str(raises_data_error(prepare, [[1, 2]], "a"))


def test_prepare_one_usable_row_is_about_the_rows_in_the_singular():
    table = messy_table().head(1)
    for features in (None, ["age", "height"]):
        message = str(raises_data_error(prepare, table, "label", features))
        assert "Only 1 usable row is left; at least 4 are needed" in message
    message = str(raises_data_error(prepare, messy_table().head(3), "label"))
    assert "Only 3 usable rows are left" in message


def test_prepare_notes_use_the_singular_for_one():
    table = messy_table()
    table.loc[0, "height"] = np.inf
    table.loc[5, "age"] = np.nan
    table.loc[7, "label"] = "stayed"  # one row without a target is left (row 3)
    prepared = prepare(table, "label", ["age", "height"], missing="drop")
    assert "1 row without a target value was dropped." in prepared.notes
    assert "1 infinite value in column 'height' was treated as missing." in prepared.notes
    assert any(note.endswith("rows with missing values were dropped.") for note in prepared.notes)
    table = messy_table().assign(age=np.r_[np.nan, np.arange(79.0)])
    prepared = prepare(table, "label", ["age"], missing="drop")
    assert "1 row with missing values was dropped." in prepared.notes
    message = str(raises_data_error(prepare, messy_table().head(10), "label", test_size=0.1))
    assert "splits 8 rows into 7 training and 1 test rows" in message


@pytest.mark.parametrize("kind", ["int64", "Int64 with a gap", "uint64", "text"])
def test_prepare_integer_labels_beyond_2_to_the_53_stay_apart(kind):
    rng = np.random.default_rng(9)
    n = 60
    big = 2**53
    labels = {
        "int64": np.array([big + 1, big] * (n // 2), dtype=np.int64),
        "Int64 with a gap": pd.array([big + 1, big, None] * (n // 3), dtype="Int64"),
        "uint64": np.array([2**64 - 1, 2**64 - 2] * (n // 2), dtype=np.uint64),
        "text": pd.array(["123456789012345678901", " 123456789012345678902"] * (n // 2), dtype="str"),
    }[kind]
    frame = pd.DataFrame({"x": rng.normal(size=n), "y": labels})
    # the column analysis counts them apart too: two classes, not a constant
    described = describe_columns(frame).set_index("name").loc["y"]
    assert (described["kind"], described["distinct"]) == ("numeric", 2)
    assert suggest_target(frame) == "y"
    prepared = prepare(frame, "y")
    expected = {
        "int64": ["9007199254740992", "9007199254740993"],
        "Int64 with a gap": ["9007199254740992", "9007199254740993"],
        "uint64": ["18446744073709551614", "18446744073709551615"],
        "text": ["123456789012345678901", "123456789012345678902"],
    }[kind]
    assert list(prepared.classes) == expected
    assert np.bincount(prepared.y).tolist() == [n // 2, n // 2] or kind == "Int64 with a gap"


def test_prepare_many_big_integer_classes_are_classes_not_a_continuous_target():
    rng = np.random.default_rng(10)
    codes = 9_007_199_254_740_993 + np.arange(12) * 2
    table = pd.DataFrame({"x": rng.normal(size=240), "y": np.tile(codes, 20)})
    content = table.to_csv(index=False).encode()
    for frame in (table, read_csv(content)):
        prepared = prepare(frame, "y")
        assert sorted(prepared.classes, key=int) == [str(c) for c in codes]


def test_prepare_labels_that_differ_only_by_trailing_control_characters_stay_apart():
    rng = np.random.default_rng(11)
    table = pd.DataFrame({"x": rng.normal(size=40), "y": ["a", "a\x00"] * 20})
    assert list(prepare(table, "y").classes) == ["a", "a\x00"]


def test_prepare_x_is_assembled_read_only_from_the_split():
    prepared = prepare(messy_table(), "label")
    X = prepared.X
    assert not X.flags.writeable and X.flags.c_contiguous
    np.testing.assert_array_equal(X[prepared.train_positions], prepared.X_train)
    np.testing.assert_array_equal(X[prepared.test_positions], prepared.X_test)
    assert prepared.X_train.flags.c_contiguous and prepared.X_test.flags.c_contiguous


def test_prepare_a_column_without_values_in_the_training_rows_is_left_out():
    table = messy_table().assign(label=lambda t: t["label"].fillna("stayed"))
    first = prepare(table, "label", ["height"])
    late = np.full(len(table), np.nan)
    late[first.row_index[first.test_positions[:3]]] = 1.0  # values in test rows only
    prepared = prepare(table.assign(late=late), "label", ["height", "late"])
    assert prepared.features == ["height"] and prepared.feature_names == ["height"]
    assert "Column 'late' has no values in the training rows and was left out." in prepared.notes
    only = str(raises_data_error(prepare, table.assign(late=np.inf), "label", ["late"]))
    assert "'late' has no values in the training rows" in only


def test_prepare_transform_of_no_rows_and_bad_arguments():
    prepared = prepare(messy_table(), "label")
    assert prepared.transform(messy_table().head(0)).shape == (0, len(prepared.feature_names))
    assert "list of column names" in str(raises_data_error(prepare, messy_table(), "label", 5))
    message = str(raises_data_error(prepare, messy_table(), "label", random_state="x"))
    assert "random_state must be a whole number" in message


# ---------------------------------------------------------------------------------------
# prepare: the numeric path (numeric features only, column by column) against the general
# path (a ColumnTransformer over the used frame): the same numbers, a fraction of the memory
# ---------------------------------------------------------------------------------------


def numeric_table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Numbers of every sort: gaps, infinities, integers, text with a decimal comma, a
    near-constant column, very different scales; a three-class target with gaps."""
    rng = np.random.default_rng(seed)
    wide = rng.normal(size=n) * 1e6
    wide[rng.random(n) < 0.1] = np.nan
    infinite = rng.normal(size=n)
    infinite[rng.random(n) < 0.02] = np.inf
    small = rng.exponential(size=n) * 1e-8
    near_constant = np.full(n, 5.0)
    near_constant[rng.integers(n)] = 5.000000001
    label = rng.choice(["p", "q", "r"], n).astype(object)
    label[rng.random(n) < 0.05] = None
    return pd.DataFrame(
        {
            "wide": wide,
            "count": rng.integers(0, 20, n),
            "infinite": infinite,
            "comma": [f"{v:.3f}".replace(".", ",") for v in rng.normal(size=n)],
            "small": small,
            "near_constant": near_constant,
            "label": label,
        }
    )


def prepared_both_ways(monkeypatch, table, target, **kwargs):
    """prepare on the numeric path (checked to be taken) and on the general path."""
    calls = []
    original = numeric_path.NumericColumns.fit_transform

    def spy(self, *args):
        calls.append(args)
        return original(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(numeric_path, "NUMERIC_PATH_MIN_ROWS", 0)
        patch.setattr(numeric_path.NumericColumns, "fit_transform", spy)
        numeric = prepare(table, target, **kwargs)
    assert calls, "the numeric path was not taken"
    with monkeypatch.context() as patch:
        patch.setattr(numeric_path, "NUMERIC_PATH_MIN_ROWS", 2**62)
        general = prepare(table, target, **kwargs)
    return numeric, general


def assert_same_preparation(numeric, general):
    for name in ("X_train", "X_test", "X", "y", "y_train", "y_test", "train_positions",
                 "test_positions", "classes"):
        np.testing.assert_array_equal(getattr(numeric, name), getattr(general, name), name)
    assert numeric.row_index.equals(general.row_index)
    assert numeric.feature_names == general.feature_names
    assert numeric.features == general.features and numeric.notes == general.notes
    assert numeric.dropped_rows == general.dropped_rows
    ours = numeric.preprocessor.named_transformers_["numeric"].named_steps
    theirs = general.preprocessor.named_transformers_["numeric"].named_steps
    assert list(ours) == list(theirs)
    np.testing.assert_array_equal(ours["impute"].statistics_, theirs["impute"].statistics_)
    if "scale" in ours:
        for attribute in ("mean_", "var_", "scale_", "n_samples_seen_"):
            mine, sklearns = getattr(ours["scale"], attribute), getattr(theirs["scale"], attribute)
            np.testing.assert_array_equal(mine, sklearns, attribute)
            assert type(mine) is type(sklearns)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"scale": False}, {"missing": "drop"}, {"test_size": 0}, {"test_size": 0.5, "random_state": 3}],
    ids=["default", "unscaled", "drop-missing", "no-test-set", "half-test-set"],
)
def test_numeric_path_gives_the_general_paths_results(monkeypatch, kwargs):
    table = numeric_table()
    numeric, general = prepared_both_ways(monkeypatch, table, "label", **kwargs)
    assert_same_preparation(numeric, general)
    new_rows = table.head(100).assign(wide=np.r_[np.nan, np.inf, np.arange(98.0)])
    np.testing.assert_array_equal(numeric.transform(new_rows), general.transform(new_rows))


@pytest.mark.parametrize("seed", range(8))
def test_numeric_path_matches_on_random_tables(monkeypatch, seed):
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(10, 5000)), int(rng.integers(1, 12))
    X = rng.normal(size=(n, d)) * 10.0 ** rng.integers(-6, 7, d) + rng.normal(size=d) * 100
    X[rng.random((n, d)) < rng.uniform(0, 0.3)] = np.nan
    X[:, 0] = np.round(X[:, 0])
    table = pd.DataFrame(X, columns=[f"x{j}" for j in range(d)])
    table["y"] = rng.choice(["a", "b"], n)
    numeric, general = prepared_both_ways(monkeypatch, table, "y", test_size=0.3)
    assert_same_preparation(numeric, general)


def test_numeric_path_with_a_column_empty_in_the_training_rows(monkeypatch):
    table = numeric_table(600)
    table["label"] = table["label"].fillna("p")
    first = prepare(table, "label", ["wide"])
    late = np.full(len(table), np.nan)
    late[first.test_positions[:2]] = 1.0
    numeric, general = prepared_both_ways(monkeypatch, table.assign(late=late), "label")
    assert_same_preparation(numeric, general)
    assert "late" not in numeric.features


def test_numeric_path_memory_stays_near_the_matrix():
    # numpy allocations as tracemalloc sees them, above the table itself: the general path
    # held X, X_train, X_test and the transformers' copies at once (about 5x the matrix)
    import tracemalloc

    rng = np.random.default_rng(12)
    n, d = 100_000, 20
    table = pd.DataFrame(rng.normal(size=(n, d)), columns=[f"x{j}" for j in range(d)])
    table["y"] = rng.choice(["a", "b"], n)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        prepared = prepare(table, "y")
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    matrix = prepared.X_train.nbytes + prepared.X_test.nbytes
    assert matrix == n * d * 8
    assert peak < 2.5 * matrix, peak / matrix  # 1.7x here; X kept besides its parts is 2.7x


# ---------------------------------------------------------------------------------------
# The whole pipeline on hostile files
# ---------------------------------------------------------------------------------------


def _table_csv(columns: dict) -> bytes:
    return pd.DataFrame(columns).to_csv(index=False).encode()


_RNG = np.random.default_rng(11)
_X = _RNG.normal(size=60)
_CLASSES = _RNG.choice(["a", "b"], 60)

PIPELINE_CASES = {
    "empty": (b"", "error"),
    "header-only": (b"x,label\n", "error"),
    "one-data-row": (b"x,label\n1,a\n", "error"),
    "one-class": (_table_csv({"x": _X, "label": "a"}), "error"),
    "continuous-target": (_table_csv({"x": _X, "label": _RNG.normal(size=60)}), "error"),
    "hundreds-of-classes": (
        _table_csv({"x": np.arange(600.0) % 7, "label": [f"k{i % 300}" for i in range(600)]}),
        "error",
    ),
    "all-missing-target": (b"x,label\n" + b"1,\n2,\n3,\n4,\n5,\n", "error"),
    "all-missing-feature": (_table_csv({"x": _X, "e": np.nan, "label": _CLASSES}), "ok"),
    "constant-feature": (_table_csv({"x": _X, "k": 7, "label": _CLASSES}), "ok"),
    "inf-values": (_table_csv({"x": np.r_[np.inf, -np.inf, _X[2:]], "label": _CLASSES}), "ok"),
    "huge-values": (_table_csv({"x": np.r_[1e308, _X[1:]], "label": _CLASSES}), "error"),
    "ragged": (b"x,label\n1,a\n2,b,c\n3,a\n", "error"),
    "random-binary": (np.random.default_rng(3).bytes(3000), "error"),
    "png": (PNG_HEADER + bytes(64), "error"),
    "hostile-strings": (
        _table_csv({"x": _X, "s": (HOSTILE_TEXT * 9)[:60], "label": _CLASSES}),
        "ok",
    ),
}


@pytest.mark.parametrize("case", list(PIPELINE_CASES))
def test_pipeline_on_hostile_files_raises_only_data_errors(case):
    content, expected = PIPELINE_CASES[case]

    def pipeline():
        table = read_csv(content)
        return prepare(table, "label" if "label" in table.columns else suggest_target(table))

    if expected == "error":
        raises_data_error(pipeline)
    else:
        prepared = pipeline()
        assert np.isfinite(prepared.X).all() and len(prepared.classes) == 2


def test_hostile_strings_are_categories_verbatim():
    table = read_csv(PIPELINE_CASES["hostile-strings"][0])
    assert set(table["s"]) == set(HOSTILE_TEXT)
    prepared = prepare(table, "label", ["s"])
    assert {f"s={text}" for text in HOSTILE_TEXT} == set(prepared.feature_names)


def test_five_thousand_columns_are_fast():
    rng = np.random.default_rng(12)
    wide = pd.DataFrame(
        rng.normal(size=(40, 5000)).round(3), columns=[f"f{i}" for i in range(5000)]
    )
    wide["label"] = np.repeat(["a", "b"], 20)
    content = wide.to_csv(index=False).encode()
    start = time.perf_counter()
    table = read_csv(content)
    prepared = prepare(table, suggest_target(table))
    assert prepared.X.shape == (40, 5000)
    assert time.perf_counter() - start < 10


def test_two_hundred_thousand_rows():
    rng = np.random.default_rng(13)
    n = 200_000
    tall = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "c": rng.choice(["u", "v", "w"], n),
            "y": rng.choice(["p", "q"], n),
        }
    )
    table = read_csv(tall.to_csv(index=False).encode())
    prepared = prepare(table, "y")
    assert prepared.X.shape == (n, 4)
    assert prepared.X_test.shape == (n // 4, 4)


# ---------------------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------------------

# Deterministic (same examples every run, nothing written to .hypothesis/), no deadline.
_PROPERTY_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow],
}
_CELL_TEXT = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from(list('\n\r\t",;| ')),
    ),
    max_size=8,
)
_CELLS = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    _CELL_TEXT,
    st.sampled_from(HOSTILE_TEXT + ["1,5", "2024-01-05", "yes", "", " "]),
)


@st.composite
def small_tables(draw) -> pd.DataFrame:
    """Random small tables of mixed numbers, strings and gaps."""
    n_columns = draw(st.integers(1, 5))
    n_rows = draw(st.integers(0, 12))
    names = draw(st.lists(_CELL_TEXT, min_size=n_columns, max_size=n_columns))
    columns = [draw(st.lists(_CELLS, min_size=n_rows, max_size=n_rows)) for _ in range(n_columns)]
    return (
        pd.DataFrame(dict(enumerate(columns))).set_axis(names, axis=1)
        if n_rows
        else pd.DataFrame(columns=names)
    )


@settings(**_PROPERTY_SETTINGS, max_examples=150)
@given(
    table=small_tables(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_property_read_csv_returns_a_frame_or_data_error(table, delimiter, encoding):
    try:
        content = table.to_csv(index=False, sep=delimiter).encode(encoding)
    except UnicodeEncodeError:
        content = table.to_csv(index=False, sep=delimiter).encode("utf-8")
    try:
        result = read_csv(content)
    except DataError as error:
        assert not str(error).startswith(errors.UNEXPECTED), error
    else:
        assert isinstance(result, pd.DataFrame) and len(result) > 0
        assert result.columns.is_unique


@settings(**_PROPERTY_SETTINGS, max_examples=150)
@given(content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_property_read_csv_on_arbitrary_bytes(content):
    try:
        result = read_csv(content)
    except DataError as error:
        assert not str(error).startswith(errors.UNEXPECTED), error
    else:
        assert isinstance(result, pd.DataFrame) and result.columns.is_unique


@st.composite
def labelled_tables(draw) -> pd.DataFrame:
    """Random tables with a feature mix and a "label" column of a few classes."""
    n_rows = draw(st.integers(1, 30))
    columns = {
        f"f{i}": draw(st.lists(_CELLS, min_size=n_rows, max_size=n_rows))
        for i in range(draw(st.integers(1, 4)))
    }
    columns["label"] = draw(
        st.lists(st.sampled_from(["a", "b", "c", None, 1, 2.5]), min_size=n_rows, max_size=n_rows)
    )
    return pd.DataFrame(columns)


@settings(**_PROPERTY_SETTINGS, max_examples=120)
@given(
    table=labelled_tables(),
    missing=st.sampled_from(["impute", "drop"]),
    dates=st.sampled_from(["drop", "expand"]),
    test_size=st.sampled_from([0, 0.25, 0.5]),
)
def test_property_prepare_gives_finite_x_or_data_error(table, missing, dates, test_size):
    try:
        prepared = prepare(table, "label", missing=missing, dates=dates, test_size=test_size)
    except DataError as error:
        assert not str(error).startswith(errors.UNEXPECTED), error
        return
    n_features = len(prepared.feature_names)
    assert prepared.X.shape == (len(prepared.y), n_features)
    assert np.isfinite(prepared.X).all()
    assert len(prepared.X_train) + len(prepared.X_test) == len(prepared.X)
    assert prepared.X_test.shape[1] == n_features
    assert set(prepared.y) == set(range(len(prepared.classes)))
    assert prepared.dropped_rows == len(table) - len(prepared.X)


# ---------------------------------------------------------------------------------------
# Samples and download escaping
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_sample_loads_and_prepares(name):
    table = load_sample(name)
    assert "target" in table.columns
    assert table["target"].map(type).eq(str).all()
    assert suggest_target(table) == "target"
    prepared = prepare(table, "target")
    assert np.isfinite(prepared.X).all()
    assert list(prepared.classes) == sorted(table["target"].unique())


def test_sample_class_names_are_readable():
    assert set(load_sample("iris")["target"]) == {"setosa", "versicolor", "virginica"}
    assert set(load_sample("breast_cancer")["target"]) == {"malignant", "benign"}
    assert set(load_sample("digits")["target"]) == {str(d) for d in range(10)}
    assert load_sample("wine").shape == (178, 14)


@pytest.mark.parametrize("name", ["moons", "blobs"])
def test_synthetic_samples_are_seeded_and_sized(name):
    first = load_sample(name, n_samples=120, noise=0.3, random_state=5)
    assert list(first.columns) == ["x1", "x2", "target"]
    assert len(first) == 120
    pd.testing.assert_frame_equal(
        first, load_sample(name, n_samples=120, noise=0.3, random_state=5)
    )
    assert not first.equals(load_sample(name, n_samples=120, noise=0.3, random_state=6))
    assert SAMPLES[name].synthetic


def test_noise_controls_the_spread():
    moons = load_sample("moons", noise=0.0, n_samples=200)
    upper = moons[moons["target"] == "upper"]
    np.testing.assert_allclose(np.hypot(upper["x1"], upper["x2"]), 1.0)
    spread = [load_sample("blobs", noise=noise)[["x1", "x2"]].std().mean() for noise in (0.1, 1.0)]
    assert spread[0] < spread[1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "mnist"},
        {"name": "moons", "noise": -1},
        {"name": "blobs", "n_samples": 3},
        {"name": "moons", "n_samples": 2.5},
    ],
)
def test_load_sample_rejects_bad_arguments(kwargs):
    raises_data_error(load_sample, kwargs.pop("name"), **kwargs)


def test_escape_spreadsheet_cells():
    table = pd.DataFrame(
        {
            "=name": ["=cmd", "+1", "-2", "@x", "\tt", "\rr", "plain", None],
            "n": [-1.0, 2, 3, 4, 5, 6, 7, 8],
            "obj": pd.Series(["=a", 1, None, "b", "@c", "-", "x", "y"], dtype=object),
        }
    )
    escaped = escape_spreadsheet_cells(table)
    assert list(escaped.columns) == ["'=name", "n", "obj"]
    assert escaped["'=name"].tolist()[:7] == ["'=cmd", "'+1", "'-2", "'@x", "'\tt", "'\rr", "plain"]
    assert pd.isna(escaped["'=name"].iloc[7])
    assert escaped["n"].tolist() == table["n"].tolist()
    assert escaped["obj"].tolist()[:2] == ["'=a", 1] and escaped["obj"].iloc[4] == "'@c"
    assert table["=name"].iloc[0] == "=cmd"


def test_many_repeated_column_names_are_renamed_in_linear_time():
    n = 20_000
    frame = read_csv((",".join(["a"] * n) + "\n" + ",".join(["1"] * n) + "\n").encode())
    assert list(frame.columns[:3]) == ["a", "a.1", "a.2"] and frame.columns[-1] == f"a.{n - 1}"
    assert frame.columns.is_unique


def test_the_split_keeps_every_class_in_both_parts():
    table = pd.DataFrame({"x": np.arange(60.0), "label": ["a"] * 29 + ["b"] * 29 + ["c"] * 2})
    for test_size in (0.9, 0.1, 0.5, 0.75):
        for seed in range(20):
            prepared = prepare(table, "label", ["x"], test_size=test_size, random_state=seed)
            assert set(prepared.y_train) == {0, 1, 2}, (test_size, seed)
            assert set(prepared.y_test) == {0, 1, 2}, (test_size, seed)
            assert len(prepared.y_test) == int(np.ceil(test_size * 60))
            both = np.sort(np.concatenate([prepared.train_positions, prepared.test_positions]))
            np.testing.assert_array_equal(both, np.arange(60))


def test_a_split_that_already_holds_every_class_is_sklearns():
    from sklearn.model_selection import train_test_split

    table = messy_table()
    prepared = prepare(table, "label", test_size=0.3, random_state=3)
    train, test = train_test_split(np.arange(len(prepared.y)), test_size=0.3,
                                   stratify=prepared.y, random_state=3)
    np.testing.assert_array_equal(prepared.train_positions, train)
    np.testing.assert_array_equal(prepared.test_positions, test)
