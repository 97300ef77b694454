"""Pain-point summary: ranked pains (and delights) of the filtered feedback, from stored tags.

Every number is computed from the stored tags and ratings (no re-embedding):
- count: feedback records with a negative tag for the aspect; share = count / filtered total.
- severity: mean star rating of those records and the share of 1-2 star ratings.
- impact = count × (5 − mean rating) / 4: volume times severity (a 1-star pain weighs 1 per
  record, a 5-star one 0; records without ratings weigh 0.5). Pains are ranked by it.
- trend: count and share in the period against the previous period of equal length (no
  period given: the last 90 days of the data against the 90 days before).
- themes: k-means over TF-IDF of the comments' syllables and bigrams inside one pain; each
  theme is named by its most characteristic terms, and every record is counted in one.
Delights are the same for positive tags, ranked by count × (mean rating − 1) / 4.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, timedelta
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from assistant.errors import AssistantError
from assistant.knowledge.atlas import Atlas, Bi
from assistant.knowledge.redaction import redact
from assistant.text import nfc, words
from assistant.tools.types import ToolContext

DEFAULT_WINDOW_DAYS = 90
THEME_SAMPLE = 1500
QUOTE_CHARS = 280
_THEME_STOP = set(
    "máy mình là và có thì không mà của cho với được nhưng cũng rất này nó em anh ạ nha "
    "như lắm quá hơi đã đang sẽ để khi còn ra vào lại thấy dùng mua ko k đc thế gì bị"
    .split()
)  # fmt: skip


class PainPointsInput(BaseModel):
    """Filters for the pain-point summary; every filter is optional."""

    journey: str | None = Field(None, description="Journey id or name (vi or en).")
    stage: str | None = Field(None, description="Stage id or name inside the journey.")
    touchpoint: str | None = Field(None, description="Touchpoint id, e.g. hotline, store-staff.")
    aspect: str | None = Field(None, description="Feedback aspect id, e.g. BATTERY.")
    segment: str | None = Field(None, description="Customer segment, as in the feedback data.")
    source: str | None = Field(None, description="Only the feedback of this ingested file.")
    start: date | None = Field(None, description="First day of the period (inclusive).",
                               json_schema_extra={"cli": ["--from"]})  # fmt: skip
    end: date | None = Field(None, description="Last day of the period (inclusive).",
                             json_schema_extra={"cli": ["--to"]})  # fmt: skip
    min_rating: int | None = Field(None, ge=1, le=5, description="Lowest star rating kept.")
    max_rating: int | None = Field(None, ge=1, le=5, description="Highest star rating kept.")
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
    count: int
    quote: Quote


class Trend(BaseModel):
    period: tuple[date, date]
    previous_period: tuple[date, date]
    current: int
    previous: int
    current_share: float
    previous_share: float
    change: float | None = Field(description="Relative change of the count; None if 0 before.")
    direction: Literal["up", "down", "flat", "new", "none"]


class PainPoint(BaseModel):
    aspect: str
    sentiment: Literal["negative", "positive"]
    label: Bi
    steps: list[str] = Field(description="Atlas steps (JOURNEY.STEP) the aspect belongs to.")
    stages: list[str] = Field(description="Journey stages of those steps (JOURNEY.STAGE).")
    touchpoints: list[str]
    count: int
    share: float
    mean_rating: float | None
    low_rating_share: float | None = Field(description="Share of 1-2 star ratings.")
    impact: float
    trend: Trend | None
    quotes: list[Quote]
    themes: list[Theme]
    record_ids: list[str] = Field(description="Evidence: ids of up to 50 of the records.")


class PainPointsOutput(BaseModel):
    filters: dict[str, str | int | None]
    lead: Literal["negative", "positive"] = Field(
        "negative", description="What the request asked about first: pains or delights."
    )
    total: int = Field(description="Feedback records left after the filters.")
    pain_points: list[PainPoint]
    delights: list[PainPoint]
    impact_formula: str = "impact = count × (5 − mean rating) / 4"
    tag_origins: dict[str, int] = Field(description="How the records were tagged.")


class NoFeedbackError(AssistantError):
    pass


def filter_scope(
    atlas: Atlas, inp: PainPointsInput
) -> tuple[set[str] | None, set[str], str | None]:
    """Aspects in scope (None = all), steps in scope, and the journey id filter."""
    refs = atlas.step_refs()
    journey_id = None
    if inp.journey:
        journey = atlas.find_journey(inp.journey)
        journey_id = journey.id
        refs = [r for r in refs if r.journey.id == journey.id]
        if inp.stage:
            stage = next(
                (s for s in journey.stages if inp.stage.lower() in
                 (s.id, s.name.vi.lower(), s.name.en.lower())), None,
            )  # fmt: skip
            if stage is None:
                known = ", ".join(s.id for s in journey.stages)
                raise AssistantError(f"No stage {inp.stage!r} in journey {journey.id!r}; "
                                     f"stages: {known}.")  # fmt: skip
            refs = [r for r in refs if r.stage.id == stage.id]
    if inp.touchpoint:
        refs = [r for r in refs if inp.touchpoint in r.step.touchpoints]
        if not refs:
            known = sorted({t for r in atlas.step_refs() for t in r.step.touchpoints})
            raise AssistantError(f"No step has touchpoint {inp.touchpoint!r}; known: "
                                 f"{', '.join(known)}.")  # fmt: skip
    steps = {r.ref for r in refs}
    aspects: set[str] | None = None
    if inp.journey or inp.touchpoint:
        aspects = {a.id for a in atlas.taxonomy if steps & set(a.steps)}
    if inp.aspect:
        wanted = inp.aspect.upper()
        if atlas.aspect(wanted) is None:
            known = ", ".join(a.id for a in atlas.taxonomy)
            raise AssistantError(f"No aspect {inp.aspect!r}; aspects: {known}.")
        aspects = {wanted} if aspects is None or wanted in aspects else set()
    return aspects, steps, journey_id


def _short(text: str) -> str:
    text = redact(" ".join(text.split()))[0]  # stored text is redacted; shown text is too
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _themes(ids: list[str], texts: dict[str, str], meta: dict, k_max: int = 3) -> list[Theme]:
    """Cluster one pain's comments; name each cluster by its top terms."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [i for i in ids if i in texts]
    if len(docs) < 12:
        return []

    def analyzer(text: str) -> list[str]:
        toks = [t for t in words(nfc(text).lower()) if t not in _THEME_STOP and not t.isdigit()]
        return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]

    # A deterministic sample fits the model; every record is then assigned to a theme.
    sample = sorted(docs, key=lambda i: hashlib.md5(i.encode()).hexdigest())[:THEME_SAMPLE]
    vec = TfidfVectorizer(analyzer=analyzer, min_df=3, max_df=0.5, sublinear_tf=True)
    try:
        x_sample = vec.fit_transform([texts[i] for i in sample])
    except ValueError:  # vocabulary empty after pruning
        return []
    k = max(2, min(k_max, len(sample) // 40))
    km = KMeans(n_clusters=k, n_init=4, random_state=0).fit(x_sample)
    x_all = vec.transform([texts[i] for i in docs])
    assign = km.predict(x_all)
    terms = np.array(vec.get_feature_names_out())
    themes = []
    for c in range(k):
        members = np.flatnonzero(assign == c)
        if len(members) == 0:
            continue
        center = km.cluster_centers_[c]
        order = np.argsort(-center)
        top = [t for t in terms[order[:12]] if " " in t][:2] or list(terms[order[:2]])
        closeness = np.asarray(x_all[members] @ center).ravel()
        # Of the five comments closest to the theme's centre, quote the shortest.
        near = members[np.argsort(-closeness)[:5]]
        rep = min((docs[i] for i in near), key=lambda r: len(texts[r]))
        themes.append(
            Theme(
                label=", ".join(top),
                count=len(members),
                quote=Quote(
                    record_id=rep, text=_short(texts[rep]), rating=meta[rep][0], date=meta[rep][1]
                ),
            )  # fmt: skip
        )
    return sorted(themes, key=lambda t: -t.count)


def summarize_pain_points(inp: PainPointsInput, ctx: ToolContext) -> PainPointsOutput:
    """Rank the pain points (and delights) of the customer feedback that matches the filters
    (journey, stage, touchpoint, aspect, segment, source file, period, ratings), with counts,
    severity, trend, themes and redacted quotes. Impact = count × (5 − mean rating) / 4."""
    kb = ctx.kb
    atlas = kb.atlas()
    store = kb.feedback()
    aspects, steps, journey_id = filter_scope(atlas, inp)
    origins = store.tag_origins()
    if not store.count():
        raise NoFeedbackError("No feedback is indexed yet. Run `cx-assistant index` first.")
    if origins.get("untagged") == store.count():
        raise NoFeedbackError("The feedback is not tagged yet. Run `cx-assistant index`.")

    meta: dict[str, tuple[int | None, date | None]] = {}
    for rid, rating, day, segment, journey, _stage, _channel in store.rows_for_aggregation():
        if inp.segment and (segment or "").lower() != inp.segment.lower():
            continue
        if inp.source and not rid.startswith(f"{inp.source}:"):
            continue
        if journey_id and journey and journey != journey_id:
            continue
        if inp.min_rating and (rating is None or rating < inp.min_rating):
            continue
        if inp.max_rating and (rating is None or rating > inp.max_rating):
            continue
        meta[rid] = (rating, date.fromisoformat(day) if day else None)
    tags: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rid, aspect, sentiment in store.all_tags():
        if rid in meta:
            tags[rid].append((aspect, sentiment))
    if aspects is not None:
        meta = {r: m for r, m in meta.items() if any(a in aspects for a, _ in tags.get(r, []))}

    dates = [d for _, d in meta.values() if d]
    if inp.start or inp.end:
        start = inp.start or min(dates, default=date.today())
        end = inp.end or max(dates, default=date.today())
    else:
        end = max(dates, default=date.today())
        start = end - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    prev_end = start - timedelta(days=1)
    prev_start = prev_end - (end - start)
    in_period = {r for r, (_, d) in meta.items() if d and start <= d <= end}
    in_prev = {r for r, (_, d) in meta.items() if d and prev_start <= d <= prev_end}
    scope = in_period if inp.start or inp.end else set(meta)  # a given period is a filter too
    total = len(scope)

    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rid in scope:
        for aspect, sentiment in tags.get(rid, []):
            if sentiment in ("negative", "positive") and (aspects is None or aspect in aspects):
                groups[(aspect, sentiment)].append(rid)

    # The trend's previous period lies outside an explicit period filter: count it apart.
    groups_all: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rid in in_prev | scope:
        for aspect, sentiment in tags.get(rid, []):
            groups_all[(aspect, sentiment)].append(rid)

    def build(aspect: str, sentiment: str, ids: list[str]) -> PainPoint:
        ratings = [meta[r][0] for r in ids if meta[r][0] is not None]
        mean = sum(ratings) / len(ratings) if ratings else None
        low = sum(1 for x in ratings if x <= 2) / len(ratings) if ratings else None
        if sentiment == "negative":
            weight = (5 - mean) / 4 if mean is not None else 0.5
        else:
            weight = (mean - 1) / 4 if mean is not None else 0.5
        a = atlas.aspect(aspect)
        name = a.name if a else Bi(vi=aspect, en=aspect)
        label = (
            Bi(vi=f"Phàn nàn về {name.vi.lower()}", en=f"{name.en} complaints")
            if sentiment == "negative"
            else Bi(vi=f"Khen {name.vi.lower()}", en=f"Praise for {name.en.lower()}")
        )
        a_steps = [s for s in (a.steps if a else []) if not steps or s in steps or not journey_id]
        located = [atlas.locate(s) for s in a_steps]
        cur = sum(1 for r in ids if r in in_period)
        prev = sum(1 for r in groups_all[(aspect, sentiment)] if r in in_prev)
        cur_total, prev_total = len(in_period) or 1, len(in_prev) or 1
        change = (cur - prev) / prev if prev else None
        direction = (
            "none" if not cur and not prev else "new" if not prev
            else "up" if change > 0.1 else "down" if change < -0.1 else "flat"
        )  # fmt: skip
        return PainPoint(
            aspect=aspect,
            sentiment=sentiment,
            label=label,
            steps=a_steps,
            stages=list(dict.fromkeys(f"{x.journey.id}.{x.stage.id}" for x in located if x)),
            touchpoints=sorted({t for x in located if x for t in x.step.touchpoints}),
            count=len(ids),
            share=round(len(ids) / total, 4) if total else 0.0,
            mean_rating=round(mean, 3) if mean is not None else None,
            low_rating_share=round(low, 4) if low is not None else None,
            impact=round(len(ids) * weight, 2),
            trend=Trend(
                period=(start, end),
                previous_period=(prev_start, prev_end),
                current=cur,
                previous=prev,
                current_share=round(cur / cur_total, 4),
                previous_share=round(prev / prev_total, 4),
                change=round(change, 4) if change is not None else None,
                direction=direction,
            ),  # fmt: skip
            quotes=[],
            themes=[],
            record_ids=sorted(ids)[:50],
        )

    built = [build(a, s, ids) for (a, s), ids in groups.items()]
    pains = sorted(
        (p for p in built if p.sentiment == "negative"), key=lambda p: (-p.impact, p.aspect)
    )
    delights = sorted(
        (p for p in built if p.sentiment == "positive"), key=lambda p: (-p.impact, p.aspect)
    )
    shown = pains[: inp.top] + delights[: inp.top]
    wanted_ids = [r for p in shown for r in groups[(p.aspect, p.sentiment)]]
    texts = store.texts(wanted_ids)
    for p in shown:
        ids = groups[(p.aspect, p.sentiment)]
        p.themes = _themes(ids, texts, meta)
        quotes = [t.quote for t in p.themes]
        for rid in sorted(ids, key=lambda r: (meta[r][0] or 3, len(texts.get(r, ""))))[:3]:
            if len(quotes) >= 3:
                break
            if rid in texts and all(q.record_id != rid for q in quotes):
                quotes.append(Quote(record_id=rid, text=_short(texts[rid]), rating=meta[rid][0],
                                    date=meta[rid][1]))  # fmt: skip
        p.quotes = quotes[:3]
    filters = inp.model_dump(exclude={"top", "sentiment"}, exclude_none=True)
    return PainPointsOutput(
        filters={k: str(v) if isinstance(v, date) else v for k, v in filters.items()},
        total=total,
        lead=inp.sentiment,
        pain_points=pains[: inp.top],
        delights=delights[: inp.top],
        tag_origins={k: v for k, v in origins.items()},
    )
