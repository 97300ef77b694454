"""Methodology QA: retrieval (hit@1, hit@5, MRR) and answers (fact recall, citations,
abstention, answer language).

Every question is answered by the methodology search and the offline composer, as `ask`
answers it once routed to search (routing has its own eval; `routed_to_search` says how
many of these questions the router sends there). An answer counts only in the question's
language: its facts are looked for in the answer text, which must itself be written in
that language (an English answer quoting Vietnamese passages is an answer in Vietnamese).
The passage a question needs is looked for in the returned units in both renderings, since
`passage` is written from the original.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, field_validator, model_validator

from assistant.agent.agent import Agent
from assistant.core.text import detect_lang, fold, nfc
from assistant.kb.base import KnowledgeBase
from assistant.methodology.answer import compose_search_answer
from assistant.methodology.search import Passage, SearchInput, search_methodology

_VI_WORD = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]")
# Share of words carrying Vietnamese letters above which a text is Vietnamese: most
# Vietnamese syllables carry one, an English text only in names (Nguyễn Dương, TGDĐ).
VI_WORD_SHARE = 0.2


class QACase(BaseModel):
    id: str
    lang: str  # the answer's language: "vi" for Vietnamese typed without accents or mixed
    written: str = ""  # as the set says: vi, en, vi-nodiac, mixed
    question: str
    answerable: bool = True
    doc_id: str = ""
    also: list[str] = []
    passage: list[str] = []
    facts: list[list[str]] = []

    @model_validator(mode="before")
    @classmethod
    def _written(cls, data: dict) -> dict:
        if isinstance(data, dict) and data.get("lang") in ("vi-nodiac", "mixed"):
            data = {**data, "written": data["lang"], "lang": "vi"}
        return data

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


def text_lang(text: str) -> str:
    """The language a text is written in, from the share of its words with Vietnamese
    letters (a question's language is told by `detect_lang`; an answer is longer)."""
    tokens = re.findall(r"[^\W\d_]+", nfc(text).lower())
    if not tokens:
        return "en"
    share = sum(bool(_VI_WORD.search(t)) for t in tokens) / len(tokens)
    return "vi" if share >= VI_WORD_SHARE else "en"


def passage_text(p: Passage) -> str:
    """A returned unit in both renderings, with the figures and tables it names."""
    parts = [p.quote, p.twin_quote, p.list_outline, *p.list_items]
    parts += [t for r in p.related for t in (r.quote, r.twin_quote)]
    return "\n".join(parts)


def evaluate(kb: KnowledgeBase, cases: list[QACase]) -> tuple[dict[str, float], list[dict]]:
    agent = Agent(kb)
    rows = []
    for case in cases:
        lang = detect_lang(case.question)
        out = search_methodology(
            SearchInput(question=case.question, k=kb.settings.cx_top_k, lang=lang), kb
        )
        rank = next(
            (i for i, p in enumerate(out.passages, 1) if _contains(passage_text(p), case.passage)),
            None,
        )
        answer = compose_search_answer(case.question, lang, out)
        answer_lang = text_lang(answer.answer)
        in_lang = answer.lang == case.lang and answer_lang == case.lang
        found = [in_lang and _contains(answer.answer, alts) for alts in case.facts]
        cited = any(
            _contains(f"{c.quote}\n{c.twin_quote or ''}", case.passage) for c in answer.citations
        )
        rows.append(
            {
                "id": case.id,
                "answerable": case.answerable,
                "abstained": not out.relevant,
                "lang": case.lang,
                "written": case.written or case.lang,
                "rank": rank,
                "facts_found": sum(found),
                "facts_total": len(found),
                "missing": [alts[0] for alts, ok in zip(case.facts, found, strict=True) if not ok],
                "cited": cited,
                "answer_lang": answer_lang if answer.lang == answer_lang else answer.lang,
                "routed": agent.route(case.question).tool,
                "answer": answer.answer,
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
        "routed_to_search": sum(r["routed"] == "search" for r in scoring) / n,
        "questions": float(len(rows)),
    }
    for written in sorted({r["written"] for r in scoring} - {"vi", "en"}):
        part = [r for r in scoring if r["written"] == written]
        metrics[f"hit_at_5_{written}"] = sum(r["rank"] is not None for r in part) / len(part)
        metrics[f"fact_recall_{written}"] = sum(r["facts_found"] for r in part) / max(
            1, sum(r["facts_total"] for r in part))
    return metrics, rows
