"""The scope of a feedback-derived answer: which records the filters keep, said plainly.

Every feedback tool selects its records here, so `pains`, `persona`, `roadmap`, `journey`
and `five` agree on what "the delivery journey" or "students" means: a journey is the
records linked to it by what they talk about (assistant/knowledge/linking.py), a segment
the records whose text names it (or whose segment column says so), a period and ratings
what they say. A filter that cannot be applied is reported, never dropped.

Private sources (files shared in a chat and not added to the shared corpus) count only when
the `source` filter names them: a whole-corpus answer and its corpus_total never include
them (the rule itself: SQLFeedbackStore.corpus_where).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel, Field

from assistant.atlas.model import Atlas, Bi, Persona
from assistant.atlas.playbook import Playbook
from assistant.core.errors import AssistantError, NoFeedbackError
from assistant.core.settings import Settings
from assistant.core.text import fold
from assistant.core.tools import Confidence
from assistant.feedback.linking import Linker
from assistant.feedback.segments import SegmentBook
from assistant.feedback.store import FeedbackStore, RecordQuery
from assistant.index.types import Chunk, ChunkSearch

FILTER_KEYS = (
    "journey", "step", "aspect", "segment", "source", "start", "end", "min_rating", "max_rating",
)  # fmt: skip


log = logging.getLogger(__name__)


class FeedbackSource(Protocol):
    """What the feedback services and tools read (the knowledge base gives it)."""

    settings: Settings

    def atlas(self) -> Atlas: ...

    def feedback(self) -> FeedbackStore: ...

    def playbook(self) -> Playbook: ...

    def segments(self) -> SegmentBook: ...

    def records_of_segment(self, segment_id: str) -> set[str]: ...

    def records_naming_touchpoint(self, touchpoint: str) -> set[str]: ...

    def segment_state(self) -> str: ...

    def link_feedback(self, relink: bool = False, progress: bool = True) -> dict[str, int]: ...

    def linker(self) -> Linker: ...

    def pinned_passage(self, key: str) -> Chunk: ...

    def retriever(self, kind: str) -> ChunkSearch: ...


class RecordFilters(BaseModel):
    """The filters on who wrote a comment, where it came from, when, and its stars: what a
    journey-wide tool (roadmap, summary) accepts beside its journey."""

    segment: str | None = Field(
        None, description="Customer segment in words (sinh viên, game thủ…) or its id."
    )
    source: str | None = Field(None, description="Only the feedback of this ingested file.")
    start: date | None = Field(None, description="First day of the period (inclusive).",
                               json_schema_extra={"cli": ["--from"]})  # fmt: skip
    end: date | None = Field(None, description="Last day of the period (inclusive).",
                             json_schema_extra={"cli": ["--to"]})  # fmt: skip
    min_rating: int | None = Field(None, ge=1, le=5, description="Lowest star rating kept.")
    max_rating: int | None = Field(None, ge=1, le=5, description="Highest star rating kept.")
    exact_dates: bool = Field(
        False, description="Leave out records whose dates were estimated from relative "
        "phrases such as '2 tuần trước' (kept, and counted, by default).",
    )

    def record_filters(self) -> dict[str, Any]:
        """These filters' values, to pass on to another tool's input."""
        return {k: getattr(self, k) for k in RecordFilters.model_fields}


class FeedbackFilters(RecordFilters):
    """The filters every feedback tool accepts (all optional)."""

    journey: str | None = Field(None, description="Journey id or name (vi or en).")
    step: str | None = Field(None, description="Step id or name inside the journey.")
    stage: str | None = Field(None, description="Stage id or name inside the journey.")
    touchpoint: str | None = Field(None, description="Touchpoint id, e.g. hotline, store-staff.")
    aspect: str | None = Field(None, description="Feedback aspect id, e.g. BATTERY.")


class Scope(BaseModel):
    """What an answer is about, for its first line: filters applied and N of M comments."""

    filters: dict[str, Any] = Field(description="Every filter key; None when not applied.")
    total: int = Field(description="Records in scope.")
    corpus_total: int = Field(description="Records in the whole feedback corpus.")
    unapplied: list[str] = Field(
        default_factory=list, description="Filters that were asked for but cannot be applied."
    )
    min_evidence: int = Field(description="Records needed before a tool ranks or concludes.")
    names: dict[str, Bi] = Field(
        default_factory=dict, description="Display names of the filters' values (vi, en)."
    )
    touchpoint_named: int | None = Field(
        None, description="Comments (whole corpus) whose text names the touchpoint filtered on."
    )
    touchpoint_steps: list[str] = Field(
        default_factory=list,
        description="Set when too few comments name the touchpoint: the scope is then the "
        "comments linked to these steps, where it is a touchpoint.",
    )
    estimated_dates: int | None = Field(
        None, description="When a period is asked: records in scope whose dates were "
        "estimated from relative phrases ('2 tuần trước'); 0 with exact_dates.",
    )
    exact_dates_left_out: int = Field(
        0, description="Records the period would hold but exact_dates left out (estimated)."
    )
    data_ends: str | None = Field(
        None, description="The latest comment's date, when the period asked runs past it "
        "('Q3 2020' while the data ends 2020-08-17)."
    )

    @property
    def enough(self) -> bool:
        return self.total >= self.min_evidence


class ScopedOutput(BaseModel):
    """The scope fields every feedback-derived output carries (JSON: filters, total,
    corpus_total…), and its scope line from them."""

    filters: dict[str, str | int | None] = Field(description="Every filter; None = not applied.")
    total: int = Field(description="Feedback records in scope.")
    corpus_total: int = Field(description="Feedback records in the whole corpus.")
    unapplied: list[str] = Field(default_factory=list, description="Filters not applied.")
    filter_names: dict[str, Bi] = Field(
        default_factory=dict, description="Display names of the filters' values."
    )
    touchpoint_named: int | None = Field(
        None, description="Comments (whole corpus) whose text names the touchpoint filtered on."
    )
    touchpoint_steps: list[str] = Field(
        default_factory=list,
        description="Set when too few comments name the touchpoint: the scope is the "
        "comments linked to these steps, where it is a touchpoint.",
    )
    estimated_dates: int | None = Field(
        None, description="When a period is asked: records in scope whose dates were "
        "estimated from relative phrases ('2 tuần trước').",
    )
    exact_dates_left_out: int = Field(
        0, description="Records the period would hold but exact_dates left out (estimated)."
    )
    data_ends: str | None = Field(
        None, description="The latest comment's date, when the period asked runs past it "
        "('Q3 2020' while the data ends 2020-08-17)."
    )
    enough_evidence: bool
    min_evidence: int
    confidence: Confidence = Field(description="From the number of records in scope.")

    @property
    def scope(self) -> Scope:
        return Scope(filters=self.filters, total=self.total, corpus_total=self.corpus_total,
                     unapplied=self.unapplied, min_evidence=self.min_evidence,
                     names=self.filter_names, touchpoint_named=self.touchpoint_named,
                     touchpoint_steps=self.touchpoint_steps,
                     estimated_dates=self.estimated_dates,
                     exact_dates_left_out=self.exact_dates_left_out,
                     data_ends=self.data_ends)  # fmt: skip


class Selection(BaseModel):
    """The records in scope with what the tools aggregate on."""

    scope: Scope
    journey: str | None = None
    steps: list[str] = Field(default_factory=list)
    meta: dict[str, tuple[int | None, date | None]] = Field(default_factory=dict)
    # Records kept by every filter but the period (trends compare with the period before).
    undated_scope: dict[str, tuple[int | None, date | None]] = Field(default_factory=dict)
    tags: dict[str, tuple[tuple[str, str], ...]] = Field(default_factory=dict)


def confidence_from_coverage(records: int, minimum: int) -> Confidence:
    """Confidence from how many records stand behind a claim, against the minimum of
    evidence: none without records, low under the minimum, medium up to 4× it, high above."""
    if records <= 0:
        return "none"
    if records < minimum:
        return "low"
    return "medium" if records < 4 * minimum else "high"


def persona_segment(kb: FeedbackSource, persona: Persona) -> str | None:
    """The customer segment an atlas persona's name and keywords name, if any: the records
    that speak for the persona are that segment's."""
    found = kb.segments().segments_mentioned(
        " ; ".join([persona.name.vi, persona.name.en, *persona.keywords])
    )
    return found[0] if found else None


