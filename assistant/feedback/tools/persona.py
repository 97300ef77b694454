"""Draft persona: a narrative a CX team would keep, built from what people write.

The records behind a persona are selected like every feedback answer (tools/scope.py): a
segment is the comments whose writers name themselves ("mình là sinh viên"), a journey the
comments that talk about it, an atlas persona the comments of its segment (found through its
keywords) or, failing that, of its first journey. From them:
- a name and one-line description, and the comment that represents them best;
- goals (the atlas), needs derived from complaints (the playbook's `need` per aspect; praise
  is not a need), pains and delights with counts and quotes, behaviours and channels;
- the Table 2 dimensions of its customer type only where at least `min_records` comments
  show them (corpus/playbook/persona.yaml), every other dimension as a data gap;
- confidence per section from coverage (records against `CX_MIN_EVIDENCE`).
An organisation (B2B) persona is never drawn from consumer reviews: only comments that name a
business buyer count, and without them the draft is the data-gap section and what to collect.
"""

from __future__ import annotations

import re
from collections import Counter

from pydantic import BaseModel, Field

from assistant.atlas.model import INDIVIDUAL_DIMENSIONS, ORGANIZATION_DIMENSIONS, Bi
from assistant.core.errors import AssistantError
from assistant.core.text import fold
from assistant.core.tools import Claim, Confidence, Evidence, ToolContext
from assistant.feedback.scope import Scope, confidence_from_coverage, persona_segment, select
from assistant.feedback.tools.pain_points import (
    PainPointsInput,
    Quote,
    short_quote,
    summarize_pain_points,
)

BUSINESS_SEGMENT = "business"  # the segment id (segments.yaml) of comments by business buyers


