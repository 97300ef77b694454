"""Feedback files (CSV or JSONL) read into redacted, normalised records.

Reading never stops at a bad row: every row becomes either a FeedbackRecord or a RowError
naming its line, the field and the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Container, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.knowledge.dates import is_relative, parse_date
from assistant.knowledge.redaction import redact
from assistant.text import detect_lang, nfc

Sentiment = Literal["positive", "negative", "neutral"]
MAX_TEXT_CHARS = 20_000
MAX_ROW_LINES = 50  # physical lines one quoted CSV row may span
# Read over-long fields (a 10 MB comment) so that they are reported as too long by name,
# not as a CSV syntax error.
csv.field_size_limit(256 * 1024 * 1024)
_NOT_UTF8 = "not valid UTF-8 (re-export the file as UTF-8)"
_LABEL = re.compile(r"\{([^#}]+)#(Positive|Negative|Neutral)\}", re.IGNORECASE)

# Column names recognised without flags (first match wins). UIT-ViSFD's header is
# index,comment,n_star,date_time,label.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("text", "comment", "verbatim", "feedback", "review", "message", "content"),
    "rating": ("rating", "n_star", "stars", "score", "csat"),
    "date": ("date", "date_time", "created_at", "timestamp", "submitted_at"),
    "channel": ("channel", "source_channel"),
    "segment": ("segment", "customer_segment"),
    "journey": ("journey",),
    "stage": ("stage", "journey_stage"),
    "id": ("id", "index", "record_id", "feedback_id"),
    "label": ("label", "labels", "aspects"),
}


class AspectLabel(BaseModel):
    aspect: str
    sentiment: Sentiment


class FeedbackRecord(BaseModel):
    id: str
    source: str
    line: int
    text: str = Field(description="NFC-normalised, personal data redacted.")
    rating: int | None = None
    date: dt.date | None = None
    date_raw: str = ""
    channel: str | None = None
    segment: str | None = None
    journey: str | None = None
    stage: str | None = None
    lang: str = "vi"
    labels: list[AspectLabel] = Field(default_factory=list)
    labelled: bool = Field(False, description="The row had human labels ({OTHERS} = none).")
    redactions: int = 0
    content_hash: str = Field(
        "",
        description="Digest of the row as written (before redaction), to find duplicates: "
        "two comments that differ only in a phone number are two comments.",
    )


def content_hash(text: str, rating: int | None, date_raw: str) -> str:
    key = f"{text.strip().lower()}\x1f{rating}\x1f{date_raw.strip()}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


class RowError(BaseModel):
    line: int
    field: str
    message: str
    raw: str = Field("", description="The row as read (redacted), kept in the rejects file.")


class ColumnMapping(BaseModel):
    """Which input column holds which field; None = not present."""

    text: str | None = None
    rating: str | None = None
    date: str | None = None
    channel: str | None = None
    segment: str | None = None
    journey: str | None = None
    stage: str | None = None
    id: str | None = None
    label: str | None = None

    @classmethod
    def detect(
        cls, header: list[str], overrides: dict[str, str | None] | None = None
    ) -> ColumnMapping:
        lower = {h.strip().lower(): h for h in header}
        found = {
            name: next((lower[c] for c in candidates if c in lower), None)
            for name, candidates in DEFAULT_COLUMNS.items()
        }
        found.update({k: v for k, v in (overrides or {}).items() if v})
        return cls(**found)


def parse_labels(raw: str) -> list[AspectLabel]:
    """UIT-ViSFD labels: '{BATTERY#Negative};{GENERAL#Positive};' ({OTHERS} = no aspect).

    A comment labelled only {OTHERS} is labelled with no aspect (`labelled` stays true)."""
    out: list[AspectLabel] = []
    for aspect, polarity in _LABEL.findall(raw or ""):
        label = AspectLabel(aspect=aspect.strip().upper(), sentiment=polarity.lower())
        if label not in out:
            out.append(label)
    return out


_BAD_BYTE = re.compile("[\udc80-\udcff]")  # undecodable bytes, kept by surrogateescape


def _has_bad_bytes(value: str) -> bool:
    return _BAD_BYTE.search(value) is not None


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(first line of the row, the row as a dict or None if unreadable, raw text) per row.

    The file is decoded as UTF-8 with undecodable bytes kept as surrogates, so one row in
    another encoding is reported instead of failing the whole file.
    """
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", errors="surrogateescape")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for i, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            if _has_bad_bytes(line):
                yield i, {"__error__": _NOT_UTF8}, line
                continue
            try:
                obj = json.loads(line)
                yield i, obj if isinstance(obj, dict) else None, line
            except json.JSONDecodeError:
                yield i, None, line
        return
    # Split on newlines only: str.splitlines would also cut at \x1c-\x1e and \u2028.
    lines = [part for part in re.split(r"(?<=\n)", text) if part]
    if not lines:
        return
    header = _parse_csv(lines[0]) or []
    width = len(header)
    i = 1
    while i < len(lines):
        # A quoted field may span lines, as in CSV; but when the lines gathered that way do
        # not make a well-formed row, only the first line is bad (a quote never closed) and
        # reading starts again on the next line, so it cannot swallow the rows after it.
        buf, j = lines[i], i + 1
        while buf.count('"') % 2 and j < len(lines) and j - i < MAX_ROW_LINES:
            buf += lines[j]
            j += 1
        line = i + 1
        values = _parse_csv(buf)
        well_formed = not buf.count('"') % 2 and values is not None and len(values) == width
        if not well_formed and j - i > 1:
            buf, j = lines[i], i + 1
        i = j
        if not buf.strip():
            continue
        if _has_bad_bytes(buf):
            yield line, {"__error__": _NOT_UTF8}, buf
        elif well_formed and values is not None:
            yield line, dict(zip(header, values, strict=True)), buf
        elif buf.count('"') % 2:
            yield line, {"__error__": "malformed CSV: a quote is not closed"}, buf
        elif values is None:
            yield line, {"__error__": "malformed CSV row"}, buf
        else:
            msg = f"expected {width} fields, found {len(values)} (a stray comma or quote?)"
            yield line, {"__error__": msg}, buf  # fmt: skip


