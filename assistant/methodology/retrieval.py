"""Hybrid retrieval of whole units in the question's language.

Three rankings of the chunks in the rendering of the question's language (the English one
for an English question, the Vietnamese original for a Vietnamese one) are fused by
reciprocal rank at the level of units (every chunk of a `group`, see chunking.py): dense
similarity (Chroma), BM25 (syllables and bigrams), and coverage of the question's rare
words. Results are whole units; the same unit in the other rendering (same ids but for
`@<lang>`) and the figures or tables a unit names are a call away.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from assistant.core.text import (
    EN_STOP,
    VI_STOP,
    detect_lang,
    fold,
    has_diacritics,
    is_vi_syllable,
    lexical_tokens,
    stem,
    words,
)
from assistant.index.store import ChunkStore
from assistant.index.types import Chunk, Embedder, Hit
from assistant.methodology.accents import AccentRestorer
from assistant.methodology.chunking import CAPTION
from assistant.methodology.glossary import expand_query
from assistant.methodology.lexical import LexicalIndex
from assistant.methodology.loaders import localized_id, split_lang

RRF_K = 30
CANDIDATES = 60  # units per ranking
# Dense similarity ranks paraphrases best; BM25 and coverage of the question's rare words
# add exact terms (names, numbers, rare words).
DENSE_WEIGHT = 1.25
# A Vietnamese question with English words in it: the English rendering's BM25 of those
# words, and the question's similarity to the English passages, are two more voices.
ENGLISH_WEIGHT = 1.0
PAIR_WEIGHT = 0.5  # a word pair adds to its words, it does not replace them
# Words that say nothing about a question's topic, diacritic-free (a question typed without
# diacritics cannot tell "đồ" from "đó"), and the same Vietnamese ones as written: with its
# diacritics, "thể" (in "thể hiện") is no longer the English "the", nor "cần" "can".
STOP_WORDS = (
    EN_STOP
    | VI_STOP
    | frozenset(
        "according article author say says said mention mentions list lists describe "
        "explain tell give show please theo bai viet tac gia "
        # words that frame a question rather than name its topic
        "contain contains include includes involve involves mean means cover covers "
        "work works need needs make makes get take happen happens differ compare "
        "example examples important matter matters actually really exactly usually".split()
    )
)
VI_STOP_WRITTEN = frozenset(
    "là gì của và các những một có được cho trong với thế nào như không này đó ai theo bài "
    "viết tác giả".split()
)

_REFERENCE = re.compile(r"\b(bảng|hình|table|figure)\s+(\d{1,2})\b", re.I)
_LABEL_KIND = {"bảng": "table", "table": "table", "hình": "figure", "figure": "figure"}


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


@lru_cache(maxsize=8192)
def token_set(text: str) -> frozenset[str]:
    """A text's diacritic-free tokens and token pairs (`lexical_tokens(text, folded=True)`),
    cached: the same passages are measured against every question."""
    return frozenset(lexical_tokens(text, folded=True))


def unit_id(chunk: Chunk) -> str:
    """The unit a chunk belongs to, the same in every rendering."""
    return split_lang(chunk.group or chunk.id)[0]


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
        self._by_id = {c.id: c for c in self._chunks}
        self._words = {c.id: token_set(c.lexical_text()) for c in self._chunks}
        self._units: dict[str, list[Chunk]] = {}  # localized unit id -> its chunks, in order
        for c in self._chunks:
            self._units.setdefault(c.group or c.id, []).append(c)
        self._refs = self._references()
        self._vocab: dict[str, set[str]] = {}
        self._own_ids: dict[str, set[str]] = {}
        self._accents: AccentRestorer | None = None
        self._english_ids: set[str] | None = None
        self._unit_en: dict[str, frozenset[str]] = {}
        self._spelt: dict[str, str] = {}

    @property
    def size(self) -> int:
        return len(self._chunks)

    def _references(self) -> dict[str, list[str]]:
        """Unit -> the captioned figures and tables of its article that it names ("xem Hình
        1", "nêu trong Bảng 3"), read from the original."""
        captions: dict[tuple[str, str, str], str] = {}
        for key, chunks in self._units.items():
            if split_lang(key)[1] is None and (m := CAPTION.match(chunks[0].text)):
                word = m.group(0).split()[0].lower()
                captions[(chunks[0].doc_id, _LABEL_KIND[word], m.group(1))] = key
        refs: dict[str, list[str]] = {}
        for key, chunks in self._units.items():
            if split_lang(key)[1] is not None:
                continue
            for c in chunks:
                for m in _REFERENCE.finditer(c.text):
                    label = (c.doc_id, _LABEL_KIND[m.group(1).lower()], m.group(2))
                    target = captions.get(label)
                    if target and target != key and target not in refs.get(key, []):
                        refs.setdefault(key, []).append(target)
        return refs

    def localize(self, chunk_id: str, lang: str | None) -> Chunk | None:
        """A chunk in the rendering asked for, or in the original when there is none."""
        base = split_lang(chunk_id)[0]
        return self._by_id.get(localized_id(base, lang)) or self._by_id.get(base)

    def unit(self, unit: str, lang: str | None) -> list[Chunk]:
        """Every chunk of a unit, in order, in the rendering asked for (or the original)."""
        return self._units.get(localized_id(unit, lang)) or self._units.get(unit, [])

    def idf(self, word: str) -> float:
        """Rarity of a diacritic-free word in the indexed chunks (unknown words: the most)."""
        return self._lexical.idf(word)

    def knows(self, token: str, lang: str | None = None) -> bool:
        """Whether any indexed chunk (in the rendering of language `lang`, if given) has
        this diacritic-free word or word pair: "pho" is Vietnamese ("phổ biến"), an English
        question about pho is not about the corpus."""
        if lang is None:
            return self._lexical.knows(token)
        if lang not in self._vocab:
            mine = [c for c in self._chunks if self._own(c, lang)]
            self._vocab[lang] = {t for c in mine for t in self._words[c.id]}
        return token in self._vocab[lang]

    def _own(self, chunk: Chunk, lang: str) -> bool:
        """Whether a chunk is in the rendering of `lang` (or in the original, if the unit
        has no such rendering)."""
        if lang not in self._own_ids:
            self._own_ids[lang] = {
                c.id for c in self._chunks if (self.localize(c.id, lang) or c).id == c.id
            }
        return chunk.id in self._own_ids[lang]

    def expand(self, query: str, lang: str) -> str:
        """The query with the glossary's names, in `lang`, of the terms it names: those
        of the other language too that the rendering in `lang` writes as they are."""
        return expand_query(query, into=lang, used=lambda term: self.writes(term, lang))

    def writes(self, term: str, lang: str) -> bool:
        """Whether the rendering in `lang` has the term, spelt the same (case aside)."""
        if lang not in self._spelt:
            texts = [c.lexical_text() for c in self._chunks if self._own(c, lang)]
            self._spelt[lang] = " \n ".join(" ".join(words(t)) for t in texts)
        return f" {' '.join(words(term))} " in self._spelt[lang]

    def restore_accents(self, text: str) -> str:
        """Vietnamese typed without diacritics, with those the original articles give its
        words (see accents.py); built on first use."""
        if self._accents is None:
            originals = [c for c in self._chunks if split_lang(c.id)[1] is None]
            self._accents = AccentRestorer(t for c in originals for t in (c.section, c.text) if t)
        return self._accents.restore(text)

    @property
    def _in_english(self) -> set[str]:
        """Ids of the chunks of the English rendering."""
        if self._english_ids is None:
            self._english_ids = {c.id for c in self._chunks if split_lang(c.id)[1] == "en"}
        return self._english_ids

    def _english_words(self, chunk: Chunk) -> frozenset[str]:
        """The tokens of the English rendering of a chunk's unit (none: empty)."""
        unit = unit_id(chunk)
        if unit not in self._unit_en:
            chunks = self._units.get(localized_id(unit, "en"), [])
            self._unit_en[unit] = frozenset().union(*(self._words[c.id] for c in chunks))
        return self._unit_en[unit]

    def english_words(self, text: str) -> str:
        """The English words of a Vietnamese question, in order: words the English rendering
        uses that cannot be a Vietnamese syllable or that the original never uses
        ("touchpoint", "pain", "CJM"), and the English words between two of them ("moment
        of truth"). Empty when none of them is a word the original lacks."""
        toks = words(text)
        english = [
            not has_diacritics(t) and not t.isdigit() and t not in EN_STOP
            and self.knows(stem(t), "en")
            and (not is_vi_syllable(t) or not self.knows(t, "vi"))
            for t in toks
        ]  # fmt: skip
        keep = [
            ok or (0 < i < len(toks) - 1 and english[i - 1] and english[i + 1] and t in EN_STOP)
            for i, (t, ok) in enumerate(zip(toks, english, strict=True))
        ]
        said = [t for t, k in zip(toks, keep, strict=True) if k]
        # Only words the original never uses make a question code-switched: "CJM", "CX" and
        # "persona" are the original's own words too, and match there already.
        if not any(t not in EN_STOP and not self.knows(stem(t), "vi") for t in said):
            return ""
        return " ".join(said)

    def references(self, unit: str) -> list[str]:
        """The figures and tables a unit names, as unit ids."""
        return self._refs.get(unit, [])

    def search(
        self,
        query: str,
        k: int = 5,
        where: dict[str, Any] | None = None,
        lang: str | None = None,
    ) -> list[Hit]:
        """The k best units for the query, in language `lang` (default: the query's).

        Each hit's `chunk` is the unit's best-matching chunk, its `siblings` the whole unit."""
        if not self._chunks or not query.strip():
            return []
        lang = lang or detect_lang(query)
        typed = query
        if lang == "vi" and not has_diacritics(query):
            query = self.restore_accents(query)  # what the embedder reads as Vietnamese
        # The embedding sees the question in its own language (with the diacritics of the
        # glossary terms typed without them): other-language terms would pull it towards
        # the other rendering.
        vector = self._embedder.embed_query(expand_query(query, into=lang))
        pool = min(self.size, CANDIDATES)

        def own(chunk: Chunk) -> bool:
            return self._own(chunk, lang)

        # Only the rendering in the question's language is ranked: similarities are not
        # comparable across languages (e5 puts Vietnamese passages closer to any query),
        # and the translation of a match is the same unit anyway.
        candidates = [c for c in self._chunks if own(c) and _matches(c, where)]
        docs = sorted({c.doc_id for c in candidates})
        in_lang = {"doc_id": {"$in": docs}} if docs else None
        scope = {"$and": [where, in_lang]} if where and in_lang else where or in_lang
        dense = [(c, cos) for c, cos in self._store.query(vector, pool, scope) if own(c)]
        lexical = [
            (self._chunks[i], s)
            for i, s in self._lexical.search(
                expand_query(typed), pool * 2, folded=not has_diacritics(typed)
            )
            if own(self._chunks[i]) and _matches(self._chunks[i], where)
        ]
        # English CX terms inside a Vietnamese question ("workshop với internal stakeholder"):
        # the English rendering says them as typed, the original only under Vietnamese
        # names, so they are looked for there too, and its units count as the original's.
        said_in_english = [
            (c, sc)
            for i, sc in self._lexical.search(english, pool * 2, folded=True)
            if (c := self._chunks[i]).id in self._in_english and _matches(c, where)
        ] if lang != "en" and (english := self.english_words(query)) else []  # fmt: skip
        wanted = QueryTerms(query, self, lang)
        # ... and count as covered where the unit's English rendering has them.
        also = token_set(english) if said_in_english else frozenset()
        covered = sorted(
            ((c, wanted.coverage_of(self._words[c.id] | (self._english_words(c) & also)))
             for c in candidates),
            key=lambda x: -x[1],
        )  # fmt: skip
        covered = [x for x in covered if x[1] > 0]

        # Reciprocal-rank fusion of units: a unit ranks where its best chunk ranks in each
        # list. Within a unit, the chunk with the best fused rank is the one shown first.
        unit_score: dict[str, float] = {}
        chunk_score: dict[str, float] = {}
        cosine: dict[str, float] = {}
        rankings = [(dense, DENSE_WEIGHT), (lexical, 1.0), (covered, 1.0)]
        if said_in_english:
            rankings.append((said_in_english, ENGLISH_WEIGHT))
            # and the question's meaning among the English passages: a ranking within one
            # rendering, so the cross-language gap in similarity does not matter
            en_docs = sorted({c.doc_id for c in self._chunks if c.id in self._in_english})
            en_scope = {"doc_id": {"$in": en_docs}}
            en_dense = self._store.query(vector, pool, en_scope)
            rankings.append(([x for x in en_dense if x[0].id in self._in_english], ENGLISH_WEIGHT))
        for ranked, weight in rankings:
            seen: set[str] = set()
            for rank, (chunk, _) in enumerate(ranked):
                chunk_score[chunk.id] = chunk_score.get(chunk.id, 0.0) + weight / (RRF_K + rank + 1)
                unit = unit_id(chunk)
                if unit not in seen:
                    seen.add(unit)
                    unit_score[unit] = unit_score.get(unit, 0.0) + weight / (RRF_K + len(seen))
                    if len(seen) == CANDIDATES:
                        break
        for chunk, cos in dense:
            unit = unit_id(chunk)
            cosine[unit] = max(cosine.get(unit, 0.0), cos)
        lex_score = {c.id: s for c, s in lexical}

        out: list[Hit] = []
        for unit in sorted(unit_score, key=lambda u: -unit_score[u])[:k]:
            chunks = self.unit(unit, lang)
            best = max(chunks, key=lambda c: chunk_score.get(c.id, 0.0))
            out.append(
                Hit(
                    chunk=best,
                    score=unit_score[unit],
                    dense=cosine.get(unit, 0.0),
                    lexical=lex_score.get(best.id, 0.0),
                    siblings=chunks if best.group else [],
                )
            )
        return out


class QueryTerms:
    """A question's content words and word pairs (diacritic-free, English stemmed), each
    weighted by its rarity in the corpus: a passage that holds the rare words of a question
    speaks to it. Pairs count because Vietnamese words are mostly two syllables ("nghiên
    cứu" says more than "nghiên" and "cứu")."""

    def __init__(self, question: str, retriever: HybridRetriever, lang: str | None = None) -> None:
        written = words(question)
        toks = [stem(fold(w)) for w in written]
        keep = [
            len(t) > 1
            and (w not in VI_STOP_WRITTEN if has_diacritics(w) else fold(w) not in STOP_WORDS)
            for w, t in zip(written, toks, strict=True)
        ]
        self.weights = {t: retriever.idf(t) for t, k in zip(toks, keep, strict=True) if k}
        for i in range(len(toks) - 1):
            if keep[i] and keep[i + 1]:
                pair = f"{toks[i]}_{toks[i + 1]}"
                self.weights[pair] = PAIR_WEIGHT * retriever.idf(pair)
        self.total = sum(self.weights.values())
        self.known = {t for t in self.weights if retriever.knows(t, lang)}

    def key(self) -> str | None:
        """The question's most specific word: the rarest word the corpus has."""
        known = [t for t in self.weights if t in self.known and "_" not in t]
        return max(known, key=self.weights.__getitem__, default=None)

    def known_share(self, pairs_only: bool = False) -> float:
        """Share of the question's weight that the corpus has at all (its words, or its word
        pairs only): a question about something else is mostly made of words it lacks."""
        pool = {t: w for t, w in self.weights.items() if "_" in t or not pairs_only}
        total = sum(pool.values())
        return sum(w for t, w in pool.items() if t in self.known) / total if total else 0.0

    def coverage(self, text: str) -> float:
        """Share of the question's weighted words found in a text."""
        return self.coverage_of(token_set(text))

    def coverage_of(self, have: set[str] | frozenset[str]) -> float:
        """The same, for a text's tokens (`lexical_tokens(text, folded=True)`)."""
        if not self.total:
            return 0.0
        return sum(w for t, w in self.weights.items() if t in have) / self.total
