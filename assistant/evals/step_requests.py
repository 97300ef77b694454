"""Step-request eval: requests that describe one journey step in their own words (or none),
each understood as a first request is (slots, the step model, similarity to the atlas).

Written blind from the list of steps (evals/README.md, writers S, T and U): S's requests
train the step model, T's are reported as development data and U's are held out, never read.
A request about no step (the whole journey, an aspect, a group) must get none.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from assistant.agent.agent import Agent
from assistant.kb.base import KnowledgeBase


def evaluate(kb: KnowledgeBase, path: Path) -> tuple[dict[str, float], list[dict]]:
    agent = Agent(kb)
    cases = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    rows: list[dict] = []
    for i, case in enumerate(cases):
        conversation = f"eval-step-{i}"
        agent.memory.forget(conversation)
        route = agent.route(case["text"], conversation)
        filters = route.frame.filters if route.frame is not None else {}
        rows.append({"text": case["text"], "want": case["step"], "step": filters.get("step"),
                     "journey": filters.get("journey")})  # fmt: skip
    described = [r for r in rows if r["want"]]
    stepless = [r for r in rows if not r["want"]]
    n, m = max(1, len(described)), max(1, len(stepless))
    return {
        "requests": float(len(rows)),
        "step_recall": sum(r["step"] == r["want"] for r in described) / n,
        "wrong_step_rate": sum(r["step"] not in (None, r["want"]) for r in described) / n,
        "journey_accuracy": sum(r["journey"] == r["want"].split(".")[0] for r in described) / n,
        "stepless_kept": sum(r["step"] is None for r in stepless) / m,
    }, rows
