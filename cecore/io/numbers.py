"""The number format of a column of text: which mark is its decimal mark, which groups digits.

A column is read in one of two conventions: ``.`` as the decimal mark with ``,`` grouping
thousands (1,234.5), or ``,`` as the decimal mark with ``.`` grouping thousands (1.234,5).
Each value (stripped; a sign, and an exponent without grouping, allowed) is valid in
neither, one or both:

- no mark (``12``, ``-3``, ``1e5``, ``inf``): the same number in both, no evidence;
- one way only, so it fixes the column's convention: a mark followed by other than three
  digits (``0,5``, ``3.14159``), an integer part that cannot open a group (``0.500``,
  ``1234.5``, ``.5``), a mark used twice (``1.234.567`` groups by ``.``), both marks
  (``1,234.5``), an exponent (``1.5e3``);
- both ways, read differently (ambiguous): a single mark after one to three digits (not
  a lone 0) and before exactly three (``1.234`` is 1.234 or 1234, ``1,234`` is 1234 or
  1.234, ``12.000``, ``2.500``).

The decision (:func:`number_format`), from all present values of the column:

1. A value valid in neither convention: the column is not numbers ("not numbers").
2. Values that fix different conventions (``0,5`` and ``2.5``, or ``0,5`` and
   ``1,234,567``): "conflict", never guessed.
3. Values that fix one convention: that one; its ambiguous values follow it.
4. Only ambiguous values (and values without a mark): the ``tie_break`` mark, which the
   caller takes from outside the column (read_csv: the decimal mark that the file's other
   columns fix, when they agree; else ``.`` in a comma-separated file); without one the
   column is "ambiguous" and is read as text, with a note (:func:`undecided_note`).
5. No mark at all: plain numbers.

Reading (:func:`read_numbers`) then removes the grouping mark and reads the decimal mark:
vectorized string operations, no loop over the values. Whole numbers beyond 2**53 are
read from their digits (:func:`exact_numbers`, :func:`whole_numbers`), so grouping or a
``.0`` does not round 9007199254740993 to its float64 neighbour.

read_csv decides every column this way, with the tie-break above (cecore.io.engines).
A DataFrame given to prepare has no file around it, so there is no tie-break: a column
left "ambiguous" or "conflict" is used as categories with a note, and new rows to
transform with such a column raise DataError rather than being guessed.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_DIGIT = "[0-9]"  # ASCII digits (Python's \d would take other scripts' digits, RE2's not)
_EXPONENT = f"(?:[eE][+-]?{_DIGIT}+)?"
_SPECIAL = "[+-]?(?:[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"


def _valid(decimal: str, group: str) -> str:
    """The pattern of a number written with this decimal mark and grouping mark."""
    d, g = "\\" + decimal, "\\" + group
    plain = f"(?:{_DIGIT}+(?:{d}{_DIGIT}*)?|{d}{_DIGIT}+){_EXPONENT}"
    grouped = f"[1-9]{_DIGIT}{{0,2}}(?:{g}{_DIGIT}{{3}})+(?:{d}{_DIGIT}*)?"
    return f"[+-]?(?:{plain}|{grouped})"


_VALID = {".": _valid(".", ","), ",": _valid(",", ".")}
_ONE_VALUE = {mark: re.compile(pattern) for mark, pattern in _VALID.items()}
_ONE_SPECIAL = re.compile(_SPECIAL)
OTHER = {".": ",", ",": "."}
_HEAD = 50  # values checked first, so that a column of words is given up at once


class NumberFormat(NamedTuple):
    """How a column of text reads as numbers (see the module's decision procedure)."""

    status: str  # "numbers", "ambiguous", "conflict" or "not numbers"
    decimal: str | None = None  # the decimal mark ("." when no value has a mark)
    grouping: str | None = None  # the mark that groups digits in some value, if any
    certain: bool = False  # the column's own values fix the decimal mark
    tie_broken: bool = False  # the decimal mark came from outside the column
    example: str | None = None  # an ambiguous or grouped value (for the notes)
    other: str | None = None  # for a conflict: a value fixing the other convention


def is_number_text(value: str) -> bool:
    """Whether one value reads as a number in either convention."""
    value = value.strip()
    return any(p.fullmatch(value) for p in _ONE_VALUE.values()) or bool(
        _ONE_SPECIAL.fullmatch(value)
    )


_NUMBER_TEXT = f"^(?:{_VALID['.']}|{_VALID[',']}|{_SPECIAL})$"  # RE2: $ ends the text only


def number_texts(values: list[str]) -> np.ndarray:
    """:func:`is_number_text` of each value, for many values at once (one RE2 pass)."""
    stripped = pa.array([value.strip() for value in values], type=pa.string())
    return pc.match_substring_regex(stripped, _NUMBER_TEXT).to_numpy(zero_copy_only=False)


def fixed_decimal(value: str) -> str | None:
    """The decimal mark one value fixes (``0,5``: ``,``; ``1,234.5``: ``.``), or None when it
    has no mark, fits both conventions (``1.234``) or is not a number."""
    value = value.strip()
    point, comma = (bool(_ONE_VALUE[mark].fullmatch(value)) for mark in ".,")
    return None if point == comma else ("." if point else ",")


def _text(series: pd.Series) -> pd.Series:
    """The present values as stripped strings."""
    return series.dropna().astype(str).str.strip()


def might_be_numbers(series: pd.Series) -> bool:
    """Whether the first present values of a text column are all numbers in one of the two
    conventions (a quick test before :func:`number_format` reads them all)."""
    head = _text(series.dropna().head(_HEAD))
    return bool(len(head)) and bool(_evidence(head) is not None)


def _evidence(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series] | None:
    """Per value: valid with a decimal point, valid with a decimal comma, has a mark; None
    when some value is valid in neither convention."""
    point = text.str.fullmatch(_VALID["."]).astype(bool)
    comma = text.str.fullmatch(_VALID[","]).astype(bool)
    neither = ~(point | comma)
    if neither.any() and not text[neither].str.fullmatch(_SPECIAL).all():
        return None
    marked = text.str.contains(".", regex=False) | text.str.contains(",", regex=False)
    return point | neither, comma | neither, marked.astype(bool)


def number_format(series: pd.Series, tie_break: str | None = None) -> NumberFormat:
    """The number format of a text column, decided from all its present values (see the
    module's docstring); ``tie_break`` is the decimal mark to use when the values alone
    fit both conventions."""
    text = _text(series)
    if text.empty or not might_be_numbers(text):
        return NumberFormat("not numbers")
    evidence = _evidence(text)
    if evidence is None:
        return NumberFormat("not numbers")
    point, comma, marked = evidence
    only_point, only_comma = point & ~comma, comma & ~point
    if only_point.any() and only_comma.any():
        example, other = text[only_point].iloc[0], text[only_comma].iloc[0]
        return NumberFormat("conflict", example=example, other=other)
    ambiguous = marked & point & comma
    example = text[ambiguous].iloc[0] if ambiguous.any() else None
    if only_point.any() or only_comma.any():
        decimal, certain, tie_broken = ("." if only_point.any() else ","), True, False
    elif example is not None:
        if tie_break is None:
            return NumberFormat("ambiguous", example=example)
        decimal, certain, tie_broken = tie_break, False, True
    else:
        return NumberFormat("numbers", ".")
    group = OTHER[decimal]
    grouped = text.str.contains(group, regex=False)
    grouping = group if grouped.any() else None
    if grouping is not None:
        example = text[grouped].iloc[0]
    elif example is None:
        with_mark = text.str.contains(decimal, regex=False)
        example = text[with_mark].iloc[0] if with_mark.any() else None
    return NumberFormat("numbers", decimal, grouping, certain, tie_broken, example)


def _normalized(series: pd.Series, fmt: NumberFormat) -> pd.Series:
    """The values written with a decimal point and no grouping (missing values kept)."""
    text = series.astype(str).str.strip().where(series.notna())
    if fmt.grouping is not None:
        text = text.str.replace(fmt.grouping, "", regex=False)
    if fmt.decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    return text


def read_numbers(series: pd.Series, fmt: NumberFormat) -> pd.Series:
    """The column as float64 read in the format (NaN where a value is not a number). For a
    column that is not decided, only the values without a mark are read."""
    if fmt.status != "numbers":
        text = series.astype(str).str.strip().where(series.notna())
        marked = text.str.contains(".", regex=False) | text.str.contains(",", regex=False)
        text = text.mask(marked.astype(bool))
    else:
        text = _normalized(series, fmt)
    return pd.to_numeric(text, errors="coerce").astype(np.float64)


_WHOLE = f"[+-]?{_DIGIT}+(?:\\.0*)?"  # a whole number once normalized (12, 12.0, -12.00)


def whole_numbers(series: pd.Series, fmt: NumberFormat) -> np.ndarray | None:
    """The present values as exact Python ints (an object array), or None when some value
    is not a whole number written in digits (``1e17`` is not: it was written as a float).
    A loop over the values: for columns with numbers beyond 2**53 only."""
    if fmt.status != "numbers":
        return None
    text = _normalized(series.dropna(), fmt)
    if not text.str.fullmatch(_WHOLE).all():
        return None
    digits = text.str.replace(r"\.0*$", "", regex=True)
    return np.array([int(value) for value in digits], dtype=object)


def exact_numbers(series: pd.Series, fmt: NumberFormat) -> pd.Series:
    """The column as numbers: float64, or exact when every value is a whole number and
    some lies beyond 2**53 (where float64 rounds neighbours together): nullable Int64
    within int64, else the digits as text."""
    numbers = read_numbers(series, fmt)
    values = numbers.to_numpy()
    finite = values[np.isfinite(values)]
    if not len(finite) or np.abs(finite).max() < 2.0**53:
        return numbers
    whole = whole_numbers(series, fmt)
    if whole is None:
        return numbers
    has_value = series.notna().to_numpy()
    if -(2**63) <= min(whole) and max(whole) < 2**63:
        exact = pd.array([None] * len(series), dtype="Int64")
        exact[has_value] = list(whole)
        return pd.Series(exact, index=series.index, name=series.name)
    digits = np.full(len(series), None, dtype=object)
    digits[has_value] = [str(value) for value in whole]
    return pd.Series(digits, index=series.index, name=series.name, dtype="str")


def whole_beyond_float_precision(values: np.ndarray) -> bool:
    """Whether a float64 column holds only whole numbers, some beyond 2**53 (found without
    temporary arrays in the common case; NaN is ignored)."""
    if len(values) == 0 or max(-np.fmin.reduce(values), np.fmax.reduce(values)) < 2**53:
        return False
    finite = values[np.isfinite(values)]
    return bool(np.abs(finite).max(initial=0.0) >= 2**53 and np.all(finite == np.floor(finite)))


def shows_a_decimal_mark(values: np.ndarray) -> bool:
    """Whether some number of a float column was written with a true decimal mark: only
    values like 1.234 (one to three digits, the mark, three digits) can be thousands, so a
    fraction of a number below 1 or from 1000 on, or with more than three decimals, shows
    it. The first thousand values are tried first (a column of measurements stops there)."""
    for part in (values[:1000], values):
        fractions = part[np.isfinite(part) & (part != np.floor(part))]
        size = np.abs(fractions)
        if np.any((size < 1) | (size >= 1000)):
            return True
        thousandths = size * 1000
        if np.any(np.abs(thousandths - np.round(thousandths)) > 1e-6):
            return True
    return False


def beyond_float_precision_columns(block: np.ndarray) -> np.ndarray:
    """Per column of a 2-D float64 block: :func:`whole_beyond_float_precision`. One
    vector test finds the columns with a value of 2**53 or more; only those are checked."""
    with np.errstate(invalid="ignore"):
        large = np.flatnonzero(np.fmax.reduce(np.abs(block), axis=0, initial=-np.inf) >= 2**53)
    result = np.zeros(block.shape[1], dtype=bool)
    result[large] = [whole_beyond_float_precision(block[:, j]) for j in large]
    return result


def decimal_mark_columns(block: np.ndarray) -> np.ndarray:
    """Per column of a 2-D float64 block: :func:`shows_a_decimal_mark`, the same test on
    the same numbers, for all the columns at once."""
    size = np.abs(block)
    with np.errstate(over="ignore", invalid="ignore"):  # inf, inf - inf: masked out below
        thousandths = size * 1000
        fraction = np.isfinite(block) & (block != np.floor(block))
        shown = (size < 1) | (size >= 1000) | (np.abs(thousandths - np.round(thousandths)) > 1e-6)
    return (fraction & shown).any(axis=0)


def tie_break(fixed: set[str], delimiter: str) -> tuple[str | None, str | None]:
    """The decimal mark for columns whose values fit both readings, and why: the one the
    other columns fix, when they agree; ``.`` in a comma-separated file; else None."""
    if len(fixed) == 1:
        mark = next(iter(fixed))
        way = "a decimal comma (0,5)" if mark == "," else "a decimal point (0.5)"
        return mark, f"the file's other columns write numbers with {way}"
    if delimiter == ",":
        return ".", "the file is comma-separated, so ',' is not its decimal mark"
    return None, None


def _shown(value: float) -> str:
    """A number as a note shows it: 1234, 0.5, 1234.5."""
    if np.isfinite(value) and value == np.floor(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _reading(example: str, decimal: str) -> str:
    """How the example reads with this decimal mark, as a note shows it."""
    fmt = NumberFormat("numbers", decimal, OTHER[decimal] if OTHER[decimal] in example else None)
    whole = whole_numbers(pd.Series([example]), fmt)
    if whole is not None:
        return str(whole[0])
    return _shown(read_numbers(pd.Series([example]), fmt).iloc[0])


def format_reading(fmt: NumberFormat) -> str:
    """How a decided column's marks were read: "'.' read as a thousands separator (1.234 =
    1234), ',' as the decimal mark", or "',' read as the decimal mark (0,5 = 0.5)"."""
    example = fmt.example
    shown = f" ({example} = {_reading(example, fmt.decimal)})" if example else ""
    if fmt.grouping is not None:
        return (f"'{fmt.grouping}' read as a thousands separator{shown}, "
                f"'{fmt.decimal}' as the decimal mark")
    return f"'{fmt.decimal}' read as the decimal mark{shown}"


def format_note(name: str, fmt: NumberFormat, reason: str | None = None) -> str:
    """The note on how a column was read (:func:`format_reading`) and, when its own values
    fit both readings, the ``reason`` for the one taken."""
    note = f"Column '{name}': {format_reading(fmt)}."
    if fmt.tie_broken and reason:
        note += f" Its values alone could be read either way; {reason}."
    return note


def undecided_note(name: str, fmt: NumberFormat, outcome: str = "was kept as text") -> str:
    """The note for a column of numbers whose format could not be decided."""
    if fmt.status == "conflict":
        return (
            f"Column '{name}' {outcome}: it mixes numbers that read only with '.' as the "
            f"decimal mark ('{fmt.example}') and numbers that read only with ',' as the "
            f"decimal mark ('{fmt.other}'). Write all its numbers the same way to have them "
            "read as numbers."
        )
    example = fmt.example or ""
    mark = "." if "." in example else ","
    as_decimal = _reading(example, mark)
    as_thousands = _reading(example, OTHER[mark])
    return (
        f"Column '{name}' {outcome}: values such as '{example}' can mean {as_decimal} or "
        f"{as_thousands} ('{mark}' as a thousands separator), and nothing else tells which. "
        f"If they are thousands, write them without the separator ({as_thousands}); if "
        "they are decimals, write at least one number of the column with one, two or four "
        f"decimals (as {example}0), so that the decimal mark is clear."
    )
