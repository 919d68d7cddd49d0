"""Hostile files, generated: one catalogue shared by the unit, command-line and browser tests.

Each :class:`HostileFile` says what a person should get from it:

- ``"unreadable"``: ``read_csv`` raises DataError (the page shows it and keeps the previous
  file), ``python -m cecore train`` exits 2;
- ``"unusable"``: the table reads, but ``prepare`` with ``target`` raises DataError (the page
  shows it under the target choice and disables Train), the command exits 2;
- ``"trains"``: it reads and trains; ``check`` looks at the DataFrame ``read_csv`` gave.

``message`` is a fragment of the DataError (or, for ``"trains"``, of a note the page shows).
Contents are deterministic (seeded) and built once per process. The file over the upload
limit is not in the catalogue: :func:`write_oversized` writes it to a directory.
"""

from __future__ import annotations

import codecs
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: user text that must never become markup: an image with a script, a Markdown image that
#: would fetch from port 9 of this machine, display math, a link
IMG_TAG = "<img src=x onerror=alert(1)>"
MD_IMAGE = "![x](http://127.0.0.1:9/t.png)"
LATEX = "$$\\frac{1}{0}$$"
MARKUP = (IMG_TAG, MD_IMAGE, LATEX)
#: cells a spreadsheet would run as a formula
FORMULAS = ("=1+2", "+cmd", "-2-2", "@SUM(A1)")

UPLOAD_LIMIT_MB = 100  # .streamlit/config.toml server.maxUploadSize (= cecore.io.MAX_UPLOAD_MB)


@dataclass(frozen=True)
class HostileFile:
    id: str
    name: str  # the file name as uploaded
    build: Callable[[], bytes] = field(repr=False)
    outcome: str  # "unreadable" | "unusable" | "trains"
    message: str  # a regular expression: found in the error, or in a note when it trains
    target: str | None = None  # the class column (None when unreadable)
    check: Callable[[pd.DataFrame], None] | None = field(default=None, repr=False)
    cli: bool = False  # part of the subset run through `python -m cecore train`

    @property
    def content(self) -> bytes:
        return _content(self.id)

    def write(self, directory: Path) -> Path:
        path = Path(directory) / self.name
        path.write_bytes(self.content)
        return path


