"""Roadmap proposal for a journey: current state, future state, ranked initiatives, a pilot,
KPIs in the three metric groups, horizons, and the JCXM steps each part serves.

Initiatives come from the journey's measured pain points: impact is the pain's impact score
(count × severity, see pain_points), scaled to the largest; effort is a documented rule by
aspect kind and touchpoint, read from the playbook (corpus/playbook/roadmap.yaml: what the
retailer controls directly is cheaper to change than what depends on the phone makers).
Quick wins (high impact, low effort) come first.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.knowledge.atlas import Journey
from assistant.knowledge.playbook import Playbook, RoadmapRules
from assistant.tools.journey_stats import StageStats, stage_stats
from assistant.tools.pain_points import PainPoint, PainPointsInput, summarize_pain_points
from assistant.tools.types import Claim, Evidence, Lang, ToolContext

Level = Literal["high", "medium", "low"]

# The JCXM steps (article jcxm-part3) each part of the roadmap serves.
JCXM = {
    "current_state": [4, 5],
    "future_state": [5, 6],
    "initiatives": [6],
    "pilot": [8],
    "kpis": [7],
    "horizons": [6, 10],
}


class RoadmapInput(BaseModel):
    """Propose a CX roadmap for one journey (optionally through one persona's eyes)."""

    journey: str = Field(description="Journey id or name.")
    persona: str | None = Field(None, description="Persona id or name, to focus on.")


class Initiative(BaseModel):
    title: str
    aspect: str
    steps: list[str]
    impact: Level
    impact_score: float
    effort: Level
    effort_rule: str
    quick_win: bool
    horizon: Literal["0-3 months", "3-6 months", "6-12 months"]
    evidence: list[Evidence]


class Kpi(BaseModel):
    group: Literal["operational", "perception", "outcome"]
    name: str
    baseline: str | None
    evidence: list[Evidence]


class RoadmapOutput(BaseModel):
    journey: str
    persona: str | None
    current_state: list[Claim]
    stage_metrics: list[StageStats]
    future_state: list[Claim]
    initiatives: list[Initiative]
    pilot: Claim
    kpis: list[Kpi]
    jcxm_steps: dict[str, list[int]]
    methodology: list[Evidence]


def _effort(rules: RoadmapRules, pain: PainPoint, lang: Lang) -> tuple[Level, str]:
    """Effort by the playbook's rules (corpus/playbook/roadmap.yaml)."""
    rule = rules.effort_for(pain.aspect, pain.touchpoints)
    if rule is None:
        return "medium", "no effort rule for this aspect in the playbook"
    return rule.level, rule.rule.get(lang)


def initiatives_for(
    playbook: Playbook, journey: Journey, pains: list[PainPoint], lang: Lang
) -> list[Initiative]:
    """One initiative per pain point, ranked: quick wins first, then by impact."""
    if not pains:
        return []
    top = max(p.impact for p in pains) or 1.0
    out = []
    for p in pains:
        share = p.impact / top
        impact: Level = "high" if share >= 0.66 else "medium" if share >= 0.33 else "low"
        effort, rule = _effort(playbook.roadmap, p, lang)
        action = playbook.roadmap.aspect(p.aspect)
        quick = impact != "low" and effort == "low"
        horizon = (
            "0-3 months"
            if quick or effort == "low"
            else "3-6 months"
            if impact == "high"
            else "6-12 months"
        )
        steps = [s for s in p.steps if s.startswith(f"{journey.id}.")] or p.steps[:2]
        out.append(
            Initiative(
                title=action.action.get(lang) if action else p.aspect,
                aspect=p.aspect,
                steps=steps,
                impact=impact,
                impact_score=p.impact,
                effort=effort,
                effort_rule=rule,
                quick_win=quick,
                horizon=horizon,  # type: ignore[arg-type]
                evidence=[
                    Evidence(kind="feedback", ref=q.record_id, quote=q.text) for q in p.quotes
                ]
                + [Evidence(kind="atlas", ref=s) for s in steps],
            )
        )
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(out, key=lambda i: (not i.quick_win, order[i.impact], -i.impact_score))


def propose_roadmap(inp: RoadmapInput, ctx: ToolContext) -> RoadmapOutput:
    """Propose a CX roadmap for a journey: current and future state, initiatives ranked by
    impact and effort, a pilot, KPIs in the three metric groups, from measured pains."""
    kb, lang = ctx.kb, ctx.lang
    atlas = kb.atlas()
    journey = atlas.find_journey(inp.journey)
    persona = atlas.find_persona(inp.persona) if inp.persona else None
    summary = summarize_pain_points(PainPointsInput(journey=journey.id, top=5), ctx)
    stats = stage_stats(kb, journey)

    current = [
        Claim(
            text=f"{p.label.get(lang)}: {p.count} ({p.share:.0%}), "
            f"{'sao TB' if lang == 'vi' else 'mean rating'} {p.mean_rating}, "
            f"{p.low_rating_share:.0%} 1-2★",
            count=p.count,
            evidence=[Evidence(kind="feedback", ref=q.record_id, quote=q.text) for q in p.quotes],
        )
        for p in summary.pain_points
    ]
    future = [
        Claim(text=e.get(lang), evidence=[Evidence(kind="atlas", ref=f"{journey.id}.{s.id}")])
        for _, s in journey.steps()
        if s.moment_of_truth
        for e in s.expectations
    ] + [
        Claim(
            text=f"{d.label.get(lang)} ({d.count})",
            count=d.count,
            evidence=[Evidence(kind="feedback", ref=q.record_id, quote=q.text) for q in d.quotes],
        )
        for d in summary.delights[:3]
    ]
    initiatives = initiatives_for(kb.playbook(), journey, summary.pain_points, lang)

    # Pilot (JCXM step 8): the critical moment with the heaviest pain, and the team at it.
    pain_by_aspect = {p.aspect: p.impact for p in summary.pain_points}
    mots = [
        (s, sum(pain_by_aspect.get(a, 0) for a in s.aspects))
        for _, s in journey.steps()
        if s.moment_of_truth
    ]
    if mots:
        step, weight = max(mots, key=lambda x: x[1])
        team = ", ".join(step.touchpoints)
        pilot = Claim(
            text=(
                f"Thí điểm tại bước “{step.name.vi}” (khoảnh khắc của sự thật, tác động "
                f"{weight:.0f}) cùng đội phụ trách: {team}"
            )
            if lang == "vi"
            else (
                f"Pilot at “{step.name.en}” (a moment of truth, pain impact {weight:.0f}) "
                f"with the team that runs: {team}"
            ),
            evidence=[Evidence(kind="atlas", ref=f"{journey.id}.{step.id}")],
        )
    else:
        pilot = Claim(text="—", evidence=[])

    kpis: list[Kpi] = []
    scoped = [r for st in stats for r in st.record_ids]
    rated = [st for st in stats if st.mean_rating is not None]
    baseline = None
    if rated:
        n = sum(st.records for st in rated)
        mean = sum(st.mean_rating * st.records for st in rated) / n  # type: ignore[operator]
        low = sum(st.low_rating_share * st.records for st in rated) / n  # type: ignore[operator]
        baseline = f"{mean:.2f}★ / {low:.0%} 1-2★ (n={n})"
    kpis.append(
        Kpi(
            group="perception",
            name="mean rating / share of 1-2 stars (feedback)",
            baseline=baseline,
            evidence=[Evidence(kind="feedback", ref=r) for r in scoped[:5]],
        )
    )
    seen = set()
    for _, s in journey.steps():
        for group in ("operational", "perception", "outcome"):
            for name in getattr(s.metrics, group):
                if name not in seen:
                    seen.add(name)
                    kpis.append(
                        Kpi(
                            group=group,
                            name=name,
                            baseline=None,
                            evidence=[Evidence(kind="atlas", ref=f"{journey.id}.{s.id}")],
                        )
                    )

    cites = [
        Evidence(kind="methodology", ref=c.id, quote=c.text)
        for c in (kb.pinned_passage("roadmap_steps"), kb.pinned_passage("metric_groups"))
    ]
    return RoadmapOutput(
        journey=journey.id,
        persona=persona.id if persona else None,
        current_state=current,
        stage_metrics=stats,
        future_state=future,
        initiatives=initiatives,
        pilot=pilot,
        kpis=kpis,
        jcxm_steps=JCXM,
        methodology=cites,
    )
