"""The pain-point summary as Markdown, in Vietnamese or English."""

from __future__ import annotations

from assistant.feedback.render.scope_md import scope_line
from assistant.feedback.tools.pain_points import PainPoint, PainPointsOutput, Trend

T = {
    "vi": {
        "title": "Điểm đau hàng đầu", "delights": "Điều làm khách hàng hài lòng",
        "records": "phản hồi", "mean": "sao trung bình", "low": "1-2 sao",
        "trend": "xu hướng (tỷ trọng)", "themes": "Chủ đề", "vs": "so với", "impact": "tác động",
        "steps": "Bước mà các phản hồi này nói đến", "up": "tăng", "down": "giảm",
        "flat": "không đổi rõ rệt",
        "too few": "quá ít dữ liệu để so sánh", "what": "Những gì có trong dữ liệu",
        "examples": "Ví dụ", "collect": "Cần thu thập",
        "formula": "tác động = số phản hồi × (5 − sao TB) / 4",
        "noise_pos": "{n} phản hồi được gắn nhãn khen nhưng chỉ chấm 1-2 sao (nhãn nhiễu): "
                     "được đếm, không trích dẫn",
        "noise_neg": "{n} phản hồi được gắn nhãn chê nhưng chấm 5 sao (nhãn nhiễu): được đếm, "
                     "không trích dẫn",
    },
    "en": {
        "title": "Top pain points", "delights": "What delights customers",
        "records": "comments", "mean": "mean rating", "low": "1-2 stars",
        "trend": "trend (share)", "themes": "Themes", "vs": "vs", "impact": "impact",
        "steps": "Steps these comments speak of", "up": "up", "down": "down",
        "flat": "no clear change",
        "too few": "too few to compare", "what": "What the data holds",
        "examples": "Examples", "collect": "To collect",
        "formula": "impact = count × (5 − mean rating) / 4",
        "noise_pos": "{n} comments are labelled praise but rated 1-2 stars (label noise): "
                     "counted, not quoted",
        "noise_neg": "{n} comments are labelled complaints but rated 5 stars (label noise): "
                     "counted, not quoted",
    },
}  # fmt: skip


def direction_word(direction: str, lang: str) -> str:
    """"up", "down", "flat" or "too few" in the answer's language."""
    return T[lang][direction]


def trend_text(tr: Trend, lang: str) -> str:
    """A share in a period against the period before: direction, shares, counts, periods and
    the test's p (when there were enough records to test)."""
    t = T[lang]
    p = f", p={tr.p_value:.3f}" if tr.p_value is not None and tr.direction != "too few" else ""
    return (
        f"{t[tr.direction]} — {tr.current_share:.0%} ({tr.current}/{tr.current_total}, "
        f"{tr.period[0]}–{tr.period[1]}) {t['vs']} {tr.previous_share:.0%} ({tr.previous}/"
        f"{tr.previous_total}, {tr.previous_period[0]}–{tr.previous_period[1]}){p}"
    )


def _item(n: int, p: PainPoint, lang: str) -> list[str]:
    t = T[lang]
    sev = []
    if p.mean_rating is not None:
        sev.append(f"{t['mean']} {p.mean_rating:.1f}")
    if p.low_rating_share is not None:
        sev.append(f"{p.low_rating_share:.0%} {t['low']}")
    lines = [
        f"{n}. **{p.label.get(lang)}** — {p.count} {t['records']} "
        f"({p.share:.0%}), {', '.join(sev)}; {t['impact']} {p.impact:.0f}"
    ]
    if p.trend:
        lines.append(f"   {t['trend']}: {trend_text(p.trend, lang)}")
    if p.steps:
        shown = [f"{s} ({p.step_counts[s]})" if s in p.step_counts else s for s in p.steps[:4]]
        lines.append(f"   {t['steps']}: {', '.join(shown)}")
    if p.themes:
        lines.append(
            f"   {t['themes']}: " + "; ".join(f"{th.label} ({th.count})" for th in p.themes)
        )
    for q in p.quotes:
        stars = f"{q.rating}★" if q.rating else ""
        lines.append(f"   > “{q.text}” — {stars} [{q.record_id}]")
    if p.rating_conflicts:
        key = "noise_pos" if p.sentiment == "positive" else "noise_neg"
        lines.append(f"   _{t[key].format(n=p.rating_conflicts)}_")
    return lines


def render_pain_points(out: PainPointsOutput, lang: str = "vi") -> str:
    t = T[lang]
    lines = [scope_line(out.scope, lang)]
    if not out.enough_evidence:
        if out.counts:
            lines.append(f"\n**{t['what']}**")
            lines += [f"- {c.label.get(lang)}: {c.count}" for c in out.counts]
        if out.quotes:
            lines.append(f"\n**{t['examples']}**")
            lines += [f"> “{q.text}” — {q.rating or ''}★ [{q.record_id}]" for q in out.quotes]
        if out.collect:
            lines.append(f"\n**{t['collect']}**: {out.collect.get(lang)}")
        return "\n".join(lines)
    sections = [(t["title"], out.pain_points), (t["delights"], out.delights)]
    if out.lead == "positive":  # "what do customers love?": delights first
        sections.reverse()
    for title, points in sections:
        if not points:
            continue
        lines.append(f"\n## {title}")
        for n, p in enumerate(points, 1):
            lines += _item(n, p, lang)
    lines.append(f"\n_{t['formula']}_")
    return "\n".join(lines)
