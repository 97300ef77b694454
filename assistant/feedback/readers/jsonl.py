"""JSON Lines (.jsonl, .ndjson): one JSON object per line; the keys of the first object are
the columns."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from assistant.feedback.readers.base import NOT_UTF8, Row, as_lines, has_bad_bytes


class JsonlReader:
    name = "JSONL"
    suffixes = (".jsonl", ".ndjson")
    header_line = False  # a line in another encoding is that row's error, not the file's

    def header(self, lines: str | Iterable[str]) -> list[str]:
        return next((list(row) for _, row, _ in self.rows(lines) if row), [])

    def rows(self, lines: str | Iterable[str]) -> Iterator[Row]:
        for i, text in enumerate(as_lines(lines), 1):
            line = text.removesuffix("\n")
            if not line.strip():
                continue
            if has_bad_bytes(line):
                yield i, {"__error__": NOT_UTF8}, line
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                yield i, None, line
                continue
            except ValueError:  # an integer over 4,300 digits
                yield i, {"__error__": "a number is too long to read"}, line
                continue
            except RecursionError:
                yield i, {"__error__": "values are nested too deeply"}, line
                continue
            yield i, obj if isinstance(obj, dict) else None, line


READER = JsonlReader()
