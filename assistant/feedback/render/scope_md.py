"""The first line of every feedback-derived answer: filters applied and N of M comments."""

from __future__ import annotations

from assistant.core.text import number
from assistant.feedback.scope import Scope

T = {
    "vi": {
        "scope": "Phạm vi", "data_ends": "dữ liệu chỉ đến", "all": "toàn bộ phản hồi",
        "of": "trên", "comments": "phản hồi",
        "journey": "hành trình", "step": "bước", "stage": "giai đoạn", "touchpoint": "điểm chạm",
        "aspect": "khía cạnh", "segment": "nhóm khách", "source": "tệp", "start": "từ",
        "end": "đến", "min_rating": "từ", "max_rating": "đến", "stars": "sao",
        "unapplied": "Không áp dụng được", "thin": "Dữ liệu quá ít để kết luận",
        "need": "cần ít nhất",
        "named": "các phản hồi nhắc đến {tp} ({n})",
        "fallback": "các bước có điểm chạm {tp} ({steps}), vì chỉ {n} phản hồi nhắc đến "
                    "{tp} (cần ít nhất {min})",
        # (one, many), as pain_points_md's "subject": Vietnamese says both alike
        "estimated": ("{n} trong số đó có ngày ước tính từ cụm từ tương đối như “2 tuần "
                      "trước” (nói “chỉ ngày chính xác” để bỏ chúng ra)",) * 2,
        "left_out": ("Đã bỏ {n} phản hồi có ngày ước tính từ cụm từ tương đối",) * 2,
    },
    "en": {
        "scope": "Scope", "data_ends": "the data ends", "all": "all feedback", "of": "of",
        "comments": "comments",
        "journey": "journey", "step": "step", "stage": "stage", "touchpoint": "touchpoint",
        "aspect": "aspect", "segment": "segment", "source": "file", "start": "from",
        "end": "to", "min_rating": "from", "max_rating": "to", "stars": "stars",
        "unapplied": "Not applied", "thin": "Too little data to conclude",
        "need": "need at least",
        "named": "comments that mention the {tp} ({n})",
        "fallback": "the steps where the {tp} is a touchpoint ({steps}), because only {n} "
                    "comments mention the {tp} (at least {min} needed)",
        "estimated": ("{n} of them has a date estimated from a relative phrase such as “2 tuần "
                      "trước” (say “exact dates only” to leave it out)",
                      "{n} of them have dates estimated from relative phrases such as “2 tuần "
                      "trước” (say “exact dates only” to leave them out)"),
        "left_out": ("{n} comment with a date estimated from a relative phrase left out",
                     "{n} comments with dates estimated from relative phrases left out"),
    },
}  # fmt: skip


# The filters said as not applied are built in English ("age (under 25)", "lately (no length
# given)"): in a Vietnamese answer their kinds and notes are said in Vietnamese.
# The kinds of filter the data has no field for, and an unknown group, as the slots and the
# tools say them (a filter of the conversation a tool cannot apply is named by the agent in
# the answer's language: frame.describe_filters).
_VI_KINDS = {"product model": "dòng máy", "location": "địa điểm", "gender": "giới tính",
             "channel": "kênh bán", "age": "độ tuổi", "occasion": "dịp",
             "segment": T["vi"]["segment"]}  # fmt: skip
_VI_NOTES = {"(no length given)": "(không nói bao lâu)",
             "(no reference date)": "(chưa có ngày mốc)",
             "(one period at a time: the trend compares with the period before)":
                 "(mỗi lần một kỳ: xu hướng so với kỳ liền trước)",
             "(it ends before it starts)": "(ngày kết thúc trước ngày bắt đầu)",
             "(no period to go back from)": "(chưa có khoảng thời gian nào để lùi lại)",
             "groups the data knows:": "các nhóm dữ liệu có:"}  # fmt: skip


def said_unapplied(items: list[str], lang: str) -> str:
    """The filters not applied, joined, in the answer's language."""
    if lang != "vi":
        return "; ".join(items)
    out = []
    for item in items:
        kind = next((k for k in _VI_KINDS if item == k or item.startswith(f"{k} ")), None)
        if kind is not None:
            item = _VI_KINDS[kind] + item[len(kind):]
        for en, vi in _VI_NOTES.items():
            item = item.replace(en, vi)
        out.append(item)
    return "; ".join(out)


def stars_text(lo: int | None, hi: int | None, lang: str) -> str | None:
    """A star filter in words: "1–2 stars", "1 star", "≥ 4 sao"; None when there is none."""
    if not (lo or hi):
        return None
    stars = f"{lo}–{hi}" if lo and hi and lo != hi else str(lo or hi)
    if lo and not hi:
        stars = f"≥ {lo}"
    elif hi and not lo:
        stars = f"≤ {hi}"
    one = lang == "en" and stars == "1"  # "1 star", "1–2 stars"
    return f"{stars} {'star' if one else T[lang]['stars']}"


def _counted(forms: tuple[str, str], n: int, lang: str) -> str:
    """The (one, many) form of a sentence that counts `n`, with the count in it."""
    return forms[0 if n == 1 else 1].format(n=number(n, lang))


def scope_line(scope: Scope, lang: str) -> str:
    """'Scope: journey Delivery and setup; 1–2 stars — 61 of 7,786 comments.'"""
    t = T[lang]
    f = scope.filters
    parts = []
    for key in ("journey", "step", "stage", "touchpoint", "aspect", "segment", "source"):
        value = f.get(key)
        if not value:
            continue
        name = scope.names.get(key)
        shown = name.get(lang) if name else value
        if key == "touchpoint" and scope.touchpoint_named is not None:
            # Say what the touchpoint filter counted: the comments naming it, or the steps.
            n = number(scope.touchpoint_named, lang)
            if scope.touchpoint_steps:
                steps = ", ".join(scope.names[f"step:{r}"].get(lang) if f"step:{r}" in
                                  scope.names else r for r in scope.touchpoint_steps)  # fmt: skip
                parts.append(t["fallback"].format(tp=shown, steps=steps, n=n,
                                                  min=scope.min_evidence))  # fmt: skip
            else:
                parts.append(t["named"].format(tp=shown, n=n))
            continue
        parts.append(f"{t[key]} {shown}")
    if f.get("start") or f.get("end"):
        parts.append(" ".join(x for x in (
            f"{t['start']} {f['start']}" if f.get("start") else "",
            f"{t['end']} {f['end']}" if f.get("end") else "") if x))  # fmt: skip
    if stars := stars_text(f.get("min_rating"), f.get("max_rating"), lang):
        parts.append(stars)
    what = "; ".join(parts) or t["all"]
    if scope.data_ends:  # "Q3 2020": the quarter is not over in the data
        what += f" ({t['data_ends']} {scope.data_ends})"
    line = (f"_{t['scope']}: {what} — {number(scope.total, lang)} {t['of']} "
            f"{number(scope.corpus_total, lang)} {t['comments']}._")  # fmt: skip
    if scope.exact_dates_left_out:
        line += f"\n_{_counted(t['left_out'], scope.exact_dates_left_out, lang)}._"
    elif scope.estimated_dates:
        line += f"\n_{_counted(t['estimated'], scope.estimated_dates, lang)}._"
    if scope.unapplied:
        line += f"\n_{t['unapplied']}: {said_unapplied(scope.unapplied, lang)}._"
    if not scope.enough:
        line += f"\n**{t['thin']}** ({t['need']} {scope.min_evidence} {t['comments']})."
    return line
