"""Hybrid retrieval: dense (Chroma) and lexical (BM25) fused by reciprocal rank."""

from __future__ import annotations

from typing import Any

from assistant.knowledge.glossary import expand_query
from assistant.knowledge.lexical import LexicalIndex
from assistant.knowledge.store import ChunkStore
from assistant.knowledge.types import Chunk, Embedder, Hit
from assistant.text import has_diacritics

RRF_K = 60
CANDIDATES = 30
# Dense ranks weigh more than lexical ones: e5 ranks paraphrases and cross-language
# questions well, BM25 adds exact terms (names, numbers, rare words).
DENSE_WEIGHT = 1.5
LEXICAL_WEIGHT = 1.0


def _matches(chunk: Chunk, where: dict[str, Any] | None) -> bool:
    """The subset of Chroma's `where` syntax we use: {field: value} and {field: {"$in": [...]}}."""
    if not where:
        return True
    meta = chunk.metadata()
    for key, cond in where.items():
        value = meta.get(key)
        if isinstance(cond, dict):
            if "$in" in cond and value not in cond["$in"]:
                return False
            if "$eq" in cond and value != cond["$eq"]:
                return False
        elif value != cond:
            return False
    return True


class HybridRetriever:
    """Searches one ChunkStore. The lexical index is built once from the stored chunks."""

    @property
    def chunks(self) -> list[Chunk]:
        """Every stored chunk, in reading order."""
        return self._chunks

    def __init__(self, store: ChunkStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder
        self._chunks = store.all_chunks()
        self._lexical = LexicalIndex([c.lexical_text() for c in self._chunks])
        self._by_group: dict[str, list[Chunk]] = {}
        for c in self._chunks:
            if c.group:
                self._by_group.setdefault(c.group, []).append(c)

    @property
    def size(self) -> int:
        return len(self._chunks)

    def search(self, query: str, k: int = 5, where: dict[str, Any] | None = None) -> list[Hit]:
        """The k best chunks for the query; a list's other chunks come along as siblings."""
        if not self._chunks or not query.strip():
            return []
        expanded = expand_query(query)
        dense = self._store.query(self._embedder.embed_query(expanded), CANDIDATES, where)
        lexical = [
            (self._chunks[i], s)
            for i, s in self._lexical.search(
                expanded, CANDIDATES * 2, folded=not has_diacritics(query)
            )
            if _matches(self._chunks[i], where)
        ][:CANDIDATES]

        fused: dict[str, Hit] = {}
        for rank, (chunk, cos) in enumerate(dense):
            hit = fused.setdefault(chunk.id, Hit(chunk=chunk, score=0.0))
            hit.score += DENSE_WEIGHT / (RRF_K + rank + 1)
            hit.dense = cos
        for rank, (chunk, bm25) in enumerate(lexical):
            hit = fused.setdefault(chunk.id, Hit(chunk=chunk, score=0.0))
            hit.score += LEXICAL_WEIGHT / (RRF_K + rank + 1)
            hit.lexical = bm25

        ranked = sorted(fused.values(), key=lambda h: -h.score)
        out: list[Hit] = []
        seen_groups: set[str] = set()
        for hit in ranked:
            group = hit.chunk.group
            if group:
                if group in seen_groups:
                    continue  # already returned with its list
                seen_groups.add(group)
                hit.siblings = self._by_group[group]
            out.append(hit)
            if len(out) == k:
                break
        return out
