"""Pain-point summary: ranked pains (and delights) of the feedback in scope, from stored tags.

Every number is computed from the stored tags and ratings of the records in scope
(assistant/tools/scope.py: a journey is what comments talk about, not a product aspect):
- count: records in scope with a negative tag for the aspect; share = count / records in
  scope, so no count exceeds the scope.
- severity: mean star rating of those records (one decimal) and the share of 1-2 stars.
- impact = count × (5 − mean rating) / 4: volume times severity (a 1-star pain weighs 1 per
  record, a 5-star one 0; records without ratings weigh 0.5). Pains are ranked by it.
- trend: the pain's share of all feedback in the period against its share in the period
  before (the calendar month, quarter or year before one, else as many days; no period
  given: the last 90 days of the data against the 90 days before), with the counts; "up" or
  "down" only when a two-proportion test gives p < 0.05 with at least `CX_MIN_EVIDENCE`
  records in each period, else "flat".
- themes: stored when the feedback was tagged (assistant/knowledge/themes.py); here only
  counted among the records in scope.
Delights are the same for positive tags, ranked by count × (mean rating − 1) / 4.
Under `CX_MIN_EVIDENCE` records in scope nothing is ranked: the answer says the data cannot
speak to the question, shows what there is, and what to collect.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from assistant.atlas.model import Atlas, Bi
from assistant.core.errors import NoFeedbackError
from assistant.core.redaction import redact
from assistant.core.tools import ToolContext
from assistant.feedback.dates import period_before
from assistant.feedback.journey_stats import concerns
from assistant.feedback.records import complains_about, rating_conflict
from assistant.feedback.scope import (
    FeedbackFilters,
    Plan,
    Scope,
    ScopedOutput,
    Selection,
    confidence_from_coverage,
    plan,
    select,
    widened_totals,
)
from assistant.feedback.stats import Direction, share_direction
from assistant.feedback.store import FeedbackStore, RecordQuery

DEFAULT_WINDOW_DAYS = 90
QUOTE_CHARS = 280
__all__ = ["NoFeedbackError", "PainPoint", "PainPointsInput", "PainPointsOutput",
           "summarize_pain_points"]  # fmt: skip


class PainPointsInput(FeedbackFilters):
    """Summarize the pain points (and delights) of the feedback that matches the filters."""

    top: int = Field(5, ge=1, le=20, description="How many pains and delights to return.")
    sentiment: Literal["negative", "positive"] = Field(
        "negative", description="What to lead with: pains (negative) or delights (positive)."
    )
    focus: int | None = Field(
        None, ge=1, le=20,
        description="Only the Nth item of the ranking led with (pains, or delights when "
        "leading with them), with more of its comments: 'the comments behind #2'.",
    )
    explain: bool = Field(
        False, description="Say why the ranking is what it is: the rule and each item's figures."
    )


class Quote(BaseModel):
    record_id: str
    text: str = Field(description="Redacted, shortened comment.")
    rating: int | None
    date: date | None


class Theme(BaseModel):
    label: str = Field(description="The theme's most characteristic terms.")
    count: int = Field(description="Records of this pain in scope that belong to the theme.")
    quote: Quote


class Trend(BaseModel):
    period: tuple[date, date]
    previous_period: tuple[date, date]
    current: int
    previous: int
    current_total: int = Field(description="All records in scope in the period.")
    previous_total: int
    current_share: float
    previous_share: float
    p_value: float | None = Field(description="Two-proportion test of the two shares.")
    direction: Direction


def share_trend(
    cur: int, n_cur: int, prev: int, n_prev: int,
    period: tuple[date, date], previous_period: tuple[date, date], minimum: int,
) -> Trend:
    """A share in a period against the period before, with the counts and the test."""
    p, direction = share_direction(cur, n_cur, prev, n_prev, minimum)
    return Trend(
        period=period, previous_period=previous_period, current=cur, previous=prev,
        current_total=n_cur, previous_total=n_prev,
        current_share=round(cur / n_cur, 4) if n_cur else 0.0,
        previous_share=round(prev / n_prev, 4) if n_prev else 0.0,
        p_value=round(p, 4) if p is not None else None, direction=direction,
    )  # fmt: skip


class PainPoint(BaseModel):
    aspect: str
    sentiment: Literal["negative", "positive"]
    label: Bi
    steps: list[str] = Field(
        description="Steps (JOURNEY.STEP) the pain's comments speak of, most first (within "
        "the journey or step asked for); not every step the aspect could touch."
    )
    step_counts: dict[str, int] = Field(
        default_factory=dict, description="How many of the pain's comments speak of each step."
    )
    step_names: dict[str, Bi] = Field(default_factory=dict, description="Each step's name.")
    stages: list[str] = Field(description="Journey stages of those steps (JOURNEY.STAGE).")
    touchpoints: list[str]
    count: int
    share: float
    mean_rating: float | None = Field(description="Mean star rating, one decimal.")
    low_rating_share: float | None = Field(description="Share of 1-2 star ratings.")
    impact: float
    trend: Trend | None
    quotes: list[Quote]
    themes: list[Theme]
    record_ids: list[str] = Field(description="Evidence: ids of up to 50 of the records.")
    rating_conflicts: int = Field(
        0, description="Records of this tag whose rating contradicts it (praise at 1-2 stars, "
        "a complaint at 5): label noise, counted and never quoted.",
    )


class AspectCount(BaseModel):
    aspect: str
    sentiment: Literal["negative", "positive"]
    label: Bi
    count: int


class PainPointsOutput(ScopedOutput):
    lead: Literal["negative", "positive"] = "negative"
    pain_points: list[PainPoint]
    delights: list[PainPoint]
    counts: list[AspectCount] = Field(
        default_factory=list, description="Under the minimum of evidence: what there is."
    )
    quotes: list[Quote] = Field(default_factory=list, description="Under the minimum: examples.")
    label_noise: list[AspectCount] = Field(
        default_factory=list, description="Tags every comment of which is rated against them "
        "(praise at 1-2 stars, a complaint at 5): the tagger's mistakes, counted, never ranked.")
    collect: Bi | None = Field(None, description="What data to collect when there is too little.")
    widened: dict[str, int] = Field(
        default_factory=dict, description="Under the minimum, asked why: the records in scope "
        "without each filter set (period, stars, segment, aspect, step, journey, source).")
    impact_formula: str = "impact = count × (5 − mean rating) / 4"
    focus: int | None = Field(None, description="The rank of the one item shown, if asked.")
    explain: bool = False
    tag_origins: dict[str, int] = Field(description="How the records were tagged.")
    step_concerns: StepConcerns | None = Field(
        None, description="With a step: how many of the complaints are about what the step "
        "concerns (its atlas aspects); the others are about other things the same comments say.")


class StepConcerns(BaseModel):
    """Of a step's complaints, those about what it concerns ("staff advice": the service)."""

    aspects: list[Bi]
    about: int = Field(description="Records in scope with a complaint on one of the aspects.")
    complaints: int = Field(description="Records in scope with any complaint.")


