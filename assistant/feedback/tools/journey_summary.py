"""Journey summary for managers: a one-screen brief first (top three issues with counts,
three actions, a KPI per metric group with baseline and target), then the stages and their
emotion curve, moments of truth, pains and delights, volume and its trend, the atlas
metrics; and a PNG chart when the request has a chart folder.

The feedback figures are those of the records in scope (assistant/tools/scope.py), per stage
over the records linked to the stage's steps (journey_stats.py), so the text and the chart
show the same numbers. The chart puts the atlas emotion per step (−2..+2) and the feedback's
net sentiment per stage, 2 × (positive − negative) / records, on that one scale, with a
caption in the answer's language that says so. Volume trend: the scope's share of all
feedback in the period against the period before, "up"/"down" only when a two-proportion
test gives p < 0.05 with at least `CX_MIN_EVIDENCE` records in each period.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.core.text import number
from assistant.core.tools import Evidence, Lang, ToolContext
from assistant.feedback.journey_stats import StageStats, journey_stats
from assistant.feedback.kpis import GROUPS, headline_kpis
from assistant.feedback.render.chart import ChartSpec, ChartStage, ChartStep
from assistant.feedback.render.chart import draw_chart as render_chart
from assistant.feedback.scope import RecordFilters, ScopedOutput
from assistant.feedback.tools.pain_points import PainPoint, Trend, share_trend, trend_periods
from assistant.feedback.tools.roadmap import (
    Brief,
    choose_pilot,
    initiatives_for,
    journey_scope,
    make_brief,
    scope_fields,
)


class JourneySummaryInput(RecordFilters):
    """Summarize one journey from the atlas and the feedback about it that matches the
    filters (a chart is drawn when the request has a chart folder)."""

    journey: str = Field(description="Journey id or name.")


class StepLine(BaseModel):
    ref: str
    name: str
    emotion: int
    moment_of_truth: bool


class StageLine(BaseModel):
    id: str
    name: str
    steps: list[StepLine]


class JourneySummaryOutput(ScopedOutput):
    journey: str
    name: str
    goal: str
    brief: Brief
    stages: list[StageLine]
    emotion_curve: list[StageStats]
    moments_of_truth: list[StepLine]
    pain_points: list[PainPoint]
    delights: list[PainPoint]
    volume_share: float = Field(description="Records in scope / all feedback records.")
    volume_trend: Trend | None = Field(
        description="The scope's share of all feedback in the period against the one before."
    )
    metrics: dict[str, list[str]] = Field(
        description="Atlas metrics by group, in the answer's language (no feedback baseline)."
    )
    collect: str | None = Field(None, description="What data to collect when there is too little.")
    chart: str | None = None
    chart_caption: str | None = Field(None, description="What each series of the chart is.")
    evidence: list[Evidence]


def summarize_journey(inp: JourneySummaryInput, ctx: ToolContext) -> JourneySummaryOutput:
    """Summarize a journey for a manager from the atlas and the feedback about it (filters:
    segment, period, ratings, source file): a one-screen brief (top issues, actions, KPIs
    with baselines and targets), stages with the emotion curve, moments of truth, pains and
    delights, volume and trend, metrics; says what to collect when the data is too thin."""
    kb, lang = ctx.kb, ctx.lang
    atlas = kb.atlas()
    journey = atlas.find_journey(inp.journey)
    # Five pains, as the roadmap ranks them, so both propose the same three actions.
    sel, summary = journey_scope(ctx, journey, inp, top=5)
    playbook = kb.playbook()
    stats, steps = journey_stats(kb, journey, sel)
    stages = [
        StageLine(id=st.id, name=st.name.get(lang), steps=[
            StepLine(ref=f"{journey.id}.{s.id}", name=s.name.get(lang), emotion=s.emotion,
                     moment_of_truth=s.moment_of_truth)
            for s in st.steps])
        for st in journey.stages
    ]  # fmt: skip
    metrics: dict[str, list[str]] = {g: [] for g in GROUPS}
    for _, s in journey.steps():
        for group, names in metrics.items():
            for m in getattr(s.metrics, group):
                if playbook.metric_name(m, lang) not in names:
                    names.append(playbook.metric_name(m, lang))

    # Volume trend: the scope's share of every dated record, this period against the last.
    (start, end), (p_start, p_end) = trend_periods(sel, inp.start, inp.end)
    store = kb.feedback()
    n_cur = store.count_dated(start, end, inp.source)
    n_prev = store.count_dated(p_start, p_end, inp.source)
    mine = [d for _, d in sel.undated_scope.values() if d]
    trend = share_trend(sum(1 for d in mine if start <= d <= end), n_cur,
                        sum(1 for d in mine if p_start <= d <= p_end), n_prev,
                        (start, end), (p_start, p_end), summary.min_evidence)  # fmt: skip

    initiatives = initiatives_for(playbook, journey, summary.pain_points, lang,
                                  summary.min_evidence)  # fmt: skip
    _, pilot_collect = choose_pilot(playbook, journey, steps, sel.scope, lang)
    collect = summary.collect or pilot_collect
    out = JourneySummaryOutput(
        journey=journey.id, name=journey.name.get(lang), goal=journey.goal.get(lang),
        **scope_fields(summary),
        brief=make_brief(summary, initiatives, headline_kpis(playbook, sel, lang), lang),
        stages=stages, emotion_curve=stats,
        moments_of_truth=[s for st in stages for s in st.steps if s.moment_of_truth],
        pain_points=summary.pain_points[:3], delights=summary.delights[:3],
        volume_share=round(summary.total / summary.corpus_total, 4),
        volume_trend=trend if summary.enough_evidence else None,
        metrics=metrics, collect=collect.get(lang) if collect else None,
        evidence=[Evidence(kind="atlas", ref=f"journey.{journey.id}")],
    )  # fmt: skip
    if ctx.chart_dir is not None:
        path = ctx.chart_dir / f"journey-{journey.id}-{uuid.uuid4().hex[:8]}.png"
        out.chart_caption = chart_caption(out, lang)
        out.chart = str(draw_chart(out, path, lang))
    return out


def chart_caption(s: JourneySummaryOutput, lang: Lang) -> str:
    """What each series of the chart is, in the answer's language."""
    n = s.min_evidence
    lo, hi = s.filters.get("start"), s.filters.get("end")
    period = ""
    if lo or hi:
        period = (f"từ {lo or '…'} đến {hi or '…'}, " if lang == "vi"
                  else f"from {lo or '…'} to {hi or '…'}, ")  # fmt: skip
    if lang == "vi":
        return (
            "Đường xanh: cảm xúc của khách ở từng bước theo bản đồ hành trình (−2 rất tiêu cực "
            "… +2 rất tích cực). Vạch cam: cảm xúc ròng trong phản hồi ở từng giai đoạn = 2 × "
            "(số phản hồi có khen − số phản hồi có chê) / số phản hồi gắn với các bước của giai "
            f"đoạn, cùng thang −2…+2; n = số phản hồi. Giai đoạn dưới {n} phản hồi không vẽ "
            f"vạch cam. Vòng đỏ: khoảnh khắc của sự thật. Phạm vi: {period}"
            f"{number(s.total, 'vi')} trên {number(s.corpus_total, 'vi')} phản hồi."
        )
    return (
        "Blue line: the customer's emotion at each step as the journey map expects it (−2 very "
        "negative … +2 very positive). Orange bars: the feedback's net sentiment per stage = 2 "
        "× (comments with praise − comments with a complaint) / comments linked to the stage's "
        f"steps, on the same −2…+2 scale; n = comments. Stages with fewer than {n} comments get "
        f"no orange bar. Red circles: moments of truth. Scope: {period}{s.total:,} of "
        f"{s.corpus_total:,} comments."
    )


