"""The roadmap and the journey summary as Markdown for managers, in Vietnamese or English.

One screen first: the scope line, the top three issues with counts, three actions, a KPI per
metric group (baseline → target), the pilot or the chart; the details after a rule. Every
label comes from the answer language's table below, so a Vietnamese answer carries no
English label and an English one no Vietnamese label (quotes stay as written; evidence ids
in brackets are citations, not labels).
"""

from __future__ import annotations

from assistant.core.text import number
from assistant.core.tools import Claim, Evidence
from assistant.feedback.journey_stats import StageStats
from assistant.feedback.kpis import Kpi
from assistant.feedback.render.pain_points_md import comments, direction_word, trend_text
from assistant.feedback.render.scope_md import scope_line
from assistant.feedback.tools.journey_summary import JourneySummaryOutput
from assistant.feedback.tools.pain_points import PainPoint
from assistant.feedback.tools.roadmap import Brief, Initiative, RoadmapOutput

T = {
    "vi": {
        "roadmap": "Lộ trình CX", "summary": "tóm tắt cho quản lý", "goal": "Mục tiêu",
        "conf": "Độ tin cậy", "issues": "Ba vấn đề lớn nhất",
        "ranked_by": "xếp theo tác động = số phản hồi × (5 − sao TB) / 4",
        "actions": "Ba hành động", "kpis": "KPI (hiện tại → mục tiêu)", "pilot": "Thí điểm",
        "details": "Chi tiết", "current": "Hiện trạng", "stages": "Theo giai đoạn",
        "stage_overlap": "Các giai đoạn cộng lại quá phạm vi: một phản hồi nói về hai giai "
                         "đoạn được đếm ở cả hai.",
        "future": "Trạng thái mong muốn", "inits": "Sáng kiến", "all_kpis": "Mọi KPI",
        "collect": "Cần thu thập", "source": "Nguồn phương pháp", "mean": "sao TB",
        "trend": "xu hướng", "impact": "tác động", "effort": "công sức", "quick": "thắng nhanh",
        "answers": "giải quyết", "points": "điểm", "to_measure": "cần đo (chưa có trong phản hồi)",
        "why": "Vì sao theo thứ tự này",
        "why_rule": "thắng nhanh trước (tác động không thấp, công sức thấp), rồi theo mức tác "
                    "động (cao: từ 2/3 tác động của vấn đề nặng nhất, trung bình: từ 1/3), "
                    "rồi theo điểm tác động = số phản hồi × (5 − sao TB) / 4",
        "why_item": "{title} — giải quyết “{aspect}”: {n}, điểm tác động {score} "
                    "(tác động {impact}); công sức {effort}: {rule}",
        "too_few": "quá ít để kết luận", "need": "cần", "none": "không có",
        "curve": "Đường cảm xúc", "map": "bản đồ", "feedback": "phản hồi",
        "curve_note": "bản đồ hành trình theo từng bước; phản hồi: cảm xúc ròng của giai đoạn = "
                      "2 × (khen − chê) / số phản hồi, cùng thang −2…+2",
        "mot": "Khoảnh khắc của sự thật", "pains": "Điểm đau",
        "delights": "Điều làm khách hài lòng",
        "volume": "Khối lượng", "of_all": "toàn bộ phản hồi",
        "metrics": "Chỉ số theo bản đồ hành trình (chưa đo trong phản hồi)",
        "chart": "Biểu đồ", "no_issues": "không có phàn nàn nào trong phạm vi",
        "no_actions": "chưa đề xuất khi dữ liệu chưa đủ",
        "groups": {"operational": "Vận hành/tương tác", "perception": "Nhận thức",
                   "outcome": "Đầu ra"},
        "levels": {"high": "cao", "medium": "trung bình", "low": "thấp", "none": "không có"},
        "horizons": {"0-3 months": "0-3 tháng", "3-6 months": "3-6 tháng",
                     "6-12 months": "6-12 tháng"},
    },
    "en": {
        "roadmap": "CX roadmap", "summary": "summary for managers", "goal": "Goal",
        "conf": "Confidence", "issues": "Top three issues",
        "ranked_by": "ranked by impact = comments × (5 − mean rating) / 4",
        "actions": "Three actions", "kpis": "KPIs (now → target)", "pilot": "Pilot",
        "details": "Details", "current": "Current state", "stages": "By stage",
        "stage_overlap": "The stages add up to more than the scope: a comment about two "
                         "stages counts in both.",
        "future": "Desired future state", "inits": "Initiatives", "all_kpis": "All KPIs",
        "collect": "To collect", "source": "Methodology", "mean": "mean rating",
        "trend": "trend", "impact": "impact", "effort": "effort", "quick": "quick win",
        "answers": "answers", "points": "points", "to_measure": "to measure (not in the feedback)",
        "why": "Why this order",
        "why_rule": "quick wins first (impact not low, effort low), then by impact level (high: "
                    "2/3 or more of the heaviest pain's impact, medium: 1/3 or more), then by "
                    "impact score = comments × (5 − mean rating) / 4",
        "why_item": "{title} — answers “{aspect}”: {n}, impact score {score} "
                    "({impact} impact); {effort} effort: {rule}",
        "too_few": "too few to conclude", "need": "need", "none": "none",
        "curve": "Emotion curve", "map": "journey map", "feedback": "feedback",
        "curve_note": "journey map per step; feedback: the stage's net sentiment = 2 × (praise "
                      "− complaints) / comments, on the same −2…+2 scale",
        "mot": "Moments of truth", "pains": "Pain points", "delights": "What delights customers",
        "volume": "Volume", "of_all": "of all feedback",
        "metrics": "Journey-map metrics (not measured in the feedback)",
        "chart": "Chart", "no_issues": "no complaints in scope",
        "no_actions": "none proposed while the data is too thin",
        "groups": {"operational": "Operational/interaction", "perception": "Perception",
                   "outcome": "Outcome"},
        "levels": {"high": "high", "medium": "medium", "low": "low", "none": "none"},
        "horizons": {"0-3 months": "0-3 months", "3-6 months": "3-6 months",
                     "6-12 months": "6-12 months"},
    },
}  # fmt: skip