def short_quote(text: str) -> str:
    text = redact(" ".join(text.split()))[0]  # stored text is redacted; shown text is too
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _label(atlas: Atlas, aspect: str, sentiment: str) -> Bi:
    a = atlas.aspect(aspect)
    name = a.name if a else Bi(vi=aspect, en=aspect)
    if sentiment == "negative":
        return Bi(vi=f"Phàn nàn về {name.vi.lower()}", en=f"{name.en} complaints")
    return Bi(vi=f"Khen {name.vi.lower()}", en=f"Praise for {name.en.lower()}")


def trend_periods(
    sel: Selection, start: date | None, end: date | None
) -> tuple[tuple[date, date], tuple[date, date]]:
    """The period a trend looks at and the one before it (period_before): the filter's
    period, or the last 90 days of the data in scope."""
    dates = [d for _, d in sel.undated_scope.values() if d]
    return periods_between(min(dates, default=None), max(dates, default=None), start, end)


def periods_between(
    first: date | None, last: date | None, start: date | None, end: date | None
) -> tuple[tuple[date, date], tuple[date, date]]:
    """trend_periods from the first and last dates of the records in scope (no period)."""
    today = date.today()
    if start or end:
        lo, hi = start or first or today, end or last or today
    else:
        hi = last or today
        lo = hi - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    return (lo, hi), period_before(lo, hi)


