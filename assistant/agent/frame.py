"""A conversation's frame: what the last request asked for (tool, filters, language), kept
per conversation so that a follow-up edits it instead of starting over.

Serialisable (pydantic, JSON-safe values): the memory keeps it in-process today; a database
can store `Frame.model_dump(mode="json")` and read it back with `Frame.model_validate`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.text import Lang
from assistant.feedback.render.scope_md import stars_text

Act = Literal["new", "edit", "switch_tool", "language", "more", "clarify"]

# The filters a frame carries, in the order a change is shown. `step` is JOURNEY.STEP.
FILTER_KEYS = ("journey", "step", "aspect", "segment", "persona", "source", "start", "end",
               "min_rating", "max_rating", "sentiment")  # fmt: skip
# Filters that are one choice together: changing one drops the others of its group.
GROUPS = (("start", "end"), ("min_rating", "max_rating"))


class Frame(BaseModel):
    """The last request of a conversation, as the assistant understood it."""

    tool: str
    filters: dict[str, Any] = Field(default_factory=dict)
    lang: Lang = "en"
    text: str = Field("", description="The request that set the tool (its free text).")
    # A command ("five warranty drop-off") says nothing of the language wanted: the next
    # turn written in words sets it.
    lang_set: bool = True

    def with_filters(self, changes: dict[str, Any], removed: set[str]) -> Frame:
        """This frame with `changes` applied (a group such as the period is replaced whole)
        and `removed` keys taken away; a step goes with its journey when the journey
        changes."""
        filters = dict(self.filters)
        if "segment" in removed and "segment" not in filters:
            removed = removed | {"persona"}  # "bỏ lọc nhóm khách": the group the frame holds
        for key in removed:
            filters.pop(key, None)
        for group in GROUPS:
            if set(group) & set(changes):
                for key in group:
                    filters.pop(key, None)
        journey = changes.get("journey")
        if journey and journey != filters.get("journey") and "step" not in changes:
            filters.pop("step", None)
        filters.update({k: v for k, v in changes.items() if v is not None})
        return self.model_copy(update={"filters": _ordered(filters)})


def _ordered(filters: dict[str, Any]) -> dict[str, Any]:
    known = {k: filters[k] for k in FILTER_KEYS if k in filters}
    return known | {k: v for k, v in filters.items() if k not in known}


# How a changed value is shown: (key, value, lang) -> its name in the answer's language
# ("warranty" -> "Bảo hành và sửa chữa"); the agent passes one that reads the atlas.
Namer = Callable[[str, Any, Lang], str]

TOOL_NAMES = {
    "vi": {"search": "phương pháp", "five_questions": "năm câu hỏi", "persona": "persona",
           "pain_points": "điểm đau", "roadmap": "lộ trình", "journey_summary": "tóm tắt "
           "hành trình"},
    "en": {"search": "methodology", "five_questions": "five questions", "persona": "persona",
           "pain_points": "pain points", "roadmap": "roadmap",
           "journey_summary": "journey summary"},
}  # fmt: skip


def describe_value(key: str, value: Any, lang: Lang) -> str:
    """A frame's value as stored: a date in ISO form, an id as it is."""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _period(filters: dict[str, Any]) -> str | None:
    s, e = filters.get("start"), filters.get("end")
    if s is None and e is None:
        return None
    shown = [describe_value(k, v, "en") if v else "…" for k, v in (("start", s), ("end", e))]
    return " – ".join(shown)  # a range; "→" says what it changed into


_LABEL = {
    "vi": {"stars": "sao", "period": "thời gian", "journey": "hành trình", "step": "bước",
           "aspect": "khía cạnh", "segment": "nhóm khách", "persona": "persona",
           "source": "nguồn", "sentiment": "chiều", "exact_dates": "chỉ ngày chính xác"},
    "en": {"stars": "stars", "period": "period", "journey": "journey", "step": "step",
           "aspect": "aspect", "segment": "segment", "persona": "persona", "source": "source",
           "sentiment": "sentiment", "exact_dates": "exact dates only"},
}  # fmt: skip


_SAYS_ITSELF = ("stars", "period", "exact_dates")  # "1–2 stars", not "stars 1–2 stars"
_KEPT = {"vi": " (giữ lại; công cụ này không lọc theo nó)",
         "en": " (kept; this tool does not filter by it)"}
# The frame's filter keys behind a shown change.
_KEYS = {"stars": ("min_rating", "max_rating"), "period": ("start", "end"),
         "exact_dates": ("start",)}  # exact dates narrow a period: a tool with one


def _views(filters: dict[str, Any], lang: Lang, names: Namer) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in ("journey", "step", "aspect", "segment", "persona", "source", "sentiment"):
        if filters.get(key) is not None:
            out[key] = names(key, filters[key], lang)
    stars = stars_text(filters.get("min_rating"), filters.get("max_rating"), lang)
    if stars is not None:
        out["stars"] = stars
    if (period := _period(filters)) is not None:
        out["period"] = period
    if filters.get("exact_dates"):
        out["exact_dates"] = _LABEL[lang]["exact_dates"]
    return out


def _named(key: str, value: str, lang: Lang) -> str:  # "1–2 stars", "segment Students"
    return value if key in _SAYS_ITSELF else f"{_LABEL[lang][key]} {value}"


def describe_filters(filters: dict[str, Any], lang: Lang, names: Namer = describe_value
                     ) -> list[str]:
    """Filters in words, each by its name in the answer's language ("1–2 sao", "bước Nhận
    lại máy và kiểm tra"): what a tool that cannot apply them says it did not."""
    return [_named(key, value, lang) for key, value in _views(filters, lang, names).items()]


def describe_changes(
    before: Frame | None, after: Frame, lang: Lang, names: Namer = describe_value,
    applied: Callable[[str], bool] = lambda key: True,
) -> str:
    """What a follow-up changed, for the answer: "Changed: + 1–2 stars; − segment Students;
    persona → roadmap". Empty when nothing changed. A filter the tool does not apply
    (`applied(filter key)` false: stars on a persona) is kept in the frame for the next
    request and said as kept, not as applied."""
    old = _views(before.filters, lang, names) if before else {}
    new = _views(after.filters, lang, names)
    parts: list[str] = []
    if before is not None and before.tool != after.tool:
        parts.append(f"{names('tool', before.tool, lang)} → {names('tool', after.tool, lang)}")

    for key, value in new.items():
        if key not in old:
            kept = not all(applied(k) for k in _KEYS.get(key, (key,)))
            parts.append(f"+ {_named(key, value, lang)}" + (_KEPT[lang] if kept else ""))
        elif old[key] != value:
            parts.append(f"{_LABEL[lang][key]}: {old[key]} → {value}")
    for key, value in old.items():
        if key not in new:
            parts.append(f"− {_named(key, value, lang)}")
    if before is not None and before.lang != after.lang:
        parts.append("tiếng Việt" if after.lang == "vi" else "English")
    if not parts:
        return ""
    return ("Đã đổi: " if lang == "vi" else "Changed: ") + "; ".join(parts)
