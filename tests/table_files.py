"""Workbooks and Parquet files for tests/test_read_table.py, built in the tests.

openpyxl writes the ordinary workbooks; :func:`raw_zip` writes archives part by part, with
the sizes the directory declares under the test's control (zip bombs, forged sizes); the
OLE containers (an encrypted workbook, an old .xls) are written sector by sector.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

import numpy as np
import openpyxl
import pandas as pd

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def two_class_frame(n: int = 150, seed: int = 0) -> pd.DataFrame:
    """Two numeric features, a whole-number count and a text class."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(0, 1, n).round(4)
    x2 = rng.normal(0, 1, n).round(4)
    count = rng.integers(0, 20, n)
    label = np.where(x1 + 0.5 * x2 + rng.normal(0, 0.7, n) > 0, "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": x2, "count": count, "label": label})


def workbook_bytes(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def frame_workbook(frame: pd.DataFrame, title: str = "Data") -> bytes:
    """The frame on one sheet, header in row 1."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([v.item() if hasattr(v, "item") else v for v in row])
    return workbook_bytes(book)


def parts(data: bytes) -> dict[str, bytes]:
    """The parts of an archive, by name, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def sheet_xml(rows: str) -> bytes:
    """A worksheet part with the given ``<row>`` elements."""
    return (f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>').encode()


def with_parts(data: bytes, replaced: dict[str, bytes]) -> bytes:
    """The workbook with parts replaced or added."""
    content = parts(data)
    content.update(replaced)
    return raw_zip([(name, value) for name, value in content.items()])


def raw_zip(entries, declared: dict[str, int] | None = None) -> bytes:
    """A ZIP archive of (name, bytes) or (name, deflated bytes, crc, size) entries; a
    part named in ``declared`` has that uncompressed size in its headers instead."""
    out = io.BytesIO()
    central = []
    for entry in entries:
        name = entry[0].encode()
        if len(entry) == 2:
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            raw = packer.compress(entry[1]) + packer.flush()
            crc, size = zlib.crc32(entry[1]), len(entry[1])
        else:
            raw, crc, size = entry[1], entry[2], entry[3]
        size = (declared or {}).get(entry[0], size)
        offset = out.tell()
        fields = struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, 0x21, crc, len(raw), size, len(name), 0)
        out.write(b"PK\x03\x04" + fields + name + raw)
        central.append(b"PK\x01\x02" + struct.pack("<H", 20) + fields
                       + struct.pack("<HHHII", 0, 0, 0, 0, offset) + name)
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(central), len(central),
                                          len(directory), start, 0))
    return out.getvalue()


@functools.lru_cache(maxsize=2)
def zip_bomb(megabytes: int = 2048) -> bytes:
    """A valid workbook whose sheet part inflates to ``megabytes`` MiB (blanks between its
    tags) from about a kilobyte per MiB: the deflate stream repeats one fully flushed block."""
    head = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    tail = b"</sheetData></worksheet>"
    block = b" " * (8 * 1024**2)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    middle = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    last = packer.compress(tail) + packer.flush()
    repeats = megabytes * 1024**2 // len(block)
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + repeats * len(block) + len(tail)
    sheet = ("xl/worksheets/sheet1.xml", first + middle * repeats + last, crc, size)
    base = parts(frame_workbook(two_class_frame(5)))
    entries = [sheet if name == sheet[0] else (name, value) for name, value in base.items()]
    return raw_zip(entries)


def forged_sizes() -> bytes:
    """A workbook whose sheet part declares 2,000 bytes but inflates to 64 MB of blanks."""
    base = parts(frame_workbook(two_class_frame(5)))
    sheet = sheet_xml(" " * (64 * 1024**2))
    base["xl/worksheets/sheet1.xml"] = sheet
    return raw_zip(list(base.items()), declared={"xl/worksheets/sheet1.xml": 2000})


# ----------------------------------------------------------------- OLE compound files
_FREE, _END, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _directory_entry(name: str, kind: int, right: int, child: int, start: int, size: int):
    encoded = (name + "\x00").encode("utf-16-le") if name else b""
    return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", _NO_STREAM, right, child) + b"\x00" * 20
            + b"\x00" * 16 + struct.pack("<IQ", start, size))


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A compound file (version 3, 512-byte sectors) holding the streams (each padded to at
    least 4,096 bytes, so that all live in regular sectors; at most three streams)."""
    sector = 512
    fat = [_FAT_SECTOR, _END]  # sector 0: the FAT, sector 1: the directory
    data, entries = b"", []
    names = list(streams)
    for position, name in enumerate(names):
        body = streams[name].ljust(4096, b"\x00")
        body += b"\x00" * (-len(body) % sector)
        first = len(fat)
        count = len(body) // sector
        fat += [first + i + 1 for i in range(count - 1)] + [_END]
        right = position + 2 if position + 1 < len(names) else _NO_STREAM
        entries.append(_directory_entry(name, 2, right, _NO_STREAM, first, len(streams[name])))
        data += body
    root = _directory_entry("Root Entry", 5, _NO_STREAM, 1 if names else _NO_STREAM, _END, 0)
    directory = b"".join([root, *entries]).ljust(sector, b"\x00")
    assert len(directory) == sector and len(fat) <= sector // 4
    fat_sector = struct.pack(f"<{sector // 4}I", *(fat + [_FREE] * (sector // 4 - len(fat))))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
              + struct.pack("<109I", 0, *([_FREE] * 108)))
    assert len(header) == sector
    return header + fat_sector + directory + data


def encrypted_workbook() -> bytes:
    """How Excel stores a password-protected .xlsx: an OLE file with the encryption's
    description (EncryptionInfo, agile encryption 4.4) and the encrypted archive."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0"?><encryption/>'
    package = struct.pack("<Q", 5000) + np.random.default_rng(1).bytes(5000)
    return ole_file({"EncryptionInfo": info, "EncryptedPackage": package})


def old_xls() -> bytes:
    """An Excel 97-2003 file's container: a Workbook stream (BIFF8 records)."""
    return ole_file({"Workbook": struct.pack("<HHHH", 0x0809, 4, 0x0600, 0x0005)})
