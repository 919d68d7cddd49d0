"""Excel workbooks (.xlsx, .xlsm) into a DataFrame: the sheet chosen, its cells' saved values.

The engine is python-calamine (Rust's calamine). Measured by benchmarks/read_table.py on a
10 MB .xlsx of 100,000 rows x 10 numbers, in one process, median of 3 (2 shared cores):
calamine gives the sheet's values in 0.58 s, openpyxl (read_only=True, data_only=True,
values_only rows) in 4.7 s, 8x slower, with the same values; read_table as a whole (archive
checks, typed columns) takes 0.97 s, with a peak of about 76 MB above the process's baseline
(calamine holds the sheet's cells, about 70 bytes each, hence MAX_SHEET_CELLS). calamine also reports date-formatted
cells as datetimes, sheet kinds (chart sheets) and merged ranges, and never evaluates
anything: formulas give the value Excel saved with them, macros (VBA in an .xlsm) are
never run. What calamine cannot say is checked on the archive itself (cecore.io.archive):
sizes before inflating (zip bombs), encryption, formula cells without a saved value and
error cells, which calamine reads as empty cells.

Reading: :func:`cecore.io.archive.open_workbook` checks the archive, calamine reads the sheet
(``sheet`` by name, or else the first worksheet with any value), and
:func:`cecore.io.sheet_table.sheet_frame` turns its cells into the table with read_csv's
conventions. Notes say which sheet was read among how many, and what was skipped or missing.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import python_calamine as calamine

from cecore.errors import DataError
from cecore.io.archive import (
    PROTECTED,
    Workbook,
    check_sheet_cells,
    count_special_cells,
    open_workbook,
)
from cecore.io.sheet_table import sheet_frame

EXCEL_EXTENSIONS = (".xlsx", ".xlsm")


def excel_sheets(data: Path | bytes) -> list[str]:
    """The names of the workbook's worksheets (the sheets that hold cells), in order."""
    open_workbook(data)
    with _calamine(data) as book:
        return [m.name for m in book.sheets_metadata if m.typ == calamine.SheetTypeEnum.WorkSheet]


def read_excel(data: Path | bytes, sheet: str | None = None) -> pd.DataFrame:
    """The table on one sheet of a workbook, with notes (see the module docstring)."""
    workbook = open_workbook(data)
    with _calamine(data) as book:
        metadata = book.sheets_metadata
        all_names = [m.name for m in metadata]
        cells = [m.name for m in metadata if m.typ == calamine.SheetTypeEnum.WorkSheet]
        if sheet is None:
            name, (frame, notes), chosen_note = _first_sheet_with_a_table(book, workbook,
                                                                          all_names, cells)
        else:
            name, chosen_note = _checked_sheet_name(book, sheet, all_names, cells), []
            check_sheet_cells(workbook, name)
            rows = _used_cells(book, name)
            if rows is None:
                raise DataError(_empty_message(book, name, cells))
            frame, notes = sheet_frame(*rows)
    sheets = ", ".join(all_names)
    if len(all_names) == 1:
        read = f"Read sheet {name!r}, the workbook's only sheet."
    else:
        read = f"Read sheet {name!r} (the workbook has {len(all_names)} sheets: {sheets})."
    frame.attrs["notes"] = chosen_note + [read] + notes + _cell_notes(data, workbook, name)
    return frame


def _calamine(data: Path | bytes):
    """The calamine workbook for checked data; DataError for what calamine cannot read."""
    try:
        return calamine.CalamineWorkbook.from_object(
            str(data) if isinstance(data, Path) else io.BytesIO(data)
        )
    except calamine.PasswordError as exc:
        raise DataError(PROTECTED) from exc
    except calamine.CalamineError as exc:
        raise DataError(
            f"The workbook could not be read ({exc}). Save it again from Excel, or export "
            "the sheet as CSV."
        ) from exc


