"""Methodology search: the passages that answer a question, with their scores."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.glossary import expand_query
from assistant.knowledge.types import Hit
from assistant.text import EN_STOP, VI_STOP, fold, words

# Words that say nothing about the topic of a question.
_STOP = EN_STOP | VI_STOP


class SearchInput(BaseModel):
    """A question about the CX methodology."""

    question: str = Field(description="The question, in Vietnamese or English.")
    k: int = Field(5, ge=1, le=20, description="How many passages to return.")


class Passage(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    section: str
    kind: str
    quote: str = Field(description="The chunk's text, verbatim from the source.")
    score: float = Field(description="Fused retrieval score (reciprocal rank).")
    dense: float = Field(description="Cosine similarity of the chunk to the question.")
    coverage: float = Field(description="Share of the question's content words in the chunk.")
    role: str
    group: str = ""
    list_outline: str = Field("", description="Outline of the list the passage is in, if any.")
    list_items: list[str] = Field(
        default_factory=list, description="Every chunk of items of that list, in order."
    )


class SearchOutput(BaseModel):
    question: str
    relevant: bool = Field(description="Whether the best passage is close enough to answer.")
    passages: list[Passage]


def _coverage(question: str, text: str) -> float:
    q = {t for t in words(fold(expand_query(question))) if t not in _STOP and len(t) > 1}
    if not q:
        return 0.0
    return len(q & set(words(fold(text)))) / len(q)


def _passage(hit: Hit, question: str) -> Passage:
    c = hit.chunk
    return Passage(
        chunk_id=c.id,
        doc_id=c.doc_id,
        title=c.title,
        section=c.section,
        kind=c.kind,
        quote=c.text,
        score=round(hit.score, 6),
        dense=round(hit.dense, 4),
        coverage=round(_coverage(question, f"{c.section} {c.text}"), 3),
        role=c.role,
        group=c.group,
        list_outline=next((s.text for s in hit.siblings if s.role == "list_outline"), ""),
        list_items=[s.text for s in hit.siblings if s.role == "list_items"],
    )


def search_methodology(inp: SearchInput, kb: KnowledgeBase) -> SearchOutput:
    """Find the methodology passages that answer a question (hybrid dense + lexical search).

    A passage counts as relevant when its cosine similarity to the question reaches the
    configured minimum (CX_MIN_RELEVANCE), or comes close to it while containing most of the
    question's content words.
    """
    hits = kb.retriever("methodology").search(inp.question, k=inp.k)
    passages = [_passage(h, inp.question) for h in hits]
    floor = kb.settings.cx_min_relevance
    relevant = any(
        p.dense >= floor or (p.coverage >= 0.6 and p.dense >= floor - 0.03) for p in passages[:3]
    )
    return SearchOutput(question=inp.question, relevant=relevant, passages=passages)
