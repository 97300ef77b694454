"""What the rest of the code may ask of the tabular copy of feedback.

Callers type against `FeedbackStore`, never against a backend: one SQL store
(`store/sql.py`) over SQLite (`SQLiteFeedbackStore`, the embedded default) or PostgreSQL
(`CX_DATABASE_URL`). Whatever is SQL stays inside the backend; a method here speaks in
records, ids, tags, themes, segments, links and `RecordQuery` (the filters of an answer,
which a backend applies on the server). Failures to read the store raise
FeedbackDatabaseError naming where it is and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Protocol

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


@dataclass(frozen=True)
class RecordQuery:
    """The records an answer is about, as filters a backend applies in SQL (scope.py
    resolves names to these ids): the shared corpus, plus the source `include` (and then only
    it); ratings; linked to one of the (journey, step or None) pairs of every group in
    `linked`; whose text names the segment `segment` or whose segment column says
    `segment_column`; with a tag on `aspect`; dated `start`..`end` (inclusive); with
    `exact_dates`, none whose date was estimated from a relative phrase. A step pair means
    the comments that speak of the step (every step of a link, `link_steps`)."""

    include: str | None = None
    min_rating: int | None = None
    max_rating: int | None = None
    linked: tuple[tuple[tuple[str, str | None], ...], ...] = ()
    segment: str | None = None
    segment_column: str | None = None
    aspect: str | None = None
    start: date | None = None
    end: date | None = None
    exact_dates: bool = False  # leave out the dates estimated from relative phrases


class TagsetFigures(NamedTuple):
    """A row of `tagset_figures`: records of one tagset, themeset and step set."""

    tagset: str | None
    themeset: str | None
    n: int
    rated: int
    rating_sum: int
    low: int
    in_window: int
    in_previous: int
    first: Any  # storage position of the first record in the period: compared, not shown
    top: int = 0  # of them rated 5 (a complaint at 5 contradicts its tag, like praise at 1-2)
    steps: str | None = None  # the step set ("journey.step,…") these records speak of


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

    # -- analytics, aggregated by the backend ---------------------------------------------
    def date_range(self, q: RecordQuery) -> tuple[date | None, date | None]: ...

    def tagset_figures(
        self, q: RecordQuery, windows: tuple[tuple[date, date], tuple[date, date]] | None = None
    ) -> list[TagsetFigures]: ...

    def first_ids(self, q: RecordQuery, aspect: str | None = None, sentiment: str | None = None,
                  n: int = 50, lowest_rated: bool = False) -> list[str]: ...  # fmt: skip

    def theme_quote_ids(self, q: RecordQuery, aspect: str, sentiment: str,
                        wanted: Sequence[int]) -> dict[int, str]: ...  # fmt: skip

    def ratings_dates(self, ids: Iterable[str]) -> dict[str, tuple[int | None, date | None]]: ...

    def segment_state(self) -> str | None: ...

    def count_in_scope(self, q: RecordQuery) -> int: ...

    def count_estimated(self, q: RecordQuery) -> int: ...

    def step_counts(self, q: RecordQuery, aspect: str, sentiment: str) -> dict[str, int]: ...

    def rating_conflicts(self, q: RecordQuery, aspect: str, sentiment: str) -> int: ...

    # -- themes --------------------------------------------------------------------------
    def theme_group_sizes(self) -> dict[tuple[str, str], int]: ...

    def set_themes(
        self, aspect: str, sentiment: str, size: int, themes: list[tuple[str, str, list[str]]]
    ) -> None: ...

    def theme_labels(self, aspect: str, sentiment: str) -> dict[int, tuple[str, str]]: ...

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

