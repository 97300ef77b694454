"""Answers from a tool's output: rendered in the question's language, its evidence cited."""

from __future__ import annotations

from collections.abc import Callable

from assistant.core.answers import Answer, Citation
from assistant.core.text import Lang


def _evidence(node: object) -> list[dict]:
    """Every piece of evidence inside a tool output, in order: Evidence objects (kind, ref,
    quote) and feedback quotes (record_id, text)."""
    if isinstance(node, dict):
        own = []
        if {"kind", "ref"} <= set(node) and node["kind"] in ("atlas", "feedback", "methodology"):
            own = [node]
        elif {"record_id", "text"} <= set(node):
            own = [{"kind": "feedback", "ref": node["record_id"], "quote": node["text"]}]
        return own + [e for v in node.values() for e in _evidence(v)]
    if isinstance(node, list):
        return [e for v in node for e in _evidence(v)]
    return []


def tool_citations(output: object, titles: dict[str, str], limit: int = 12) -> list[Citation]:
    """Citations from a tool output's evidence: methodology first, then atlas, feedback."""
    data = output.model_dump(mode="json") if hasattr(output, "model_dump") else output
    seen: set[str] = set()
    out: list[Citation] = []
    order = {"methodology": 0, "atlas": 1, "feedback": 2}
    for ev in sorted(_evidence(data), key=lambda e: order[e["kind"]]):
        if ev["ref"] in seen:
            continue
        seen.add(ev["ref"])
        doc = ev["ref"].split("#")[0]
        title = titles.get(doc, ev["ref"]) if ev["kind"] == "methodology" else ev["ref"]
        doc_id = doc if ev["kind"] == "methodology" else ev["ref"]
        out.append(Citation(doc_id=doc_id, title=title, kind=ev["kind"],
                            quote=ev.get("quote", ""), score=1.0))  # fmt: skip
    return out[:limit]


def compose_tool_answer(
    question: str,
    lang: Lang,
    tool: str,
    output: object,
    render: Callable[[object, str], str],
    titles: dict[str, str],
) -> Answer:
    """A tool's output rendered in the question's language, with its evidence cited."""
    return Answer(
        question=question, lang=lang, answer=render(output, lang),
        citations=tool_citations(output, titles), tool=tool, result=output,
    )  # fmt: skip
