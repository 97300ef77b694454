"""Journey-tool eval: each case runs a tool and checks paths of its JSON output."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from assistant.knowledge.base import KnowledgeBase
from assistant.tools.five_questions import FiveQuestionsInput, answer_five_questions
from assistant.tools.journey_summary import JourneySummaryInput, summarize_journey
from assistant.tools.pain_points import PainPointsInput, summarize_pain_points
from assistant.tools.persona import PersonaInput, draft_persona
from assistant.tools.roadmap import RoadmapInput, propose_roadmap

TOOLS = {
    "five_questions": (FiveQuestionsInput, answer_five_questions),
    "pain_points": (PainPointsInput, summarize_pain_points),
    "persona": (PersonaInput, draft_persona),
    "roadmap": (RoadmapInput, propose_roadmap),
    "journey_summary": (JourneySummaryInput, summarize_journey),
}


def get_path(data: Any, path: str) -> Any:
    """'a.b[0].c' or 'a[*].b' (a list of every element's b)."""
    parts = re.findall(r"[^.\[\]]+|\[\*\]|\[\d+\]", path)
    for i, part in enumerate(parts):
        if part == "[*]":
            rest = ".".join(parts[i + 1 :]).replace(".[", "[")
            return [get_path(x, rest) if rest else x for x in data]
        data = data[int(part[1:-1])] if part.startswith("[") else data[part]
    return data


def evaluate(kb: KnowledgeBase, cases_file: Path) -> tuple[dict[str, float], list[dict]]:
    cases = yaml.safe_load(cases_file.read_text(encoding="utf-8"))
    rows = []
    for case in cases:
        model, func = TOOLS[case["tool"]]
        out = func(model(**case["input"]), kb).model_dump(mode="json")
        failures = []
        for path, want in (case.get("expect") or {}).items():
            got = get_path(out, path)
            if got != want:
                failures.append(f"{path}: got {got!r}, want {want!r}")
        for path, options in (case.get("one_of") or {}).items():
            got = get_path(out, path)
            if got not in options:
                failures.append(f"{path}: got {got!r}, want one of {options!r}")
        rows.append({"id": case["id"], "tool": case["tool"], "ok": not failures,
                     "failures": failures})  # fmt: skip
    metrics: dict[str, float] = {"cases": float(len(rows))}
    for tool in TOOLS:
        mine = [r for r in rows if r["tool"] == tool]
        if mine:
            metrics[f"{tool}_accuracy"] = sum(r["ok"] for r in mine) / len(mine)
    return metrics, rows
