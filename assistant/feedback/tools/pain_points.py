"""Pain-point summary: ranked pains (and delights) of the feedback in scope, from stored tags.

Every number is computed from the stored tags and ratings of the records in scope
(assistant/tools/scope.py: a journey is what comments talk about, not a product aspect):
- count: records in scope with a negative tag for the aspect; share = count / records in
  scope, so no count exceeds the scope.
- severity: mean star rating of those records (one decimal) and the share of 1-2 stars.
- impact = count × (5 − mean rating) / 4: volume times severity (a 1-star pain weighs 1 per
  record, a 5-star one 0; records without ratings weigh 0.5). Pains are ranked by it.
- trend: the pain's share of all feedback in the period against its share in the previous
  period of equal length (no period given: the last 90 days of the data against the 90 days
  before), with the counts; "up" or "down" only when a two-proportion test gives p < 0.05
  with at least `CX_MIN_EVIDENCE` records in each period, else "flat".
- themes: stored when the feedback was tagged (assistant/knowledge/themes.py); here only
  counted among the records in scope.
Delights are the same for positive tags, ranked by count × (mean rating − 1) / 4.
Under `CX_MIN_EVIDENCE` records in scope nothing is ranked: the answer says the data cannot
speak to the question, shows what there is, and what to collect.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from assistant.atlas.model import Atlas, Bi
from assistant.core.errors import NoFeedbackError
from assistant.core.redaction import redact
from assistant.core.tools import ToolContext
from assistant.feedback.records import rating_conflict
from assistant.feedback.scope import (
    FeedbackFilters,
    ScopedOutput,
    Selection,
    confidence_from_coverage,
    select,
)
from assistant.feedback.stats import Direction, share_direction

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
    collect: Bi | None = Field(None, description="What data to collect when there is too little.")
    impact_formula: str = "impact = count × (5 − mean rating) / 4"
    tag_origins: dict[str, int] = Field(description="How the records were tagged.")


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
    """The period a trend looks at and the one of equal length before it: the filter's
    period, or the last 90 days of the data in scope."""
    dates = [d for _, d in sel.undated_scope.values() if d]
    if start or end:
        lo, hi = start or min(dates, default=date.today()), end or max(dates, default=date.today())
    else:
        hi = max(dates, default=date.today())
        lo = hi - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    prev_end = lo - timedelta(days=1)
    return (lo, hi), (prev_end - (hi - lo), prev_end)


def summarize_pain_points(
    inp: PainPointsInput, ctx: ToolContext, sel: Selection | None = None
) -> PainPointsOutput:
    """Rank the pain points (and delights) of the customer feedback that matches the filters
    (journey, step, stage, touchpoint, aspect, segment, source file, period, ratings), with
    counts, severity, trend, themes and redacted quotes; says so when the data in scope is
    too thin to rank. Impact = count × (5 − mean rating) / 4."""
    kb = ctx.kb
    atlas = kb.atlas()
    store = kb.feedback()
    sel = sel or select(kb, inp)  # a caller that selected the same filters passes it on
    scope = sel.scope
    meta = sel.meta
    wanted_aspect = scope.filters.get("aspect")
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rid in meta:
        for aspect, sentiment in sel.tags.get(rid, []):
            if sentiment in ("negative", "positive") and wanted_aspect in (None, aspect):
                groups[(aspect, sentiment)].append(rid)
    common = {
        "filters": scope.filters, "total": scope.total, "corpus_total": scope.corpus_total,
        "unapplied": scope.unapplied, "min_evidence": scope.min_evidence,
        "filter_names": scope.names, "touchpoint_named": scope.touchpoint_named,
        "touchpoint_steps": scope.touchpoint_steps, "estimated_dates": scope.estimated_dates,
        "exact_dates_left_out": scope.exact_dates_left_out,
        "confidence": confidence_from_coverage(scope.total, scope.min_evidence),
        "lead": inp.sentiment, "tag_origins": store.tag_origins(inp.source),
    }  # fmt: skip
    if not scope.enough:
        examples = sorted(meta, key=lambda r: (meta[r][0] or 3, r))[:3]
        texts = store.texts(examples)
        return PainPointsOutput(
            **common, enough_evidence=False, pain_points=[], delights=[],
            counts=sorted((AspectCount(aspect=a, sentiment=s, count=len(ids),
                                       label=_label(atlas, a, s))
                           for (a, s), ids in groups.items()),
                          key=lambda c: (c.aspect, c.sentiment)),
            quotes=[Quote(record_id=r, text=short_quote(texts[r]), rating=meta[r][0],
                          date=meta[r][1]) for r in examples if r in texts],
            collect=Bi(
                vi=f"Cần ít nhất {scope.min_evidence} phản hồi trong phạm vi này để xếp hạng: "
                   "thu thập khảo sát sau tương tác (CSAT/CES) ở các bước của hành trình, hoặc "
                   "mở rộng khoảng thời gian / bỏ bớt bộ lọc.",
                en=f"At least {scope.min_evidence} comments in this scope are needed to rank: "
                   "collect post-interaction surveys (CSAT/CES) at the journey's steps, or "
                   "widen the period / drop a filter.",
            ),
        )  # fmt: skip

    (start, end), (prev_start, prev_end) = trend_periods(sel, inp.start, inp.end)
    undated = sel.undated_scope
    # Each tag's count in the trend's two periods, in one pass over the records.
    n_period = n_prev = 0
    hits_period: Counter[tuple[str, str]] = Counter()
    hits_prev: Counter[tuple[str, str]] = Counter()
    for rid, (_, d) in undated.items():
        if d is None:
            continue
        if start <= d <= end:
            n_period += 1
            hits_period.update(sel.tags.get(rid, ()))
        elif prev_start <= d <= prev_end:
            n_prev += 1
            hits_prev.update(sel.tags.get(rid, ()))

    def impact(sentiment: str, ids: list[str]) -> tuple[float, float | None, float | None]:
        """(impact, mean rating, share of 1-2 stars) of a tag's records."""
        ratings = [meta[r][0] for r in ids if meta[r][0] is not None]
        mean = sum(ratings) / len(ratings) if ratings else None
        low = sum(1 for x in ratings if x <= 2) / len(ratings) if ratings else None
        if sentiment == "negative":
            weight = (5 - mean) / 4 if mean is not None else 0.5
        else:
            weight = (mean - 1) / 4 if mean is not None else 0.5
        return round(len(ids) * weight, 1), mean, low

    scores = {k: impact(k[1], ids) for k, ids in groups.items()}

    def build(key: tuple[str, str]) -> PainPoint:
        (aspect, sentiment), ids = key, groups[key]
        score, mean, low = scores[key]
        # The steps these comments speak of (linked by content), most first.
        counts = {s: n for s, n in store.steps_of(ids).items() if not sel.steps or s in sel.steps}
        a_steps = sorted(counts, key=lambda s: (-counts[s], s))[:4]
        located = [atlas.locate(s) for s in a_steps]
        return PainPoint(
            aspect=aspect, sentiment=sentiment, label=_label(atlas, aspect, sentiment),
            steps=a_steps, step_counts={s: counts[s] for s in a_steps},
            stages=list(dict.fromkeys(f"{x.journey.id}.{x.stage.id}" for x in located if x)),
            touchpoints=sorted({t for x in located if x for t in x.step.touchpoints}),
            count=len(ids), share=round(len(ids) / scope.total, 4),
            mean_rating=round(mean, 1) if mean is not None else None,
            low_rating_share=round(low, 4) if low is not None else None,
            impact=score,
            trend=share_trend(hits_period[key], n_period, hits_prev[key], n_prev, (start, end),
                              (prev_start, prev_end), scope.min_evidence),
            quotes=[], themes=[], record_ids=heapq.nsmallest(50, ids),
        )  # fmt: skip

    # Rank on impact first; only the pains shown are built in full.
    ranked = sorted(groups, key=lambda k: (-scores[k][0], k[0]))
    pains = [build(k) for k in [k for k in ranked if k[1] == "negative"][: inp.top]]
    delights = [build(k) for k in [k for k in ranked if k[1] == "positive"][: inp.top]]
    for p in pains + delights:
        _add_themes_and_quotes(p, groups[(p.aspect, p.sentiment)], meta, store)
    return PainPointsOutput(
        **common, enough_evidence=True, pain_points=pains, delights=delights
    )


