"""An Excel workbook's container, checked before the spreadsheet engine sees it.

An ``.xlsx`` file is a ZIP archive of XML parts. A ZIP archive says in its central directory
how large each part becomes once inflated, and a hostile one (a "zip bomb") says gigabytes,
or lies and says little. So, before any part is inflated:

- the directory is read (at most MAX_ENTRIES parts) and refused when its parts would
  inflate to more than MAX_INFLATED_BYTES in all, when a part larger than RATIO_CHECKED_FROM
  inflates more than MAX_RATIO times (spreadsheets compress 3-20x), when a part is encrypted,
  or compressed with a method other than the two Excel writes (stored, deflate);
- then every part is inflated once here, in pieces of INFLATE_PIECE bytes that are counted
  and dropped, and refused as soon as it yields more than its directory entry declared: the
  engine (calamine, whose ZIP reader trusts the declared sizes) only gets an archive whose
  sizes are true, so memory stays bounded by the limits above.

The same pass counts each worksheet's cells (the engine holds every cell of a sheet in memory,
about 70 bytes each: :func:`check_sheet_cells` refuses a sheet of more than MAX_SHEET_CELLS
before it is loaded) and notes which worksheet parts hold formulas or error cells, so that
only those are scanned again (:func:`count_special_cells`) for the notes on values Excel never saved.
Files in an OLE container (the signature ``D0 CF 11 E0``) are an encrypted workbook (its
``EncryptedPackage`` stream) or an old Excel 97-2003 file, and are refused with what to do.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import NamedTuple
from xml.etree import ElementTree

from cecore.errors import DataError
from cecore.io.source import byte_chunks, byte_size, first_bytes

ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"
MAX_INFLATED_BYTES = 1024**3  # all parts of a workbook together, once inflated
MAX_RATIO = 100  # inflated / compressed, for parts of at least RATIO_CHECKED_FROM bytes
RATIO_CHECKED_FROM = 10 * 1024**2
MAX_ENTRIES = 10_000  # parts in one archive (a workbook has tens)
MAX_SHEET_CELLS = 20_000_000  # cells of the sheet read (about 1.5 GB in the engine)
INFLATE_PIECE = 1024**2  # bytes inflated at a time
_SMALL_PART_BYTES = 16 * 1024**2  # workbook.xml, its relationships, the content types

PROTECTED = (
    "The workbook is password-protected: open it in Excel, remove the password "
    "(File > Info > Protect Workbook) and save it again, or export it as CSV."
)
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# the end of a formula element (</f>, </x:f>; a shared formula's other cells, <f t="shared"
# si="0"/>, come with its first cell's </f>) or an error cell (t="e"): then the part is
# scanned again
_CELL_MARKERS = (b"f>", b't="e"')
_CELL_STARTS = (b"<c", b":c ")  # a cell element, prefixed or not (<col>...: an upper bound)
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_REL_ID = re.compile(r"^\{[^}]*relationships\}id$")


class Workbook(NamedTuple):
    """What the checked archive holds: the sheets' part names, macros, special cells."""

    sheet_parts: dict[str, str]  # sheet name -> its part in the archive (worksheets only)
    macros: bool  # a macro-enabled workbook (.xlsm: VBA project)
    marked_parts: frozenset[str]  # worksheet parts that hold formulas or error cells
    cell_counts: dict[str, int]  # worksheet part -> number of cell elements (at most)


def refuse_ole(data: Path | bytes) -> None:
    """Raise the DataError for a file in an OLE container: encrypted workbook or old .xls."""
    carry = b""
    for chunk in byte_chunks(data):
        if _ENCRYPTED_PACKAGE in carry + chunk:
            raise DataError(PROTECTED)
        carry = chunk[-len(_ENCRYPTED_PACKAGE) :]
    raise DataError(
        "This is an old Excel 97-2003 workbook (.xls) or another old Office document. "
        "Open it in Excel and save it as an Excel Workbook (.xlsx) (File > Save As), "
        "or export it as CSV."
    )


def open_workbook(data: Path | bytes) -> Workbook:
    """Check the archive (directory, then true sizes) and read its workbook part."""
    _check_entry_count(data)
    source = str(data) if isinstance(data, Path) else io.BytesIO(data)
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            _refuse_other_archives(names)
            _check_directory(infos, byte_size(data))
            marked, counts = _check_true_sizes(data, infos)
            sheets = _sheet_parts(archive, names)
            types = _read_small(archive, "[Content_Types].xml", names)
    except zipfile.BadZipFile as exc:
        raise DataError(
            "The file starts like an Excel workbook (a ZIP archive) but the archive is "
            f"damaged ({exc}). Save the workbook again from Excel, or export it as CSV."
        ) from exc
    macros = "xl/vbaProject.bin" in names or b"macroEnabled" in types
    return Workbook(sheets, macros, frozenset(marked) & set(sheets.values()), counts)


