"""Dialogue eval: multi-turn conversations, each turn with the expected tool, act, answer
language and the complete frame of filters after it (evals/dialogues_heldout.yaml, written
blind; evals/data/dialogues_train.yaml is another writer's set, used for training).

Each turn is understood in its conversation as every surface understands it (the agent's
frame layer) without running the tools, so the set stays fast. A dialogue is handled whole
when every turn has the right tool, language and filters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assistant.agent.agent import Agent
from assistant.agent.memory import Turn
from assistant.agent.router import HELP, OUT_OF_SCOPE
from assistant.kb.base import KnowledgeBase

FILTER_KEYS = ("journey", "step", "aspect", "segment", "persona", "start", "end", "min_rating",
               "max_rating")  # fmt: skip
_NO_FILTERS = ("search", HELP, OUT_OF_SCOPE, "clarify")


def _shown(filters: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in filters.items() if k in FILTER_KEYS and v is not None}


def evaluate(kb: KnowledgeBase, path: Path) -> tuple[dict[str, float], list[dict]]:
    agent = Agent(kb)
    dialogues = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    rows: list[dict] = []
    turns = right_turns = right_acts = 0
    step_turns = right_steps = 0  # turns where a step is expected or given
    for dialogue in dialogues:
        conversation = f"eval-{dialogue['id']}"
        agent.memory.forget(conversation)
        results = []
        for turn in dialogue["turns"]:
            want = turn["expect"]
            route = agent.route(turn["user"], conversation)
            clarify = route.act == "clarify"
            tool = "clarify" if clarify else route.tool
            frame = None if clarify or tool in (HELP, OUT_OF_SCOPE) else route.frame
            filters = {} if tool in _NO_FILTERS or frame is None else _shown(frame.filters)
            lang = frame.lang if frame is not None else want["lang"]  # not shown by help
            ok = (tool == want["tool"] and filters == _shown(want.get("filters") or {})
                  and lang == want["lang"])  # fmt: skip
            turns += 1
            right_turns += ok
            right_acts += route.act == want.get("act")
            want_step = (want.get("filters") or {}).get("step")
            if want_step or filters.get("step"):
                step_turns += 1
                right_steps += filters.get("step") == want_step
            results.append({"user": turn["user"], "ok": ok, "want": want,
                            "got": {"tool": tool, "act": route.act, "lang": lang,
                                    "filters": filters}})  # fmt: skip
            agent.memory.add(conversation, Turn(turn["user"], "", route.tool, route.args, frame))
        rows.append({"id": dialogue["id"], "whole": all(r["ok"] for r in results),
                     "turns": results})  # fmt: skip
    n = len(rows) or 1
    return {
        "dialogues": float(len(rows)),
        "handled_whole": sum(r["whole"] for r in rows) / n,
        "turn_accuracy": right_turns / max(1, turns),
        "act_accuracy": right_acts / max(1, turns),
        "step_turns": float(step_turns),
        "step_accuracy": right_steps / max(1, step_turns),
    }, rows
