"""Routing eval: each utterance must reach the expected tool with the expected arguments.

Two kinds of files: the project's earlier sets (`tool`, `args`, `clarify`), routed by the
router alone; and the held-out set written blind by a writer whose utterances were never
trained on (`intent`, `args`, `lang`, `style`), routed as `ask` routes a first request
(intent model, slots, clarifying question when unsure). A clarifying question counts as a
miss there: the held-out utterances all have an intent.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import yaml

from assistant.agent.agent import Agent
from assistant.agent.registry import Registry
from assistant.agent.router import Router
from assistant.kb.base import KnowledgeBase


def evaluate(
    kb: KnowledgeBase, cases_files: list[Path], registry: Registry | None = None
) -> tuple[dict[str, float], list[dict]]:
    agent = Agent(kb, registry or Registry())
    router: Router = agent.router
    cases = [c for f in cases_files for c in yaml.safe_load(f.read_text(encoding="utf-8"))]
    rows = []
    for case in cases:
        route = router.route(case["text"])
        tool_ok = route.tool == case["tool"]
        want = case.get("args") or {}
        args_ok = all(route.args.get(k) == v for k, v in want.items())
        clarify_ok = bool(route.clarify) == bool(case.get("clarify", False))
        rows.append({
            "text": case["text"], "tool_ok": tool_ok, "args_ok": args_ok and clarify_ok,
            "got": {"tool": route.tool, "args": route.args, "clarify": route.clarify},
        })  # fmt: skip
    n = len(rows) or 1
    return {
        "utterances": float(len(rows)),
        "tool_accuracy": sum(r["tool_ok"] for r in rows) / n,
        "tool_and_args_accuracy": sum(r["tool_ok"] and r["args_ok"] for r in rows) / n,
    }, rows


ARG_KEYS = ("journey", "aspect", "persona", "segment")


def evaluate_heldout(kb: KnowledgeBase, path: Path) -> tuple[dict[str, float], list[dict]]:
    """The held-out utterances (`intent`, optional `args`), routed as a first request (a
    set's follow-ups, `followup: true`, need an answer before them: left out here)."""
    agent = Agent(kb)
    cases = [c for c in yaml.safe_load(path.read_text(encoding="utf-8")) or []
             if not c.get("followup")]  # fmt: skip
    rows = []
    for case in cases:
        route = agent.route(case["text"])
        got_tool = "clarify" if route.clarify and route.act == "clarify" else route.tool
        filters = route.frame.filters if route.frame is not None else {}
        want = case.get("args") or {}
        args_ok = all(filters.get(k) == v for k, v in want.items()) and not any(
            k in filters for k in ARG_KEYS if k not in want and k != "journey"
        )
        rows.append({
            "text": case["text"], "lang": case.get("lang", ""), "style": case.get("style", ""),
            "tool_ok": got_tool == case["intent"], "args_ok": args_ok,
            "want": {"tool": case["intent"], "args": want},
            "got": {"tool": got_tool, "args": {k: v for k, v in filters.items() if k in ARG_KEYS},
                    "confidence": round(route.confidence, 3)},
        })  # fmt: skip
    n = len(rows) or 1
    metrics = {
        "utterances": float(len(rows)),
        "tool_accuracy": sum(r["tool_ok"] for r in rows) / n,
        "args_accuracy": sum(r["args_ok"] for r in rows) / n,
        "tool_and_args_accuracy": sum(r["tool_ok"] and r["args_ok"] for r in rows) / n,
        "clarified": sum(r["got"]["tool"] == "clarify" for r in rows) / n,
    }
    by: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        by[f"lang_{r['lang']}"].append(r["tool_ok"])
        by[f"style_{r['style']}"].append(r["tool_ok"])
    metrics |= {f"tool_accuracy_{k}": sum(v) / len(v) for k, v in sorted(by.items())}
    return metrics, rows