def _parse_csv(text: str) -> list[str] | None:
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def header_of(path: Path) -> list[str]:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for _, row, _ in read_rows(path):
            if row:
                return list(row)
        return []
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        return next(csv.reader(f), [])


def reference_date_of(
    rows: Iterable[tuple[int, dict[str, Any] | None, str]], mapping: ColumnMapping
) -> dt.date | None:
    """The collection date of a file's rows: the latest absolute date among them (relative
    dates such as '2 tuần trước' were written relative to about then)."""
    if not mapping.date:
        return None
    latest: dt.date | None = None
    for _, row, _ in rows:
        if row and "__error__" not in row:
            raw = str(row.get(mapping.date) or "")
            if not is_relative(raw) and (d := parse_date(raw)) and (latest is None or d > latest):
                latest = d
    return latest


def _optional(row: dict[str, Any], column: str | None) -> str | None:
    if not column:
        return None
    value = row.get(column)
    return nfc(str(value)).strip() or None if value is not None else None


class KnownRow(BaseModel):
    """A valid row already stored (same content hash): nothing more to compute for it."""

    line: int
    content_hash: str


def to_record(
    row: dict[str, Any],
    line: int,
    source: str,
    mapping: ColumnMapping,
    reference: dt.date | None,
    known: Container[str] = (),
) -> FeedbackRecord | RowError | KnownRow:
    """Validate and normalise one row; a valid row whose content hash is in `known` comes
    back as KnownRow before the costly steps (redaction, language, labels)."""
    if "__error__" in row:
        return RowError(line=line, field="row", message=row["__error__"])
    if not mapping.text:
        return RowError(line=line, field="text", message="no text column (use --text-column)")
    raw_text = row.get(mapping.text)
    text = nfc(str(raw_text)).strip() if raw_text is not None else ""
    if not text:
        return RowError(line=line, field=mapping.text, message="empty feedback text")
    if len(text) > MAX_TEXT_CHARS:
        return RowError(
            line=line, field=mapping.text,
            message=f"text is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}",
        )  # fmt: skip
    rating: int | None = None
    if mapping.rating and str(row.get(mapping.rating) or "").strip():
        raw_rating = str(row[mapping.rating]).strip()
        try:
            value = float(raw_rating)
        except ValueError:
            msg = f"rating {raw_rating!r} is not a number from 1 to 5"
            return RowError(line=line, field=mapping.rating, message=msg)
        if not value.is_integer() or not 1 <= value <= 5:
            msg = f"rating {raw_rating!r} is not a whole number from 1 to 5"
            return RowError(line=line, field=mapping.rating, message=msg)
        rating = int(value)
    date_raw = str(row.get(mapping.date) or "").strip() if mapping.date else ""
    digest = content_hash(text, rating, date_raw)
    if digest in known:
        return KnownRow(line=line, content_hash=digest)
    redacted, n = redact(text)
    given_id = _optional(row, mapping.id)
    record = FeedbackRecord(
        id="",
        source=source,
        line=line,
        text=redacted,
        rating=rating,
        date=parse_date(date_raw, reference),
        date_raw=date_raw,
        channel=_optional(row, mapping.channel),
        segment=_optional(row, mapping.segment),
        journey=_optional(row, mapping.journey),
        stage=_optional(row, mapping.stage),
        lang=detect_lang(redacted),
        labels=parse_labels(str(row.get(mapping.label) or "")) if mapping.label else [],
        labelled=bool(mapping.label and str(row.get(mapping.label) or "").strip()),
        redactions=n,
        content_hash=digest,
    )
    record.id = f"{source}:{given_id}" if given_id else f"{source}:{record.content_hash}"
    return record