def _used_cells(book, name: str):
    """(rows, origin, merged ranges) of the sheet's used area, or None when it has no value."""
    try:
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=True)
    except calamine.CalamineError as exc:
        raise DataError(
            f"The sheet {name!r} could not be read ({exc}). Save the workbook again from "
            "Excel, or export the sheet as CSV."
        ) from exc
    if not any(row.count("") < len(row) for row in rows):
        return None
    return rows, sheet.start or (0, 0), sheet.merged_cell_ranges


def _first_sheet_with_a_table(book, workbook: Workbook, all_names: list[str],
                              cells: list[str]):
    """The first worksheet that reads as a table: (name, (frame, notes), a note on the sheets
    passed: empty ones, and ones whose values are no table, such as a single title line).
    When no sheet reads as a table, the first sheet with values raises its error."""
    empty, not_tables, first_error = [], [], None
    for name in cells:
        check_sheet_cells(workbook, name)
        rows = _used_cells(book, name)
        if rows is None:
            empty.append(name)
            continue
        try:
            table = sheet_frame(*rows)
        except DataError as error:
            first_error = first_error or error
            not_tables.append(name)
            continue
        note = []
        if empty:
            note.append(f"The sheets before it are empty ({', '.join(map(repr, empty))}); the "
                        f"first sheet with data is {name!r}.")
        if not_tables:
            note.append(f"The sheets {', '.join(map(repr, not_tables))} hold no table (a "
                        f"title or notes, no rows of data); the first sheet with a table is "
                        f"{name!r}.")
        return name, table, note
    if first_error is not None:
        raise first_error
    charts = [n for n in all_names if n not in cells]
    if not cells and charts:
        raise DataError(
            f"The workbook holds only charts ({', '.join(charts)}), no cells with a table. "
            "Choose the workbook with the chart's data, or export the data as CSV."
        )
    raise DataError(
        f"The workbook is empty: no sheet holds a value ({', '.join(all_names)})."
    )


def _checked_sheet_name(book, sheet: str, all_names: list[str], cells: list[str]) -> str:
    """The sheet name if it is a worksheet of the workbook, else a DataError saying so."""
    if sheet in cells:
        return sheet
    if sheet in all_names:
        with_data = [n for n in cells if _used_cells(book, n) is not None]
        raise DataError(
            f"The sheet {sheet!r} holds only a chart, no cells. Choose the sheet with the "
            f"table ({', '.join(with_data) or 'no sheet of this workbook has one'})."
        )
    raise DataError(
        f"The workbook has no sheet {sheet!r}; its sheets are: {', '.join(all_names)}."
    )


def _empty_message(book, name: str, cells: list[str]) -> str:
    """The message for an empty chosen sheet, naming the sheets that have data."""
    with_data = [n for n in cells if n != name and _used_cells(book, n) is not None]
    if not with_data:
        return f"The sheet {name!r} is empty, and so is every other sheet of the workbook."
    which = ", ".join(repr(n) for n in with_data)
    if len(with_data) == 1:
        return f"The sheet {name!r} is empty; the sheet {which} has data: choose it."
    return f"The sheet {name!r} is empty; the sheets {which} have data: choose one of them."


def _cell_notes(data: Path | bytes, workbook: Workbook, name: str) -> list[str]:
    """Notes on macros, formulas without a saved value and error cells."""
    notes = []
    if workbook.macros:
        notes.append("The workbook contains macros (VBA); they were not run: only the values "
                     "saved in the cells were read.")
    part = workbook.sheet_parts.get(name)
    if part not in workbook.marked_parts:
        return notes
    uncached, errors = count_special_cells(data, part)
    if uncached:
        cells = "cell has" if uncached == 1 else "cells have"
        notes.append(
            f"{uncached} formula {cells} no saved value (the file was written by a program "
            "that does not calculate formulas), so they were read as missing. Open the file "
            "in Excel and save it again to keep their values."
        )
    if errors:
        cells = "cell holds" if errors == 1 else "cells hold"
        notes.append(f"{errors} {cells} an Excel error (such as #DIV/0! or #N/A); they were "
                     "read as missing.")
    return notes
