"""Roadmap proposal for a journey: a one-screen brief (top three issues with counts, three
actions, a KPI per metric group with baseline and target), then the current state, the
figures per stage, the future state, ranked initiatives, a pilot, every KPI, and the JCXM
steps each part serves.

Every number comes from the records in scope (assistant/tools/scope.py: the comments linked
to the journey, narrowed by the filters), stated in the answer's first line:
- initiatives come from the journey's measured pain points: impact is the pain's impact
  score (count × severity, see pain_points) scaled to the largest; effort is a documented
  rule by aspect kind and touchpoint, read from the playbook (corpus/playbook/roadmap.yaml:
  what the retailer controls directly is cheaper to change than what depends on the phone
  makers). Quick wins (high or medium impact, low effort) come first.
- the pilot (JCXM step 8) is the step with the heaviest complaints (impact, see
  journey_stats) among those with at least `CX_MIN_EVIDENCE` records in scope, a moment of
  truth first; without such a step there is no pilot, and the answer says what to collect.
- KPIs: see kpis.py (baselines from the scope, targets from the playbook).
Under the minimum of evidence nothing is ranked and no pilot is proposed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.atlas.model import Bi, Journey
from assistant.atlas.playbook import Playbook, RoadmapRules
from assistant.core.tools import Claim, Confidence, Evidence, Lang, ToolContext
from assistant.feedback.journey_stats import StageStats, StepStats, journey_stats
from assistant.feedback.kpis import Kpi, atlas_kpis, headline_kpis
from assistant.feedback.scope import (
    FeedbackFilters,
    RecordFilters,
    Scope,
    ScopedOutput,
    Selection,
    confidence_from_coverage,
    persona_segment,
    select,
)
from assistant.feedback.tools.pain_points import (
    PainPoint,
    PainPointsInput,
    PainPointsOutput,
    short_quote,
    summarize_pain_points,
)

Level = Literal["high", "medium", "low"]
Horizon = Literal["0-3 months", "3-6 months", "6-12 months"]

# The JCXM steps (article jcxm-part3) each part of the roadmap serves.
JCXM = {
    "current_state": [4, 5],
    "future_state": [5, 6],
    "initiatives": [6],
    "pilot": [8],
    "kpis": [7],
    "horizons": [6, 10],
}


class RoadmapInput(RecordFilters):
    """Propose a CX roadmap for one journey (optionally through one persona's eyes), from the
    feedback about it that matches the filters."""

    journey: str = Field(description="Journey id or name.")
    persona: str | None = Field(None, description="Persona id or name, to focus on.")
    explain: bool = Field(False, description="Say why the actions come in their order "
                          "('why #1?'): the pain each answers, its impact and effort.")


class Initiative(BaseModel):
    title: str
    aspect: str
    aspect_name: str = Field(description="The aspect's name in the answer's language.")
    steps: list[str]
    complaints: int = Field(description="Records in scope behind the pain it answers.")
    impact: Level
    impact_score: float
    effort: Level
    effort_rule: str
    quick_win: bool
    horizon: Horizon
    confidence: Confidence
    evidence: list[Evidence]


class Issue(BaseModel):
    """One of the top issues of the brief: a pain point in a line."""

    aspect: str
    label: str
    count: int
    share: float
    mean_rating: float | None
    impact: float = Field(description="count × (5 − mean rating) / 4: what the issues are "
                          "ranked by.")
    trend: str | None = Field(description="up, down, flat or too few (shares, tested).")
    evidence: list[Evidence]


class Brief(BaseModel):
    """What a manager reads first: three issues, three actions, a KPI per metric group."""

    top_issues: list[Issue]
    actions: list[Initiative]
    kpis: list[Kpi]
    confidence: Confidence = Field(
        description="How sure the ranking is: the scope's coverage, no higher than that of "
        "the issue ranked first and of the complaints behind the first action."
    )
    confidence_note: str | None = Field(
        None, description="Why the ranking is less sure than the scope's size suggests: the "
        "first issue or action rests on few comments, or the first two issues are too close "
        "to rank."
    )


class Pilot(BaseModel):
    step: str | None = Field(description="JOURNEY.STEP; None when no step has the evidence.")
    name: str | None
    moment_of_truth: bool
    records: int = Field(description="Records in scope linked to the step.")
    complaints: int
    impact: float | None
    teams: list[str] = Field(description="The touchpoints (teams) that run the step, named.")
    confidence: Confidence
    text: str
    evidence: list[Evidence]


class RoadmapOutput(ScopedOutput):
    journey: str
    name: str
    persona: str | None
    brief: Brief
    current_state: list[Claim]
    stage_metrics: list[StageStats]
    future_state: list[Claim]
    initiatives: list[Initiative]
    pilot: Pilot
    kpis: list[Kpi]
    collect: str | None = Field(None, description="What data to collect when there is too little.")
    jcxm_steps: dict[str, list[int]]
    methodology: list[Evidence]
    explain: bool = Field(False, description="The order of the actions is explained.")


def _effort(rules: RoadmapRules, pain: PainPoint, lang: Lang) -> tuple[Level, str]:
    """Effort by the playbook's rules (corpus/playbook/roadmap.yaml)."""
    rule = rules.effort_for(pain.aspect, pain.touchpoints)
    if rule is None:
        return "medium", ("playbook không có quy tắc công sức cho khía cạnh này" if lang == "vi"
                          else "no effort rule for this aspect in the playbook")  # fmt: skip
    return rule.level, rule.rule.get(lang)


def initiatives_for(
    playbook: Playbook, journey: Journey, pains: list[PainPoint], lang: Lang, minimum: int
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
        horizon: Horizon = ("0-3 months" if quick or effort == "low"
                            else "3-6 months" if impact == "high" else "6-12 months")  # fmt: skip
        # The journey's own steps only: an action belongs to the journey it is proposed for.
        steps = [s for s in p.steps if s.startswith(f"{journey.id}.")]
        name = p.label.get(lang)
        out.append(Initiative(
            title=action.action_for(journey.id).get(lang) if action else name, aspect=p.aspect,
            aspect_name=name, steps=steps, complaints=p.count, impact=impact,
            impact_score=p.impact, effort=effort, effort_rule=rule, quick_win=quick,
            horizon=horizon, confidence=confidence_from_coverage(p.count, minimum),
            evidence=[Evidence(kind="feedback", ref=q.record_id, quote=q.text) for q in p.quotes]
            + [Evidence(kind="atlas", ref=s) for s in steps],
        ))  # fmt: skip
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(out, key=lambda i: (not i.quick_win, order[i.impact], -i.impact_score))


def severity(p: PainPoint, lang: Lang) -> str:
    """', mean rating 2.1, 67% 1-2★' (what is known of it)."""
    out = ""
    if p.mean_rating is not None:
        out += f", {'sao TB' if lang == 'vi' else 'mean rating'} {p.mean_rating:.1f}"
    if p.low_rating_share is not None:
        out += f", {p.low_rating_share:.0%} 1-2★"
    return out


def top_issues(summary: PainPointsOutput, lang: Lang, n: int = 3) -> list[Issue]:
    """The heaviest pains (by impact) as one-line issues."""
    return [
        Issue(aspect=p.aspect, label=p.label.get(lang), count=p.count, share=p.share,
              mean_rating=p.mean_rating, impact=round(p.impact, 1),
              trend=p.trend.direction if p.trend else None,
              evidence=[Evidence(kind="feedback", ref=q.record_id, quote=q.text)
                        for q in p.quotes[:1]])
        for p in summary.pain_points[:n]
    ]  # fmt: skip


_ORDER: dict[Confidence, int] = {"none": 0, "low": 1, "medium": 2, "high": 3}


def too_close(a: PainPoint, b: PainPoint) -> bool:
    """Two pains chance alone could swap: their impacts (count × severity) differ by under
    two standard errors, the counts taken as Poisson (variance of impact ≈ severity² × count)."""
    var = sum((p.impact / p.count) ** 2 * p.count for p in (a, b) if p.count)
    return var > 0 and abs(a.impact - b.impact) < 2 * var**0.5


def make_brief(
    summary: PainPointsOutput, initiatives: list[Initiative], kpis: list[Kpi], lang: Lang
) -> Brief:
    """The one-screen brief, with the confidence its ranking earns: a scope of many comments
    says little about an order decided by a few of them."""
    issues = top_issues(summary, lang)
    actions = initiatives[:3]
    level = summary.confidence
    notes = []
    minimum = summary.min_evidence
    # What the ranking decides first: the heaviest issue, and the action to take first.
    for kind, count in (("issue", issues[0].count if issues else None),
                        ("action", actions[0].complaints if actions else None)):  # fmt: skip
        covered = confidence_from_coverage(count, minimum) if count is not None else level
        if _ORDER[covered] >= _ORDER[level]:
            continue
        level = covered
        few = count is not None and count < minimum
        notes.append(
            f"{'vấn đề' if kind == 'issue' else 'hành động'} đầu tiên dựa trên {count} phản hồi"
            + (f" (cần {minimum} để xếp hạng)" if few else "") if lang == "vi" else
            f"the first {kind} rests on {count} comments"
            + (f" ({minimum} needed to rank)" if few else ""))  # fmt: skip
    pains = summary.pain_points
    if len(pains) > 1 and too_close(pains[0], pains[1]):
        level = min(level, "medium", key=_ORDER.__getitem__)
        a, b = (f"{p.impact:.0f}" for p in pains[:2])
        notes.append(
            f"hai vấn đề đầu (tác động {a} và {b}) quá sát để xếp trước sau" if lang == "vi"
            else f"the first two issues (impact {a} and {b}) are too close to rank apart"
        )
    return Brief(top_issues=issues, actions=actions, kpis=kpis, confidence=level,
                 confidence_note="; ".join(notes) or None)  # fmt: skip


def choose_pilot(
    playbook: Playbook, journey: Journey, steps: list[StepStats], scope: Scope, lang: Lang,
    texts: Callable[[list[str]], dict[str, str]] | None = None,
) -> tuple[Pilot, Bi | None]:
    """The step to pilot at, or why there is none (and then what to collect). Its evidence
    is the complaints linked to the step by what they say, quoted (`texts`: id -> text)."""
    vi = lang == "vi"
    mots = [s for s in steps if s.moment_of_truth]
    mot_refs = [Evidence(kind="atlas", ref=s.step) for s in mots]
    none = {"step": None, "name": None, "moment_of_truth": False, "records": 0, "complaints": 0,
            "impact": None, "teams": [], "confidence": "none", "evidence": mot_refs}  # fmt: skip
    minimum = scope.min_evidence
    if not scope.enough:
        return Pilot(**none, text=(
            f"Chưa đề xuất thí điểm: chỉ có {scope.total} phản hồi trong phạm vi (cần ít nhất "
            f"{minimum})." if vi else
            f"No pilot proposed: only {scope.total} comment{'' if scope.total == 1 else 's'} "
            f"in scope (at least {minimum} needed).")), None  # fmt: skip
    ready = [s for s in steps if s.records >= minimum and s.complaints > 0]
    best = max(ready, key=lambda s: (s.moment_of_truth, s.impact, s.step), default=None)
    if best is None:
        seen = ", ".join(f"{s.name.get(lang)} ({s.records})" for s in mots) or "—"
        return Pilot(**none, text=(
            f"Chưa đề xuất thí điểm: không bước nào có ít nhất {minimum} phản hồi trong phạm vi "
            f"kèm phàn nàn (khoảnh khắc của sự thật: {seen})." if vi else
            f"No pilot proposed: no step has at least {minimum} comments in scope with "
            f"complaints among them (moments of truth: {seen}).")), Bi(
            vi="Thu thập khảo sát ngay sau tương tác (CSAT/CES) tại các khoảnh khắc của sự thật "
               "để đủ dữ liệu chọn nơi thí điểm.",
            en="Collect post-interaction surveys (CSAT/CES) at the moments of truth to have "
               "enough data to choose where to pilot.")  # fmt: skip
    step = next(s for _, s in journey.steps() if f"{journey.id}.{s.id}" == best.step)
    teams = [playbook.touchpoint_name(t, lang) for t in step.touchpoints]
    kind = ("khoảnh khắc của sự thật" if best.moment_of_truth else "không phải khoảnh khắc của "
            "sự thật") if vi else ("a moment of truth" if best.moment_of_truth
                                   else "not a moment of truth")  # fmt: skip
    about = ", ".join(c.get(lang).lower() for c in best.concerns)
    text = (f"Thí điểm tại bước “{best.name.vi}” ({kind}; {best.complaints} trên {best.records} "
            f"phản hồi chê {about or 'điều gì đó'} ở bước này, tác động {best.impact:.0f}) cùng "
            f"các đội phụ trách: {', '.join(teams)}" if vi else
            f"Pilot at “{best.name.en}” ({kind}; {best.complaints} of {best.records} comments "
            f"complain about {about or 'something'} there, impact {best.impact:.0f}) with the "
            f"teams that run it: {', '.join(teams)}")  # fmt: skip
    quoted = texts(best.record_ids[:3]) if texts else {}
    return Pilot(
        step=best.step, name=best.name.get(lang), moment_of_truth=best.moment_of_truth,
        records=best.records, complaints=best.complaints, impact=best.impact, teams=teams,
        confidence=confidence_from_coverage(best.records, minimum), text=text,
        evidence=[Evidence(kind="atlas", ref=best.step)]
        + [Evidence(kind="feedback", ref=r, quote=short_quote(quoted[r]) if r in quoted else "")
           for r in best.record_ids[:3]],
    ), None  # fmt: skip


def journey_scope(
    ctx: ToolContext, journey: Journey, inp: RecordFilters, top: int
) -> tuple[Selection, PainPointsOutput]:
    """The records in scope for a journey-wide tool, and their pain summary."""
    filters = {"journey": journey.id, **inp.record_filters()}
    sel = select(ctx.kb, FeedbackFilters(**filters))
    return sel, summarize_pain_points(PainPointsInput(**filters, top=top), ctx, sel)


def scope_fields(summary: PainPointsOutput) -> dict[str, Any]:
    """The scope of an answer, as every feedback tool's output carries it."""
    return {"filters": summary.filters, "total": summary.total,
            "corpus_total": summary.corpus_total, "unapplied": summary.unapplied,
            "filter_names": summary.filter_names, "enough_evidence": summary.enough_evidence,
            "estimated_dates": summary.estimated_dates,
            "exact_dates_left_out": summary.exact_dates_left_out,
            "data_ends": summary.data_ends,
            "min_evidence": summary.min_evidence, "confidence": summary.confidence}  # fmt: skip


def propose_roadmap(inp: RoadmapInput, ctx: ToolContext) -> RoadmapOutput:
    """Propose a CX roadmap for a journey from the feedback about it (filters: segment,
    period, ratings, source file): a one-screen brief, current and future state, initiatives
    ranked by impact and effort, a pilot where the evidence allows, KPIs in the three metric
    groups with baselines and targets; says what to collect when the data is too thin."""
    kb, lang = ctx.kb, ctx.lang
    atlas = kb.atlas()
    journey = atlas.find_journey(inp.journey)
    persona = atlas.find_persona(inp.persona) if inp.persona else None
    # Through a persona's eyes: the feedback of the segment that speaks for it.
    segment = persona_segment(kb, persona) if persona and not inp.segment else None
    sel, summary = journey_scope(
        ctx, journey, inp.model_copy(update={"segment": segment}) if segment else inp, top=5
    )
    if persona and not inp.segment and segment is None:
        summary.unapplied.append(
            f"persona “{persona.name.get(lang)}” (no customer segment speaks for it in "
            "corpus/playbook/segments.yaml: the roadmap covers every customer)"
        )
    enough = summary.enough_evidence
    minimum = summary.min_evidence
    stages, steps = journey_stats(kb, journey, sel)
    playbook = kb.playbook()

    current = [
        Claim(text=f"{p.label.get(lang)}: {p.count} ({p.share:.0%}){severity(p, lang)}",
              count=p.count,
              evidence=[Evidence(kind="feedback", ref=q.record_id, quote=q.text)
                        for q in p.quotes])
        for p in summary.pain_points
    ]  # fmt: skip
    # The desired future state: what customers expect at the moments of truth (atlas), and
    # what the heaviest complaints say they need (playbook), never how much praise there is.
    future = [
        Claim(text=e.get(lang), evidence=[Evidence(kind="atlas", ref=f"{journey.id}.{s.id}")])
        for _, s in journey.steps() if s.moment_of_truth for e in s.expectations
    ] + [
        Claim(text=rule.need.get(lang), count=p.count,
              evidence=[Evidence(kind="feedback", ref=q.record_id, quote=q.text)
                        for q in p.quotes[:1]])
        for p in summary.pain_points[:3] if (rule := playbook.roadmap.aspect(p.aspect))
    ]  # fmt: skip
    if persona and not enough:
        # Too little feedback through the persona's eyes: what the atlas says about them.
        future += [Claim(text=x.get(lang), evidence=[Evidence(kind="atlas", ref=persona.id)])
                   for x in (*persona.goals, *persona.needs)]  # fmt: skip
    initiatives = initiatives_for(playbook, journey, summary.pain_points, lang, minimum)
    pilot, pilot_collect = choose_pilot(playbook, journey, steps, sel.scope, lang,
                                        kb.feedback().texts)  # fmt: skip
    headline = headline_kpis(playbook, sel, lang)
    collect = summary.collect or pilot_collect
    cites = [
        Evidence(kind="methodology", ref=c.id, quote=c.text)
        for c in (kb.pinned_passage("roadmap_steps"), kb.pinned_passage("metric_groups"))
    ]
    return RoadmapOutput(
        journey=journey.id, name=journey.name.get(lang),
        persona=persona.id if persona else None, **scope_fields(summary),
        brief=make_brief(summary, initiatives, headline, lang),
        current_state=current, stage_metrics=stages, future_state=future,
        initiatives=initiatives, pilot=pilot, kpis=headline + atlas_kpis(playbook, journey, lang),
        collect=collect.get(lang) if collect and (not enough or pilot.step is None) else None,
        jcxm_steps=JCXM, methodology=cites, explain=inp.explain,
    )  # fmt: skip