def ensure_links(kb: FeedbackSource) -> None:
    """Link records that were never linked (a file ingested since the last index), and all
    of them again when they were linked by another linker (other cues, rules or steps);
    a read-only folder answers from the links it has."""
    store = kb.feedback()
    if getattr(store, "read_only", False):
        return
    unlinked = store.unlinked_count()
    # Linked before by another linker (a count, not a set of every id: this runs per answer).
    stale = store.link_signature() != kb.linker().signature and store.count() > unlinked
    if unlinked or stale:
        kb.link_feedback(progress=False)


@dataclass
class _Resolved:
    """The filters resolved against the atlas and the segment book, before any record is
    read: what both ways of selecting (a scan here, SQL in the store) start from."""

    corpus_total: int
    origins: dict[str, int] = field(default_factory=dict)
    journey_id: str | None = None
    steps: list[str] = field(default_factory=list)
    linked: list[tuple[tuple[str, str | None], ...]] = field(default_factory=list)
    aspect: str | None = None
    segment_id: str | None = None
    unapplied: list[str] = field(default_factory=list)
    # A touchpoint filter: the comments naming it (whole corpus), and either those ids
    # (`named`, enough of them) or the steps owning it (their links are in `linked`).
    touchpoint_named: int | None = None
    touchpoint_steps: list[str] = field(default_factory=list)
    named: set[str] | None = None