class PersonaInput(BaseModel):
    """Draft a persona for a customer segment, a journey, a feedback aspect or an atlas
    persona (one of them)."""

    segment: str | None = Field(
        None, description="Customer segment in words (sinh viên, game thủ, dân văn phòng…)."
    )
    journey: str | None = Field(None, description="Journey id or name.")
    aspect: str | None = Field(None, description="Feedback aspect id, e.g. BATTERY.")
    persona: str | None = Field(
        None, description="Atlas persona id or name: draft it from its segment's comments."
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
    name: str = Field(description="A working name, from the data; the team may rename it.")
    description: str = Field(description="One line, from the data.")
    based_on: dict[str, str]
    filters: dict[str, str | int | None]
    records: int = Field(description="Feedback records behind the draft.")
    corpus_total: int
    enough_evidence: bool
    min_evidence: int
    customer_type: Claim
    quote: Quote | None = Field(None, description="The comment that represents them best.")
    dimensions: list[Dimension]
    goals: Section
    needs: Section
    pains: Section
    delights: Section
    behaviours: Section
    gaps: list[Gap]
    collect: Bi | None = Field(None, description="What data to collect when there is too little.")
    methodology: Evidence
    unapplied: list[str] = Field(default_factory=list)
    filter_names: dict[str, Bi] = Field(default_factory=dict)

    @property
    def scope(self) -> Scope:
        return Scope(filters=self.filters, total=self.records, corpus_total=self.corpus_total,
                     unapplied=self.unapplied, min_evidence=self.min_evidence,
                     names=self.filter_names)  # fmt: skip


def draft_persona(inp: PersonaInput, ctx: ToolContext) -> PersonaOutput:
    """Draft a persona from customer feedback and the atlas for a segment, a journey, a
    feedback aspect or an atlas persona: a name and description from the data, a
    representative quote, goals, needs from complaints, pains and delights, behaviours,
    the Table 2 dimensions only where comments show them, and the data gaps named."""
    kb, lang = ctx.kb, ctx.lang
    rules = kb.playbook().persona
    if not (inp.journey or inp.segment or inp.aspect or inp.persona):
        raise AssistantError(
            "Persona cho nhóm khách, hành trình, khía cạnh hay persona nào?" if lang == "vi"
            else "Say which segment, journey, aspect or persona it is for."
        )
    if inp.persona and inp.segment:  # a persona is drafted from its own segment's comments
        raise AssistantError(
            "Persona cho một persona hoặc một nhóm khách, không phải cả hai." if lang == "vi"
            else "Give a persona or a segment, not both."
        )
    atlas = kb.atlas()
    persona = atlas.find_persona(inp.persona) if inp.persona else None
    segment, journey_name = inp.segment, None
    if persona is not None:
        segment = persona_segment(kb, persona)
        if persona.customer_type == "organization":
            segment = BUSINESS_SEGMENT if kb.segments().segment(BUSINESS_SEGMENT) else None
    journey = inp.journey
    if persona is not None and segment is None and persona.customer_type == "individual":
        first = next((j for j in atlas.journeys if persona.id in j.personas), None)
        journey = first.id if first else None
    org_without_data = persona is not None and persona.customer_type == "organization" and (
        segment is None
    )
    filters = PainPointsInput(segment=segment, journey=journey, aspect=inp.aspect, top=5)
    summary = summarize_pain_points(filters, ctx)
    if org_without_data:  # consumer reviews never describe a business buyer
        summary = summary.model_copy(update={"total": 0, "enough_evidence": False,
                                             "pain_points": [], "delights": []})  # fmt: skip
    records = summary.total
    minimum = summary.min_evidence
    enough = summary.enough_evidence
    ctype = persona.customer_type if persona else "individual"
    shown = {"individual": "cá nhân", "organization": "tổ chức"}[ctype] if lang == "vi" else ctype
    customer_type = Claim(
        text=shown if persona else f"{shown} ({'giả định' if lang == 'vi' else 'assumed'})",
        evidence=[Evidence(kind="atlas", ref=f"persona.{persona.id}")] if persona else [],
    )
    if journey:
        journey_name = atlas.find_journey(journey).name.get(lang)

    # Who they are, in words: the segment's or persona's name, else the scope's.
    book = kb.segments()
    seg = book.segment(summary.filters.get("segment") or "") if summary.filters.get(
        "segment") else None  # fmt: skip
    if persona is not None:
        name = persona.name.get(lang)
    elif seg is not None:
        name = seg.name.vi if lang == "vi" else seg.name.en
    elif journey_name:
        name = (f"Khách hàng ở hành trình “{journey_name}”" if lang == "vi"
                else f"Customers in the “{journey_name}” journey")  # fmt: skip
    elif inp.aspect:
        a = atlas.aspect(summary.filters.get("aspect") or "")
        aname = a.name.get(lang) if a else inp.aspect
        name = (f"Khách hàng quan tâm {aname.lower()}" if lang == "vi"
                else f"Customers who care about {aname.lower()}")  # fmt: skip
    else:
        name = inp.segment or ""

    # The comments behind the draft.
    sel = select(kb, filters) if not org_without_data else None
    ids = sorted(sel.meta) if sel else []
    if persona is None and ids:  # assumed from who writes these comments: cite some of them
        customer_type.evidence = [Evidence(kind="feedback", ref=r) for r in ids[:3]]
    texts = kb.feedback().texts(ids) if ids else {}
    folded = {rid: fold(t) for rid, t in texts.items()}

    allowed = INDIVIDUAL_DIMENSIONS if ctype == "individual" else ORGANIZATION_DIMENSIONS
    dims: dict[str, list[Claim]] = {}
    behaviour: list[Claim] = []
    for signal in rules.signals:
        rx = re.compile(signal.pattern)
        hits = sorted(rid for rid, t in folded.items() if rx.search(t))
        if len(hits) < rules.min_records:
            continue
        claim = Claim(
            text=f"{signal.label.get(lang)}: {len(hits)}/{records} ({len(hits) / records:.0%})",
            count=len(hits),
            evidence=[Evidence(kind="feedback", ref=r, quote=short_quote(texts[r]))
                      for r in hits[:3]],
        )  # fmt: skip
        if signal.dimension in ("behaviour", "transactions"):
            behaviour.append(claim)
        if signal.dimension in allowed:
            dims.setdefault(signal.dimension, []).append(claim)
    # Channels: which buying journeys their comments talk about.
    store = kb.feedback()
    channel_ids: dict[str, list[str]] = {}
    for rid in ids:
        for link in store.links_for(rid):
            if link.journey in ("buy-store", "buy-online"):
                channel_ids.setdefault(link.journey, []).append(rid)
    for jid, found in sorted(channel_ids.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        j, n = atlas.journey(jid), len(found)
        claim = Claim(
            text=f"{j.name.get(lang) if j else jid}: {n}/{records} ({n / records:.0%})",
            count=n, evidence=[Evidence(kind="feedback", ref=r, quote=short_quote(texts[r]))
                               for r in found[:3]],
        )  # fmt: skip
        behaviour.append(claim)
        if "transactions" in allowed and n >= rules.min_records:  # the same rule, once
            dims.setdefault("transactions", []).append(claim)
    # One label, one rule: a label two rules fill (a signal and a journey) is shown once.
    seen: set[str] = set()
    behaviour = [c for c in behaviour
                 if not (c.text.split(":")[0] in seen or seen.add(c.text.split(":")[0]))]
    dimensions = [
        Dimension(name=d, claims=c,
                  confidence=confidence_from_coverage(sum(x.count or 0 for x in c), minimum))
        for d, c in dims.items()
    ]  # fmt: skip
    gaps = [Gap(dimension=d, how_to_fill=rules.how_to_fill[d].get(lang))
            for d in allowed if d not in dims]  # fmt: skip

    goal_journeys = [atlas.journey(journey)] if journey else [
        atlas.journey(j) for j, _ in Counter(
            link.journey for rid in ids for link in store.links_for(rid)
            if link.journey not in ("daily-use",)).most_common(1)
    ]  # fmt: skip
    goals = [Claim(text=j.goal.get(lang),
                   evidence=[Evidence(kind="atlas", ref=f"journey.{j.id}.goal")])
             for j in goal_journeys if j]  # fmt: skip
    if persona is not None:
        goals += [Claim(text=n.get(lang), evidence=[Evidence(
            kind="atlas", ref=f"persona.{persona.id}.needs", quote=n.source or "assumption")])
            for n in persona.needs]  # fmt: skip

    playbook = kb.playbook().roadmap
    needs = []
    for p in summary.pain_points[:3]:  # needs come from complaints, never from praise
        rule = playbook.aspect(p.aspect)
        if rule is None:
            continue
        needs.append(Claim(
            text=f"{rule.need.get(lang)} ({p.count} "
                 f"{'phàn nàn' if lang == 'vi' else 'complaints'})",
            count=p.count,
            evidence=[Evidence(kind="feedback", ref=q.record_id, quote=q.text) for q in p.quotes],
        ))  # fmt: skip

    def section(points) -> Section:  # noqa: ANN001
        claims = [
            Claim(text=f"{p.label.get(lang)}: {p.count}/{records} ({p.share:.0%})",
                  count=p.count,
                  evidence=[Evidence(kind="feedback", ref=q.record_id, quote=q.text)
                            for q in p.quotes])
            for p in points
        ]  # fmt: skip
        return Section(claims=claims, confidence=confidence_from_coverage(
            sum(p.count for p in points), minimum))  # fmt: skip

    quote = None
    for p in summary.pain_points[:1] + summary.delights[:1]:
        if p.themes:
            quote = p.themes[0].quote
            break
    def most(points) -> str:  # noqa: ANN001
        """The aspect with the most comments (not the largest impact), with its count."""
        top = max(points, key=lambda p: (p.count, p.impact), default=None)
        a = atlas.aspect(top.aspect) if top else None
        return f"{a.name.get(lang).lower()} ({top.count})" if a and top else "—"

    worst, best = most(summary.pain_points), most(summary.delights)
    if not enough:
        description = (f"Chỉ có {records} phản hồi — quá ít để mô tả nhóm này."
                       if lang == "vi" else
                       f"Only {records} comments — too few to describe this group.")  # fmt: skip
    elif lang == "vi":
        description = f"{records} phản hồi; phàn nàn nhiều nhất về {worst}, khen nhiều nhất {best}."
    else:
        description = f"{records} comments; complain most about {worst}, praise most {best}."
    if persona is not None and (seg is not None or journey_name):
        # The atlas persona has no comments of its own: say whose comments stand for it, so
        # the scope line's group ("Người lớn tuổi") is not read as a different persona.
        group = (seg.name.vi if lang == "vi" else seg.name.en) if seg else journey_name
        if lang == "vi":
            kind = "nhóm khách" if seg else "hành trình"
            description = (f"Dựa trên phản hồi của {kind} “{group}”, đại diện cho persona "
                           f"này. {description}")  # fmt: skip
        else:
            kind = "segment" if seg else "journey"
            description = (f"Drawn from the comments of the {kind} “{group}”, which stand in "
                           f"for this persona. {description}")  # fmt: skip
    method = kb.pinned_passage("persona")
    basis = {"persona": persona.id if persona else None, "segment": segment,
             "journey": journey, "aspect": inp.aspect}  # fmt: skip
    collect = summary.collect
    if org_without_data:
        collect = Bi(
            vi="Phản hồi hiện có là của khách cá nhân; cần dữ liệu khách hàng doanh nghiệp: "
               "phỏng vấn người ra quyết định mua, dữ liệu hợp đồng và CRM B2B.",
            en="The feedback on hand is from consumers; collect business-customer data: "
               "interviews with purchase decision makers, contract data and B2B CRM.",
        )  # fmt: skip
    return PersonaOutput(
        name=name, description=description, based_on={k: v for k, v in basis.items() if v},
        filters=summary.filters, records=records, corpus_total=summary.corpus_total,
        unapplied=summary.unapplied, filter_names=summary.filter_names,
        enough_evidence=enough, min_evidence=minimum, customer_type=customer_type,
        quote=quote if enough else None,
        dimensions=dimensions if enough else [],
        goals=Section(claims=goals, confidence="low" if goals else "none"),
        needs=Section(claims=needs if enough else [],
                      confidence=confidence_from_coverage(sum(c.count or 0 for c in needs), minimum)
                      if enough else "none"),
        pains=section(summary.pain_points[:3]), delights=section(summary.delights[:3]),
        behaviours=Section(
            claims=behaviour if enough else [],
            confidence=confidence_from_coverage(records, minimum) if enough else "none",
        ),
        gaps=gaps if enough else [Gap(dimension=d, how_to_fill=rules.how_to_fill[d].get(lang))
                                  for d in allowed],
        collect=collect if not enough else None,
        methodology=Evidence(kind="methodology", ref=method.id, quote=method.text),
    )  # fmt: skip
