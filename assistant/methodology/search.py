"""Methodology search: the units that answer a question, in the question's language, each
with its twin in the other rendering (the Vietnamese original for an English question) and
the evidence behind it."""

from __future__ import annotations

import re
from copy import copy
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field

from assistant.core.settings import Settings
from assistant.core.text import Lang, detect_lang, fold, has_diacritics, stem
from assistant.index.types import Chunk, Hit
from assistant.methodology.chunking import MARKER, UnitView, unit_view
from assistant.methodology.loaders import CatalogEntry, read_catalog, split_lang
from assistant.methodology.retrieval import RRF_K, HybridRetriever, QueryTerms, token_set, unit_id


class MethodologySource(Protocol):
    """What methodology search reads (the knowledge base gives it): settings and a retriever."""

    settings: Settings

    def retriever(self, kind: str = "methodology") -> HybridRetriever: ...


POOL = 15  # units ranked, of which the best k are returned
# Share of a question's (rarity-weighted) words, or Vietnamese word pairs, that the corpus
# must have for the question to be about it. Set between the in-scope and out-of-scope
# questions of evals/methodology_qa.yaml, with room on both sides.
KNOWN_WORDS = 0.33
KNOWN_PAIRS = 0.07
KNOWN_SYLLABLES = 0.6
DEFINITION_TIE = 0.8  # defined terms this close to the best one count as well
_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
    "muoi": 10,
}  # fmt: skip
# Nouns that name the members of a list (diacritic-free Vietnamese too): "the nine
# dimensions", "10 bước", "ba nhóm chỉ số", "những việc gì".
_LIST_NOUNS = (
    r"steps?|stages?|phases?|levels?|dimensions?|questions?|groups?|skills?|misconceptions?|"
    r"capabilit(?:y|ies)|competenc(?:y|ies)|factors?|elements?|components?|criteria|types?|"
    r"kinds?|examples?|enablers?|duties|things|ways|methods|metrics|tools|habits|points|"
    r"buoc|giai doan|cap do|cap|khia canh|cau hoi|nhom|ky nang|quan niem|nang luc|yeu to|"
    r"thanh phan|tieu chi|loai|vi du|viec|cach|chi so|cong cu|thoi quen|y"
)
_PLURAL_NOUNS = (
    r"steps|stages|phases|levels|dimensions|questions|groups|skills|misconceptions|"
    r"capabilities|competencies|factors|elements|components|criteria|types|kinds|examples|"
    r"enablers|duties|things|ways|methods|metrics|tools|habits|companies|sources|tiers"
)
_COUNT = re.compile(
    rf"\b(\d{{1,2}}|{'|'.join(_NUMBERS)})\s+(?:[\w/-]+\s+){{0,2}}?(?:{_LIST_NOUNS})\b"
)
_ORDINAL = re.compile(
    r"\b(?:step|stage|phase|level|buoc|giai doan|cap do)\s+(\d{1,2})\b|"
    # the first one: "bước đầu tiên", "việc đầu tiên", "the first step"
    r"\b(?:step|stage|phase|buoc|giai doan|viec)\s+(dau tien|thu nhat)\b|"
    r"\bfirst\s+(?:step|stage|phase|thing)\b"
)
_LIST_ASK = re.compile(
    rf"^(?:what|which|name|list)\b.*\b(?:{_PLURAL_NOUNS})\b|^(?:what|which) (?:are|were)\b|"
    r"^how many\b|"
    rf"\b(?:cac|nhung|may)\s+(?:{_LIST_NOUNS})\b|\bnhung\b(?:\s+\w+){{0,3}}\s+(?:nao|gi)\b|"
    r"^(?:nhung|cac)\b|"
    r"\b(?:gom|bao gom|liet ke|co may|bao nhieu)\b"
)
_DEFINE = re.compile(
    r"^(?:what(?: exactly| actually)?(?: i|')s|define|"
    r"how (?:would you|do you|does \w+(?: \w+)?) define)\b|"
    r"^what (?:do|does) .+ (?:mean|cover|include|refer to)\b|\bmeaning of\b|\bdefinition\b|"
    r"\b(?:la gi|la cai gi|nghia la gi|nghia la sao|duoc hieu|dinh nghia|thuc chat)\b"
)