def _resolve(kb: FeedbackSource, f: FeedbackFilters) -> _Resolved:
    atlas = kb.atlas()
    store = kb.feedback()
    # The shared corpus, plus the source the request names (a private upload's uploader):
    # one count by how each record was tagged gives its size too.
    origins = store.tag_origins(f.source)
    corpus_total = sum(origins.values())
    if not corpus_total:
        raise NoFeedbackError("No feedback is indexed yet. Run `cx-assistant index` first.")
    if origins.get("untagged") == corpus_total:
        raise NoFeedbackError("The feedback is not tagged yet. Run `cx-assistant index`.")
    r = _Resolved(corpus_total=corpus_total, origins=origins)

    # Journey, step, stage, touchpoint: the records linked to those steps.
    ensure_links(kb)  # every answer names the steps its comments speak of
    if f.journey:
        journey = atlas.find_journey(f.journey)
        r.journey_id = journey.id
        refs = [x for x in atlas.step_refs() if x.journey.id == journey.id]
        if f.step:
            refs = [atlas.find_step(journey, f.step)]
        elif f.stage:
            wanted = fold(f.stage)
            stage = next((s for s in journey.stages if wanted in
                          (fold(s.id), fold(s.name.vi), fold(s.name.en))), None)  # fmt: skip
            if stage is None:
                known = ", ".join(s.id for s in journey.stages)
                raise AssistantError(f"No stage {f.stage!r} in journey {journey.id!r}; "
                                     f"stages: {known}.")  # fmt: skip
            refs = [x for x in refs if x.stage.id == stage.id]
        r.steps = [x.ref for x in refs]
        if f.step or f.stage:
            r.linked.append(tuple((journey.id, x.step.id) for x in refs))
        else:
            r.linked.append(((journey.id, None),))
    if f.touchpoint:
        refs = [x for x in atlas.step_refs() if f.touchpoint in x.step.touchpoints]
        if not refs:
            known = sorted({t for x in atlas.step_refs() for t in x.step.touchpoints})
            raise AssistantError(f"No step has touchpoint {f.touchpoint!r}; known: "
                                 f"{', '.join(known)}.")  # fmt: skip
        if r.journey_id:
            refs = [x for x in refs if x.journey.id == r.journey_id] or refs
        r.steps = [x.ref for x in refs if not r.journey_id or x.journey.id == r.journey_id]
        # The comments that name the touchpoint; when too few do, the comments linked to
        # the steps where it is a touchpoint, and the scope line says which it is.
        named = kb.records_naming_touchpoint(f.touchpoint)
        r.touchpoint_named = len(named)
        if r.touchpoint_named >= kb.settings.cx_min_evidence:
            r.named = named
        else:
            r.touchpoint_steps = [x.ref for x in refs]
            r.linked.append(tuple((x.journey.id, x.step.id) for x in refs))

    if f.aspect:
        found = atlas.aspect(f.aspect.upper()) or atlas.aspect(
            atlas.names().resolve("aspect", f.aspect) or ""
        )
        if found is None:
            known = ", ".join(a.id for a in atlas.taxonomy)
            raise AssistantError(f"No aspect {f.aspect!r}; aspects: {known}.")
        r.aspect = found.id

    if f.segment:
        book = kb.segments()
        r.segment_id = f.segment if book.segment(f.segment) else next(
            iter(book.segments_mentioned(f.segment, request=True)), None
        )
        # Who wrote it: the comment names the segment, or the file's segment column does.
        if r.segment_id is None and not store.ids_with_segment_column(f.segment):
            # The user is told the groups the data knows; the maintainer where to add one.
            log.info("segment %r has no cue words: add it to corpus/playbook/segments.yaml",
                     f.segment)
            known = ", ".join(f"{x.name.vi} / {x.name.en}" for x in book.segments)
            r.unapplied.append(f"segment “{f.segment}” (groups the data knows: {known})")
    return r


