"""read_table and list_sheets: CSV, Excel and Parquet through one front door; hostile
workbooks and Parquet files refused with a message a person can act on, in bounded time and
memory; ``python -m cecore train`` on every format."""

import datetime as dt
import io
import json
import time
import tracemalloc

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import table_files as tf
from openpyxl.chart import BarChart, Reference

from cecore import errors
from cecore.__main__ import main
from cecore.data import TABLE_EXTENSIONS, DataError, list_sheets, prepare, read_csv, read_table
from cecore.io import MAX_UPLOAD_MB

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]


def data_error(call, *args, **kwargs):
    """The message of the DataError from a known check (not the catch-all)."""
    with pytest.raises(DataError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert not message.startswith(errors.UNEXPECTED), message
    return message


def bounded(call, *args, seconds=2.0, megabytes=50):
    """The DataError message of the call, checking it came within the time and Python memory."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        message = data_error(call, *args)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, elapsed
    assert peak < megabytes * 1024**2, peak / 1024**2
    return message


def parquet_bytes(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def frame():
    return tf.two_class_frame()


# ------------------------------------------------------------------ one table, three formats
def test_the_same_table_reads_the_same_from_csv_xlsx_and_parquet(frame):
    csv = read_table(frame.to_csv(index=False).encode(), "t.csv")
    xlsx = read_table(tf.frame_workbook(frame), "t.xlsx")
    parquet = read_table(parquet_bytes(pa.Table.from_pandas(frame, preserve_index=False)))
    for other in (xlsx, parquet):
        pd.testing.assert_frame_equal(other, csv, check_dtype=True)
    assert str(xlsx["count"].dtype) == "int64" and str(xlsx["label"].dtype) == "str"
    assert xlsx.attrs["notes"] == ["Read sheet 'Data', the workbook's only sheet."]
    assert parquet.attrs["notes"] == []


def test_sources_names_and_extensions(frame, tmp_path):
    data = tf.frame_workbook(frame)
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    upload = io.BytesIO(data)
    upload.name = "book.xlsx"  # what a Streamlit UploadedFile has
    for source in (path, str(path), upload, data):
        assert read_table(source).shape == frame.shape
    assert {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet"} <= set(TABLE_EXTENSIONS)
    assert list_sheets(upload) == ["Data"]
    assert list_sheets(frame.to_csv(index=False).encode(), "t.csv") == []


def test_the_content_decides_and_a_misleading_name_gets_a_note(frame):
    wrong = read_table(tf.frame_workbook(frame), "export.csv")
    assert wrong.attrs["notes"][0] == (
        "The file is named 'export.csv' but holds an Excel workbook; it was read as such.")
    text = read_table(frame.to_csv(index=False).encode(), "table.xlsx")
    assert text.shape == frame.shape and "holds CSV text" in text.attrs["notes"][0]


def test_read_csv_still_refuses_workbooks_and_parquet(frame):
    assert "This looks like an Excel workbook or a ZIP archive, not a CSV file" in data_error(
        read_csv, tf.frame_workbook(frame))
    parquet = parquet_bytes(pa.Table.from_pandas(frame))
    assert "This looks like a Parquet file, not a CSV file" in data_error(read_csv, parquet)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    assert data_error(read_table, png) == (
        "This looks like a PNG image, not a table. Choose a CSV, Excel (.xlsx) or Parquet file.")


def test_the_upload_limit_holds_for_every_format(tmp_path):
    for name, start in (("big.xlsx", b"PK\x03\x04"), ("big.parquet", b"PAR1"),
                        ("big.xls", b"\xd0\xcf\x11\xe0")):
        path = tmp_path / name
        with path.open("wb") as handle:
            handle.write(start)
            handle.truncate(MAX_UPLOAD_MB * 1024**2 + 1)  # sparse: nothing is written
        assert f"larger than {MAX_UPLOAD_MB} MB" in bounded(read_table, path)
        assert f"larger than {MAX_UPLOAD_MB} MB" in data_error(list_sheets, path)


# --------------------------------------------------------------------------- sheets
def sheets_workbook() -> bytes:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"  # first, but empty
    data = book.create_sheet("Data")
    data.append(["x", "y", "label"])
    for i in range(12):
        data.append([i, i * 0.5, "a" if i % 2 else "b"])
    chart = book.create_chartsheet("Chart")
    bars = BarChart()
    bars.add_data(Reference(data, min_col=1, min_row=1, max_row=13))
    chart.add_chart(bars)
    return tf.workbook_bytes(book)


def test_sheets_are_listed_and_chosen():
    book = sheets_workbook()
    assert list_sheets(book) == ["Notes", "Data"]  # the chart sheet holds no cells
    chosen = read_table(book, sheet="Data")
    assert chosen.shape == (12, 3)
    assert chosen.attrs["notes"][0] == "Read sheet 'Data' (the workbook has 3 sheets: Notes, Data, Chart)."
    default = read_table(book)
    pd.testing.assert_frame_equal(default, chosen)
    assert default.attrs["notes"][0] == (
        "The sheets before it are empty ('Notes'); the first sheet with data is 'Data'.")


def test_an_empty_sheet_a_chart_sheet_and_a_missing_sheet():
    book = sheets_workbook()
    assert data_error(read_table, book, sheet="Notes") == (
        "The sheet 'Notes' is empty; the sheet 'Data' has data: choose it.")
    assert data_error(read_table, book, sheet="Chart") == (
        "The sheet 'Chart' holds only a chart, no cells. Choose the sheet with the table (Data).")
    assert data_error(read_table, book, sheet="Nope") == (
        "The workbook has no sheet 'Nope'; its sheets are: Notes, Data, Chart.")
    empty = openpyxl.Workbook()
    empty.create_sheet("Other")
    assert data_error(read_table, tf.workbook_bytes(empty)) == (
        "The workbook is empty: no sheet holds a value (Sheet, Other).")
    assert data_error(read_table, tf.workbook_bytes(empty), sheet="Other") == (
        "The sheet 'Other' is empty, and so is every other sheet of the workbook.")


def test_a_workbook_of_charts_only():
    book = tf.parts(sheets_workbook())
    # keep the chart sheet only: the workbook part lists it alone
    workbook = book["xl/workbook.xml"].decode()
    start = workbook.index("<sheets>") + len("<sheets>")
    end = workbook.index("</sheets>")
    chart = [s for s in workbook[start:end].split("/>") if "Chart" in s][0] + "/>"
    book["xl/workbook.xml"] = (workbook[:start] + chart + workbook[end:]).encode()
    only_chart = tf.raw_zip(list(book.items()))
    assert data_error(read_table, only_chart) == (
        "The workbook holds only charts (Chart), no cells with a table. Choose the workbook "
        "with the chart's data, or export the data as CSV.")


# ---------------------------------------------------------------------- cells and header
def test_a_merged_title_and_a_merged_header_cell():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B2"] = "Measurements 2024"
    sheet.merge_cells("B2:E2")
    sheet["B4"], sheet["C4"], sheet["E4"] = "id", "size", "label"
    sheet.merge_cells("C4:D4")
    for i in range(6):
        sheet.append([None, i + 1, i * 1.5, i * 2.5, "yes" if i % 2 else "no"])
    frame = read_table(tf.workbook_bytes(book))
    assert list(frame.columns) == ["id", "size", "size.1", "label"]
    assert frame["id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame.attrs["notes"][1:] == [
        "Row 2 ('Measurements 2024') has fewer values than the table below, so it was read "
        "as a title and skipped.",
        "The header cell 'size' is merged across columns C to D; each of them is named after it.",
        "Repeated column names were renamed: 'size' -> 'size.1'.",
    ]


def test_dates_numbers_booleans_and_missing_markers():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["when", "amount", "serial", "flag", "score"])
    for i in range(5):
        sheet.append([dt.datetime(2024, 1, 1 + i, 9), 10 + i, 45000 + i, i % 2 == 0,
                      "n/a" if i == 2 else i / 4])
    frame = read_table(tf.workbook_bytes(book))
    assert pd.api.types.is_datetime64_dtype(frame["when"])
    assert frame["when"].iloc[1] == pd.Timestamp("2024-01-02 09:00")
    assert frame["amount"].dtype == np.int64 and frame["serial"].tolist()[0] == 45000  # a number
    assert frame["flag"].dtype == bool
    assert frame["score"].dtype == np.float64 and np.isnan(frame["score"].iloc[2])


def test_formulas_give_their_saved_values_and_the_unsaved_ones_are_counted():
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c></row>'
    for r in range(2, 8):
        cached = f"<v>{r * 2}</v>" if r < 5 else "<v/>" if r == 5 else ""
        rows += f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><f>A{r}*2</f>{cached}</c></row>'
    rows += '<row r="8"><c r="A8"><v>8</v></c><c r="B8" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    base = tf.frame_workbook(pd.DataFrame({"a": [1]}))
    frame = read_table(tf.with_parts(base, {"xl/worksheets/sheet1.xml": tf.sheet_xml(rows)}))
    assert frame["b"].tolist()[:3] == [4.0, 6.0, 8.0] and frame["b"].isna().sum() == 4
    assert frame.attrs["notes"][1:] == [
        "3 formula cells have no saved value (the file was written by a program that does "
        "not calculate formulas), so they were read as missing. Open the file in Excel and "
        "save it again to keep their values.",
        "1 cell holds an Excel error (such as #DIV/0! or #N/A); they were read as missing.",
    ]


def test_openpyxl_formulas_without_values_are_missing():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["x", "double"])
    for i in range(1, 6):
        sheet.append([i, f"=A{i + 1}*2"])
    frame = read_table(tf.workbook_bytes(book))
    assert frame["double"].isna().all()
    assert frame.attrs["notes"][-1].startswith("5 formula cells have no saved value")


def test_a_macro_workbook_is_read_and_its_macros_never_run(frame):
    base = tf.frame_workbook(frame)
    types = tf.parts(base)["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    xlsm = tf.with_parts(base, {"[Content_Types].xml": types,
                               "xl/vbaProject.bin": b"Attribute VB_Name = \"Module1\""})
    read = read_table(xlsm, "macros.xlsm")
    pd.testing.assert_frame_equal(read, read_table(base))
    assert read.attrs["notes"][-1] == (
        "The workbook contains macros (VBA); they were not run: only the values saved in the "
        "cells were read.")


# ---------------------------------------------------------------------- hostile workbooks
def test_a_zip_bomb_is_refused_from_its_directory():
    bomb = tf.zip_bomb(2048)  # 2 GiB of sheet from 2 MB
    assert len(bomb) < 3 * 1024**2
    message = bounded(read_table, bomb, seconds=1.0, megabytes=20)
    assert message.startswith("The workbook would take 2 GB once unpacked (its archive "
                              "declares that much from a 2 MB file), more than the 1 GB limit.")
    assert "zip bomb" in message
    assert "zip bomb" in bounded(list_sheets, bomb, seconds=1.0, megabytes=20)


def test_a_part_that_inflates_too_many_times_is_refused():
    message = bounded(read_table, tf.zip_bomb(64), seconds=1.0, megabytes=20)
    assert message.startswith(
        "The workbook's part 'xl/worksheets/sheet1.xml' would unpack from 63.9 KB to 64 MB "
        "(1,026 times; spreadsheets compress at most about 100 times).")


def test_forged_sizes_are_caught_while_inflating_in_pieces():
    forged = tf.forged_sizes()
    message = bounded(read_table, forged, seconds=2.0, megabytes=10)
    assert message == (
        "The workbook's part 'xl/worksheets/sheet1.xml' does not unpack to the size its "
        "archive declares (2,000 bytes): the file is damaged or forged (a zip bomb). Save the "
        "workbook again from Excel, or export it as CSV.")


def test_a_sheet_of_too_many_cells_is_refused_before_it_is_loaded(frame, monkeypatch):
    import cecore.io.archive as archive

    monkeypatch.setattr(archive, "MAX_SHEET_CELLS", 500)
    assert data_error(read_table, tf.frame_workbook(frame)) == (
        "The sheet 'Data' holds about 604 cells, more than this app reads from a workbook "
        "(500). Use fewer rows or columns, or export the sheet as CSV.")
    assert data_error(read_table, tf.frame_workbook(frame), sheet="Data").startswith(
        "The sheet 'Data' holds about 604 cells")


def test_too_many_parts():
    many = tf.raw_zip([(f"part{i}.xml", b"") for i in range(10_001)])
    assert "declares 10,001 parts" in bounded(read_table, many, seconds=3.0, megabytes=20)


def test_a_password_protected_workbook_and_an_old_xls():
    assert bounded(read_table, tf.encrypted_workbook(), "salaries.xlsx") == (
        "The workbook is password-protected: open it in Excel, remove the password "
        "(File > Info > Protect Workbook) and save it again, or export it as CSV.")
    assert data_error(list_sheets, tf.encrypted_workbook()).startswith(
        "The workbook is password-protected")
    assert data_error(read_table, tf.old_xls(), "old.xls") == (
        "This is an old Excel 97-2003 workbook (.xls) or another old Office document. Open it "
        "in Excel and save it as an Excel Workbook (.xlsx) (File > Save As), or export it as CSV.")


def test_other_archives_say_what_they_are():
    cases = {
        "xl/workbook.bin": "This is an Excel binary workbook (.xlsb).",
        "content.xml": "This is an OpenDocument file (.ods, from LibreOffice or OpenOffice).",
        "word/document.xml": "This is a Word or PowerPoint document.",
        "notes.txt": "This is a ZIP archive, not an Excel workbook. Unzip it and choose the "
                     "CSV, Excel or Parquet file inside.",
    }
    for part, message in cases.items():
        archive = tf.raw_zip([("mimetype", b"x"), (part, b"<x/>")])
        assert data_error(read_table, archive).startswith(message)
    assert "the archive is damaged" in data_error(read_table, b"PK\x03\x04" + b"\x00" * 64)


# --------------------------------------------------------------------------------- Parquet
def test_parquet_nested_columns_are_flattened_or_left_out():
    table = pa.table({
        "id": [1, 2, 3],
        "address": [{"city": "Lyon", "geo": {"lat": 45.7}}, {"city": "Nice", "geo": {"lat": 43.7}},
                    {"city": "Paris", "geo": {"lat": 48.9}}],
        "tags": [["a"], ["b", "c"], []],
        "attrs": pa.array([[("k", 1)], [], [("j", 2)]], type=pa.map_(pa.string(), pa.int64())),
        "label": ["x", "y", "x"],
    })
    frame = read_table(parquet_bytes(table), "nested.parquet")
    assert list(frame.columns) == ["id", "address.city", "address.geo.lat", "label"]
    assert frame["address.geo.lat"].tolist() == [45.7, 43.7, 48.9]
    assert frame.attrs["notes"] == [
        "The columns 'address', 'address.geo' hold records (structs); each of their fields "
        "became a column named <column>.<field>.",
        "Left out: 'tags' (list), 'attrs' (map). A list or map holds several values per row, "
        "and binary data is not a value either, so such a column cannot be a feature or a class.",
    ]
    only_lists = pa.table({"tags": [["a"], ["b"]]})
    assert data_error(read_table, parquet_bytes(only_lists)).startswith(
        "The Parquet file has no column that can be used: Left out: 'tags' (list).")


def test_parquet_dictionary_strings_time_zones_and_pandas_index():
    frame = pd.DataFrame({
        "city": pd.Categorical(["Lyon", "Nice", "Lyon", "Paris"] * 10),
        "seen": pd.date_range("2024-03-30", periods=40, freq="h", tz="Europe/Paris"),
        "x": np.arange(40.0),
        "label": ["yes", "no"] * 20,
    }, index=pd.Index(np.arange(40) * 3))
    read = read_table(parquet_bytes(pa.Table.from_pandas(frame)))
    assert list(read.columns) == ["city", "seen", "x", "label"]  # the unnamed index left out
    assert str(read["city"].dtype) == "str" and read["city"].iloc[3] == "Paris"
    assert str(read["seen"].dtype).endswith("Europe/Paris]")
    assert read["seen"].iloc[0] == frame["seen"].iloc[0]
    prepared = prepare(read, "label", dates="expand")
    assert prepared.X.shape[0] == 40


def test_parquet_bounded_before_decoding(monkeypatch):
    import cecore.io.parquet as parquet

    table = pa.table({"x": np.zeros(1000), "s": pa.array(["a" * 1000] * 1000).dictionary_encode()})
    data = parquet_bytes(table)
    monkeypatch.setattr(parquet, "MAX_CELLS", 1000)
    assert "holds 1,000 rows x 2 columns" in data_error(read_table, data)
    monkeypatch.setattr(parquet, "MAX_CELLS", 10**6)
    monkeypatch.setattr(parquet, "MAX_DECODED_BYTES", 500_000)  # the text is 1 MB decoded
    assert "text would take more than" in data_error(read_table, data)
    assert "could not be read" in data_error(read_table, b"PAR1" + b"\x00" * 100)


# ------------------------------------------------------------------------- the command
def test_the_command_trains_on_xlsx_and_parquet_as_on_csv(frame, tmp_path, capsys):
    (tmp_path / "t.csv").write_text(frame.to_csv(index=False))
    (tmp_path / "t.xlsx").write_bytes(tf.frame_workbook(frame))
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "t.parquet")
    results = {}
    for name in ("t.csv", "t.xlsx", "t.parquet"):
        assert main(["train", str(tmp_path / name), "--target", "label", "--epochs", "50",
                     "--json"]) == 0
        results[name] = json.loads(capsys.readouterr().out)
    for name in ("t.xlsx", "t.parquet"):
        assert results[name]["n_train"] == results["t.csv"]["n_train"]
        assert results[name]["test_loss"] == results["t.csv"]["test_loss"]
    assert main(["train", str(tmp_path / "t.xlsx"), "--target", "nope"]) == 2
    (tmp_path / "bomb.xlsx").write_bytes(tf.zip_bomb(2048))
    assert main(["train", str(tmp_path / "bomb.xlsx"), "--target", "label"]) == 2
    assert "zip bomb" in capsys.readouterr().err


def test_the_first_sheet_that_reads_as_a_table_is_taken_with_a_note():
    frame = tf.two_class_frame()
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Exported from the CRM on 2026-11-30"])
    sheet = book.create_sheet("Data")
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    table = read_table(tf.workbook_bytes(book), "crm.xlsx")
    assert list(table.columns) == ["x1", "x2", "count", "label"] and len(table) == len(frame)
    assert ("The sheets 'Notes' hold no table (a title or notes, no rows of data); the first "
            "sheet with a table is 'Data'.") in table.attrs["notes"]
    with pytest.raises(DataError, match="no data rows"):
        read_table(tf.workbook_bytes(book), "crm.xlsx", sheet="Notes")
