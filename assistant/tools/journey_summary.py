"""Journey summary for managers: stages and steps, emotion curve (atlas emotion and feedback
sentiment per stage), moments of truth, top pains and delights, volume and trend, metrics,
and three recommended next steps; optionally a PNG chart of the curve and the pains."""

from __future__ import annotations

import uuid
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.tools.journey_stats import StageStats, stage_stats
from assistant.tools.pain_points import PainPoint, PainPointsInput, summarize_pain_points
from assistant.tools.roadmap import Initiative, initiatives_for
from assistant.tools.types import Evidence, ToolContext


class JourneySummaryInput(BaseModel):
    """Summarize one journey (a chart is drawn when the request has a chart folder)."""

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


class JourneySummaryOutput(BaseModel):
    journey: str
    name: str
    goal: str
    stages: list[StageLine]
    emotion_curve: list[StageStats]
    moments_of_truth: list[StepLine]
    pain_points: list[PainPoint]
    delights: list[PainPoint]
    volume: int = Field(description="Feedback records about this journey.")
    metrics: dict[str, list[str]]
    next_steps: list[Initiative]
    chart: str | None = None
    evidence: list[Evidence]


def summarize_journey(inp: JourneySummaryInput, ctx: ToolContext) -> JourneySummaryOutput:
    """Summarize a journey for a manager: stages, emotion curve, moments of truth, top pains
    and delights from the feedback, metrics and three next steps."""
    kb, lang = ctx.kb, ctx.lang
    atlas = kb.atlas()
    journey = atlas.find_journey(inp.journey)
    summary = summarize_pain_points(PainPointsInput(journey=journey.id, top=3), ctx)
    stats = stage_stats(kb, journey)
    stages = [
        StageLine(
            id=st.id,
            name=st.name.get(lang),
            steps=[
                StepLine(
                    ref=f"{journey.id}.{s.id}",
                    name=s.name.get(lang),
                    emotion=s.emotion,
                    moment_of_truth=s.moment_of_truth,
                )
                for s in st.steps
            ],
        )
        for st in journey.stages
    ]
    metrics: dict[str, list[str]] = {"operational": [], "perception": [], "outcome": []}
    for _, s in journey.steps():
        for group, names in metrics.items():
            names.extend(n for n in getattr(s.metrics, group) if n not in names)
    out = JourneySummaryOutput(
        journey=journey.id,
        name=journey.name.get(lang),
        goal=journey.goal.get(lang),
        stages=stages,
        emotion_curve=stats,
        moments_of_truth=[s for st in stages for s in st.steps if s.moment_of_truth],
        pain_points=summary.pain_points,
        delights=summary.delights,
        volume=summary.total,
        metrics=metrics,
        next_steps=initiatives_for(kb.playbook(), journey, summary.pain_points, lang)[:3],
        evidence=[Evidence(kind="atlas", ref=f"journey.{journey.id}")],
    )
    if ctx.chart_dir is not None:
        path = ctx.chart_dir / f"journey-{journey.id}-{uuid.uuid4().hex[:8]}.png"
        out.chart = str(draw_chart(out, path, lang))
    return out


def draw_chart(s: JourneySummaryOutput, path: Path, lang: str) -> Path:
    """Emotion curve (atlas emotion per step, feedback sentiment per stage) and pain bars."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt

    vi = lang == "vi"
    steps = [st for stage in s.stages for st in stage.steps]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 8), gridspec_kw={"height_ratios": [3, 2]})
    x = list(range(len(steps)))
    ax1.plot(
        x,
        [st.emotion for st in steps],
        marker="o",
        color="#3366cc",
        linewidth=2,
        label="Cảm xúc (atlas)" if vi else "Emotion (atlas)",
    )
    for i, st in enumerate(steps):
        if st.moment_of_truth:
            ax1.scatter(
                [i], [st.emotion], s=220, facecolors="none", edgecolors="#d62728", linewidths=2
            )
    # Feedback sentiment per stage, drawn across the stage's steps (scaled to -2..2).
    start = 0
    for stage, stat in zip(s.stages, s.emotion_curve, strict=True):
        end = start + len(stage.steps) - 1
        if stat.net_sentiment is not None:
            ax1.hlines(
                stat.net_sentiment * 2, start - 0.3, end + 0.3, colors="#ff9900", linewidth=4
            )
        ax1.axvspan(
            start - 0.5, end + 0.5, color="#f0f0f0" if len(ax1.patches) % 2 else "white", zorder=0
        )
        ax1.text((start + end) / 2, 2.35, stage.name, ha="center", fontsize=9)
        start = end + 1
    ax1.plot(
        [],
        [],
        color="#ff9900",
        linewidth=4,
        label="Cảm xúc phản hồi (ròng)" if vi else "Feedback sentiment (net)",
    )
    ax1.scatter(
        [],
        [],
        s=120,
        facecolors="none",
        edgecolors="#d62728",
        label="Khoảnh khắc của sự thật" if vi else "Moment of truth",
    )
    ax1.set_xticks(x, [st.name for st in steps], rotation=30, ha="right", fontsize=8)
    ax1.set_ylim(-2.5, 2.7)
    ax1.axhline(0, color="#999999", linewidth=0.8)
    ax1.set_ylabel("−2 … +2")
    ax1.set_title(s.name)
    ax1.legend(loc="lower left", fontsize=8)
    pains = s.pain_points
    ax2.barh(
        [p.label.vi if vi else p.label.en for p in pains][::-1],
        [p.count for p in pains][::-1],
        color="#d62728",
    )
    for i, p in enumerate(pains[::-1]):
        ax2.text(p.count, i, f" {p.count} · {p.mean_rating or 0:.2f}★", va="center", fontsize=8)
    ax2.set_xlabel("Số phản hồi tiêu cực" if vi else "Negative feedback records")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