# What a word means, asked in so many words: a definition even where a list is named
# ("Dân tộc học trong các khía cạnh của persona nghĩa là gì?").
_MEANING = re.compile(
    r"\b(?:nghia la gi|nghia la sao|co nghia la|duoc hieu (?:la|nhu the nao|the nao|ra sao)|"
    r"dinh nghia|meaning of|definition of)\b|^what (?:do|does) .+ mean\b"
)


def asked_items(question: str) -> set[str]:
    """The nouns a list question names its items by ("steps", "những việc"), stemmed and
    diacritic-free, to tell the list asked for from a list that merely matches."""
    folded = fold(question)
    found = re.finditer(rf"\b(?:{_LIST_NOUNS})\b", folded)
    # in the form of `lexical_tokens`: "cấp độ" -> "cap_do"
    return {"_".join(stem(w) for w in m.group(0).split()) for m in found}


def question_intent(question: str) -> tuple[str, int | None, int | None]:
    """What a question asks for: ("list" | "definition" | "other", how many items it asks
    for, the item it names by its number ("step 9"))."""
    folded = fold(question)
    count = _COUNT.search(folded)
    ordinal = _ORDINAL.search(folded)
    if ordinal:
        # "trong 10 bước, step 1 làm gì?": the item named, of the list counted
        number = ordinal.group(1)
        return "other", None, int(number) if number and number.isdigit() else 1
    if count:
        token = count.group(1)
        return "list", int(token) if token.isdigit() else _NUMBERS[token], None
    if _MEANING.search(folded):
        return "definition", None, None
    if _LIST_ASK.search(folded):
        return "list", None, None
    if _DEFINE.search(folded):
        return "definition", None, None
    return "other", None, None


class SearchInput(BaseModel):
    """A question about the CX methodology."""

    question: str = Field(description="The question, in Vietnamese or English.")
    k: int = Field(5, ge=1, le=20, description="How many passages to return.")
    lang: Lang | None = Field(
        None, description="Language of the passages returned; default: the question's."
    )


class Passage(BaseModel):
    chunk_id: str = Field(description="The unit's best-matching chunk, in `lang`.")
    unit_id: str = Field(description="The unit, the same id in every language.")
    doc_id: str
    title: str
    section: str
    kind: str
    lang: str = Field(description="Language of title, section, quote and view.")
    quote: str = Field(description="The whole unit, verbatim, in reading order.")
    view: UnitView = Field(description="The unit's lead-in, items or table cells.", exclude=True)
    focus: list[int] = Field(
        default_factory=list,
        description="Items (or rows) held by the best chunk; empty for the unit as a whole.",
    )
    part_gain: list[float] = Field(
        default_factory=list,
        description="How much each item or row adds to the section and lead-in's share.",
    )
    twin_lang: str | None = Field(None, description="Language of the twin: the other rendering.")
    twin_title: str = ""
    twin_section: str = ""
    twin_quote: str = ""
    twin_view: UnitView | None = Field(None, exclude=True)
    score: float = Field(description="Fused retrieval score (reciprocal rank).")
    dense: float = Field(description="Cosine similarity of the unit's best chunk to the question.")
    coverage: float = Field(description="Share of the question's content words in the unit.")
    chunks: int = Field(1, description="How many chunks the unit is stored as.")
    role: str = Field(description="Role of the best chunk (text, list_outline, list_items, table).")
    group: str = ""
    list_outline: str = Field("", description="Outline of the list the passage is in, if any.")
    list_items: list[str] = Field(
        default_factory=list, description="Every chunk of items of that list, in order."
    )
    related: list[Passage] = Field(
        default_factory=list, description="Figures and tables the unit names ('see Figure 1')."
    )