def _data_ends(kb: FeedbackSource, f: FeedbackFilters) -> str | None:
    """The latest comment's date when the period runs past it, else None."""
    if f.end is None:
        return None
    latest = kb.feedback().latest_date()
    return latest.isoformat() if latest is not None and f.end > latest else None


def _scope(kb: FeedbackSource, f: FeedbackFilters, r: _Resolved, total: int,
           estimated_dates: int | None = None, left_out: int = 0) -> Scope:  # fmt: skip
    """The scope line's facts: every filter (None when not applied), their display names,
    N of M, how the touchpoint was read and the estimated dates counted."""
    atlas = kb.atlas()
    filters: dict[str, Any] = dict.fromkeys(FILTER_KEYS)
    filters.update({
        "journey": r.journey_id, "step": r.steps[0] if f.step and r.steps else None,
        "aspect": r.aspect, "segment": r.segment_id or f.segment, "source": f.source,
        "start": f.start.isoformat() if f.start else None,
        "end": f.end.isoformat() if f.end else None,
        "min_rating": f.min_rating, "max_rating": f.max_rating,
    })  # fmt: skip
    if f.stage:
        filters["stage"] = f.stage
    if f.touchpoint:
        filters["touchpoint"] = f.touchpoint
    names: dict[str, Bi] = {}
    if r.journey_id:
        names["journey"] = atlas.find_journey(r.journey_id).name
    if filters["step"]:
        located = atlas.locate(filters["step"])
        if located:
            names["step"] = located.step.name
    if f.touchpoint:
        tp_name = kb.playbook().names.touchpoints.get(f.touchpoint)
        names["touchpoint"] = tp_name or Bi(vi=f.touchpoint, en=f.touchpoint)
        for ref in r.touchpoint_steps:
            located = atlas.locate(ref)
            if located:
                names[f"step:{ref}"] = located.step.name
    if r.aspect:
        names["aspect"] = atlas.aspect(r.aspect).name  # type: ignore[union-attr]
    if r.segment_id and kb.segments().segment(r.segment_id):
        seg_name = kb.segments().segment(r.segment_id).name  # type: ignore[union-attr]
        names["segment"] = Bi(vi=seg_name.vi, en=seg_name.en)
    return Scope(filters=filters, total=total, corpus_total=r.corpus_total,
                 unapplied=r.unapplied, min_evidence=kb.settings.cx_min_evidence,
                 names=names, touchpoint_named=r.touchpoint_named,
                 touchpoint_steps=r.touchpoint_steps, estimated_dates=estimated_dates,
                 exact_dates_left_out=left_out, data_ends=_data_ends(kb, f))  # fmt: skip


class Plan(BaseModel):
    """The records in scope as a query the store answers on the server (the analytics
    path): nothing is read per record. `scope.total` is 0 until the caller's aggregate
    counts it (`with_total`)."""

    model_config = {"arbitrary_types_allowed": True}

    scope: Scope
    query: RecordQuery
    journey: str | None = None
    steps: list[str] = Field(default_factory=list)
    origins: dict[str, int] = Field(default_factory=dict, description="How records were tagged.")

    def with_total(self, total: int) -> Scope:
        return self.scope.model_copy(update={"total": total})


def plan(kb: FeedbackSource, f: FeedbackFilters) -> Plan | None:
    """The filters as a RecordQuery with its scope, or None
    where the store cannot apply them: a segment whose members are not stored for the
    current records (a read-only folder), or a touchpoint read from the comments' text
    (its ids are kept in memory, not stored), which `select` handles in memory."""
    r = _resolve(kb, f)
    store = kb.feedback()
    if r.named is not None:
        return None
    if r.segment_id is not None:
        kb.records_of_segment(r.segment_id)  # stored now when they were not
        if store.segment_state() != kb.segment_state():
            return None
    query = RecordQuery(
        include=f.source, min_rating=f.min_rating, max_rating=f.max_rating,
        linked=tuple(r.linked), segment=r.segment_id,
        segment_column=f.segment if f.segment else None, aspect=r.aspect,
        start=f.start, end=f.end, exact_dates=f.exact_dates,
    )  # fmt: skip
    # Estimated dates, as `select` counts them: those in the period, and with exact_dates
    # those the period (or the whole scope) would hold but are left out.
    period = bool(f.start or f.end)
    estimated = store.count_estimated(query) if period else None
    left_out = store.count_estimated(replace(query, exact_dates=False)) if f.exact_dates else 0
    return Plan(scope=_scope(kb, f, r, 0, estimated, left_out), query=query,
                journey=r.journey_id, steps=r.steps, origins=r.origins)  # fmt: skip