def _ev(evidence: list[Evidence], n: int = 3) -> str:
    refs = [e.ref for e in evidence[:n]]
    return f" [{', '.join(refs)}]" if refs else ""


def _pct(x: float) -> str:
    return f"{x:.0%}"


def signed(x: float, digits: int = 0) -> str:
    """+1, 0, −2 (a true minus sign, as on the chart)."""
    if round(x, digits) == 0:
        return f"{0:.{digits}f}"
    return f"{x:+.{digits}f}".replace("-", "−")


def kpi_value(k: Kpi, value: float | None, lang: str) -> str:
    """A KPI value in its unit: 24%, 2.4★, −45 points."""
    if value is None:
        return "–"
    if k.unit == "stars":
        return f"{value:.1f}★"
    if k.id == "net_stars":  # a difference of shares reads as points, like NPS
        return f"{signed(value * 100)} {T[lang]['points']}"
    return _pct(value)


def _kpi_line(k: Kpi, lang: str, define: bool = False) -> str:
    t = T[lang]
    name = f"{k.name} ({k.definition})" if define and k.definition else k.name
    if k.baseline is None:
        return f"{name}: {t['too_few']} (n={k.n})"
    return (f"{name}: {kpi_value(k, k.baseline, lang)} → {kpi_value(k, k.target, lang)} "
            f"(n={number(k.n, lang)})")  # fmt: skip


def _action(i: Initiative, lang: str, detail: bool = False) -> str:
    t = T[lang]
    quick = f"; **{t['quick']}**" if i.quick_win else ""
    why = f" — {i.effort_rule}" if detail else ""
    what = f"{t['answers']}: {i.aspect_name}; " if detail else ""
    level = f"{t['impact']} {t['levels'][i.impact]}, {t['effort']} {t['levels'][i.effort]}"
    return f"{i.title} ({what}{t['horizons'][i.horizon]}; {level}{why}{quick})"


def _why(i: Initiative, lang: str) -> str:
    """What an action answers and weighs, for "why this order"."""
    t = T[lang]
    said = t["why_item"].format(
        title=i.title, aspect=i.aspect_name, n=comments(i.complaints, lang),
        score=f"{i.impact_score:.0f}", impact=t["levels"][i.impact],
        effort=t["levels"][i.effort], rule=i.effort_rule)  # fmt: skip
    return said + (f"; **{t['quick']}**" if i.quick_win else "")