Key = tuple[str, str]


@dataclass
class _Figures:
    """What a summary is computed from, however the records were counted: per tag (aspect,
    sentiment) its records in scope, of them rated, their ratings' sum and those rated
    1-2; each tag's records in the trend's two periods and all records there."""

    total: int = 0
    groups: dict[Key, list[int]] = field(default_factory=dict)
    hits_period: Counter[Key] = field(default_factory=Counter)
    hits_prev: Counter[Key] = field(default_factory=Counter)
    n_period: int = 0
    n_prev: int = 0
    periods: tuple[tuple[date, date], tuple[date, date]] | None = None
    # Records by their whole set of tags: which complain of any of several aspects.
    tagsets: Counter[tuple[Key, ...]] = field(default_factory=Counter)


class _Evidence(Protocol):
    """Where the ids, quotes and themes of a tag's records in scope come from."""

    def record_ids(self, key: Key) -> list[str]: ...

    def lowest(self, key: Key | None, n: int) -> list[str]: ...

    def themes(self, key: Key) -> tuple[list[tuple[int, int]], dict[int, str]]: ...

    def step_counts(self, key: Key) -> dict[str, int]: ...

    def rating_conflicts(self, key: Key) -> int: ...

    def meta(self, ids: list[str]) -> dict[str, tuple[int | None, date | None]]: ...


def summarize_pain_points(
    inp: PainPointsInput, ctx: ToolContext, sel: Selection | None = None
) -> PainPointsOutput:
    """Rank the pain points (and delights) of the customer feedback that matches the filters
    (journey, step, stage, touchpoint, aspect, segment, source file, period, ratings), with
    counts, severity, trend, themes and redacted quotes; says so when the data in scope is
    too thin to rank. Impact = count × (5 − mean rating) / 4."""
    kb = ctx.kb
    if sel is None and (p := plan(kb, inp)) is not None:
        figures, evidence = _from_store(kb.feedback(), p, inp)
        return _summary(inp, ctx, p.with_total(figures.total), p.steps, figures, evidence,
                        p.origins)  # fmt: skip
    sel = sel or select(kb, inp)  # a caller that selected the same filters passes it on
    figures, evidence = _from_selection(sel, inp, kb.feedback())
    return _summary(inp, ctx, sel.scope, sel.steps, figures, evidence,
                    kb.feedback().tag_origins(inp.source))  # fmt: skip


def _pairs(tagged: str | None) -> tuple[Key, ...]:
    """A stored tagset as (aspect, sentiment) pairs, as the scan in scope.py parses it."""
    if not tagged:
        return ()
    return tuple(tuple(t.rsplit(":", 1)) for t in sorted(tagged.split(",")))  # type: ignore[misc]


