"""Lines above a table: a spreadsheet's title lines and scikit-learn's dataset header."""

from __future__ import annotations

import csv
import io
from collections import Counter

from cecore.io.header import looks_like_header
from cecore.io.source import SNIFF_RECORDS
from cecore.io.values import INTEGER_TEXT, MISSING_MARKERS, looks_like_number

MAX_TITLE_LINES = 5  # most short lines above a table that are skipped as its title


def count_title_lines(records: list, complete: bool) -> tuple[int, bool]:
    """How many records at the top are a title above the table, and whether that is the
    first line of scikit-learn's own CSV files (see _is_sklearn_header).

    A title record holds some text (not only numbers) in at most half as many values as the
    most common count of fields, and at least 90% of the records below have that count (or
    one less or more). Records of empty fields among the titles go with them. A spreadsheet
    pads a title with empty fields to the table's width; such a title must stand apart, with
    a blank line or an empty row before the table, and above a header row (else "id,,"
    or ",name" is a header that names some of its columns). (0, False) when there is no
    title or more than MAX_TITLE_LINES: a header more than half as wide as the table stays a
    header, for the message that names the row with fields too many, and short rows of
    numbers are data with missing values.
    """
    counts = [len(fields) for _, fields in records]
    width = Counter(counts).most_common(1)[0][0]
    if len(records) > 2 and _is_sklearn_header(records, width, complete):
        return 1, True
    n_titles = n_lines = 0
    padded = False
    for _, fields in records[: 2 * MAX_TITLE_LINES + 1]:
        values = [v for v in fields if v.strip()]
        if values and (len(values) > width // 2 or not any(map(_is_text_value, values))):
            break
        n_titles += bool(values)
        n_lines += 1
        padded |= bool(values) and len(fields) > width // 2
    below = counts[n_lines:]
    if not 0 < n_titles <= MAX_TITLE_LINES or len(below) < 2:
        return 0, False
    if padded and not (
        _stands_apart(records, n_lines)
        and looks_like_header([fields for _, fields in records[n_lines:]])
    ):
        return 0, False
    consistent = sum(abs(c - width) <= 1 for c in below) >= 0.9 * len(below)
    return (n_lines, False) if consistent else (0, False)


def _stands_apart(records: list, n_lines: int) -> bool:
    """Whether the first ``n_lines`` records end with a row of empty fields or are followed
    by a blank line."""
    (end, last), (next_end, next_fields) = records[n_lines - 1], records[n_lines]
    next_start = next_end - sum(v.count("\n") + v.count("\r") for v in next_fields)
    return not any(v.strip() for v in last) or next_start > end + 1


def _is_text_value(value: str) -> bool:
    """Whether a field holds text: neither empty, a missing marker nor a number."""
    value = value.strip()
    return bool(value) and value not in MISSING_MARKERS and not looks_like_number(value)


def _is_sklearn_header(records: list, width: int, complete: bool) -> bool:
    """Whether the first record is the first line of scikit-learn's own CSV files
    (``iris.csv``, ...): the number of samples, the number of features (the table's width
    less the target column) and the names of two or more classes, over rows that end in a
    class code 0, 1, ...; the number of samples is checked when the sample holds the whole
    file."""
    fields, below = records[0][1], records[1:]
    numbers, names = fields[:2], fields[2:]
    if not (
        len(names) >= 2
        and all(INTEGER_TEXT.fullmatch(v) for v in numbers)
        and int(numbers[1]) == width - 1
        and all(_is_text_value(v) for v in names)
    ):
        return False
    codes = {str(i) for i in range(len(names))}
    if not all(row[-1].strip() in codes for _, row in below):
        return False
    whole_file = complete and len(records) < SNIFF_RECORDS
    return int(numbers[0]) == len(below) if whole_file else int(numbers[0]) >= len(below)


def table_start(text: str, delimiter: str, n_titles: int) -> tuple[list[int], int]:
    """Where the table starts below the first ``n_titles`` records of ``text``: the first
    line of each of those records, and the number of lines before the table's first record
    (blank lines included)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    starts, lines = [], 0
    for fields in reader:
        if fields:
            if len(starts) == n_titles:
                break
            starts.append(lines + 1)
        lines = reader.line_num
    return starts, lines


def after_lines(text: str, n_lines: int) -> str:
    """``text`` without its first ``n_lines`` lines (counted as the csv module counts them)."""
    stream = io.StringIO(text, newline="")
    for _ in range(n_lines):
        stream.readline()
    return stream.read()
