"""Decision eval: where the five questions place a company decision, in three languages.

Each decision (evals/README.md: writers Y and Z, blind, from the list of steps) is written
three times, the same decision in English, Vietnamese and Vietnamese typed without
diacritics, with the step where customers meet it and up to two others a careful CX lead
would accept. Each form is understood as a first request and placed as the five-questions
tool places it (a step the request names, else the decision matched to the atlas), without
summarising the feedback, so the set stays fast. A decision is placed consistently when its
three forms land on the same step.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from assistant.agent.agent import Agent, Request
from assistant.core.errors import AssistantError
from assistant.feedback.tools.five_questions import FiveQuestionsInput, place
from assistant.kb.base import KnowledgeBase

FORMS = ("en", "vi", "vi_nodiac")


def evaluate(kb: KnowledgeBase, path: Path) -> tuple[dict[str, float], list[dict]]:
    agent = Agent(kb)
    cases = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    rows: list[dict] = []
    for case in cases:
        right = {case["step"], *(case.get("also") or [])}
        placed: dict[str, str | None] = {}
        routed: dict[str, str] = {}
        for form in FORMS:
            text = case[form]
            conversation = f"eval-decision-{case['id']}-{form}"
            agent.memory.forget(conversation)
            route = agent.route(text, conversation)
            routed[form] = route.tool
            args = route.args if route.tool == "five_questions" else {"situation": text}
            lang = "en" if form == "en" else "vi"
            try:
                at, _ = place(FiveQuestionsInput(**args), agent.context(Request(), lang))
                placed[form] = at.ref
            except AssistantError:  # no step matches: asked back
                placed[form] = None
        rows.append({"id": case["id"], "want": case["step"], "also": case.get("also") or [],
                     "placed": placed, "routed": routed,
                     "right": {f: placed[f] in right for f in FORMS}})  # fmt: skip
    n = max(1, len(rows))
    metrics: dict[str, float] = {"decisions": float(len(rows))}
    metrics["step_accuracy"] = sum(sum(r["right"].values()) for r in rows) / (n * len(FORMS))
    for form in FORMS:
        metrics[f"step_accuracy_{form}"] = sum(r["right"][form] for r in rows) / n
    metrics["consistent"] = sum(len(set(r["placed"].values())) == 1 for r in rows) / n
    metrics["routed_to_five_questions"] = sum(
        sum(t == "five_questions" for t in r["routed"].values()) for r in rows
    ) / (n * len(FORMS))
    return metrics, rows