def _from_store(store: FeedbackStore, p: Plan, inp: PainPointsInput) -> tuple[_Figures, _Evidence]:
    """The figures aggregated by the store on its server: one GROUP BY by tagset, themeset
    and step set (a few thousand rows, whatever the number of records), the tags, their
    themes and the steps their comments speak of counted from those rows."""
    q = p.query
    first, last = store.date_range(q)
    fig = _Figures(periods=periods_between(first, last, inp.start, inp.end))
    themes: dict[Key, dict[int, list]] = defaultdict(dict)  # tag -> theme -> [count, first]
    conflicts: Counter[Key] = Counter()
    steps: dict[Key, Counter[str]] = defaultdict(Counter)  # tag -> step -> records in period
    for row in store.tagset_figures(q, fig.periods):
        fig.total += row.n
        fig.n_period += row.in_window
        fig.n_prev += row.in_previous
        pairs = _pairs(row.tagset)
        fig.tagsets[pairs] += row.n
        for key in pairs:
            # Ratings that contradict the tag (records.rating_conflict): praise at 1-2 stars,
            # a complaint at 5.
            conflicts[key] += {"positive": row.low, "negative": row.top}.get(key[1], 0)
            if row.n and row.steps:
                for step in row.steps.split(","):
                    steps[key][step] += row.n
            fig.hits_period[key] += row.in_window
            fig.hits_prev[key] += row.in_previous
            if row.n and key[1] in ("negative", "positive") and q.aspect in (None, key[0]):
                acc = fig.groups.setdefault(key, [0, 0, 0, 0])
                for i, x in enumerate((row.n, row.rated, row.rating_sum, row.low)):
                    acc[i] += x
        for entry in (row.themeset or "").split(",") if row.n and row.themeset else ():
            aspect, sentiment, theme = entry.rsplit(":", 2)
            if (aspect, sentiment) in pairs:
                seen = themes[(aspect, sentiment)].setdefault(int(theme), [0, row.first])
                seen[0] += row.n
                seen[1] = min(seen[1], row.first)
    # Most common first, ties in storage order: as a count over the scanned records orders them.
    counts = {key: [(t, c) for t, (c, _) in sorted(found.items(),
                                                    key=lambda x: (-x[1][0], x[1][1]))]
              for key, found in themes.items()}  # fmt: skip
    return fig, _StoreEvidence(store, q, counts, conflicts, steps)


@dataclass
class _StoreEvidence:
    store: FeedbackStore
    q: RecordQuery
    theme_counts: dict[Key, list[tuple[int, int]]]
    conflicts: Counter[Key]  # from the same GROUP BY (rating_conflicts without a scan)
    steps: dict[Key, Counter[str]]  # and the steps (step_counts without a join)

    def record_ids(self, key: Key) -> list[str]:
        return self.store.first_ids(self.q, *key, n=50)

    def lowest(self, key: Key | None, n: int) -> list[str]:
        return self.store.first_ids(self.q, *(key or (None, None)), n=n, lowest_rated=True)

    def themes(self, key: Key) -> tuple[list[tuple[int, int]], dict[int, str]]:
        counts = self.theme_counts.get(key, [])
        return counts, self.store.theme_quote_ids(self.q, *key, [t for t, _ in counts])

    def step_counts(self, key: Key) -> dict[str, int]:
        return dict(self.steps.get(key, {}))

    def rating_conflicts(self, key: Key) -> int:
        return self.conflicts[key]

    def meta(self, ids: list[str]) -> dict[str, tuple[int | None, date | None]]:
        return self.store.ratings_dates(ids)


def _from_selection(
    sel: Selection, inp: PainPointsInput, store: FeedbackStore
) -> tuple[_Figures, _Evidence]:
    """The figures counted over a selection already read into memory."""
    meta = sel.meta
    wanted_aspect = sel.scope.filters.get("aspect")
    ids_of: dict[Key, list[str]] = defaultdict(list)
    for rid in meta:
        for aspect, sentiment in sel.tags.get(rid, []):
            if sentiment in ("negative", "positive") and wanted_aspect in (None, aspect):
                ids_of[(aspect, sentiment)].append(rid)
    fig = _Figures(total=sel.scope.total)
    if sel.scope.filters.get("step"):  # only a step's summary reads them (_step_concerns)
        fig.tagsets.update(tuple(sorted(sel.tags.get(rid, ()))) for rid in meta)
    for key, ids in ids_of.items():
        ratings = [meta[r][0] for r in ids if meta[r][0] is not None]
        fig.groups[key] = [len(ids), len(ratings), sum(ratings),  # type: ignore[arg-type]
                           sum(1 for x in ratings if x <= 2)]  # type: ignore[operator]
    if sel.scope.enough:
        (start, end), (prev_start, prev_end) = fig.periods = trend_periods(sel, inp.start, inp.end)
        # Each tag's count in the trend's two periods, in one pass over the records.
        for rid, (_, d) in sel.undated_scope.items():
            if d is None:
                continue
            if start <= d <= end:
                fig.n_period += 1
                fig.hits_period.update(sel.tags.get(rid, ()))
            elif prev_start <= d <= prev_end:
                fig.n_prev += 1
                fig.hits_prev.update(sel.tags.get(rid, ()))
    return fig, _SelectionEvidence(sel, ids_of, store)


