"""What the rest of the code may ask of the tabular copy of feedback.

Callers type against `FeedbackStore`, never against a backend: SQLite today
(`SQLiteFeedbackStore`), PostgreSQL later. Whatever is SQL stays inside the backend; a
method here speaks in records, ids, tags, themes, segments and links. Failures to read the
store raise FeedbackDatabaseError naming where it is and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Iterator, Sequence
from datetime import date
from typing import Any, Protocol

from assistant.core.redaction import redact_text
from assistant.feedback.linking import Link
from assistant.feedback.records import AspectLabel, FeedbackRecord

_LONG_NUMBER = re.compile(r"\d(?:[\s._-]?+\d){5,}+")


def source_slug(name: str) -> str:
    """A file name as a source name, in every backend: redacted (a file may be named after
    a customer), no spaces (sources are typed in `source:NAME`), and no long number at all
    (six digits or more, however grouped): a name needs none, and one the redactor does not
    recognise would end up in scope lines and record ids."""
    slug = _LONG_NUMBER.sub("n", redact_text(name))
    slug = re.sub(r"[^\w.-]+", "-", slug).strip("-.")[:60]
    return slug or "feedback"


class FeedbackStore(Protocol):
    @property
    def location(self) -> str:
        """Where the store lives, as named in messages (a file, a database)."""
        ...

    def close(self) -> None: ...

    # -- sources and the shared corpus --------------------------------------------------
    def source_for(
        self, location: str, name: str, reserved: Container[str] = (), private: bool = False
    ) -> str:
        """The source name of the file at `location`, the same on every ingest of it."""
        ...

    def share_source(self, source: str) -> None: ...

    def private_sources(self) -> set[str]: ...

    def corpus_count(self, include: str | None = None) -> int: ...

    def quick_check(self) -> list[str]:
        """The backend's own consistency check: empty when the store is sound."""
        ...

    # -- records -------------------------------------------------------------------------
    def add(self, records: Iterable[FeedbackRecord]) -> tuple[list[FeedbackRecord], int]: ...

    def count(self, source: str | None = None) -> int: ...

    def ids(self, source: str | None = None) -> list[str]: ...

    def hashes(self, source: str | None = None) -> set[str]: ...

    def records(self, source: str | None = None) -> Iterator[FeedbackRecord]: ...

    def records_by_id(self, ids: Iterable[str]) -> list[FeedbackRecord]: ...

    def texts(self, ids: Iterable[str]) -> dict[str, str]: ...

    def id_texts(self) -> Iterator[tuple[str, str]]: ...

    def count_dated(self, start: date, end: date, include: str | None = None) -> int: ...

    def latest_date(self) -> date | None: ...

    def ids_with_segment_column(self, segment: str) -> set[str]: ...

    def state(self) -> str:
        """Changes whenever records are added or removed: what derived data is keyed on."""
        ...

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every stored row, by table (or collection), as stored: what a check that nothing
        personal is kept reads."""
        ...

    def resample_from(self, other: FeedbackStore, n: int) -> None:
        """Fill this store with n records resampled from `other` (the speed benchmark)."""
        ...

    # -- tags ----------------------------------------------------------------------------
    def untagged(self, include_origins: Sequence[str] = ()) -> Iterator[FeedbackRecord]: ...

    def set_tags(self, tagged: Iterable[tuple[str, list[AspectLabel]]], origin: str) -> int: ...

    def tag_origins(self, include: str | None = None) -> dict[str, int]: ...

    def all_tags(self, include: str | None = None) -> list[tuple[str, str, str]]: ...

    def scan_for_scope(
        self, include: str | None = None, min_rating: int | None = None,
        max_rating: int | None = None,
    ) -> Iterator[tuple[str, int | None, str | None, str | None]]: ...  # fmt: skip

    # -- themes --------------------------------------------------------------------------
    def theme_group_sizes(self) -> dict[tuple[str, str], int]: ...

    def set_themes(
        self, aspect: str, sentiment: str, size: int, themes: list[tuple[str, str, list[str]]]
    ) -> None: ...

    def themes_of(
        self, aspect: str, sentiment: str
    ) -> tuple[dict[int, tuple[str, str]], dict[str, int]]: ...

    # -- segment mentions ----------------------------------------------------------------
    def segment_members(self, state: str) -> dict[str, set[str]] | None: ...

    def set_segment_members(self, state: str, members: dict[str, set[str]]) -> None: ...

    # -- journey links -------------------------------------------------------------------
    def set_links(self, linked: Iterable[tuple[str, Sequence[Link]]], mode: str) -> int: ...

    def links_for(self, record_id: str) -> list[Link]: ...

    def records_linked_to(self, journey: str, step: str | None = None) -> list[str]: ...

    def link_signature(self) -> str | None: ...

    def steps_of(self, record_ids: Sequence[str]) -> dict[str, int]: ...

    def estimated_date_ids(self) -> set[str]: ...

    def set_link_signature(self, signature: str) -> None: ...

    def to_link(self, include_modes: Sequence[str] = ()) -> Iterator[FeedbackRecord]: ...

    def unfinished_ids(self) -> set[str]:
        """Records stored but not tagged or not linked (a run stopped half-way)."""
        ...

    def unlinked_count(self) -> int: ...

    def linked_ids(self, mode: str | None = None) -> set[str]: ...

    def link_modes(self) -> dict[str, int]: ...