def chart_title(s: JourneySummaryOutput, lang: Lang) -> str:
    """The journey, the period and the filters of the scope, and how many comments: a chart
    read on its own says what it covers."""
    f, vi = s.filters, lang == "vi"
    parts = []
    if f.get("start") or f.get("end"):
        lo, hi = f.get("start") or "…", f.get("end") or "…"
        parts.append(f"{'từ' if vi else 'from'} {lo} {'đến' if vi else 'to'} {hi}")
    else:
        parts.append("mọi thời điểm" if vi else "all dates")
    lo_r, hi_r = f.get("min_rating"), f.get("max_rating")
    if lo_r or hi_r:
        parts.append(f"{lo_r or 1}–{hi_r or 5}★")
    for key in ("segment", "source"):
        if f.get(key):
            name = s.filter_names.get(key)
            parts.append(name.get(lang) if name else str(f[key]))
    n = (f"{number(s.total, lang)} {'trên' if vi else 'of'} {number(s.corpus_total, lang)} "
         f"{'phản hồi' if vi else 'comments'}")  # fmt: skip
    return f"{s.name} — {'; '.join(parts)} ({n})"


def chart_spec(s: JourneySummaryOutput, lang: Lang) -> ChartSpec:
    """What the chart draws, from the summary (the same numbers as the text)."""
    return ChartSpec(
        title=chart_title(s, lang),
        stages=[ChartStage(name=st.name, net_sentiment=stat.net_sentiment, records=stat.records,
                           steps=[ChartStep(x.name, x.emotion, x.moment_of_truth)
                                  for x in st.steps])
                for st, stat in zip(s.stages, s.emotion_curve, strict=True)],
        caption=s.chart_caption or chart_caption(s, lang), lang=lang,
    )  # fmt: skip


def draw_chart(s: JourneySummaryOutput, path: Path, lang: Lang) -> Path:
    """The atlas emotion per step and the feedback's net sentiment per stage, on one −2..+2
    scale, with a legend, the scope in the title and the caption under the plot."""
    return render_chart(chart_spec(s, lang), path)
