"""Routing eval: each utterance must reach the expected tool with the expected arguments."""

from __future__ import annotations

from pathlib import Path

import yaml

from assistant.agent.registry import Registry
from assistant.agent.router import Router
from assistant.kb.base import KnowledgeBase


def evaluate(
    kb: KnowledgeBase, cases_files: list[Path], registry: Registry | None = None
) -> tuple[dict[str, float], list[dict]]:
    router = Router(kb.atlas(), registry or Registry())
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