def ranking_confidence(b: Brief, lang: str) -> str:
    """'low — the first action rests on 18 comments (30 needed to rank)'."""
    level = T[lang]["levels"][b.confidence]
    return f"{level} — {b.confidence_note}" if b.confidence_note else level


def brief_lines(b: Brief, enough: bool, lang: str) -> list[str]:
    """The one-screen part: three issues, three actions, a KPI per metric group."""
    t = T[lang]
    lines = [f"\n**{t['issues']}** _({t['ranked_by']})_"]
    for n, i in enumerate(b.top_issues, 1):
        mean = f", {t['mean']} {i.mean_rating:.1f}" if i.mean_rating is not None else ""
        trend = f"; {t['trend']}: {direction_word(i.trend, lang)}" if i.trend else ""
        lines.append(f"{n}. {i.label} — {comments(i.count, lang)} "
                     f"({_pct(i.share)}){mean}, {t['impact']} {i.impact:.0f}{trend}")  # fmt: skip
    if not b.top_issues:
        lines.append(f"- {t['no_issues'] if enough else t['too_few']}")
    lines.append(f"\n**{t['actions']}**")
    lines += [f"{n}. {_action(i, lang)}" for n, i in enumerate(b.actions, 1)]
    if not b.actions:
        lines.append(f"- {t['no_actions'] if not enough else t['none']}")
    lines.append(f"\n**{t['kpis']}**")
    lines += [f"- {t['groups'][k.group]}: {_kpi_line(k, lang)}" for k in b.kpis]
    return lines


def _stage_feedback(s: StageStats, lang: str, min_evidence: int) -> str:
    t = T[lang]
    if s.net_sentiment is None:
        return f"{t['too_few']} ({s.records}, {t['need']} {min_evidence})"
    return f"{signed(s.net_sentiment, 1)} (n={number(s.records, lang)})"


def _pain(n: int, p: PainPoint, lang: str) -> list[str]:
    t = T[lang]
    mean = f", {t['mean']} {p.mean_rating:.1f}" if p.mean_rating is not None else ""
    low = f", {_pct(p.low_rating_share)} 1-2★" if p.low_rating_share is not None else ""
    lines = [f"{n}. **{p.label.get(lang)}** — {comments(p.count, lang)} "
             f"({_pct(p.share)}){mean}{low}"]  # fmt: skip
    if p.trend:
        lines.append(f"   {t['trend']}: {trend_text(p.trend, lang)}")
    for q in p.quotes[:1]:
        stars = f"{q.rating}★ " if q.rating else ""
        lines.append(f"   > “{q.text}” — {stars}[{q.record_id}]")
    return lines


def _claims(claims: list[Claim]) -> list[str]:
    return [f"- {c.text}{_ev(c.evidence)}" for c in claims]


def _kpis_by_group(kpis: list[Kpi], lang: str) -> list[str]:
    """Per group: the measured KPIs with their definition, then the atlas's metrics to
    measure (the feedback has no baseline for them)."""
    t = T[lang]
    lines = []
    for g in ("operational", "perception", "outcome"):
        measured = [_kpi_line(k, lang, define=True) for k in kpis
                    if k.group == g and k.source == "feedback"]  # fmt: skip
        atlas = [k.name for k in kpis if k.group == g and k.source == "atlas"]
        lines.append(f"- {t['groups'][g]}: {'; '.join(measured) or t['none']}")
        if atlas:
            lines.append(f"  {t['to_measure']}: {', '.join(atlas)}")
    return lines


