"""BM25 over Vietnamese syllables and syllable bigrams, with and without diacritics.

Two views of the same chunks: exact (NFC, lower-case) for queries typed with diacritics,
folded (diacritics stripped) for queries typed without them ("ban do hanh trinh") and for
English queries after glossary expansion.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from assistant.core.text import lexical_tokens

K1 = 1.5
B = 0.75


class _BM25:
    def __init__(self, docs: Sequence[list[str]]) -> None:
        self.n = len(docs)
        self.lengths = [len(d) for d in docs]
        self.avg = (sum(self.lengths) / self.n) if self.n else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, toks in enumerate(docs):
            for tok, tf in Counter(toks).items():
                self.postings.setdefault(tok, []).append((i, tf))

    def idf(self, token: str) -> float:
        """Rarity of a token across the texts; a token no text has gets the most."""
        df = len(self.postings.get(token, ()))
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: list[str]) -> dict[int, float]:
        out: dict[int, float] = {}
        for tok in set(query):
            plist = self.postings.get(tok)
            if not plist:
                continue
            idf = self.idf(tok)
            for i, tf in plist:
                norm = tf + K1 * (1 - B + B * self.lengths[i] / (self.avg or 1))
                out[i] = out.get(i, 0.0) + idf * tf * (K1 + 1) / norm
        return out


class LexicalIndex:
    """BM25 over texts; `search` returns (position, score) best first."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._exact = _BM25([lexical_tokens(t) for t in texts])
        self._folded = _BM25([lexical_tokens(t, folded=True) for t in texts])

    def idf(self, token: str) -> float:
        """Rarity of a diacritic-free, lower-case word across the texts."""
        return self._folded.idf(token)

    def knows(self, token: str) -> bool:
        """Whether any text has this diacritic-free token (word or `a_b` pair)."""
        return token in self._folded.postings

    def search(self, query: str, n: int, *, folded: bool) -> list[tuple[int, float]]:
        index = self._folded if folded else self._exact
        scores = index.scores(lexical_tokens(query, folded=folded))
        return sorted(scores.items(), key=lambda kv: -kv[1])[:n]
