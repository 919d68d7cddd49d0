"""Where the bytes come from: a path (streamed), bytes or a file object; the size limit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cecore.errors import DataError

MAX_UPLOAD_MB = 100
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
SAMPLE_BYTES = 1024 * 1024  # how much of the file is used to detect the dialect
SNIFF_RECORDS = 200  # records per candidate delimiter used to detect the dialect


def load_source(source) -> Path | bytes:
    """Return a path to stream from, or the file's bytes; reject missing or too large files."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"There is no file at '{path}'.")
        check_size(path.stat().st_size)
        return path
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "read"):
        if getattr(source, "seekable", lambda: False)():
            source.seek(0)
        data = source.read(MAX_UPLOAD_BYTES + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, (bytes, bytearray)):
            raise DataError("The file object did not return any bytes when read.")
        data = bytes(data)
    else:
        raise DataError(
            f"A table is read from a file path, bytes or an open file, not {type(source).__name__}."
        )
    check_size(len(data))
    return data


def check_size(n_bytes: int) -> None:
    """Reject files above the upload limit (every format: CSV, Excel and Parquet alike)."""
    if n_bytes > MAX_UPLOAD_BYTES:
        raise DataError(
            f"The file is larger than {MAX_UPLOAD_MB} MB, the upload limit. "
            "Use fewer rows or columns."
        )


def byte_size(data: Path | bytes) -> int:
    """Size of the data in bytes."""
    return data.stat().st_size if isinstance(data, Path) else len(data)


def first_bytes(data: Path | bytes, n_bytes: int) -> bytes:
    """The first ``n_bytes`` bytes of the data."""
    if isinstance(data, Path):
        with data.open("rb") as handle:
            return handle.read(n_bytes)
    return data[:n_bytes]


def byte_chunks(data: Path | bytes, chunk_bytes: int = 8 * 1024 * 1024) -> Iterator[bytes]:
    """The data in consecutive pieces, without holding a whole file in memory."""
    if isinstance(data, Path):
        with data.open("rb") as handle:
            while chunk := handle.read(chunk_bytes):
                yield chunk
    else:
        view = memoryview(data)
        for start in range(0, len(data), chunk_bytes):
            yield bytes(view[start : start + chunk_bytes])


def all_bytes(data: Path | bytes) -> bytes:
    """The whole data as bytes."""
    return data.read_bytes() if isinstance(data, Path) else data
