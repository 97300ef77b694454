"""Filter-parser eval: each request's parsed filters against the blind cases' `expect`.

A case passes when every field equals its expected value, and every field the case does not
name is absent (None, or an empty `unsupported`). `unsupported` compares as a set. Besides
the per-case accuracy, each field gets its own accuracy over all cases.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from assistant.feedback.request_filters import ParsedFilters, parse_filters
from assistant.feedback.segments import SegmentBook, load_segments

FIELDS = ("start", "end", "min_rating", "max_rating", "segment", "unsupported")


class FilterCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    reference: date | None = None
    expect: dict[str, Any] = Field(default_factory=dict)


def load_cases(path: Path) -> list[FilterCase]:
    return [FilterCase(**c) for c in yaml.safe_load(path.read_text(encoding="utf-8")) or []]


def _normalise(name: str, value: Any) -> Any:
    if name == "unsupported":
        return sorted(value or [])
    if name in ("start", "end") and value is not None:
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


def compare(case: FilterCase, got: ParsedFilters) -> dict[str, tuple[Any, Any]]:
    """field -> (got, want) for every field that differs."""
    wrong = {}
    for name in FIELDS:
        want = _normalise(name, case.expect.get(name))
        have = _normalise(name, getattr(got, name))
        if have != want:
            wrong[name] = (have, want)
    return wrong


def evaluate(
    cases_path: Path, book: SegmentBook | None = None
) -> tuple[dict[str, float], list[dict]]:
    """(metrics, one row per case): `accuracy` (all fields right) and `<field>_accuracy`."""
    book = book if book is not None else load_segments()
    cases = load_cases(cases_path)
    rows = []
    field_ok = dict.fromkeys(FIELDS, 0)
    for case in cases:
        got = parse_filters(case.text, case.reference, book=book)
        wrong = compare(case, got)
        for name in FIELDS:
            field_ok[name] += name not in wrong
        rows.append({
            "text": case.text,
            "ok": not wrong,
            "failures": [f"{k}: got {g!r}, want {w!r}" for k, (g, w) in wrong.items()],
        })  # fmt: skip
    n = len(cases) or 1
    metrics: dict[str, float] = {
        "cases": float(len(cases)),
        "accuracy": sum(r["ok"] for r in rows) / n,
    }
    metrics |= {f"{name}_accuracy": field_ok[name] / n for name in FIELDS}
    return metrics, rows