def render_roadmap(o: RoadmapOutput, lang: str) -> str:
    t = T[lang]
    lines = [scope_line(o.scope, lang), f"\n## {t['roadmap']}: {o.name}"
             + (f" (persona {o.persona})" if o.persona else ""),
             f"_{t['conf']}: {ranking_confidence(o.brief, lang)}_"]  # fmt: skip
    if o.explain:  # "why #1?": the order, from what each action answers
        lines.append(f"\n**{t['why']}**: {t['why_rule']}")
        lines += [f"{n}. {_why(i, lang)}" for n, i in enumerate(o.initiatives[:3], 1)]
    lines += brief_lines(o.brief, o.enough_evidence, lang)
    lines.append(f"\n**{t['pilot']}** (JCXM 8): {o.pilot.text}{_ev(o.pilot.evidence, 2)}")
    # What the comments linked to the pilot's step say: the evidence, quoted.
    lines += [f"> “{e.quote}” [{e.ref}]" for e in o.pilot.evidence
              if e.kind == "feedback" and e.quote][:2]  # fmt: skip
    if o.collect:
        lines.append(f"\n**{t['collect']}**: {o.collect}")
    lines.append(f"\n---\n### {t['details']}")
    if o.current_state:
        lines += [f"\n**{t['current']}** (JCXM 4-5)", *_claims(o.current_state)]
    lines.append(f"\n**{t['stages']}**")
    for s in o.stage_metrics:
        if s.mean_rating is None:
            lines.append(f"- {s.name.get(lang)}: {comments(s.records, lang)} — "
                         f"{t['too_few']}")  # fmt: skip
        else:
            lines.append(f"- {s.name.get(lang)}: {comments(s.records, lang)}, "
                         f"{t['mean']} {s.mean_rating:.1f}, {_pct(s.low_rating_share or 0)} "
                         "1-2★")  # fmt: skip
    if sum(s.records for s in o.stage_metrics) > o.total:
        # 656 over stages of a 546-comment scope reads as an error without it
        lines.append(f"_{t['stage_overlap']}_")
    lines += [f"\n**{t['future']}** (JCXM 5-6)", *_claims(o.future_state)]
    if o.initiatives:
        lines.append(f"\n**{t['inits']}** (JCXM 6)")
        lines += [f"{n}. {_action(i, lang, detail=True)}{_ev(i.evidence, 2)}"
                  for n, i in enumerate(o.initiatives, 1)]  # fmt: skip
    lines.append(f"\n**{t['all_kpis']}** (JCXM 7)")
    lines += _kpis_by_group(o.kpis, lang)
    lines.append(f"\n_{t['source']}: " + ", ".join(f"[{e.ref}]" for e in o.methodology) + "_")
    return "\n".join(lines)


def render_journey_summary(o: JourneySummaryOutput, lang: str) -> str:
    t = T[lang]
    lines = [scope_line(o.scope, lang), f"\n## {o.name} — {t['summary']}",
             f"{t['goal']}: {o.goal}",
             f"{t['volume']}: {comments(o.total, lang)} ({_pct(o.volume_share)} "
             f"{t['of_all']}); {t['conf']}: {ranking_confidence(o.brief, lang)}"]  # fmt: skip
    lines += brief_lines(o.brief, o.enough_evidence, lang)
    if o.chart:
        lines.append(f"\n{t['chart']}: {o.chart}\n_{o.chart_caption}_")
    if o.collect:
        lines.append(f"\n**{t['collect']}**: {o.collect}")
    lines.append(f"\n---\n### {t['details']}")
    lines.append(f"\n**{t['curve']}** ({t['curve_note']})")
    for stage, s in zip(o.stages, o.emotion_curve, strict=True):
        emotions = " → ".join(signed(st.emotion) for st in stage.steps)
        lines.append(f"- {stage.name}: {t['map']} {emotions}; {t['feedback']} "
                     f"{_stage_feedback(s, lang, o.min_evidence)}")  # fmt: skip
    lines.append(f"\n**{t['mot']}**: "
                 + ", ".join(f"{s.name} [{s.ref}]" for s in o.moments_of_truth))  # fmt: skip
    if o.volume_trend:
        lines.append(f"\n**{t['volume']}** ({t['trend']}): {trend_text(o.volume_trend, lang)}")
    if o.pain_points:
        lines.append(f"\n**{t['pains']}**")
        for n, p in enumerate(o.pain_points, 1):
            lines += _pain(n, p, lang)
    if o.delights:
        lines.append(f"\n**{t['delights']}**")
        lines += [f"{n}. {p.label.get(lang)} — {comments(p.count, lang)} "
                  f"({_pct(p.share)})" for n, p in enumerate(o.delights, 1)]  # fmt: skip
    lines.append(f"\n**{t['metrics']}**")
    lines += [f"- {t['groups'][g]}: {', '.join(names) or t['none']}"
              for g, names in o.metrics.items()]  # fmt: skip
    return "\n".join(lines)