@dataclass
class _SelectionEvidence:
    sel: Selection
    ids_of: dict[Key, list[str]]
    store: FeedbackStore

    def record_ids(self, key: Key) -> list[str]:
        return heapq.nsmallest(50, self.ids_of[key])

    def _quotable(self, key: Key) -> list[str]:
        """The tag's records whose rating does not contradict it (label noise is counted,
        never quoted)."""
        meta = self.sel.meta
        return [r for r in self.ids_of[key] if not rating_conflict(meta[r][0], key[1])]

    def lowest(self, key: Key | None, n: int) -> list[str]:
        """The records that say it most plainly: the lowest-rated for a complaint (or with
        no tag), the highest-rated for praise; no rating counts as 3."""
        meta = self.sel.meta
        if not key:
            return heapq.nsmallest(n, meta, key=lambda r: (meta[r][0] or 3, r))
        sign = 1 if key[1] == "negative" else -1
        return heapq.nsmallest(n, self._quotable(key),
                               key=lambda r: (sign * (meta[r][0] or 3), r))  # fmt: skip

    def themes(self, key: Key) -> tuple[list[tuple[int, int]], dict[int, str]]:
        labels, members = self.store.themes_of(*key)
        ids = self.ids_of[key]
        counts = Counter(members[r] for r in ids if r in members)
        quotable = self._quotable(key)
        in_scope = set(quotable)
        reps: dict[int, str] = {}
        for theme, (_, rep) in labels.items():
            if rep in in_scope:
                reps[theme] = rep
            elif counts.get(theme):  # the representative is outside the scope: one inside
                inside = [r for r in quotable if members.get(r) == theme]
                if inside:
                    reps[theme] = min(inside, key=lambda r: (len(r), r))  # as the store
        return counts.most_common(), reps

    def step_counts(self, key: Key) -> dict[str, int]:
        return self.store.steps_of(self.ids_of[key])

    def rating_conflicts(self, key: Key) -> int:
        meta = self.sel.meta
        return sum(1 for r in self.ids_of[key] if rating_conflict(meta[r][0], key[1]))

    def meta(self, ids: list[str]) -> dict[str, tuple[int | None, date | None]]:
        return {r: self.sel.meta[r] for r in ids if r in self.sel.meta}


def _step_concerns(
    atlas: Atlas, scope: Scope, steps: list[str], fig: _Figures
) -> StepConcerns | None:
    """For one step asked for: how many of its comments complain about what it concerns."""
    if not scope.filters.get("step") or len(steps) != 1 or not fig.tagsets:
        return None
    located = atlas.locate(steps[0])
    own = set(located.step.aspects) if located else set()
    if not own:
        return None
    about = sum(n for tags, n in fig.tagsets.items() if complains_about(tags, own))
    complaints = sum(n for tags, n in fig.tagsets.items() if complains_about(tags))
    return StepConcerns(aspects=concerns(atlas, located.step), about=about,
                        complaints=complaints)  # fmt: skip


