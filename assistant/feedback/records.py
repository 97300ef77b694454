"""Rows of feedback files (read by assistant/feedback/readers) turned into redacted,
normalised records.

Reading never stops at a bad row: every row becomes either a FeedbackRecord or a RowError
naming its line, the field and the reason (values shown in a reason are redacted and cut
short).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Container, Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.redaction import redact, redact_text
from assistant.core.text import detect_lang, nfc
from assistant.feedback.dates import MAX_DATE_CHARS, DateRange, is_relative, parse_date

Sentiment = Literal["positive", "negative", "neutral"]
MAX_CELL_CHARS = 20_000  # default of CX_MAX_CELL_CHARS
RAW_KEPT = 500  # characters of a rejected row kept aside: a 60 MB cell is not copied whole
# "{" is excluded from the aspect so that a run of "{{{{" is scanned once, not from each brace.
_LABEL = re.compile(r"\{([^#{}]{1,40})#(Positive|Negative|Neutral)\}", re.IGNORECASE)
# Control characters other than tab and newlines are dropped from stored values (they can
# rewrite a terminal); NUL is a row error (a binary file, or UTF-16 read as UTF-8).
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_VISIBLE = re.compile(r"[^\s\u200b-\u200f\u2060-\u2064\ufeff]")

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


def rating_conflict(rating: int | None, sentiment: str) -> bool:
    """A label its own rating contradicts: praise given 1-2 stars, a complaint given 5 (the
    dataset's label noise, or the tagger's); shown as praise or complaint, it misleads."""
    if rating is None:
        return False
    return (sentiment == "positive" and rating <= 2) or (sentiment == "negative" and rating >= 5)


def complains_about(
    tags: Iterable[tuple[str, str]], aspects: Container[str] | None = None
) -> bool:
    """Whether (aspect, sentiment) tags hold a complaint; about one of `aspects` when given
    (a step's own: a comment at "staff advice" that complains of the battery holds none)."""
    return any(sent == "negative" and (aspects is None or a in aspects) for a, sent in tags)


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
    external_id: str | None = Field(
        None, description="The row's id in the source system (the id column), redacted."
    )
    content_hash: str = Field(
        "",
        description="Digest of the row before redaction (content_hash), to find duplicates: "
        "two comments that differ only in a phone number are two comments.",
    )


def _digest(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def content_hash(text: str, rating: int | None, day: dt.date | None, date_raw: str) -> str:
    """The duplicate key: the row in a normal form (NFC, whitespace collapsed, lower case; the
    date as the day it names when it can be read), so a review written again with doubled
    spaces or another date format is stored once. The stored text stays as written."""
    when = day.isoformat() if day else " ".join(date_raw.split())
    return _digest(f"v2\x1f{' '.join(nfc(text).split()).lower()}\x1f{rating}\x1f{when}")


def legacy_content_hash(text: str, rating: int | None, date_raw: str) -> str:
    """The key rows stored before content_hash normalised them keep (it cannot be computed
    again from redacted text): a row with either key stored is a duplicate."""
    return _digest(f"{text.strip().lower()}\x1f{rating}\x1f{date_raw.strip()}")


class RowError(BaseModel):
    line: int
    field: str
    message: str
    raw: str = Field("", description="The row as read (redacted), kept in the rejects file.")
    until: int | None = Field(
        None, description="Last line of a run of rows with this same error (one entry)."
    )

    def keep(self, raw: str) -> None:
        """Keep the row's first RAW_KEPT characters, redacted, marked when cut. A margin is
        redacted beyond the cut so that a number across it is still seen whole."""
        head = raw[: RAW_KEPT + 100].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        kept = redact_text(head)[:RAW_KEPT]
        self.raw = kept + (f"… [cut: {len(raw):,} characters]" if len(raw) > RAW_KEPT else "")


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
        name = redact_text(aspect.strip().upper())  # stored and shown: redacted like the rest
        label = AspectLabel(aspect=name, sentiment=polarity.lower())
        if label not in out:
            out.append(label)
    return out


class ColumnConflict:
    """The value of a header name that appears on several columns holding different values."""

    def __init__(self, name: str, columns: list[int]) -> None:
        self.name = name
        self.columns = columns

    def message(self) -> str:
        cols = ", ".join(str(c) for c in self.columns)
        return f"columns {cols} are all named {shown(self.name)} and hold different values"


def reference_date_of(
    rows: Iterable[tuple[int, dict[str, Any] | None, str]],
    mapping: ColumnMapping,
    dates: DateRange | None = None,
) -> dt.date | None:
    """The collection date of a file's rows: the latest absolute date among them (relative
    dates such as '2 tuần trước' were written relative to about then), within `dates`."""
    if not mapping.date:
        return None
    latest: dt.date | None = None
    for _, row, _ in rows:
        if row and "__error__" not in row:
            raw = row.get(mapping.date)
            if not isinstance(raw, str) or len(raw) > MAX_DATE_CHARS:
                continue
            if is_relative(raw) or not (d := parse_date(raw)) or (dates and d not in dates):
                continue
            if latest is None or d > latest:
                latest = d
    return latest


def shown(value: str, limit: int = 40) -> str:
    """A value quoted in a message: redacted first (the whole of it, so that a number cut in
    two cannot slip through), then cut short."""
    safe = redact_text(value)
    return repr(safe[:limit] + ("…" if len(safe) > limit else ""))


_MAPPED = ("text", "rating", "date", "channel", "segment", "journey", "stage", "id", "label")
_KINDS = {bool: "true/false", dict: "a JSON object", list: "a JSON list"}


def _cells(
    row: dict[str, Any], line: int, mapping: ColumnMapping, max_chars: int
) -> dict[str, str | None] | RowError:
    """The mapped cells as clean text (NFC, control characters dropped, trimmed), or the
    first problem. Length is checked before anything else reads a cell."""
    out: dict[str, str | None] = {}
    for name in _MAPPED:
        column = getattr(mapping, name)
        value = row.get(column) if column else None
        if value is None or column is None:
            out[name] = None
            continue
        if isinstance(value, ColumnConflict):
            return RowError(line=line, field=column, message=value.message())
        if kind := _KINDS.get(type(value)):
            msg = f"{kind} where text or a number is expected"
            return RowError(line=line, field=column, message=msg)
        text = value if isinstance(value, str) else str(value)
        if len(text) > max_chars:
            msg = f"{column} is {len(text):,} characters; the limit is {max_chars:,}"
            msg += " (CX_MAX_CELL_CHARS)"
            return RowError(line=line, field=column, message=msg)
        if "\x00" in text:
            msg = "contains a NUL byte (a binary file, or UTF-16 read as UTF-8?)"
            return RowError(line=line, field=column, message=msg)
        out[name] = _CONTROL.sub("", nfc(text)).strip()
    return out


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
    *,
    max_cell_chars: int = MAX_CELL_CHARS,
    dates: DateRange | None = None,
) -> FeedbackRecord | RowError | KnownRow:
    """Validate and normalise one row; a valid row whose content hash (or legacy one) is in
    `known` comes back as KnownRow before the costly steps (redaction, language, labels). A
    date outside `dates` is a row error.

    Every stored field is redacted, not only the text; the record id is the source and the
    content hash, never a value of the row."""
    if "__error__" in row:
        return RowError(line=line, field="row", message=row["__error__"])
    if not mapping.text:
        return RowError(line=line, field="text", message="no text column (use --text-column)")
    cells = _cells(row, line, mapping, max_cell_chars)
    if isinstance(cells, RowError):
        return cells
    text = cells["text"] or ""
    if not _VISIBLE.search(text):
        return RowError(line=line, field=mapping.text, message="empty feedback text")
    rating: int | None = None
    if mapping.rating and (raw_rating := cells["rating"]):
        try:
            value = float(raw_rating)
        except ValueError:
            msg = f"rating {shown(raw_rating)} is not a number from 1 to 5"
            return RowError(line=line, field=mapping.rating, message=msg)
        if not value.is_integer() or not 1 <= value <= 5:
            msg = f"rating {shown(raw_rating)} is not a whole number from 1 to 5"
            return RowError(line=line, field=mapping.rating, message=msg)
        rating = int(value)
    date_raw = cells["date"] or ""
    day = parse_date(date_raw, reference)
    if dates is not None and day is not None and day not in dates:
        msg = dates.problem(shown(date_raw))
        return RowError(line=line, field=mapping.date or "date", message=msg)
    digest = content_hash(text, rating, day, date_raw)
    if digest in known or legacy_content_hash(text, rating, date_raw) in known:
        return KnownRow(line=line, content_hash=digest)
    redactions = 0

    def safe(value: str | None) -> str | None:
        nonlocal redactions
        if not value:
            return None
        out, n = redact(value)
        redactions += n
        return out

    redacted = safe(text) or ""
    fields = {name: safe(cells[name]) for name in ("channel", "segment", "journey", "stage")}
    date_shown = safe(date_raw) or ""
    external_id = safe(cells["id"])
    return FeedbackRecord(
        id=f"{source}:{digest}",
        source=source,
        line=line,
        text=redacted,
        rating=rating,
        date=day,
        date_raw=date_shown,
        **fields,
        lang=detect_lang(redacted),
        labels=parse_labels(cells["label"] or ""),
        labelled=bool(cells["label"]),
        redactions=redactions,
        external_id=external_id,
        content_hash=digest,
    )