def _add_themes_and_quotes(p: PainPoint, ids: list[str], meta: dict, store) -> None:  # noqa: ANN001
    """The stored themes of this pain counted over its records in scope, and up to three
    redacted quotes (each theme's representative first). A record whose rating contradicts
    the tag (praise at 1-2 stars, a complaint at 5) is counted, never quoted."""
    labels, members = store.themes_of(p.aspect, p.sentiment)
    counts = Counter(members[r] for r in ids if r in members)
    noisy = {r for r in ids if rating_conflict(meta[r][0], p.sentiment)}
    p.rating_conflicts = len(noisy)
    quotable = [r for r in ids if r not in noisy]
    in_scope = set(quotable)
    reps: dict[int, str] = {}
    for theme, (_, rep) in labels.items():
        if rep in in_scope:
            reps[theme] = rep
        elif counts.get(theme):  # the representative is outside the scope: a member inside it
            inside = [r for r in quotable if members.get(r) == theme]
            if inside:
                reps[theme] = min(inside, key=len)
    # Quotes: the records that say it most plainly first, the lowest-rated for a complaint
    # and the highest-rated for praise (a few, not a sort of every record in scope).
    sign = 1 if p.sentiment == "negative" else -1
    lowest = heapq.nsmallest(6, quotable, key=lambda r: (sign * (meta[r][0] or 3), r))
    texts = store.texts(list(reps.values()) + lowest)
    themes = [
        Theme(label=labels[t][0], count=n, quote=Quote(record_id=reps[t],
              text=short_quote(texts[reps[t]]), rating=meta[reps[t]][0], date=meta[reps[t]][1]))
        for t, n in counts.most_common() if t in reps and reps[t] in texts
    ]  # fmt: skip
    p.themes = themes
    quotes = [t.quote for t in themes]
    for rid in sorted(lowest, key=lambda r: (sign * (meta[r][0] or 3), len(texts.get(r, "")), r)):
        if len(quotes) >= 3:
            break
        if rid in texts and all(q.record_id != rid for q in quotes):
            quotes.append(Quote(record_id=rid, text=short_quote(texts[rid]),
                                rating=meta[rid][0], date=meta[rid][1]))  # fmt: skip
    p.quotes = quotes[:3]