def _summary(
    inp: PainPointsInput, ctx: ToolContext, scope: Scope, steps: list[str], fig: _Figures,
    evidence: _Evidence, origins: dict[str, int],
) -> PainPointsOutput:  # fmt: skip
    kb = ctx.kb
    atlas = kb.atlas()
    store = kb.feedback()
    groups = fig.groups
    common = {
        "filters": scope.filters, "total": scope.total, "corpus_total": scope.corpus_total,
        "unapplied": scope.unapplied, "min_evidence": scope.min_evidence,
        "filter_names": scope.names, "touchpoint_named": scope.touchpoint_named,
        "touchpoint_steps": scope.touchpoint_steps, "estimated_dates": scope.estimated_dates,
        "exact_dates_left_out": scope.exact_dates_left_out, "data_ends": scope.data_ends,
        "confidence": confidence_from_coverage(scope.total, scope.min_evidence),
        "lead": inp.sentiment, "tag_origins": origins, "explain": inp.explain,
        "step_concerns": _step_concerns(atlas, scope, steps, fig),
    }  # fmt: skip
    if not scope.enough:
        # "why?": which filter leaves so few, each counted away (a question the answer owes).
        widened = widened_totals(kb, inp) if inp.explain else {}
        examples = evidence.lowest(None, 3)
        texts = store.texts(examples)
        meta = evidence.meta(examples)
        return PainPointsOutput(
            **common, enough_evidence=False, pain_points=[], delights=[],
            counts=sorted((AspectCount(aspect=a, sentiment=s, count=g[0],
                                       label=_label(atlas, a, s))
                           for (a, s), g in groups.items()),
                          key=lambda c: (c.aspect, c.sentiment)),
            quotes=[Quote(record_id=r, text=short_quote(texts[r]), rating=meta[r][0],
                          date=meta[r][1]) for r in examples if r in texts],
            widened=widened,
            collect=Bi(
                vi=f"Cần ít nhất {scope.min_evidence} phản hồi trong phạm vi này để xếp hạng: "
                   "thu thập khảo sát sau tương tác (CSAT/CES) ở các bước của hành trình, hoặc "
                   "mở rộng khoảng thời gian / bỏ bớt bộ lọc.",
                en=f"At least {scope.min_evidence} comments in this scope are needed to rank: "
                   "collect post-interaction surveys (CSAT/CES) at the journey's steps, or "
                   "widen the period / drop a filter.",
            ),
        )  # fmt: skip

    assert fig.periods is not None
    (start, end), (prev_start, prev_end) = fig.periods

    def impact(sentiment: str, g: list[int]) -> tuple[float, float | None, float | None]:
        """(impact, mean rating, share of 1-2 stars) of a tag's records."""
        count, rated, rsum, low_n = g
        mean = rsum / rated if rated else None
        low = low_n / rated if rated else None
        if sentiment == "negative":
            weight = (5 - mean) / 4 if mean is not None else 0.5
        else:
            weight = (mean - 1) / 4 if mean is not None else 0.5
        return round(count * weight, 1), mean, low

    scores = {k: impact(k[1], g) for k, g in groups.items()}

    def build(key: Key) -> PainPoint:
        (aspect, sentiment), count = key, groups[key][0]
        score, mean, low = scores[key]
        # The steps these comments speak of (linked by content), most first.
        counts = {s: n for s, n in evidence.step_counts(key).items() if not steps or s in steps}
        a_steps = sorted(counts, key=lambda s: (-counts[s], s))[:4]
        located = [atlas.locate(s) for s in a_steps]
        return PainPoint(
            aspect=aspect, sentiment=sentiment, label=_label(atlas, aspect, sentiment),
            steps=a_steps, step_counts={s: counts[s] for s in a_steps},
            step_names={s: x.step.name for s, x in zip(a_steps, located, strict=True) if x},
            stages=list(dict.fromkeys(f"{x.journey.id}.{x.stage.id}" for x in located if x)),
            touchpoints=sorted({t for x in located if x for t in x.step.touchpoints}),
            count=count, share=round(count / scope.total, 4),
            mean_rating=round(mean, 1) if mean is not None else None,
            low_rating_share=round(low, 4) if low is not None else None,
            impact=score,
            trend=share_trend(fig.hits_period[key], fig.n_period, fig.hits_prev[key],
                              fig.n_prev, (start, end), (prev_start, prev_end),
                              scope.min_evidence),
            quotes=[], themes=[], record_ids=evidence.record_ids(key),
        )  # fmt: skip

    # Rank on impact first; only the pains shown are built in full. A tag all of whose
    # comments are rated against it (all the "praise" of a 1-2 star scope) says nothing
    # customers said: it is set aside, so no ranking, persona or five-questions answer built
    # on this summary claims it.
    ranked = sorted(groups, key=lambda k: (-scores[k][0], k[0]))
    noise = [k for k in ranked if evidence.rating_conflicts(k) >= groups[k][0]]
    ranked = [k for k in ranked if k not in noise]
    negative = [k for k in ranked if k[1] == "negative"]
    positive = [k for k in ranked if k[1] == "positive"]
    quotes = 3
    if inp.focus is not None:  # "the comments behind #2": that item alone, more of its words
        lead = negative if inp.sentiment == "negative" else positive
        chosen = lead[inp.focus - 1 : inp.focus]
        negative, positive = [k for k in chosen if k[1] == "negative"], [
            k for k in chosen if k[1] == "positive"]  # fmt: skip
        quotes = 8
    pains = [build(k) for k in negative[: inp.top]]
    delights = [build(k) for k in positive[: inp.top]]
    quoted: set[str] = set()  # one comment quoted under one point, where others can be
    for p in pains + delights:
        _add_themes_and_quotes(p, evidence, store, quotes, quoted)
    label_noise = [AspectCount(aspect=a, sentiment=sent, label=_label(atlas, a, sent),  # type: ignore[arg-type]
                               count=groups[(a, sent)][0]) for a, sent in noise]  # fmt: skip
    return PainPointsOutput(
        **common, enough_evidence=True, pain_points=pains, delights=delights, focus=inp.focus,
        label_noise=label_noise,
    )


