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
from assistant.tools.search import SearchInput, search_methodology
from assistant.tools.types import Claim, Confidence, Evidence, Lang, confidence_from

MIN_RECORDS = 5  # a signal seen in fewer comments is not evidence of a dimension

# (dimension, English label, Vietnamese label, pattern over diacritic-free text)
SIGNALS: tuple[tuple[str, str, str, str], ...] = (
    (
        "demographics",
        "buys for parents or older relatives",
        "mua cho bố mẹ, người lớn tuổi",
        r"\b(bo me|ba me|cho me|cho bo|nguoi gia|lon tuoi|ong ba|ba noi|ong noi)\b",
    ),
    ("demographics", "students", "học sinh, sinh viên", r"\b(sinh vien|hoc sinh)\b"),
    ("demographics", "buys for children", "mua cho con", r"\b(cho con|be con|con gai|con trai)\b"),
    (
        "technology",
        "social and video apps (Facebook, Zalo, YouTube, TikTok)",
        "ứng dụng mạng xã hội, video (Facebook, Zalo, YouTube, TikTok)",
        r"\b(facebook|fb|zalo|youtube|tiktok|messenger)\b",
    ),
    (
        "technology",
        "mobile games (Liên Quân, PUBG, Free Fire)",
        "game di động (Liên Quân, PUBG)",
        r"\b(lien quan|pubg|free fire|lmht)\b",
    ),
    ("technology", "4G and wifi connectivity", "kết nối 4G, wifi", r"\b(4g|wifi|wi fi|song)\b"),
    (
        "psychographics",
        "value for money matters",
        "coi trọng đáng đồng tiền",
        r"\b(tam gia|dang tien|gia re|hop ly|dat qua)\b",
    ),
    (
        "psychographics",
        "swayed by staff attitude",
        "chịu ảnh hưởng thái độ nhân viên",
        r"\b(nhan vien|tu van|nhiet tinh)\b",
    ),
    ("behaviour", "heavy gaming", "chơi game nhiều", r"\b(choi game|game nang)\b"),
    (
        "behaviour",
        "takes many photos",
        "chụp ảnh nhiều",
        r"\b(chup anh|chup hinh|selfie|chup dem)\b",
    ),
    (
        "behaviour",
        "compares before buying",
        "so sánh trước khi mua",
        r"\b(so sanh|tham khao|phan van|dan gia)\b",
    ),
    ("transactions", "buys on instalments", "mua trả góp", r"\b(tra gop)\b"),
    ("transactions", "trades in the old phone", "thu cũ đổi mới", r"\b(thu cu|doi moi|len doi)\b"),
    (
        "transactions",
        "buys in store",
        "mua tại cửa hàng",
        r"\b(cua hang|chi nhanh|tgdd|the gioi di dong|thegioididong|dmx)\b",
    ),
    ("transactions", "buys online", "mua online", r"\b(online|dat hang|dat mua|giao hang)\b"),
)

HOW_TO_FILL = {
    "demographics": ("khảo sát, dữ liệu CRM", "survey, CRM data"),
    "technology": ("phân tích web/app, khảo sát", "web/app analytics, survey"),
    "psychographics": ("phỏng vấn sâu, khảo sát thái độ", "in-depth interviews, attitude survey"),
    "ethnography": (
        "quan sát tại cửa hàng, nhật ký khách hàng",
        "store observation, diary studies",
    ),
    "behaviour": ("phân tích hành vi web/app, CJA", "web/app behaviour analytics, CJA"),
    "transactions": ("dữ liệu bán hàng (POS, CRM)", "sales data (POS, CRM)"),
    "company": ("dữ liệu doanh nghiệp, CRM B2B", "firmographics, B2B CRM"),
    "business_situation": (
        "phỏng vấn khách hàng doanh nghiệp",
        "interviews with business customers",
    ),
    "business": ("phỏng vấn, dữ liệu hợp đồng", "interviews, contract data"),
    "organizational_model": ("phỏng vấn người ra quyết định", "interviews with decision makers"),
    "resources": ("khảo sát doanh nghiệp", "business survey"),
}


class PersonaInput(BaseModel):
    """Draft a persona for a journey, a customer segment or a feedback aspect (one of them)."""

    journey: str | None = Field(None, description="Journey id or name.")
    segment: str | None = Field(None, description="Customer segment, as in the feedback data.")
    aspect: str | None = Field(None, description="Feedback aspect id, e.g. BATTERY.")
    persona: str | None = Field(
        None, description="Atlas persona id: draft from the feedback of its journeys."
    )
    lang: Lang = "vi"


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


def draft_persona(inp: PersonaInput, kb: KnowledgeBase) -> PersonaOutput:
    """Draft a persona from data: dimensions only where feedback shows them, gaps named."""
    if not (inp.journey or inp.segment or inp.aspect or inp.persona):
        raise AssistantError("Say which journey, segment, aspect or persona it is for.")
    lang = inp.lang
    atlas = kb.atlas()
    if inp.persona:
        known = atlas.persona(inp.persona)
        if known is None:
            ids = ", ".join(p.id for p in atlas.personas)
            raise AssistantError(f"No persona {inp.persona!r}; personas: {ids}.")
        first = next((j for j in atlas.journeys if known.id in j.personas), None)
        inp = inp.model_copy(update={"journey": first.id if first else None})
    journey = atlas.find_journey(inp.journey) if inp.journey else None
    summary = summarize_pain_points(
        PainPointsInput(
            journey=inp.journey, segment=inp.segment, aspect=inp.aspect, top=5, lang=lang
        ),
        kb,
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
    for dim, en, vi, pattern in SIGNALS:
        if dim not in allowed:
            continue
        rx = re.compile(pattern)
        ids = [rid for rid, t in texts.items() if rx.search(t)]
        if len(ids) >= MIN_RECORDS:
            share = len(ids) / max(1, len(texts))
            label = vi if lang == "vi" else en
            dims.setdefault(dim, []).append(
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
        Gap(dimension=d, how_to_fill=HOW_TO_FILL[d][0 if lang == "vi" else 1])
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

    found = search_methodology(
        SearchInput(question="persona phải bắt nguồn từ dữ liệu và sự kiện", k=3), kb
    )
    top = next((p for p in found.passages if "persona" in p.quote.lower()), found.passages[0])
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
        methodology=Evidence(kind="methodology", ref=top.chunk_id, quote=top.quote),
    )


def _filtered_texts(kb: KnowledgeBase, total: int, inp: PersonaInput) -> dict[str, str]:
    """Folded texts of the records the persona's filters keep."""
    if not total:
        return {}
    store = kb.feedback()
    atlas = kb.atlas()
    aspects, _, _ = filter_scope(atlas, PainPointsInput(journey=inp.journey, aspect=inp.aspect))
    keep = None if aspects is None else {r for r, a, _ in store.all_tags() if a in aspects}
    rows = store.rows_for_aggregation()
    ids = [
        r[0]
        for r in rows
        if (keep is None or r[0] in keep)
        and (not inp.segment or (r[3] or "").lower() == inp.segment.lower())
    ]
    return {rid: fold(t) for rid, t in store.texts(ids).items()}
