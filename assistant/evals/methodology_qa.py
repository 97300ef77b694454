"""Methodology QA: retrieval (hit@1, hit@5, MRR) and answers (fact recall, citations)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, field_validator

from assistant.agent.agent import Agent
from assistant.knowledge.base import KnowledgeBase
from assistant.text import fold
from assistant.tools.search import SearchInput, search_methodology


class QACase(BaseModel):
    id: str
    lang: str
    question: str
    answerable: bool = True
    doc_id: str = ""
    passage: list[str] = []
    facts: list[list[str]] = []

    @field_validator("passage", mode="before")
    @classmethod
    def _one_or_many(cls, v: str | list[str]) -> list[str]:
        return [v] if isinstance(v, str) else v

    @field_validator("facts", mode="before")
    @classmethod
    def _alternatives(cls, v: list[str | list[str]]) -> list[list[str]]:
        return [[str(f)] if not isinstance(f, list) else [str(x) for x in f] for f in v]


def load_cases(path: Path) -> list[QACase]:
    return [QACase.model_validate(c) for c in yaml.safe_load(path.read_text(encoding="utf-8"))]


def _contains(text: str, needles: list[str]) -> bool:
    hay = fold(text)
    return any(fold(n) in hay for n in needles)


def evaluate(kb: KnowledgeBase, cases: list[QACase]) -> tuple[dict[str, float], list[dict]]:
    agent = Agent(kb)
    rows = []
    for case in cases:
        out = search_methodology(SearchInput(question=case.question, k=5), kb)
        rank = next(
            (
                i
                for i, p in enumerate(out.passages, 1)
                # A list is returned as a unit: a hit on any of its chunks finds the passage.
                if _contains("\n".join([p.quote, p.list_outline, *p.list_items]), case.passage)
            ),
            None,
        )
        answer = agent.ask(case.question)
        found = [any(_contains(answer.answer, [f]) for f in alts) for alts in case.facts]
        cited = any(_contains(c.quote, case.passage) for c in answer.citations)
        rows.append(
            {
                "id": case.id,
                "answerable": case.answerable,
                "abstained": not out.relevant,
                "lang": case.lang,
                "rank": rank,
                "facts_found": sum(found),
                "facts_total": len(found),
                "missing": [alts[0] for alts, ok in zip(case.facts, found, strict=True) if not ok],
                "cited": cited,
                "answer_lang": answer.lang,
            }
        )
    scoring = [r for r in rows if r["answerable"]]
    n = len(scoring) or 1
    metrics = {
        "hit_at_1": sum(r["rank"] == 1 for r in scoring) / n,
        "hit_at_5": sum(r["rank"] is not None for r in scoring) / n,
        "mrr": sum(1 / r["rank"] for r in scoring if r["rank"]) / n,
        "fact_recall": sum(r["facts_found"] for r in scoring)
        / max(1, sum(r["facts_total"] for r in scoring)),
        "citation_rate": sum(r["cited"] for r in scoring) / n,
        # Answers when it should, says "nothing found" when it should.
        "abstention_accuracy": sum(r["abstained"] != r["answerable"] for r in rows)
        / max(1, len(rows)),
        "answer_language_match": sum(r["answer_lang"] == r["lang"] for r in rows)
        / max(1, len(rows)),
        "questions": float(len(rows)),
    }
    return metrics, rows