def _add_themes_and_quotes(
    p: PainPoint, evidence: _Evidence, store: FeedbackStore, n_quotes: int = 3,
    quoted: set[str] | None = None,
) -> None:
    """The stored themes of this pain counted over its records in scope, and up to `n_quotes`
    redacted quotes (each theme's representative first). A record whose rating contradicts
    the tag (praise at 1-2 stars, a complaint at 5) is counted, never quoted. `quoted`: the
    records quoted under the points before, quoted again only when no other one is left (a
    comment about wifi and the screen under four pain points reads as one complaint)."""
    quoted = set() if quoted is None else quoted
    key = (p.aspect, p.sentiment)
    labels = store.theme_labels(*key)
    p.rating_conflicts = evidence.rating_conflicts(key)
    counts, reps = evidence.themes(key)  # representatives whose rating fits the tag
    # Quotes: the records that say it most plainly first, the lowest-rated for a complaint
    # and the highest-rated for praise (a few, not a sort of every record in scope).
    sign = 1 if p.sentiment == "negative" else -1
    lowest = evidence.lowest(key, 2 * n_quotes + len(quoted))
    texts = store.texts(list(reps.values()) + lowest)
    meta = evidence.meta(list(reps.values()) + lowest)
    themes = [
        Theme(label=labels[t][0], count=n, quote=Quote(record_id=reps[t],
              text=short_quote(texts[reps[t]]), rating=meta[reps[t]][0], date=meta[reps[t]][1]))
        for t, n in counts if t in reps and reps[t] in texts
    ]  # fmt: skip
    p.themes = themes
    fresh = [t.quote for t in themes if t.quote.record_id not in quoted]
    again = [t.quote for t in themes if t.quote.record_id in quoted]
    for rid in sorted(lowest, key=lambda r: (sign * (meta[r][0] or 3), len(texts.get(r, "")), r)):
        if rid in texts and all(q.record_id != rid for q in fresh + again):
            (again if rid in quoted else fresh).append(Quote(
                record_id=rid, text=short_quote(texts[rid]), rating=meta[rid][0],
                date=meta[rid][1]))  # fmt: skip
    p.quotes = (fresh + again)[:n_quotes]
    quoted.update(q.record_id for q in p.quotes)
