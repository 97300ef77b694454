"""The pain-point summary as Markdown, in Vietnamese or English."""

from __future__ import annotations

from assistant.core.text import number
from assistant.feedback.render.scope_md import scope_line
from assistant.feedback.tools.pain_points import PainPoint, PainPointsOutput, Trend

T = {
    "vi": {
        "title": "Điểm đau hàng đầu", "delights": "Điều làm khách hàng hài lòng",
        "record": "phản hồi", "records": "phản hồi", "mean": "sao trung bình", "low": "1-2 sao",
        "trend": "xu hướng (tỷ trọng)", "themes": "Chủ đề", "vs": "so với", "impact": "tác động",
        "steps": "Bước mà các phản hồi này nói đến", "up": "tăng", "down": "giảm",
        "flat": "không đổi rõ rệt",
        "too few": "quá ít dữ liệu để so sánh", "what": "Những gì có trong dữ liệu",
        "what_note": "một phản hồi có thể nhắc nhiều khía cạnh, nên các số cộng lại vượt "
        "{total}",
        "examples": "Ví dụ", "collect": "Cần thu thập",
        "few": "Vì sao ít", "few_lead": "{total} trong phạm vi, cần {need}. Bỏ từng "
        "bộ lọc thì còn:", "without": "không lọc {what}: {n}", "enough": "đủ để xếp hạng",
        "widen": {"min_rating": "sao", "start": "thời gian", "segment": "nhóm khách",
                  "aspect": "khía cạnh", "step": "bước", "journey": "hành trình",
                  "journey_step": "hành trình và bước", "source": "nguồn"},
        "formula": "tác động = số phản hồi × (5 − sao TB) / 4",
        "formula_praise": "lời khen: số phản hồi × (sao TB − 1) / 4",
        "overlap": "Các tỉ lệ cộng lại quá 100%: một phản hồi có thể nêu nhiều điểm.",
        "concerns": "Ở bước này, {about} trong {complaints} phản hồi có phàn nàn là chê đúng "
                    "điều của bước ({aspects}); số còn lại chê những thứ khác cũng được nhắc "
                    "trong các phản hồi đó.",
        "behind": "Các phản hồi đằng sau #{n}",
        "no_item": "Xếp hạng này không có mục #{n}.",
        "why": "Vì sao xếp hạng như vậy",
        "why_rule": "mỗi phản hồi trong phạm vi được gắn khía cạnh và chiều khen/chê; các mục "
                    "được xếp theo tác động = số phản hồi × (5 − sao TB) / 4 (với lời khen: "
                    "× (sao TB − 1) / 4), nên nhiều phản hồi với ít sao đứng trước.",
        "why_item": "#{n} {label}: {count} ({share:.0%} phạm vi), sao TB {mean} → "
                    "tác động {impact:.0f}",
        "subject": ("1 phản hồi", "{n} phản hồi"),
        "noise_pos": "{subject} được gắn nhãn khen nhưng chỉ chấm 1-2 sao (nhãn nhiễu): "
                     "được đếm, không trích dẫn",
        "noise_neg": "{subject} được gắn nhãn chê nhưng chấm 5 sao (nhãn nhiễu): được đếm, "
                     "không trích dẫn",
        "all_noise_pos": "Không có lời khen nào đáng tin trong phạm vi này: mọi phản hồi gắn "
                         "nhãn khen ở đây đều chỉ chấm 1-2 sao (nhãn nhiễu).",
        "all_noise_neg": "Không có lời chê nào đáng tin trong phạm vi này: mọi phản hồi gắn "
                         "nhãn chê ở đây đều chấm 5 sao (nhãn nhiễu).",
    },
    "en": {
        "title": "Top pain points", "delights": "What delights customers",
        "record": "comment", "records": "comments", "mean": "mean rating", "low": "1-2 stars",
        "trend": "trend (share)", "themes": "Themes", "vs": "vs", "impact": "impact",
        "steps": "Steps these comments speak of", "up": "up", "down": "down",
        "flat": "no clear change",
        "too few": "too few to compare", "what": "What the data holds",
        "what_note": "a comment may speak of several aspects, so these add up to more than "
        "{total}",
        "examples": "Examples", "collect": "To collect",
        "few": "Why so few", "few_lead": "{total} in scope, {need} needed. Without "
        "each filter:", "without": "without the {what} filter: {n}",
        "enough": "enough to rank",
        "widen": {"min_rating": "stars", "start": "period", "segment": "segment",
                  "aspect": "aspect", "step": "step", "journey": "journey",
                  "journey_step": "journey and step", "source": "source"},
        "formula": "impact = count × (5 − mean rating) / 4",
        "formula_praise": "praise: count × (mean rating − 1) / 4",
        "overlap": "The shares add up to more than 100%: one comment can raise several points.",
        "concerns": "At this step, {about} of the {complaints} comments that complain are about "
                    "what it concerns ({aspects}); the others complain of other things the same "
                    "comments mention.",
        "behind": "The comments behind #{n}", "no_item": "This ranking has no #{n}.",
        "why": "Why this ranking",
        "why_rule": "each comment in scope is tagged with aspects and whether it complains or "
                    "praises; items are ranked by impact = count × (5 − mean rating) / 4 (for "
                    "praise: × (mean rating − 1) / 4), so many comments with few stars come "
                    "first.",
        "why_item": "#{n} {label}: {count} ({share:.0%} of the scope), mean rating "
                    "{mean} → impact {impact:.0f}",
        "subject": ("1 comment is", "{n} comments are"),
        "noise_pos": "{subject} labelled praise but rated 1-2 stars (label noise): "
                     "counted, not quoted",
        "noise_neg": "{subject} labelled complaints but rated 5 stars (label noise): "
                     "counted, not quoted",
        "all_noise_pos": "No praise to report in this scope: every comment labelled praise here "
                         "is rated 1-2 stars (label noise).",
        "all_noise_neg": "No complaint to report in this scope: every comment labelled a "
                         "complaint here is rated 5 stars (label noise).",
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


def comments(n: int, lang: str) -> str:
    """A count of comments in words, in number with it: "1 comment", "1,234 comments"."""
    t = T[lang]
    return f"{number(n, lang)} {t['record' if n == 1 else 'records']}"


def _item(n: int, p: PainPoint, lang: str) -> list[str]:
    t = T[lang]
    sev = []
    if p.mean_rating is not None:
        sev.append(f"{t['mean']} {p.mean_rating:.1f}")
    if p.low_rating_share is not None:
        sev.append(f"{p.low_rating_share:.0%} {t['low']}")
    lines = [
        f"{n}. **{p.label.get(lang)}** — {comments(p.count, lang)} "
        f"({p.share:.0%}), {', '.join(sev)}; {t['impact']} {p.impact:.0f}"
    ]
    if p.trend:
        lines.append(f"   {t['trend']}: {trend_text(p.trend, lang)}")
    if p.steps:
        names = {s: n.get(lang) for s, n in p.step_names.items()}  # ids stay in the JSON
        shown = [f"{names.get(s, s)} ({p.step_counts[s]})" if s in p.step_counts
                 else names.get(s, s) for s in p.steps[:4]]  # fmt: skip
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
        one, many = t["subject"]
        subject = one if p.rating_conflicts == 1 else many.format(n=p.rating_conflicts)
        lines.append(f"   _{t[key].format(subject=subject)}_")
    return lines


def render_pain_points(out: PainPointsOutput, lang: str = "vi") -> str:
    t = T[lang]
    lines = [scope_line(out.scope, lang)]
    if not out.enough_evidence:
        if out.counts:
            # counted by aspect: a comment naming two is in two lines
            overlap = sum(c.count for c in out.counts) > out.total
            note = f" _({t['what_note'].format(total=out.total)})_" if overlap else ""
            lines.append(f"\n**{t['what']}**{note}")
            lines += [f"- {c.label.get(lang)}: {c.count}" for c in out.counts]
        if out.quotes:
            lines.append(f"\n**{t['examples']}**")
            lines += [f"> “{q.text}” — {q.rating or ''}★ [{q.record_id}]" for q in out.quotes]
        if out.widened:  # "why?": what each filter costs
            lines.append(f"\n**{t['few']}**: " + t["few_lead"].format(
                total=comments(out.total, lang), need=out.min_evidence))
            for name, n in sorted(out.widened.items(), key=lambda kv: -kv[1]):
                # a step goes with its journey (scope.WIDENINGS): said, so 546 against the
                # step's 35 does not read as the journey filter alone
                both = name == "journey" and "step" in out.widened
                said = t["without"].format(what=t["widen"]["journey_step" if both else name],
                                           n=comments(n, lang))  # fmt: skip
                lines.append(f"- {said}" + (f" ({t['enough']})" if n >= out.min_evidence else ""))
        if out.collect:
            lines.append(f"\n**{t['collect']}**: {out.collect.get(lang)}")
        return "\n".join(lines)
    if (c := out.step_concerns) is not None and c.complaints:
        # "How do customers feel about the staff advice?": the comments linked to the step
        # complain mostly of the phone; how many are about the advice is said first.
        lines.append("_" + t["concerns"].format(
            about=number(c.about, lang), complaints=number(c.complaints, lang),
            aspects=", ".join(a.get(lang).lower() for a in c.aspects)) + "_")  # fmt: skip
    sections = [(t["title"], out.pain_points, "neg"), (t["delights"], out.delights, "pos")]
    if out.lead == "positive":  # "what do customers love?": delights first
        sections.reverse()
    if out.focus is not None:  # one item of the ranking, under its rank
        found = sections[0][1]
        if not found:
            lines.append("\n" + t["no_item"].format(n=out.focus))
            return "\n".join(lines)
        sections = [(t["behind"].format(n=out.focus), found, sections[0][2])]
    if out.explain:
        lines.append(f"\n**{t['why']}**: {t['why_rule']}")
        lines += [
            "- " + t["why_item"].format(
                n=n, label=p.label.get(lang), count=comments(p.count, lang), share=p.share,
                impact=p.impact,
                mean="–" if p.mean_rating is None else f"{p.mean_rating:.1f}")
            for n, p in enumerate(sections[0][1][:3], out.focus or 1)
        ]  # fmt: skip
    noise = {c.sentiment[:3] for c in out.label_noise}  # "pos", "neg"
    for title, points, side in sections:
        if not points:
            if side in noise:  # all set aside as label noise: say so, rather than nothing
                lines += [f"\n## {title}", f"_{t['all_noise_' + side]}_"]
            continue
        lines.append(f"\n## {title}")
        for n, p in enumerate(points, out.focus or 1):
            lines += _item(n, p, lang)
    # Praise weighs by how high it is rated: its impact is not the complaints' formula.
    praise = f"; {t['formula_praise']}" if any(side == "pos" and points
                                                for _, points, side in sections) else ""
    lines.append(f"\n_{t['formula']}{praise}_")
    if any(sum(p.share for p in points) > 1 for _, points, _ in sections):
        lines.append(f"_{t['overlap']}_")  # a manager reading 140% would think it an error
    return "\n".join(lines)