def check_sheet_cells(workbook: Workbook, name: str) -> None:
    """Refuse a sheet of more than MAX_SHEET_CELLS cells, before the engine loads it."""
    cells = workbook.cell_counts.get(workbook.sheet_parts.get(name, ""), 0)
    if cells > MAX_SHEET_CELLS:
        raise DataError(
            f"The sheet {name!r} holds about {cells:,} cells, more than this app reads from "
            f"a workbook ({MAX_SHEET_CELLS:,}). Use fewer rows or columns, or export the "
            "sheet as CSV."
        )


def _check_entry_count(data: Path | bytes) -> None:
    """Refuse an archive whose end record declares more than MAX_ENTRIES parts."""
    size = byte_size(data)
    tail_bytes = min(size, 22 + 65535 + 20 + 56)
    if isinstance(data, Path):
        with data.open("rb") as handle:
            handle.seek(size - tail_bytes)
            tail = handle.read()
    else:
        tail = data[size - tail_bytes :]
    end = tail.rfind(b"PK\x05\x06")
    if end < 0:
        return  # zipfile says the archive is damaged
    (count,) = struct.unpack("<H", tail[end + 10 : end + 12])
    zip64 = tail.rfind(b"PK\x06\x06", 0, end)
    if count == 0xFFFF and zip64 >= 0:
        (count,) = struct.unpack("<Q", tail[zip64 + 32 : zip64 + 40])
    if count > MAX_ENTRIES:
        raise DataError(
            f"The workbook's archive declares {count:,} parts; a workbook has tens. It is a "
            "damaged or hostile file: save the workbook again from Excel, or export it as CSV."
        )


def _refuse_other_archives(names: set[str]) -> None:
    """DataError for a ZIP archive that is not an .xlsx/.xlsm workbook."""
    if "xl/workbook.xml" in names:
        return
    if "xl/workbook.bin" in names:
        what = "an Excel binary workbook (.xlsb)"
        todo = "Open it in Excel and save it as an Excel Workbook (.xlsx), or export it as CSV."
    elif "content.xml" in names and "mimetype" in names:
        what = "an OpenDocument file (.ods, from LibreOffice or OpenOffice)"
        todo = "Open it there and save it as an Excel Workbook (.xlsx), or export it as CSV."
    elif "word/document.xml" in names or "ppt/presentation.xml" in names:
        what = "a Word or PowerPoint document"
        todo = "Put the table in a spreadsheet and save it as .xlsx or CSV."
    else:
        what = "a ZIP archive, not an Excel workbook"
        todo = "Unzip it and choose the CSV, Excel or Parquet file inside."
    raise DataError(f"This is {what}. {todo}")


def _gigabytes(n_bytes: int) -> str:
    """A size in GB, MB or KB, with one decimal at most ("2 GB", "1.5 MB", "40 KB")."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n_bytes >= size or unit == "KB":
            return f"{n_bytes / size:.1f}".removesuffix(".0") + f" {unit}"


def _check_directory(infos: list[zipfile.ZipInfo], file_bytes: int) -> None:
    """Refuse, from the central directory alone, what would inflate too far."""
    total = sum(info.file_size for info in infos)
    if total > MAX_INFLATED_BYTES:
        raise DataError(
            f"The workbook would take {_gigabytes(total)} once unpacked (its archive declares "
            f"that much from a {_gigabytes(file_bytes)} file), more than the "
            f"{_gigabytes(MAX_INFLATED_BYTES)} limit. It is a damaged or hostile file "
            "(a zip bomb) or far too large a workbook: export the table as CSV."
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise DataError(PROTECTED)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise DataError(
                f"The workbook's part '{info.filename}' is compressed in a way Excel does not "
                "write. Save the workbook again from Excel, or export it as CSV."
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_CHECKED_FROM and ratio > MAX_RATIO:
            raise DataError(
                f"The workbook's part '{info.filename}' would unpack from "
                f"{_gigabytes(info.compress_size)} to {_gigabytes(info.file_size)} "
                f"({ratio:,.0f} times; spreadsheets compress at most about {MAX_RATIO} times). "
                "It is a damaged or hostile file (a zip bomb): export the table as CSV."
            )


def _check_true_sizes(
    data: Path | bytes, infos: list[zipfile.ZipInfo]
) -> tuple[set[str], dict[str, int]]:
    """Inflate every part in pieces, refusing one that yields more (or other) than declared:
    the worksheet parts that hold formula or error markers, and their cell counts."""
    marked, counts = set(), {}
    handle = data.open("rb") if isinstance(data, Path) else io.BytesIO(data)
    with handle:
        for info in infos:
            worksheet = info.filename.startswith("xl/worksheets/")
            found, cells = _inflate_checked(handle, info, scan=worksheet)
            if worksheet:
                counts[info.filename] = counts.get(info.filename, 0) + cells
                if found:
                    marked.add(info.filename)
    return marked, counts


def _inflate_checked(handle, info: zipfile.ZipInfo, scan: bool) -> tuple[bool, int]:
    """Inflate one part from its raw bytes; DataError when its size is not the declared one.
    Returns whether the inflated text holds a formula or error-cell marker and how many cell
    elements it has (when ``scan``)."""
    handle.seek(info.header_offset)
    local = handle.read(30)
    if len(local) < 30 or not local.startswith(ZIP_SIGNATURE):
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    left = info.compress_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type else None
    produced, found, carry, cells = 0, False, b"", 0
    while left > 0:
        raw = handle.read(min(INFLATE_PIECE, left))
        if not raw:
            break
        left -= len(raw)
        while raw:
            piece = inflater.decompress(raw, INFLATE_PIECE) if inflater else raw
            raw = inflater.unconsumed_tail if inflater else b""
            produced += len(piece)
            if produced > info.file_size:
                _refuse_forged(info)
            if scan:
                cells += sum(piece.count(start) for start in _CELL_STARTS)
            if scan and not found:
                text = carry + piece
                found = any(marker in text for marker in _CELL_MARKERS)
                carry = piece[-8:]
    if inflater:
        produced += len(inflater.flush())
        complete = inflater.eof
    else:
        complete = left == 0
    if produced != info.file_size or not complete:
        _refuse_forged(info)
    return found, cells


def _refuse_forged(info: zipfile.ZipInfo) -> None:
    raise DataError(
        f"The workbook's part '{info.filename}' does not unpack to the size its archive "
        f"declares ({info.file_size:,} bytes): the file is damaged or forged (a zip bomb). "
        "Save the workbook again from Excel, or export it as CSV."
    )


def _read_small(archive: zipfile.ZipFile, name: str, names: set[str]) -> bytes:
    """A small part's bytes (b"" when absent); DataError when it is implausibly large."""
    if name not in names:
        return b""
    if archive.getinfo(name).file_size > _SMALL_PART_BYTES:
        raise DataError(
            f"The workbook's part '{name}' is implausibly large. Save the workbook again "
            "from Excel, or export it as CSV."
        )
    return archive.read(name)


