"""How a CSV file is written (delimiter, decimal mark, header, lines above the table), from its first megabyte."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import NamedTuple

from cecore.errors import DataError
from cecore.io.header import looks_like_header
from cecore.io.numbers import fixed_decimal
from cecore.io.source import SAMPLE_BYTES, SNIFF_RECORDS
from cecore.io.titles import after_lines, count_title_lines, table_start
from cecore.io.values import DECIMAL_COMMA

DELIMITERS = ("\t", ";", "|", ",")  # ties are broken in this order (see _delimiter_score)


class Dialect(NamedTuple):
    """How a CSV file is written, detected from its first megabyte."""

    delimiter: str
    decimal: str
    header: list[str] | None  # the raw header fields; None when the file has no header row
    n_columns: int
    quoted: bool  # the sample holds quote characters, so values may span lines
    skip_lines: int = 0  # lines before the table (Excel's "sep=;" line, title lines)
    trailing: bool = False  # data rows end with a delimiter (an empty field after the last column)
    separator_line: bool = False  # the file starts with Excel's "sep=;" line
    title_lines: tuple[tuple[int, str], ...] = ()  # (first line, text) of lines above the table
    sklearn_header: bool = False  # the title line is scikit-learn's "n_samples,n_features,..."


def sniff_dialect(
    text: str, complete: bool, forced: str | None = None, skip_lines: int = 0
) -> Dialect:
    """Detect delimiter (unless ``forced``), decimal mark and header from the file's start.

    ``complete`` says whether ``text`` is the whole file; if not, its last record may be
    cut off and is ignored. ``skip_lines`` lines of the file came before ``text`` (for the
    line numbers in messages). csv.Sniffer is not used: its preference order picks ``,``
    for files like ``1,5;2,5`` (``;``-separated with decimal commas).
    """
    candidates = {}
    for delimiter in [forced] if forced else DELIMITERS:
        records = _sample_records(text, delimiter, complete, skip_lines)
        if records is not None:
            candidates[delimiter] = records
    if not candidates:
        raise DataError(
            "The file could not be split into rows and columns: a value may be extremely "
            "long or badly quoted."
        )
    if not any(candidates.values()):
        if not complete:  # not even the first record ends within the sample
            raise DataError(
                f"The first row of the file is longer than {SAMPLE_BYTES // 2**20} MB, so its "
                "columns could not be detected. Use fewer columns, or look for a quote that "
                "is never closed."
            )
        raise DataError("The file is empty.")
    scores = {d: _delimiter_score(r, d) for d, r in candidates.items() if r}
    valid = {d: score for d, score in scores.items() if score is not None}
    if valid:
        delimiter = max(valid, key=valid.get)
    else:  # one column: take the delimiter that splits the fewest records, "," if none does
        delimiter = min(candidates, key=lambda d: (_count_split(candidates[d]), d != ","))
    records = candidates[delimiter]
    n_titles, sklearn_header = count_title_lines(records, complete)
    if n_titles:  # read the table below them as if the file started there
        starts, lines = table_start(text, delimiter, n_titles)
        below = sniff_dialect(after_lines(text, lines), complete, delimiter, skip_lines + lines)
        titles = tuple((skip_lines + start, delimiter.join(v for v in fields if v.strip()))
                       for start, (_, fields) in zip(starts, records, strict=False))
        return below._replace(title_lines=titles, sklearn_header=sklearn_header)
    decimal = _decimal_mark([f for _, fields in records[1:] for f in fields], delimiter)
    has_header = looks_like_header([fields for _, fields in records])
    header = records[0][1] if has_header else None
    n_columns = (
        len(header) if has_header else Counter(len(f) for _, f in records).most_common(1)[0][0]
    )
    body = records[1:] if has_header else records
    trailing = has_header and _ends_with_a_delimiter(body, n_columns)
    _reject_long_rows(body, n_columns, delimiter, has_header, trailing)
    if complete and has_header and len(records) == 1:
        raise DataError("The file has only one line, read as the header row, and no data rows.")
    return Dialect(delimiter, decimal, header, n_columns, '"' in text, skip_lines, trailing)


def _sample_records(text: str, delimiter: str, complete: bool, skip_lines: int = 0) -> list | None:
    """Up to SNIFF_RECORDS non-blank records as (line number, fields); None if unparsable."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for fields in reader:
            if fields:
                records.append((reader.line_num + skip_lines, fields))
            if len(records) > SNIFF_RECORDS:
                return records[:SNIFF_RECORDS]
    except csv.Error:
        return None
    return records if complete else records[:-1]