class SearchOutput(BaseModel):
    question: str
    lang: str = "vi"
    relevant: bool = Field(description="Whether the best passage is close enough to answer.")
    passages: list[Passage]
    terms: dict[str, float] = Field(
        default_factory=dict,
        description="The question's content words (diacritic-free) with their rarity weights.",
    )
    key_term: str | None = Field(
        None, description="The question's most specific word: the rarest one the corpus has."
    )
    known: list[str] = Field(
        default_factory=list, description="The question's content words the corpus has."
    )
    unknown: list[str] = Field(
        default_factory=list,
        description="The question's content words (as written) the corpus never uses.",
    )


@lru_cache(maxsize=8)
def _catalog_cached(folder: str, stamp: int) -> dict[str, CatalogEntry]:
    return {e.id: e for e in read_catalog(Path(folder))}


def _catalog(folder: Path) -> dict[str, CatalogEntry]:
    path = folder / "catalog.yaml"
    return _catalog_cached(str(folder), path.stat().st_mtime_ns if path.is_file() else 0)


def _focus(best: Chunk, chunks: list[Chunk], view: UnitView) -> list[int]:
    """Which items (or rows) of a unit of several chunks its best chunk holds."""
    if len(chunks) < 2 or best.role == "list_outline":
        return []
    if best.role == "table":
        rows = [ln for ln in best.text.split("\n") if ln.strip().endswith("|")]
        return [view.row_lines.index(rows[-1])] if rows and rows[-1] in view.row_lines else []
    items = [c.id for c in chunks if c.role == "list_items"]
    return [items.index(best.id)] if best.id in items else []


def _passage(
    hit: Hit,
    retriever: HybridRetriever,
    terms: QueryTerms,
    lang: str,
    twin_lang: str | None,
    catalog: dict[str, CatalogEntry],
) -> Passage:
    best = hit.chunk
    unit = unit_id(best)
    chunks = hit.siblings or [best]
    view = unit_view(chunks)
    doc_id = split_lang(best.doc_id)[0]
    twin_chunks = retriever.unit(unit, twin_lang) if twin_lang else []
    if twin_chunks and split_lang(twin_chunks[0].id)[1] == split_lang(best.id)[1]:
        twin_chunks = []  # no rendering in the twin language
    entry = catalog.get(doc_id)
    outline = next((c.text for c in chunks if c.role == "list_outline"), "")
    quote = view.text()
    context = "\n".join([best.section, *view.lead, view.header_line])
    base = terms.coverage(context)
    return Passage(
        chunk_id=best.id,
        unit_id=unit,
        doc_id=doc_id,
        title=best.title,
        section=best.section,
        kind=best.kind,
        lang=lang,
        quote=quote,
        view=view,
        focus=_focus(best, chunks, view),
        part_gain=[round(terms.coverage(f"{context}\n{p}") - base, 3) for p in view.parts()],
        twin_lang=twin_lang if twin_chunks else None,
        twin_title=(twin_chunks[0].title if twin_chunks else "") or (entry.title if entry else ""),
        twin_section=twin_chunks[0].section if twin_chunks else "",
        twin_quote=unit_view(twin_chunks).text() if twin_chunks else "",
        twin_view=unit_view(twin_chunks) if twin_chunks else None,
        score=round(hit.score, 6),
        dense=round(hit.dense, 4),
        coverage=round(terms.coverage(f"{best.section}\n{quote}"), 3),
        chunks=len(chunks),
        role=best.role,
        group=best.group,
        list_outline=outline,
        list_items=[c.text for c in chunks if c.role == "list_items"] if outline else [],
    )