def _parse(text: bytes, name: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise DataError(
            f"The workbook's part '{name}' is not valid XML ({exc}). Save the workbook again "
            "from Excel, or export it as CSV."
        ) from exc


def _sheet_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Sheet name -> worksheet part, from xl/workbook.xml and its relationships."""
    book = _parse(_read_small(archive, "xl/workbook.xml", names), "xl/workbook.xml")
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = _parse(_read_small(archive, rels_name, names) or b"<r/>", rels_name)
    targets = {}
    for rel in rels.iter():
        if rel.tag.endswith("Relationship") and rel.get("Type", "").endswith("/worksheet"):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                str(PurePosixPath("xl") / target))
            targets[rel.get("Id")] = path
    parts = {}
    for sheet in book.iter():
        if sheet.tag in (f"{_NS_MAIN}sheet", f"{_NS_STRICT}sheet", "sheet"):
            rel_id = next((v for k, v in sheet.attrib.items() if _REL_ID.match(k)), None)
            if rel_id in targets:
                parts[sheet.get("name", "")] = targets[rel_id]
    return parts


_FORMULA_CELL = re.compile(
    rb"<(?:\w+:)?f\b[^>]*?(?:/>|>.*?</(?:\w+:)?f>)(.*?)</(?:\w+:)?c>", re.DOTALL
)
_SAVED_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]")
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*\st="e"')
_ROW_END = re.compile(rb"</(?:\w+:)?row>")


def count_special_cells(data: Path | bytes, part: str) -> tuple[int, int]:
    """(formula cells without a saved value, cells holding an Excel error) in a worksheet
    part of a checked archive, scanned row by row in pieces."""
    source = str(data) if isinstance(data, Path) else io.BytesIO(data)
    uncached = errors = 0
    with zipfile.ZipFile(source) as archive, archive.open(part) as stream:
        carry = b""
        while piece := stream.read(INFLATE_PIECE):
            text = carry + piece
            cut = text.rfind(b"row>") + 4  # after a row's start or end tag: between cells
            if cut < 4:
                cut = len(text) if len(text) > 64 * INFLATE_PIECE else 0
            uncached, errors = _count(text[:cut], uncached, errors)
            carry = text[cut:]
        uncached, errors = _count(carry, uncached, errors)
    return uncached, errors


def _count(text: bytes, uncached: int, errors: int) -> tuple[int, int]:
    for cell in _FORMULA_CELL.finditer(text):
        uncached += not _SAVED_VALUE.search(cell[1])
    return uncached, errors + len(_ERROR_CELL.findall(text))


def is_zip(data: Path | bytes) -> bool:
    """Whether the data starts like a ZIP archive."""
    return first_bytes(data, 4) == ZIP_SIGNATURE

