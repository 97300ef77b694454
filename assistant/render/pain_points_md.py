"""The pain-point summary as Markdown, in Vietnamese or English."""

from __future__ import annotations

from assistant.tools.pain_points import PainPoint, PainPointsOutput

T = {
    "vi": {
        "title": "Điểm đau hàng đầu", "delights": "Điều làm khách hàng hài lòng",
        "of": "trong", "records": "phản hồi", "mean": "sao trung bình", "low": "1-2 sao",
        "trend": "xu hướng", "themes": "Chủ đề", "none": "Không có phản hồi nào khớp bộ lọc.",
        "vs": "so với", "impact": "tác động", "steps": "Bước",
        "up": "tăng", "down": "giảm", "flat": "ổn định", "new": "mới xuất hiện",
        "none_t": "không có dữ liệu",
    },
    "en": {
        "title": "Top pain points", "delights": "What delights customers",
        "of": "of", "records": "feedback records", "mean": "mean rating", "low": "1-2 stars",
        "trend": "trend", "themes": "Themes", "none": "No feedback matches the filters.",
        "vs": "vs", "impact": "impact", "steps": "Steps",
        "up": "up", "down": "down", "flat": "flat", "new": "new", "none_t": "no data",
    },
}  # fmt: skip


def _item(n: int, p: PainPoint, lang: str) -> list[str]:
    t = T[lang]
    sev = []
    if p.mean_rating is not None:
        sev.append(f"{t['mean']} {p.mean_rating:.2f}")
    if p.low_rating_share is not None:
        sev.append(f"{p.low_rating_share:.0%} {t['low']}")
    lines = [
        f"{n}. **{p.label.get(lang)}** ({p.aspect}) — {p.count} {t['records']} "
        f"({p.share:.1%}), {', '.join(sev)}; {t['impact']} {p.impact:.0f}"
    ]
    if p.trend:
        tr = p.trend
        change = f" {tr.change:+.0%}" if tr.change is not None else ""
        lines.append(
            f"   {t['trend']}: {t[tr.direction if tr.direction != 'none' else 'none_t']}{change} "
            f"({tr.current} {t['vs']} {tr.previous}; {tr.period[0]}–{tr.period[1]} {t['vs']} "
            f"{tr.previous_period[0]}–{tr.previous_period[1]})"
        )
    if p.steps:
        lines.append(f"   {t['steps']}: {', '.join(p.steps[:4])}")
    if p.themes:
        lines.append(
            f"   {t['themes']}: " + "; ".join(f"{th.label} ({th.count})" for th in p.themes)
        )
    for q in p.quotes:
        stars = f"{q.rating}★" if q.rating else ""
        lines.append(f"   > “{q.text}” — {stars} [{q.record_id}]")
    return lines


def render_pain_points(out: PainPointsOutput, lang: str = "vi") -> str:
    t = T[lang]
    if not out.total:
        return t["none"]
    sections = [(t["title"], out.pain_points), (t["delights"], out.delights)]
    if out.lead == "positive":  # "what do customers love?": delights first
        sections.reverse()
    lines: list[str] = []
    for title, points in sections:
        if not points:
            continue
        lines.append(f"{chr(10) if lines else ''}## {title}" + (
            "" if lines else f" ({out.total} {t['records']})"))
        for n, p in enumerate(points, 1):
            lines += _item(n, p, lang)
    lines.append(f"\n_{out.impact_formula}_")
    return "\n".join(lines)