# The subject of a defining sentence: "A customer journey map is a …", "CJA là quá trình …".
_DEFINING = re.compile(r"^(.{3,80}?)\s+(?:is|are|refers to|means|là)\s", re.I)
_MIN_TERM_SHARE = 0.8  # of a defined term's words that the question must hold


def _definienda(view: UnitView) -> list[tuple[str, int | None]]:
    """What a unit defines, with the part (item or row) that defines it: a glossary row's
    term, a titled item's heading, an item named before its colon ("Usability: …"), the
    subject of a paragraph's defining first sentence."""
    out: list[tuple[str, int | None]] = []
    if view.kind == "table" and not view.columnar:
        out += [(row[0], i) for i, row in enumerate(view.rows) if len(row) >= 2]
        out += [(MARKER.sub("", ln).split(":")[0], i) for i, ln in enumerate(view.row_lines)]
    elif view.kind == "list":
        for i, item in enumerate(view.items):
            head = item.split("\n")[0].strip()
            out.append((MARKER.sub("", head).split(":")[0], i))
    else:
        first = " ".join(view.lead)
        if m := _DEFINING.match(first.strip()):
            out.append((m.group(1), None))
    return out


_ALIAS = re.compile(r"^(.+?)\s*\(([^()]{2,40})\)\s*$")


def _names(term: str) -> list[str]:
    """A defined term and the names it gives in brackets: "Tiếng nói KH (VoC)" is defined
    under "Tiếng nói KH" and under "VoC"."""
    m = _ALIAS.match(term.strip())
    return [term, m.group(1), m.group(2)] if m else [term]


def _defines(view: UnitView, question: str, terms: QueryTerms) -> tuple[float, int | None]:
    """How much of a definition question a unit answers by defining its term: the share of
    the question's weight in the term it defines, when the question names that term."""
    asked = token_set(question)
    best: tuple[float, int | None] = (0.0, None)
    for term, part in ((n, part) for t, part in _definienda(view) for n in _names(t)):
        words_ = [t for t in token_set(term) if "_" not in t and len(t) > 1]
        named = [t for t in words_ if t in asked]
        if words_ and len(named) / len(words_) >= _MIN_TERM_SHARE:
            best = max(best, (terms.coverage(term), part), key=lambda x: x[0])
    return best


def _twin_lang(lang: str, catalog: dict[str, CatalogEntry]) -> str | None:
    """The other rendering: the original for a translation's language, else a translation."""
    originals = {e.language for e in catalog.values()}
    if lang not in originals:
        return next(iter(sorted(originals)), None)
    others = sorted({t for e in catalog.values() for t in e.translations} - {lang})
    return others[0] if others else None