def _delimiter_score(records: list, delimiter: str) -> tuple | None:
    """Rank a delimiter: consistent field counts first, then clean fields, then priority.

    None when the delimiter splits no record into two or more fields. A "messy" field
    holds a quote or another candidate delimiter (decimal-comma numbers excepted), a sign
    that the wrong delimiter was used.
    """
    counts = Counter(len(fields) for _, fields in records)
    mode, frequency = counts.most_common(1)[0]
    if mode < 2:
        return None
    others = [d for d in DELIMITERS if d != delimiter] + ['"']
    messy = sum(_messy_fields(fields, others) for _, fields in records)
    priority = len(DELIMITERS) - DELIMITERS.index(delimiter)
    return round(frequency / len(records), 2), -messy / len(records), priority


def _messy_fields(fields: list[str], others: list[str]) -> int:
    """How many fields hold one of ``others`` (decimal-comma numbers excepted); one test
    of the whole record first, since most records hold none."""
    joined = "".join(fields)
    if not any(d in joined for d in others):
        return 0
    return sum(
        any(d in value for d in others) and not DECIMAL_COMMA.fullmatch(value) for value in fields
    )


def _count_split(records: list) -> int:
    """How many records have more than one field."""
    return sum(len(fields) > 1 for _, fields in records)


def _decimal_mark(values: list[str], delimiter: str) -> str:
    """The file's decimal mark for the parsers: ``,`` when some value can only be read with
    a decimal comma (``1,5``, ``1.234,5``, ``1.234.567``) and none only with a decimal point
    (``1.5``, ``1,234.5``); ``.`` otherwise, and always with a ``,`` delimiter.

    Values that read both ways (``1.234``, ``1,234``) are no evidence: each column's own
    marks are decided later from all its values (cecore.io.numbers).
    """
    if delimiter == ",":
        return "."
    fixed = {fixed_decimal(v) for v in values if "," in v or "." in v}
    return "," if "," in fixed and "." not in fixed else "."


def _ends_with_a_delimiter(records: list, n_columns: int) -> bool:
    """Whether at least half the rows have one field more than the header, an empty one:
    the lines end with a delimiter (as some exports write them)."""
    ending = sum(len(fields) == n_columns + 1 and not fields[-1].strip() for _, fields in records)
    return ending > 0 and 2 * ending >= len(records)


def _reject_long_rows(
    records: list, n_columns: int, delimiter: str, has_header: bool, trailing: bool = False
) -> None:
    """Raise DataError, naming the line, for a row with more fields than the header (one
    more is allowed when the lines end with a delimiter)."""
    for line, fields in records:
        if len(fields) > n_columns + trailing:
            raise DataError(long_row_message(line, len(fields), n_columns, delimiter, has_header))


def delimiter_name(delimiter: str) -> str:
    """How messages name a delimiter: ``tab``, or the character in quotes (``';'``)."""
    return "tab" if delimiter == "\t" else f"'{delimiter}'"


def long_row_message(
    line: int, n_fields: int, n_columns: int, delimiter: str, has_header: bool
) -> str:
    """The message for a row that has more fields than the file has columns."""
    reference = "the header has" if has_header else "the other lines have"
    shown = delimiter_name(delimiter)
    return (
        f"Line {line} has {n_fields} fields but {reference} {n_columns}. A value probably "
        f"contains an unquoted {shown}: put that value in double quotes, or fix the line."
    )
