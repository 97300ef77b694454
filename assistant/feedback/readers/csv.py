"""CSV: comma, semicolon, tab or pipe delimited (found from the header), quoted fields may
span lines. A row that does not parse is reported alone: reading starts again on the next
line."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from assistant.feedback.readers.base import NOT_UTF8, Row, has_bad_bytes
from assistant.feedback.records import DEFAULT_COLUMNS, ColumnConflict

MAX_ROW_LINES = 50  # physical lines one quoted CSV row may span
DELIMITERS = (",", ";", "\t", "|")
# Read over-long fields (a 10 MB comment) so that they are reported as too long by name,
# not as a CSV syntax error.
csv.field_size_limit(256 * 1024 * 1024)


def _parse_csv(text: str, delimiter: str = ",") -> list[str] | None:
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into recognised column names (or into the most
    columns): Excel writes `;` where the decimal mark is a comma, and tabs in "Unicode text"."""
    known = {c for names in DEFAULT_COLUMNS.values() for c in names}

    def score(delimiter: str) -> tuple[int, int]:
        fields = _parse_csv(header_line, delimiter) or []
        return sum(f.strip().lower() in known for f in fields), len(fields)

    best = max(DELIMITERS, key=score)  # ties keep the first: a comma
    return best if score(best) > (0, 1) else ","


def _row_dict(header: list[str], values: list[str], dupes: set[str]) -> dict[str, Any]:
    row: dict[str, Any] = dict(zip(header, values, strict=True))
    for name in dupes:
        columns = [i for i, h in enumerate(header, 1) if h == name]
        filled = {values[i - 1].strip() for i in columns if values[i - 1].strip()}
        row[name] = ColumnConflict(name, columns) if len(filled) > 1 else next(iter(filled), "")
    return row


class CsvReader:
    name = "CSV"
    suffixes = (".csv",)
    header_line = True

    def header(self, text: str) -> list[str]:
        first = re.split(r"(?<=\n)", text, maxsplit=1)[0]
        return _parse_csv(first, sniff_delimiter(first)) or []

    def rows(self, text: str) -> Iterator[Row]:
        # Split on newlines only: str.splitlines would also cut at \x1c-\x1e and \u2028.
        lines = [part for part in re.split(r"(?<=\n)", text) if part]
        if not lines:
            return
        delimiter = sniff_delimiter(lines[0])
        header = _parse_csv(lines[0], delimiter) or []
        dupes = {h for h in header if header.count(h) > 1}
        width = len(header)
        i = 1
        while i < len(lines):
            # A quoted field may span lines, as in CSV; but when the lines gathered that way
            # do not make a well-formed row, only the first line is bad (a quote never
            # closed) and reading starts again on the next line, so it cannot swallow the
            # rows after it.
            buf, j = lines[i], i + 1
            while buf.count('"') % 2 and j < len(lines) and j - i < MAX_ROW_LINES:
                buf += lines[j]
                j += 1
            line = i + 1
            values = _parse_csv(buf, delimiter)
            well_formed = not buf.count('"') % 2 and values is not None and len(values) == width
            if not well_formed and j - i > 1:
                buf, j = lines[i], i + 1
            i = j
            if not buf.strip():
                continue
            if has_bad_bytes(buf):
                yield line, {"__error__": NOT_UTF8}, buf
            elif well_formed and values is not None:
                yield line, _row_dict(header, values, dupes), buf
            elif buf.count('"') % 2:
                yield line, {"__error__": "malformed CSV: a quote is not closed"}, buf
            elif values is None:
                yield line, {"__error__": "malformed CSV row"}, buf
            else:
                msg = f"expected {width} fields, found {len(values)} (a stray delimiter or quote?)"
                yield line, {"__error__": msg}, buf  # fmt: skip


READER = CsvReader()