def count_in_scope(kb: FeedbackSource, f: FeedbackFilters) -> int:
    """How many records the filters keep (on the server where the store can count them)."""
    p = plan(kb, f)
    return kb.feedback().count_in_scope(p.query) if p is not None else select(kb, f).scope.total


# The filters a thin scope can be widened by, each taken away whole ("the period": start and
# end), in the order a reader weighs them; a journey goes with its step and stage.
WIDENINGS: dict[str, tuple[str, ...]] = {
    "min_rating": ("min_rating", "max_rating"), "start": ("start", "end"),
    "segment": ("segment",), "aspect": ("aspect",), "step": ("step", "stage", "touchpoint"),
    "journey": ("journey", "step", "stage", "touchpoint"), "source": ("source",),
}  # fmt: skip


def widened_totals(kb: FeedbackSource, f: FeedbackFilters) -> dict[str, int]:
    """For each filter set on `f` (see WIDENINGS), the records in scope without it."""
    out: dict[str, int] = {}
    for name, keys in WIDENINGS.items():
        held = [k for k in keys if k in type(f).model_fields]
        if any(getattr(f, k) for k in held):
            out[name] = count_in_scope(kb, f.model_copy(update=dict.fromkeys(held)))
    return out


def select(kb: FeedbackSource, f: FeedbackFilters) -> Selection:
    """The records the filters keep, with ratings, dates and tags, and the scope line."""
    store = kb.feedback()
    r = _resolve(kb, f)
    keep: set[str] | None = None if r.named is None else set(r.named)
    for any_of in r.linked:
        ids = {rid for j, s in any_of for rid in store.records_linked_to(j, s)}
        keep = ids if keep is None else keep & ids
    aspect = r.aspect
    segment_ids: set[str] | None = None
    if f.segment:
        segment_ids = kb.records_of_segment(r.segment_id) if r.segment_id else set()
        segment_ids |= store.ids_with_segment_column(f.segment)

    # One pass over the store; equal dates and tag sets are shared objects, so a million
    # records cost a dict entry each, not a date and a list of tuples each.
    undated: dict[str, tuple[int | None, date | None]] = {}
    tags: dict[str, tuple[tuple[str, str], ...]] = {}
    dates: dict[str, date] = {}
    tag_sets: dict[str | None, tuple[tuple[str, str], ...]] = {None: ()}
    for rid, rating, day, tagged in store.scan_for_scope(f.source, f.min_rating, f.max_rating):
        if keep is not None and rid not in keep:
            continue
        if segment_ids is not None and rid not in segment_ids:
            continue
        pairs = tag_sets.get(tagged)
        if pairs is None:
            pairs = tag_sets[tagged] = tuple(
                tuple(t.rsplit(":", 1)) for t in sorted(tagged.split(","))  # type: ignore[misc]
            )
        if aspect and not any(a == aspect for a, _ in pairs):
            continue
        when = dates.get(day) if day else None
        if day and when is None:
            when = dates[day] = date.fromisoformat(day)
        undated[rid] = (rating, when)
        if pairs:
            tags[rid] = pairs
    # Dates estimated from relative phrases ("2 tuần trước"): counted in a period's scope and
    # said; with exact_dates left out of it (and of the trend's periods).
    estimated_dates, left_out = None, 0
    estimated = store.estimated_date_ids() if (f.start or f.end or f.exact_dates) else set()
    lo, hi = f.start or date.min, f.end or date.max

    def in_period(v: tuple[int | None, date | None]) -> bool:
        return bool(v[1]) and lo <= v[1] <= hi  # type: ignore[operator]

    if f.exact_dates and estimated:
        dropped = [k for k in undated if k in estimated]
        left_out = sum(1 for k in dropped if in_period(undated[k])) if (f.start or f.end) \
            else len(dropped)
        undated = {k: v for k, v in undated.items() if k not in estimated}
    if f.start or f.end:
        meta = {k: v for k, v in undated.items() if in_period(v)}
        estimated_dates = sum(1 for k in meta if k in estimated)
    else:
        meta = undated
    scope = _scope(kb, f, r, len(meta), estimated_dates, left_out)
    # Built from the store's own typed rows: validating a million entries again costs seconds.
    return Selection.model_construct(scope=scope, journey=r.journey_id, steps=r.steps, meta=meta,
                                     undated_scope=undated, tags=tags)  # fmt: skip
