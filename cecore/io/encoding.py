"""The text encoding of a file: UTF-8, UTF-16/32 with or without BOM, Windows-1252; binary files refused."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from cecore.errors import DataError
from cecore.io.source import SAMPLE_BYTES, all_bytes, byte_chunks, byte_size, first_bytes

#: (first bytes, what a file starting with them is): refused by read_csv; read_table reads the
#: Excel and Parquet ones itself and refuses the rest with its own wording
BINARY_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "an Excel workbook or a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Office document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def as_utf8(data: Path | bytes) -> tuple[Path | bytes, str | None]:
    """Return the data as UTF-8 and the name of the encoding it was converted from.

    UTF-8 data (with or without BOM) is returned unchanged, so a path is streamed later
    rather than loaded. Other encodings are decoded and re-encoded in memory: UTF-32 and
    UTF-16 by their byte-order mark, or without one by the zero bytes of mostly-Latin text,
    else Windows-1252 and, failing that, Latin-1.
    """
    head = first_bytes(data, SAMPLE_BYTES)
    for bom, codec, name in _BOMS:  # UTF-32 first: its little-endian BOM starts like UTF-16's
        if head.startswith(bom):
            return _decode_wide(data, codec, name, "starts like"), name
    _reject_binary_signature(head)
    has_nul, is_utf8 = _scan_bytes(data)
    if has_nul:
        guess = _guess_wide_encoding(head, byte_size(data))
        if guess is None:
            raise DataError(
                "The file contains NUL bytes, so it is a binary file (or text in an encoding "
                "that could not be recognised), not a CSV text file. Export it as CSV (UTF-8)."
            )
        codec, name = guess
        return _decode_wide(data, codec, name, "looks like"), name
    if is_utf8:
        return data, None
    raw = all_bytes(data)
    try:
        return raw.decode("cp1252").encode("utf-8"), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1").encode("utf-8"), "Latin-1"


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


# Encodings without byte-order mark, recognised in text that is mostly Latin letters, digits
# and punctuation: (codec, name, code unit size, offset of a byte that is then almost always
# zero, offset of the byte that holds the character)
_WIDE_ENCODINGS = (
    ("utf-32-le", "UTF-32", 4, 3, 0),
    ("utf-32-be", "UTF-32", 4, 0, 3),
    ("utf-16-le", "UTF-16", 2, 1, 0),
    ("utf-16-be", "UTF-16", 2, 0, 1),
)


def _decode_wide(data: Path | bytes, codec: str, name: str, how: str) -> bytes:
    """The data decoded from UTF-16 or UTF-32 and encoded as UTF-8; DataError if invalid."""
    try:
        text = all_bytes(data).decode(codec)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"The file {how} {name} text but is not valid {name}. Save it again as CSV (UTF-8)."
        ) from exc
    return text.encode("utf-8")


def _guess_wide_encoding(head: bytes, size: int) -> tuple[str, str] | None:
    """(codec, name) of UTF-32 or UTF-16 text without byte-order mark, or None.

    Recognised when the file length fits the code unit, the high bytes of the code units
    are mostly zero while the low bytes are mostly not (text in Latin script), and the
    start decodes without error into text without NUL characters.
    """
    for codec, name, unit, zero_at, text_at in _WIDE_ENCODINGS:
        if size % unit or len(head) < unit:
            continue
        sample = head[: len(head) - len(head) % unit]
        n_units = len(sample) // unit
        if sample[zero_at::unit].count(0) < 0.5 * n_units:
            continue
        if sample[text_at::unit].count(0) > 0.1 * n_units:
            continue
        try:
            text = codecs.getincrementaldecoder(codec)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return codec, name
    return None


def _reject_binary_signature(head: bytes) -> None:
    """Raise DataError when the data starts like a well-known binary format."""
    for signature, description in BINARY_SIGNATURES:
        if head.startswith(signature):
            raise DataError(
                f"This looks like {description}, not a CSV file. "
                "Open it in its program and export or save it as CSV."
            )


def _scan_bytes(data: Path | bytes) -> tuple[bool, bool]:
    """Return (contains a NUL byte, is valid UTF-8), reading the data once in pieces."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    for chunk in byte_chunks(data):
        if b"\x00" in chunk:
            return True, False
        if is_utf8 and not (chunk.isascii() and decoder.getstate()[0] == b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                is_utf8 = False
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return False, is_utf8


def reject_control_characters(text: str) -> None:
    """Raise DataError when the text is full of control characters, as binary data is.

    A few stray ones (a vertical tab from a spreadsheet cell, say) are tolerated.
    """
    n_control = len(_CONTROL_CHARACTERS.findall(text))
    if n_control > max(16, len(text) // 50):
        raise DataError(
            "The file does not look like text: it is full of control characters. "
            "Choose a CSV text file."
        )
