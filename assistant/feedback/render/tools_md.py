"""Markdown for the five questions and the persona, in Vietnamese or English (the roadmap
and the journey summary: manager_md.py).

The same text serves the CLI, the offline composer and (converted to mrkdwn) Slack. Every
claim keeps its evidence in brackets: atlas ids, feedback record ids, methodology chunks.
"""

from __future__ import annotations

from assistant.atlas.model import DIMENSION_NAMES
from assistant.core.tools import Claim, Evidence
from assistant.feedback.render.scope_md import scope_line
from assistant.feedback.tools.five_questions import FiveQuestionsOutput, Neighbours
from assistant.feedback.tools.persona import PersonaOutput, Section

L = {
    "vi": {
        "who": "1. Người này là ai?", "goal": "2. Mục tiêu thực sự của họ là gì?",
        "before": "3. Họ đã làm gì ngay trước đó?", "after": "4. Họ sẽ làm gì ngay sau đó?",
        "happy": "5. Điều gì sẽ khiến họ hạnh phúc?", "step": "Bước", "matched": "khớp với",
        "other": "khớp khác", "cross": "hành trình khác", "source": "Nguồn phương pháp",
        "persona": "Persona nháp", "type": "Loại khách hàng", "dims": "Các khía cạnh có dữ liệu",
        "goals": "Mục tiêu", "needs": "Nhu cầu", "pains": "Nỗi đau",
        "delights": "Điều làm hài lòng",
        "gaps": "Thiếu dữ liệu (cần bổ sung)", "conf": "độ tin cậy", "records": "phản hồi",
        "none": "không có",
        "behaviours": "Hành vi và kênh", "collect": "Cần thu thập",
        "levels": {"high": "cao", "medium": "trung bình", "low": "thấp", "none": "không có"},
        "dim_names": DIMENSION_NAMES["vi"],
    },
    "en": {
        "who": "1. Who is this person?", "goal": "2. What is their real goal?",
        "before": "3. What did they do just before?", "after": "4. What will they do just after?",
        "happy": "5. What would make them happy?", "step": "Step", "matched": "matched from",
        "other": "other matches", "cross": "another journey", "source": "Methodology",
        "persona": "Draft persona", "type": "Customer type", "dims": "Dimensions with data",
        "goals": "Goals", "needs": "Needs", "pains": "Pains", "delights": "Delights",
        "gaps": "Data gaps (to fill)", "conf": "confidence", "records": "feedback records",
        "none": "none",
        "behaviours": "Behaviours and channels", "collect": "To collect",
        "levels": {"high": "high", "medium": "medium", "low": "low", "none": "none"},
        "dim_names": DIMENSION_NAMES["en"],
    },
}  # fmt: skip


def _ev(evidence: list[Evidence], n: int = 3) -> str:
    refs = [e.ref for e in evidence[:n]]
    return f" [{', '.join(refs)}]" if refs else ""


def _claims(claims: list[Claim]) -> list[str]:
    return [f"- {c.text}{_ev(c.evidence)}" for c in claims]


def _neighbours(nb: Neighbours, t: dict) -> list[str]:
    lines = [
        f"- {s.name} [{s.ref}]" + (f" ({t['cross']})" if s.crosses_journey else "")
        for s in nb.steps
    ]
    if nb.note:
        lines.append(f"- _{nb.note}_")
    return lines


def render_five(o: FiveQuestionsOutput, lang: str) -> str:
    t = L[lang]
    head = f"**{t['step']}: {o.step.name}** [{o.step.ref}]"
    if o.matched_from:
        head += f" — {t['matched']} “{o.matched_from}”"
        if o.other_matches:
            head += f" ({t['other']}: {', '.join(o.other_matches)})"
    lines = [head, f"\n**{t['who']}**", *_claims(o.who), f"\n**{t['goal']}**", *_claims(o.goal)]
    lines += [f"\n**{t['before']}**", *_neighbours(o.before, t)]
    lines += [f"\n**{t['after']}**", *_neighbours(o.after, t)]
    lines += [f"\n**{t['happy']}**", *_claims(o.happy)]
    if o.feedback_scope is not None:  # which comments the feedback claims come from
        lines.append(scope_line(o.feedback_scope, lang))
    lines.append(f"\n_{t['source']}: [{o.methodology.ref}]_")
    return "\n".join(lines)


def _section(title: str, s: Section, t: dict) -> list[str]:
    lines = [f"\n**{title}** ({t['conf']}: {t['levels'][s.confidence]})"]
    return lines + (_claims(s.claims) or [f"- {t['none']}"])


def render_persona(o: PersonaOutput, lang: str) -> str:
    t = L[lang]
    lines = [scope_line(o.scope, lang),
             f"\n## {t['persona']}: {o.name}", f"_{o.description}_",
             f"{t['type']}: {o.customer_type.text}{_ev(o.customer_type.evidence)}"]  # fmt: skip
    if o.quote is not None:
        lines.append(f"> “{o.quote.text}” [{o.quote.record_id}]")
    for key, sec in (("goals", o.goals), ("needs", o.needs), ("pains", o.pains),
                     ("delights", o.delights), ("behaviours", o.behaviours)):  # fmt: skip
        lines += _section(t[key], sec, t)
    lines.append(f"\n**{t['dims']}**")
    for d in o.dimensions:
        level = t["levels"][d.confidence]
        lines.append(f"- {t['dim_names'].get(d.name, d.name)} ({t['conf']}: {level})")
        lines += [f"  {line}" for line in _claims(d.claims)]
    if not o.dimensions:
        lines.append(f"- {t['none']}")
    lines.append(f"\n**{t['gaps']}**")
    lines += [f"- {t['dim_names'].get(g.dimension, g.dimension)}: {g.how_to_fill}"
              for g in o.gaps] or [f"- {t['none']}"]  # fmt: skip
    if o.collect is not None:
        lines.append(f"\n**{t['collect']}**: {o.collect.get(lang)}")
    lines.append(f"\n_{t['source']}: [{o.methodology.ref}]_")
    return "\n".join(lines)