# --------------------------------------------------------------------------- building blocks
def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _two_class_table(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """Two numeric features that separate two classes, with some overlap."""
    rng = _rng(seed)
    x1 = rng.normal(0, 1, n)
    x2 = rng.normal(0, 1, n)
    label = np.where(x1 + 0.5 * x2 + rng.normal(0, 0.7, n) > 0, "yes", "no")
    return pd.DataFrame({"x1": x1.round(4), "x2": x2.round(4), "label": label})


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode()


def _text_table(encoding: str, bom: bytes = b"") -> bytes:
    """Names with accents, a categorical city, a numeric size, a class, in an encoding."""
    rng = _rng(4)
    n = 80
    city = rng.choice(["Zürich", "Malmö", "Besançon", "Århus"], n)
    size = rng.normal(10, 2, n).round(3)
    label = np.where((city == "Zürich") | (size > 10.5), "oui", "non")
    frame = pd.DataFrame({"ville": city, "taille": size, "résultat": label})
    return bom + frame.to_csv(index=False, lineterminator="\n").encode(encoding)


# --------------------------------------------------------------------------- the files
def _empty() -> bytes:
    return b""


def _header_only() -> bytes:
    return b"x1,x2,label\n"


def _one_row() -> bytes:
    return b"x1,x2,label\n0.5,1.5,yes\n"


def _one_class() -> bytes:
    frame = _two_class_table(40)
    frame["label"] = "yes"
    return _csv(frame)


def _continuous_target() -> bytes:
    frame = _two_class_table(100)
    frame["label"] = (frame["x1"] * 3.7 + 0.123).round(5)
    return _csv(frame)


def _many_classes() -> bytes:
    rng = _rng(5)
    n = 900
    return _csv(pd.DataFrame({"x1": rng.normal(0, 1, n).round(4),
                              "x2": rng.normal(0, 1, n).round(4),
                              "label": [f"class {i % 300:03d}" for i in range(n)]}))


def _all_missing_column() -> bytes:
    frame = _two_class_table(60)
    frame.insert(1, "nothing", np.nan)
    return _csv(frame)


def _constant_column() -> bytes:
    frame = _two_class_table(60)
    frame.insert(1, "plan", "basic")
    return _csv(frame)


def _inf_huge() -> bytes:
    frame = _two_class_table(60)
    infinite = frame["x2"].astype(object)
    infinite[::7] = "inf"
    infinite[3::7] = "-inf"
    huge = (frame["x1"] * 1e307).astype(object)
    huge[::5] = "1e308"
    frame = frame.assign(infinite=infinite, huge=huge)[["x1", "infinite", "huge", "label"]]
    return _csv(frame)


def _semicolon_decimal_comma() -> bytes:
    return _two_class_table(80).to_csv(index=False, sep=";", decimal=",",
                                       lineterminator="\n").encode()


def _tabs() -> bytes:
    return _two_class_table(80).to_csv(index=False, sep="\t", lineterminator="\n").encode()


def _utf8_bom() -> bytes:
    return _text_table("utf-8", codecs.BOM_UTF8)


def _utf16() -> bytes:
    return _text_table("utf-16")  # Python writes the byte-order mark


def _utf32() -> bytes:
    return _text_table("utf-32")  # Python writes the byte-order mark


def _utf16_no_bom() -> bytes:
    return _text_table("utf-16-le")


def _latin1() -> bytes:
    return _text_table("latin-1")


def _duplicate_columns() -> bytes:
    frame = _two_class_table(80)
    header = "x,x,label\n"
    rows = "".join(f"{a},{b},{c}\n" for a, b, c in frame.itertuples(index=False))
    return (header + rows).encode()


def _quoted_newlines() -> bytes:
    frame = _two_class_table(80)
    frame.insert(2, "comment", [f"line one of {i}\nline two, with a comma" for i in
                                range(len(frame))])
    frame.insert(3, "kind", np.where(np.arange(len(frame)) % 2, "a\nb", "c\nd"))
    return _csv(frame)


def _ragged_rows() -> bytes:
    return b"x1,x2,label\n1,2,yes\n3,4,no\n5,6,yes,extra,fields\n7,8,no\n"


def _random_bytes() -> bytes:
    return _rng(11).bytes(8192)


def _png() -> bytes:
    # a real 1x1 PNG: signature, IHDR, IDAT, IEND
    return bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c6360f8cfc0f01f0005000201e5270ee20000000049454e44ae426082")


WIDE_COLUMNS = 5000
WIDE_ROWS = 40


def _wide() -> bytes:
    rng = _rng(6)
    values = rng.normal(0, 1, (WIDE_ROWS, WIDE_COLUMNS)).round(3)
    frame = pd.DataFrame(values, columns=[f"f{j:04d}" for j in range(WIDE_COLUMNS)])
    frame["label"] = np.where(values[:, 0] > 0, "yes", "no")
    return _csv(frame)


LONG_ROWS = 200_000


def _long() -> bytes:
    return _csv(_two_class_table(LONG_ROWS, seed=7))


def _markup() -> bytes:
    rng = _rng(8)
    n = 90
    k = np.arange(n) % 3
    frame = pd.DataFrame({
        IMG_TAG: (k + rng.normal(0, 0.4, n)).round(4),
        MD_IMAGE: (rng.normal(0, 1, n) - k).round(4),
        LATEX: np.array(MARKUP)[(k + rng.integers(0, 2, n)) % 3],
        "label": np.array(MARKUP)[k],
    })
    return _csv(frame)


def _formulas() -> bytes:
    rng = _rng(9)
    n = 80
    k = np.arange(n) % 2
    frame = pd.DataFrame({
        "x1": (k + rng.normal(0, 0.5, n)).round(4),
        "cell": np.array(FORMULAS)[rng.integers(0, 4, n)],
        "label": np.array(["=YES()", "@no"])[k],
    })
    return _csv(frame)


# --------------------------------------------------------------------------- checks of "trains"
def _check_missing(df):
    assert df["nothing"].isna().all()


def _check_constant(df):
    assert set(df["plan"]) == {"basic"}


def _check_numbers(df):
    assert list(df.columns) == ["x1", "x2", "label"]
    assert df["x1"].dtype == np.float64 and df["x2"].dtype == np.float64
    expected = _two_class_table(80)
    assert np.allclose(df["x1"], expected["x1"]) and np.allclose(df["x2"], expected["x2"])


def _check_text(df):
    assert list(df.columns) == ["ville", "taille", "résultat"]
    assert set(df["ville"]) == {"Zürich", "Malmö", "Besançon", "Århus"}
    assert df["taille"].dtype == np.float64


def _check_duplicates(df):
    assert list(df.columns) == ["x", "x.1", "label"]


def _check_newlines(df):
    assert len(df) == 80
    assert df["comment"].str.contains("\n").all() and set(df["kind"]) == {"a\nb", "c\nd"}


def _check_wide(df):
    assert df.shape == (WIDE_ROWS, WIDE_COLUMNS + 1)


def _check_long(df):
    assert df.shape == (LONG_ROWS, 3) and df["x1"].dtype == np.float64


def _check_markup(df):
    assert list(df.columns) == [IMG_TAG, MD_IMAGE, LATEX, "label"]
    assert set(df["label"]) == set(MARKUP)


def _check_formulas(df):
    assert set(df["cell"]) == set(FORMULAS) and set(df["label"]) == {"=YES()", "@no"}


def _check_inf(df):
    assert np.isinf(df["infinite"]).sum() > 0 and df["huge"].max() == 1e308


FILES = [
    HostileFile("empty", "empty.csv", _empty, "unreadable", "The file is empty", cli=True),
    HostileFile("header_only", "header_only.csv", _header_only, "unreadable", "no data rows"),
    # with one row every column is constant: the message is about the rows all the same
    HostileFile("one_row", "one_row.csv", _one_row, "unusable",
                "Only 1 usable row is left; at least 4 are needed", "label", cli=True),
    HostileFile("one_class", "one_class.csv", _one_class, "unusable", r"only one class \('yes'\)",
                "label"),
    HostileFile("continuous_target", "continuous.csv", _continuous_target, "unusable",
                "continuous", "label", cli=True),
    HostileFile("many_classes", "many_classes.csv", _many_classes, "unusable",
                "at most 50 classes", "label"),
    HostileFile("all_missing_column", "all_missing.csv", _all_missing_column, "trains",
                "'nothing' was left out", "label", _check_missing),
    HostileFile("constant_column", "constant.csv", _constant_column, "trains",
                "'plan' was left out", "label", _check_constant),
    HostileFile("inf_and_1e308", "inf_huge.csv", _inf_huge, "unusable", "values as large as",
                "label", _check_inf, cli=True),
    HostileFile("semicolon_decimal_comma", "semicolon.csv", _semicolon_decimal_comma,
                "trains", "decimal comma", "label", _check_numbers, cli=True),
    HostileFile("tabs", "tabs.tsv", _tabs, "trains", "", "label", _check_numbers),
    HostileFile("utf8_bom", "bom.csv", _utf8_bom, "trains", "", "résultat", _check_text),
    HostileFile("utf16", "utf16.csv", _utf16, "trains", "UTF-16", "résultat", _check_text,
                cli=True),
    HostileFile("utf32", "utf32.csv", _utf32, "trains", "UTF-32", "résultat", _check_text),
    HostileFile("utf16_no_bom", "utf16_no_bom.csv", _utf16_no_bom, "trains", "UTF-16",
                "résultat", _check_text),
    HostileFile("latin1", "latin1.csv", _latin1, "trains", "not UTF-8", "résultat",
                _check_text),
    HostileFile("duplicate_columns", "duplicates.csv", _duplicate_columns, "trains",
                "Repeated column names were renamed", "label", _check_duplicates),
    HostileFile("quoted_newlines", "newlines.csv", _quoted_newlines, "trains",
                "'comment' was left out", "label",
                _check_newlines),
    HostileFile("ragged_rows", "ragged.csv", _ragged_rows, "unreadable", "Line 4 has 5 fields but the header has 3",
                cli=True),
    HostileFile("random_bytes", "random.csv", _random_bytes, "unreadable", "binary"),
    HostileFile("png_renamed", "photo.csv", _png, "unreadable", "PNG image", cli=True),
    HostileFile("5000_columns", "wide.csv", _wide, "trains", "", "label", _check_wide),
    HostileFile("200000_rows", "long.csv", _long, "trains", "", "label", _check_long),
    HostileFile("markup", "markup.csv", _markup, "trains", "", "label", _check_markup,
                cli=True),
    HostileFile("formulas", "formulas.csv", _formulas, "trains", "", "label",
                _check_formulas),
]
BY_ID = {f.id: f for f in FILES}
assert len(BY_ID) == len(FILES)


@functools.cache
def _content(file_id: str) -> bytes:
    return BY_ID[file_id].build()


def hostile(outcome: str | None = None) -> list[HostileFile]:
    """The catalogue, or the files with that outcome."""
    return [f for f in FILES if outcome is None or f.outcome == outcome]


def write_oversized(directory: Path, megabytes: float = UPLOAD_LIMIT_MB + 1) -> Path:
    """A CSV-looking file just over the upload limit: a header and rows, then zero bytes
    (sparse on disk where the filesystem allows; its size is what the uploader checks)."""
    path = Path(directory) / "over_the_limit.csv"
    size = math.ceil(megabytes * 1024 * 1024)
    with path.open("wb") as handle:
        handle.write(b"x1,x2,label\n" + b"1,2,yes\n3,4,no\n" * 1000)
        handle.truncate(size)
    return path
