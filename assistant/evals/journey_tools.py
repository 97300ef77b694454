"""Journey-tool eval: each case runs a tool and checks paths of its JSON output.

A case may say:
- `expect: {path: value}`: the value at the path ('a.b[0].c', 'a[*].b' for a list);
- `one_of: {path: [values]}`: one of those;
- `at_most: {path: bound}`: every number at the path (a list's elements; None skipped) is at
  most the bound, a number or another path ('kpis[*].n': total). A path written 'sum:PATH'
  stands for the sum of the numbers there ('sum:emotion_curve[*].records': total).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from assistant.agent.agent import Agent, Request
from assistant.agent.registry import Registry
from assistant.kb.base import KnowledgeBase


class _Missing:
    """What a path names that the output lacks ("delights[0]" of an empty list): a case that
    wants it fails, the eval goes on."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


def get_path(data: Any, path: str) -> Any:
    """'a.b[0].c' or 'a[*].b' (a list of every element's b); MISSING where there is none."""
    parts = re.findall(r"[^.\[\]]+|\[\*\]|\[\d+\]", path)
    for i, part in enumerate(parts):
        if part == "[*]":
            rest = ".".join(parts[i + 1 :]).replace(".[", "[")
            return [get_path(x, rest) if rest else x for x in data]
        try:
            data = data[int(part[1:-1])] if part.startswith("[") else data[part]
        except (IndexError, KeyError, TypeError):
            return MISSING
    return data


def _numbers(data: Any, path: str) -> list[float]:
    if path.startswith("sum:"):
        return [sum(_numbers(data, path[4:]))]
    got = get_path(data, path)
    items = got if isinstance(got, list) else [got]
    return [x for x in items if x is not None and x is not MISSING]


def _bound(data: Any, bound: Any) -> float:
    return bound if isinstance(bound, int | float) else _numbers(data, str(bound))[0]


def evaluate(
    kb: KnowledgeBase, cases_file: Path, registry: Registry | None = None
) -> tuple[dict[str, float], list[dict]]:
    registry = registry or Registry()
    agent = Agent(kb, registry)  # its context places a situation as `ask` does
    cases = yaml.safe_load(cases_file.read_text(encoding="utf-8"))
    rows = []
    for case in cases:
        args = dict(case["input"])
        ctx = agent.context(Request(), args.pop("lang", "vi"))
        out = registry.get(case["tool"]).run(args, ctx).model_dump(mode="json")
        failures = []
        for path, want in (case.get("expect") or {}).items():
            got = get_path(out, path)
            if got != want:
                failures.append(f"{path}: got {got!r}, want {want!r}")
        for path, options in (case.get("one_of") or {}).items():
            got = get_path(out, path)
            if got not in options:
                failures.append(f"{path}: got {got!r}, want one of {options!r}")
        for path, bound in (case.get("at_most") or {}).items():
            limit = _bound(out, bound)
            over = [x for x in _numbers(out, path) if x > limit]
            if over:
                failures.append(f"{path}: {over} over {bound} = {limit}")
        rows.append({"id": case["id"], "tool": case["tool"], "ok": not failures,
                     "failures": failures})  # fmt: skip
    metrics: dict[str, float] = {"cases": float(len(rows))}
    for tool in dict.fromkeys(r["tool"] for r in rows):
        mine = [r for r in rows if r["tool"] == tool]
        if mine:
            metrics[f"{tool}_accuracy"] = sum(r["ok"] for r in mine) / len(mine)
    return metrics, rows
