"""The scope of a feedback-derived answer: which records the filters keep, said plainly.

Every feedback tool selects its records here, so `pains`, `persona`, `roadmap`, `journey`
and `five` agree on what "the delivery journey" or "students" means: a journey is the
records linked to it by what they talk about (assistant/knowledge/linking.py), a segment
the records whose text names it (or whose segment column says so), a period and ratings
what they say. A filter that cannot be applied is reported, never dropped.

Private sources (files shared in a chat and not added to the shared corpus) count only when
the `source` filter names them: a whole-corpus answer and its corpus_total never include
them (the rule itself: SQLiteFeedbackStore.corpus_where).
"""

from __future__ import annotations

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
from assistant.feedback.store import FeedbackStore
from assistant.index.types import Chunk, ChunkSearch

FILTER_KEYS = (
    "journey", "step", "aspect", "segment", "source", "start", "end", "min_rating", "max_rating",
)  # fmt: skip


class FeedbackSource(Protocol):
    """What the feedback services and tools read (the knowledge base gives it)."""

    settings: Settings

    def atlas(self) -> Atlas: ...

    def feedback(self) -> FeedbackStore: ...

    def playbook(self) -> Playbook: ...

    def segments(self) -> SegmentBook: ...

    def records_of_segment(self, segment_id: str) -> set[str]: ...

    def records_naming_touchpoint(self, touchpoint: str) -> set[str]: ...

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
                     exact_dates_left_out=self.exact_dates_left_out)  # fmt: skip


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


def select(kb: FeedbackSource, f: FeedbackFilters) -> Selection:
    """The records the filters keep, with ratings, dates and tags, and the scope line."""
    atlas = kb.atlas()
    store = kb.feedback()
    # The shared corpus, plus the source the request names (a private upload's uploader).
    corpus_total = store.corpus_count(f.source)
    if not corpus_total:
        raise NoFeedbackError("No feedback is indexed yet. Run `cx-assistant index` first.")
    if store.tag_origins(f.source).get("untagged") == corpus_total:
        raise NoFeedbackError("The feedback is not tagged yet. Run `cx-assistant index`.")
    unapplied: list[str] = []

    # Journey, step, stage, touchpoint: the records linked to those steps.
    journey_id, steps, keep = None, [], None
    ensure_links(kb)  # every answer names the steps its comments speak of
    if f.journey:
        journey = atlas.find_journey(f.journey)
        journey_id = journey.id
        refs = [r for r in atlas.step_refs() if r.journey.id == journey.id]
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
            refs = [r for r in refs if r.stage.id == stage.id]
        steps = [r.ref for r in refs]
        if f.step or f.stage:
            keep = {rid for ref in refs
                    for rid in store.records_linked_to(journey.id, ref.step.id)}  # fmt: skip
        else:
            keep = set(store.records_linked_to(journey.id))
    touchpoint_named, touchpoint_steps = None, []
    if f.touchpoint:
        refs = [r for r in atlas.step_refs() if f.touchpoint in r.step.touchpoints]
        if not refs:
            known = sorted({t for r in atlas.step_refs() for t in r.step.touchpoints})
            raise AssistantError(f"No step has touchpoint {f.touchpoint!r}; known: "
                                 f"{', '.join(known)}.")  # fmt: skip
        if journey_id:
            refs = [r for r in refs if r.journey.id == journey_id] or refs
        steps = [r.ref for r in refs if not journey_id or r.journey.id == journey_id]
        # The comments that name the touchpoint; when too few do, the comments linked to
        # the steps where it is a touchpoint, and the scope line says which it is.
        named = kb.records_naming_touchpoint(f.touchpoint)
        touchpoint_named = len(named)
        if touchpoint_named >= kb.settings.cx_min_evidence:
            touched = named
        else:
            touchpoint_steps = [r.ref for r in refs]
            touched = {rid for r in refs
                       for rid in store.records_linked_to(r.journey.id, r.step.id)}  # fmt: skip
        keep = touched if keep is None else keep & touched

    aspect = None
    if f.aspect:
        found = atlas.aspect(f.aspect.upper()) or atlas.aspect(
            atlas.names().resolve("aspect", f.aspect) or ""
        )
        if found is None:
            known = ", ".join(a.id for a in atlas.taxonomy)
            raise AssistantError(f"No aspect {f.aspect!r}; aspects: {known}.")
        aspect = found.id

    segment_id, segment_ids = None, None
    if f.segment:
        book = kb.segments()
        segment_id = f.segment if book.segment(f.segment) else next(
            iter(book.segments_mentioned(f.segment)), None
        )
        # Who wrote it: the comment names the segment, or the file's segment column does.
        segment_ids = kb.records_of_segment(segment_id) if segment_id else set()
        segment_ids |= store.ids_with_segment_column(f.segment)
        if segment_id is None and not segment_ids:
            unapplied.append(f"segment “{f.segment}” (no cue words for it; add it to "
                             "corpus/playbook/segments.yaml)")  # fmt: skip

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
    filters: dict[str, Any] = dict.fromkeys(FILTER_KEYS)
    filters.update({
        "journey": journey_id, "step": steps[0] if f.step and steps else None, "aspect": aspect,
        "segment": segment_id or f.segment, "source": f.source,
        "start": f.start.isoformat() if f.start else None,
        "end": f.end.isoformat() if f.end else None,
        "min_rating": f.min_rating, "max_rating": f.max_rating,
    })  # fmt: skip
    if f.stage:
        filters["stage"] = f.stage
    if f.touchpoint:
        filters["touchpoint"] = f.touchpoint
    names: dict[str, Bi] = {}
    if journey_id:
        names["journey"] = atlas.find_journey(journey_id).name
    if filters["step"]:
        located = atlas.locate(filters["step"])
        if located:
            names["step"] = located.step.name
    if f.touchpoint:
        tp_name = kb.playbook().names.touchpoints.get(f.touchpoint)
        names["touchpoint"] = tp_name or Bi(vi=f.touchpoint, en=f.touchpoint)
        for ref in touchpoint_steps:
            located = atlas.locate(ref)
            if located:
                names[f"step:{ref}"] = located.step.name
    if aspect:
        names["aspect"] = atlas.aspect(aspect).name  # type: ignore[union-attr]
    if segment_id and kb.segments().segment(segment_id):
        seg_name = kb.segments().segment(segment_id).name  # type: ignore[union-attr]
        names["segment"] = Bi(vi=seg_name.vi, en=seg_name.en)
    scope = Scope(filters=filters, total=len(meta), corpus_total=corpus_total,
                  unapplied=unapplied, min_evidence=kb.settings.cx_min_evidence,
                  names=names, touchpoint_named=touchpoint_named,
                  touchpoint_steps=touchpoint_steps, estimated_dates=estimated_dates,
                  exact_dates_left_out=left_out)  # fmt: skip
    # Built from the store's own typed rows: validating a million entries again costs seconds.
    return Selection.model_construct(scope=scope, journey=journey_id, steps=steps, meta=meta,
                                     undated_scope=undated, tags=tags)  # fmt: skip
