"""CSV: comma, semicolon, tab or pipe delimited (found from the header), quoted fields may
span lines. A row that does not parse is reported alone: reading starts again on the next
line."""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from assistant.feedback.readers.base import NOT_UTF8, Row, as_lines, has_bad_bytes
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

    def header(self, lines: str | Iterable[str]) -> list[str]:
        first = next(as_lines(lines), "")
        return _parse_csv(first, sniff_delimiter(first)) or []

    def rows(self, lines: str | Iterable[str]) -> Iterator[Row]:
        source = as_lines(lines)
        first = next(source, None)
        if first is None:
            return
        delimiter = sniff_delimiter(first)
        header = _parse_csv(first, delimiter) or []
        dupes = {h for h in header if header.count(h) > 1}
        width = len(header)
        ahead: deque[str] = deque()  # the lines read but not yet used: at most MAX_ROW_LINES
        line = 2  # of ahead[0] (the header is line 1)

        def fill(n: int) -> bool:
            while len(ahead) < n and (nxt := next(source, None)) is not None:
                ahead.append(nxt)
            return len(ahead) >= n

        while fill(1):
            # A quoted field may span lines, as in CSV; but when the lines gathered that way
            # do not make a well-formed row, only the first line is bad (a quote never
            # closed) and reading starts again on the next line, so it cannot swallow the
            # rows after it.
            buf, k = ahead[0], 1
            while buf.count('"') % 2 and k < MAX_ROW_LINES and fill(k + 1):
                buf += ahead[k]
                k += 1
            values = _parse_csv(buf, delimiter)
            well_formed = not buf.count('"') % 2 and values is not None and len(values) == width
            if not well_formed and k > 1:
                buf, k = ahead[0], 1
            for _ in range(k):
                ahead.popleft()
            row_line, line = line, line + k
            if not buf.strip():
                continue
            if has_bad_bytes(buf):
                yield row_line, {"__error__": NOT_UTF8}, buf
            elif well_formed and values is not None:
                yield row_line, _row_dict(header, values, dupes), buf
            elif buf.count('"') % 2:
                yield row_line, {"__error__": "malformed CSV: a quote is not closed"}, buf
            elif values is None:
                yield row_line, {"__error__": "malformed CSV row"}, buf
            else:
                msg = f"expected {width} fields, found {len(values)} (a stray delimiter or quote?)"
                yield row_line, {"__error__": msg}, buf  # fmt: skip


READER = CsvReader()
