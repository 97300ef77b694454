"""Draft persona: built from the feedback and the atlas, with a data-gap section.

A dimension of Table 2 (article gartner-customer-centricity) is filled only when enough
feedback records show it (cue patterns counted over the filtered comments); every other
dimension is listed as a gap with the way to fill it — the article warns that a persona
without data describes customers who do not exist.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from assistant.errors import AssistantError
from assistant.knowledge.atlas import INDIVIDUAL_DIMENSIONS, ORGANIZATION_DIMENSIONS
from assistant.knowledge.base import KnowledgeBase
from assistant.text import fold
from assistant.tools.pain_points import PainPointsInput, filter_scope, summarize_pain_points
from assistant.tools.types import Claim, Confidence, Evidence, ToolContext, confidence_from


class PersonaInput(BaseModel):
    """Draft a persona for a journey, a customer segment or a feedback aspect (one of them)."""

    journey: str | None = Field(None, description="Journey id or name.")
    segment: str | None = Field(None, description="Customer segment, as in the feedback data.")
    aspect: str | None = Field(None, description="Feedback aspect id, e.g. BATTERY.")
    persona: str | None = Field(
        None, description="Atlas persona id or name: draft from the feedback of its journeys."
    )


class Dimension(BaseModel):
    name: str
    claims: list[Claim]
    confidence: Confidence


class Gap(BaseModel):
    dimension: str
    how_to_fill: str


class Section(BaseModel):
    claims: list[Claim]
    confidence: Confidence


class PersonaOutput(BaseModel):
    name: str = Field(description="A placeholder: a persona is named by the team, not the tool.")
    based_on: dict[str, str]
    records: int = Field(description="Feedback records behind the draft.")
    customer_type: Claim
    dimensions: list[Dimension]
    goals: Section
    needs: Section
    pains: Section
    delights: Section
    gaps: list[Gap]
    methodology: Evidence


def draft_persona(inp: PersonaInput, ctx: ToolContext) -> PersonaOutput:
    """Draft a persona from customer feedback and the atlas for a journey, a segment, a
    feedback aspect or an atlas persona: Table 2 dimensions only where the comments show
    them, goals, needs, pains and delights with evidence, and the data gaps named."""
    kb, lang = ctx.kb, ctx.lang
    rules = kb.playbook().persona
    if not (inp.journey or inp.segment or inp.aspect or inp.persona):
        raise AssistantError("Say which journey, segment, aspect or persona it is for.")
    atlas = kb.atlas()
    if inp.persona:
        known = atlas.find_persona(inp.persona)
        inp = inp.model_copy(update={"persona": known.id})
        first = next((j for j in atlas.journeys if known.id in j.personas), None)
        inp = inp.model_copy(update={"journey": first.id if first else None})
    journey = atlas.find_journey(inp.journey) if inp.journey else None
    summary = summarize_pain_points(
        PainPointsInput(
            journey=inp.journey, segment=inp.segment, aspect=inp.aspect, top=5
        ),
        ctx,
    )
    # The comments behind the draft: every record the filters keep.
    texts = _filtered_texts(kb, summary.total, inp)

    ids = [inp.persona] if inp.persona else (journey.personas if journey else [])
    personas = [atlas.persona(p) for p in ids]
    personas = [p for p in personas if p]
    types = {p.customer_type for p in personas}
    ctype = types.pop() if len(types) == 1 else "individual"
    type_ev = [Evidence(kind="atlas", ref=f"persona.{p.id}") for p in personas]
    customer_type = Claim(
        text=ctype if type_ev else f"{ctype} ({'giả định' if lang == 'vi' else 'assumed'})",
        evidence=type_ev,
    )

    allowed = INDIVIDUAL_DIMENSIONS if ctype == "individual" else ORGANIZATION_DIMENSIONS
    dims: dict[str, list[Claim]] = {}
    for signal in rules.signals:
        if signal.dimension not in allowed:
            continue
        rx = re.compile(signal.pattern)
        ids = [rid for rid, t in texts.items() if rx.search(t)]
        if len(ids) >= rules.min_records:
            share = len(ids) / max(1, len(texts))
            label = signal.label.get(lang)
            dims.setdefault(signal.dimension, []).append(
                Claim(
                    text=f"{label}: {len(ids)} ({share:.0%})",
                    count=len(ids),
                    evidence=[Evidence(kind="feedback", ref=r) for r in sorted(ids)[:5]],
                )
            )
    dimensions = [
        Dimension(name=d, claims=c, confidence=confidence_from(sum(x.count or 0 for x in c)))
        for d, c in dims.items()
    ]
    gaps = [
        Gap(dimension=d, how_to_fill=rules.how_to_fill[d].get(lang))
        for d in allowed
        if d not in dims
    ]

    goals = (
        [
            Claim(
                text=journey.goal.get(lang),
                evidence=[Evidence(kind="atlas", ref=f"journey.{journey.id}.goal")],
            )
        ]
        if journey
        else []
    )  # noqa: E501
    needs = [
        Claim(
            text=n.get(lang),
            evidence=[
                Evidence(kind="atlas", ref=f"persona.{p.id}.needs", quote=n.source or "assumption")
            ],
        )
        for p in personas
        for n in p.needs
    ]
    for d in summary.delights[:3]:
        needs.append(
            Claim(
                text=d.label.get(lang),
                count=d.count,
                evidence=[
                    Evidence(kind="feedback", ref=q.record_id, quote=q.text) for q in d.quotes
                ],
            )
        )

    def section(points) -> Section:  # noqa: ANN001
        claims = [
            Claim(
                text=f"{p.label.get(lang)}: {p.count} ({p.share:.0%})",
                count=p.count,
                evidence=[
                    Evidence(kind="feedback", ref=q.record_id, quote=q.text) for q in p.quotes
                ],
            )
            for p in points
        ]
        return Section(claims=claims, confidence=confidence_from(sum(p.count for p in points)))

    method = kb.pinned_passage("persona")
    basis = {
        "persona": inp.persona,
        "journey": journey.id if journey else None,
        "segment": inp.segment,
        "aspect": inp.aspect,
    }
    based_on = {k: v for k, v in basis.items() if v}
    return PersonaOutput(
        name="[Tên persona]" if lang == "vi" else "[Persona name]",
        based_on=based_on,
        records=summary.total,
        customer_type=customer_type,
        dimensions=dimensions,
        goals=Section(claims=goals, confidence=confidence_from(0, atlas_only=bool(goals))),
        needs=Section(
            claims=needs,
            confidence=confidence_from(sum(c.count or 0 for c in needs), atlas_only=bool(needs)),
        ),
        pains=section(summary.pain_points[:3]),
        delights=section(summary.delights[:3]),
        gaps=gaps,
        methodology=Evidence(kind="methodology", ref=method.id, quote=method.text),
    )


def _filtered_texts(kb: KnowledgeBase, total: int, inp: PersonaInput) -> dict[str, str]:
    """Folded texts of the records the persona's filters keep."""
    if not total:
        return {}
    store = kb.feedback()
    atlas = kb.atlas()
    aspects, _, _ = filter_scope(atlas, PainPointsInput(journey=inp.journey, aspect=inp.aspect))
    keep = None if aspects is None else {r for r, a, _ in store.all_tags() if a in aspects}
    ids = [
        r.id
        for r in store.rows_for_aggregation()
        if (keep is None or r.id in keep)
        and (not inp.segment or (r.segment or "").lower() == inp.segment.lower())
    ]
    return {rid: fold(t) for rid, t in store.texts(ids).items()}