def search_methodology(inp: SearchInput, kb: MethodologySource) -> SearchOutput:
    """Find the methodology units that answer a question (hybrid dense + lexical search over
    both renderings), in the question's language.

    The result is relevant when the corpus speaks to the question (see `_relevant`);
    otherwise the passages are the nearest ones, shown as such.
    """
    lang = inp.lang or detect_lang(inp.question)
    retriever = kb.retriever("methodology")
    catalog = _catalog(kb.settings.methodology_dir)
    kind = question_intent(inp.question)[0]
    # Further down the ranking may be the unit defining a definition question's term, or
    # the only one holding the question's most specific word.
    hits = retriever.search(inp.question, k=max(inp.k, POOL), lang=lang)
    question = inp.question
    if lang == "vi" and not has_diacritics(question):
        question = retriever.restore_accents(question)  # "thể" is not the English "the"
    # Vietnamese said with English CX terms ("pain point là gì", "CJM dùng để làm gì"): the
    # terms are weighed under their Vietnamese names too (the glossary's), as the text has.
    asked = retriever.expand(question, lang) if lang == "vi" else question
    terms = QueryTerms(asked, retriever, lang)
    twin = _twin_lang(lang, catalog)

    def passage(hit: Hit) -> Passage:
        return _passage(hit, retriever, terms, lang, twin, catalog)

    if kind == "definition":
        # "Customer journey map là gì?": the term is looked for under its names in the
        # answer's language too (the glossary's), so it finds the unit that defines it.
        passages = _prefer_definitions([passage(h) for h in hits], asked, terms)
        passages = passages[: inp.k]
    else:
        passages = [passage(h) for h in hits[: inp.k]]
    key = terms.key()
    if key and passages and not any(key in token_set(f"{p.section}\n{p.quote}") for p in passages):
        # The question's most specific word must be answered: the best unit holding it
        # takes the last place.
        holder = next((h for h in hits[inp.k :] if key in _unit_tokens(h)), None)
        if holder is not None:
            passages[-1] = passage(holder)
    for p in passages:
        for ref in retriever.references(p.unit_id):
            chunks = retriever.unit(ref, lang)
            if chunks:
                hit = Hit(chunk=chunks[0], score=p.score, dense=p.dense, siblings=chunks)
                p.related.append(_passage(hit, retriever, terms, lang, twin, catalog))
    judged = terms
    if lang != "en" and (english := retriever.english_words(question)):
        # "Secret of digital is analog nghĩa là gì?": the English rendering has its English
        # words, so the articles do speak to it (they stay out of its most specific word,
        # which the answer looks for in the question's language)
        judged = copy(terms)
        judged.known = terms.known | {
            t for t in token_set(english) if t in terms.weights and retriever.knows(t, "en")
        }
    relevant = bool(passages) and _relevant(passages[0], judged, lang, kb.settings.cx_min_relevance)
    return SearchOutput(
        question=inp.question,
        lang=lang,
        relevant=relevant,
        passages=passages,
        terms={t: round(w, 3) for t, w in terms.weights.items()},
        key_term=terms.key(),
        known=sorted(t for t in terms.known if "_" not in t),
        unknown=[w for w in re.findall(r"\w+", inp.question)  # as written: "FPT", "2023"
                 if (t := stem(fold(w))) in terms.weights and t not in terms.known],
    )  # fmt: skip


def _unit_tokens(hit: Hit) -> frozenset[str]:
    chunks = hit.siblings or [hit.chunk]
    return token_set("\n".join([hit.chunk.section, *(c.text for c in chunks)]))


def _prefer_definitions(passages: list[Passage], question: str, terms: QueryTerms) -> list[Passage]:
    """Re-rank for a definition question: the unit that defines the term the question names
    (the rarest such term: "ethnography" rather than "persona") ranks as if a fourth
    ranking put it first (reciprocal rank, like the others)."""
    defined = [(_defines(p.view, question, terms), p) for p in passages]
    top = max((d[0] for d, _ in defined), default=0.0)
    ranked = sorted(
        (d for d in defined if d[0][0] > 0 and d[0][0] >= DEFINITION_TIE * top),
        key=lambda d: -d[0][0],
    )
    for rank, ((_, part), p) in enumerate(ranked):
        p.score = round(p.score + 1 / (RRF_K + rank + 1), 6)
        if part is not None:
            p.focus = [part]  # the row or item that defines it
    return sorted(passages, key=lambda p: -p.score)


def _relevant(top: Passage, terms: QueryTerms, lang: str, floor: float) -> bool:
    """Whether the corpus speaks to the question at all: the best unit is close enough in
    meaning (dense similarity at `floor` or above), and the question is mostly made of words
    the corpus (in the question's language) has. In Vietnamese a syllable alone is shared by
    too many words to say much ("giá" in "giá trị", "giá vàng"): its word pairs must be
    known, or nearly all of its syllables."""
    if top.dense < floor:
        return False
    if lang == "vi" and any("_" in t for t in terms.weights):
        return (
            terms.known_share(pairs_only=True) >= KNOWN_PAIRS
            or terms.known_share() >= KNOWN_SYLLABLES
        )
    return terms.known_share() >= KNOWN_WORDS
