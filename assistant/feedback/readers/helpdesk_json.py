"""Helpdesk exports (.json) as Zendesk or Freshdesk write them: a JSON array of tickets, or
an object whose `tickets` array holds them. A ticket's own fields become the usual columns
(below); its line is its position in the export (1 for the first ticket)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from assistant.core.errors import IngestError
from assistant.feedback.readers.base import NOT_UTF8, Row, has_bad_bytes

# Column <- the ticket fields that may hold it, the first present wins. Freshdesk's
# `description_text` is the plain text of its HTML `description`.
_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("description_text", "description", "comment", "body"),
    "rating": ("satisfaction_rating", "rating", "score"),
    "date": ("created_at",),
    "channel": ("channel", "via"),
    "id": ("id",),
}
# Zendesk nests some of them: satisfaction_rating {"score": …}, via {"channel": …},
# comment {"body": …}.
_INNER = {"text": "body", "rating": "score", "channel": "channel"}
# Zendesk's scores for a survey not answered: no rating, not a bad one.
_NO_RATING = {"offered", "unoffered"}


def _tickets(text: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except ValueError as exc:  # an integer over 4,300 digits
        raise IngestError("a number is too long to read") from exc
    except RecursionError as exc:
        raise IngestError("values are nested too deeply") from exc
    tickets = data.get("tickets") if isinstance(data, dict) else data
    if not isinstance(tickets, list):
        raise IngestError('expected a JSON array of tickets, or an object with a "tickets" array')
    return tickets


def _row(ticket: dict[str, Any]) -> dict[str, Any]:
    row = dict(ticket)
    for column, names in _FIELDS.items():
        value = next((ticket[n] for n in names if ticket.get(n) is not None), None)
        if isinstance(value, dict) and column in _INNER:
            value = value.get(_INNER[column])
        if column == "rating" and isinstance(value, str) and value.lower() in _NO_RATING:
            value = None
        if value is not None:
            row[column] = value
    return row


class HelpdeskJsonReader:
    name = "helpdesk JSON"
    suffixes = (".json",)
    header_line = False  # no header line: a ticket in another encoding is its own error

    def header(self, lines: str | Iterable[str]) -> list[str]:
        names: dict[str, None] = {}  # every ticket's columns, in order: tickets differ
        for _, row, _ in self.rows(lines):
            if row and "__error__" not in row:
                names.update(dict.fromkeys(row))
        return list(names)

    def rows(self, lines: str | Iterable[str]) -> Iterator[Row]:
        # One JSON document: parsed whole (the byte limits bound it), then yielded a ticket
        # at a time.
        text = lines if isinstance(lines, str) else "".join(lines)
        for position, ticket in enumerate(_tickets(text), 1):
            raw = json.dumps(ticket, ensure_ascii=False)
            if has_bad_bytes(raw):
                yield position, {"__error__": NOT_UTF8}, raw
            elif isinstance(ticket, dict):
                yield position, _row(ticket), raw
            else:
                yield position, None, raw


READER = HelpdeskJsonReader()
