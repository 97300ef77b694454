"""The offline composer: extractive, templated, bilingual answers that always cite.

No LLM: a methodology answer is made of the retrieved units, shown whole and verbatim in
the language of the question (the English rendering answers English questions, the
Vietnamese original Vietnamese ones; each citation carries the other rendering too). A
question that asks for a list or a definition gets a one-sentence direct answer first; then
each unit used comes under a heading naming its article and section. A second or third unit
is added when it holds question words the first does not (an answer spanning sections or
articles); a question that asks for neither a list nor a definition gets every unit nearly
as good a match as the best (up to five); a figure or table that a unit names comes with it.
Weak evidence: the answer says so and shows the nearest passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.core.answers import Answer, Citation
from assistant.core.text import Lang, fold, stem, words
from assistant.methodology.chunking import CAPTION, MARKER, UnitView
from assistant.methodology.gaps import TEXT as GAPS
from assistant.methodology.gaps import gap_notes, not_a_question
from assistant.methodology.retrieval import token_set
from assistant.methodology.search import Passage, SearchOutput, asked_items, question_intent

_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[\"“‘(]?[A-ZÀ-ỸĐ0-9])")
# Items enumerated inside a sentence: "năm câu hỏi sau: A? B? C?", "Research – Analyze – …".
_QUESTIONS_AFTER_COLON = re.compile(r":\s*((?:[^?:]{3,120}\?\s*){3,})")
_DASHED = re.compile(r"(?:[\w&/]+(?: [\w&/]+){0,3} – ){2,}[\w&/]+(?: [\w&/]+){0,3}")
MAX_BLOCKS = 3
# An item of a long list is shown whole when it adds this much of the question's weight to
# what its section and lead-in hold; more than MAX_EXPANDED such items: the list is asked.
MIN_GAIN = 0.05
MAX_EXPANDED = 2
# A further unit is shown when it is nearly as good a match (SUPPORT_SCORE of the best's
# fused score) and holds SUPPORT_GAIN more of the question's (rarity-weighted) words than
# the units already shown, or continues their section, or ties with the best (TIE_SCORE).
SUPPORT_SCORE = 0.85
SUPPORT_GAIN = 0.12
TIE_SCORE = 0.97
# A question that asks for neither a list nor a definition ("why…", "how should…", "what
# happens if…") has its answer spread over sections more often than not, and which of the
# close units holds it is what the ranking gets wrong most: every unit at least CLOSE_SCORE
# as good a match as the best is shown, up to MAX_BLOCKS_OTHER (all a search returns).
# Fact recall with the cap at 3 (and 0.8): the two newest methodology dev writers 0.818 /
# 0.752, with this 0.860 / 0.846; no older set lower; answers 17% longer on average. 0.83
# to 0.87 give the same order of gain, shorter answers at the higher end.
CLOSE_SCORE = 0.85
MAX_BLOCKS_OTHER = 5

TEXT = {
    "en": {
        "none": "I found nothing in the methodology that answers this question. "
        "The nearest passages are:",
        "sources": "Sources",
    },
    "vi": {
        "none": "Không tìm thấy nội dung nào trong tài liệu phương pháp luận trả lời câu hỏi "
        "này. Các đoạn gần nhất:",
        "sources": "Nguồn",
    },
}


@dataclass
class _Block:
    """What the answer shows of one unit: the lead-in and some or all of its parts."""

    passage: Passage
    # Items (or rows) shown whole; None: the whole unit. With `outline`: the items whose
    # bodies are shown under their heads.
    parts: list[int] | None = None
    outline: bool = False  # every item's head (a long list asked for as a list)
    lines: list[str] = field(default_factory=list)  # verbatim source lines shown
    twin_lines: list[str] = field(default_factory=list)


def _inline_items(text: str) -> int:
    """How many items a sentence enumerates inline (0: none)."""
    found = [m.group(1).count("?") for m in _QUESTIONS_AFTER_COLON.finditer(text)]
    found += [m.group(0).count(" – ") + 1 for m in _DASHED.finditer(text)]
    return max(found, default=0)


def _sentences(text: str) -> list[str]:
    """Sentences of a text; a sentence ending in ':' keeps the short questions it
    introduces ('năm câu hỏi sau: Người này là ai? Mục tiêu … là gì? …')."""
    out: list[str] = []
    for line in text.split("\n"):
        for s in _SENTENCE.split(line.strip()):
            if not s:
                continue
            asked_after_colon = out and ":" in out[-1] and out[-1].endswith("?")
            if asked_after_colon and s.endswith("?") and len(s) < 120:
                out[-1] = f"{out[-1]} {s}"
            else:
                out.append(s)
    return out


def _tokens(text: str) -> frozenset[str]:
    return token_set(text)


def _weight(weights: dict[str, float], text: str) -> float:
    have = _tokens(text)
    return sum(w for t, w in weights.items() if t in have)


def _best_sentence(terms: dict[str, float], text: str) -> str:
    """The sentence (of five words or more, when there is one) that holds most of the
    question's weight; the earliest on a tie."""
    sentences = [s for s in _sentences(text) if len(words(s)) >= 5] or _sentences(text)
    if not sentences:
        return ""
    return max(sentences, key=lambda s: (_weight(terms, s), -sentences.index(s)))


def _unknown_share(out: SearchOutput) -> float:
    """Share of the question's single words, by weight, that the articles never use."""
    single = {t: w for t, w in out.terms.items() if "_" not in t}
    lacking = {stem(fold(w)) for w in out.unknown}
    total = sum(single.values())
    return sum(w for t, w in single.items() if t in lacking) / total if total else 0.0


def _key_sentence(terms: dict[str, float], key: str | None, text: str) -> str:
    """The sentence that says most about the question, among those holding its most
    specific word ("NPS") when some do."""
    holding = [s for s in _sentences(text) if key and key in _tokens(s)]
    return _best_sentence(terms, "\n".join(holding) if holding else text)


def _strip(head: str) -> str:
    """An item head without its list marker or trailing colon."""
    text = MARKER.sub("", head.strip(), count=1).strip().rstrip(":").strip()
    return text[:1].upper() + text[1:].lower() if text.isupper() and len(text) > 4 else text


def _name(head: str) -> str:
    """What an item is called: 'Usability' for '1. Usability: Information is …'."""
    text = _strip(head)
    name, sep, _ = text.partition(": ")
    return name if sep and len(name) <= 40 else text


def _offers(p: Passage) -> int:
    """How many items the list a passage shows has (0: not a list), counting a figure's
    list and items enumerated inside a sentence."""
    v = p.view
    if v.kind == "list":
        inline = max((_inline_items(p.view.parts()[i]) for i in p.focus), default=0)
        return inline or len(v.items)
    if v.kind == "table":
        return len(v.header) if v.columnar else len(v.rows)
    return _inline_items(p.quote) or max((_offers(r) for r in p.related), default=0)


def _choose(
    p: Passage, intent: str, wanted: int | None, ordinal: int | None, asked: set[str]
) -> _Block:
    """Which parts of a unit to show. A short unit: all of it. A long list: its outline
    when the list is what is asked for (as many items as asked, items named as the question
    names them, or its lead-in is what matched best), with the bodies of the one or two
    items that speak to the question; otherwise those items whole, under the lead-in."""
    v = p.view
    parts = v.parts()
    if ordinal is not None and v.kind == "list":
        named = [i for i, h in enumerate(v.heads()) if re.search(rf"\b{ordinal}\b", h[:12])]
        if named:
            return _Block(p, parts=named)
    if p.chunks <= 1 or not parts or (v.kind == "table" and (v.columnar or intent == "list")):
        return _Block(p)
    gains = p.part_gain or [0.0] * len(parts)
    order = sorted(range(len(parts)), key=lambda i: -gains[i])
    top = gains[order[0]]
    if intent == "list":
        # Items stand out of a list asked for only when few do.
        expanded = [i for i in order if gains[i] >= max(MIN_GAIN, 0.8 * top)]
        expanded = expanded if len(expanded) <= MAX_EXPANDED else []
    else:
        expanded = [i for i in order[:MAX_EXPANDED] if gains[i] >= max(MIN_GAIN, 0.9 * top)]
    if v.kind == "list":
        # ("the 5 steps of design thinking", inside one of five team duties, is not a
        # question about the list of duties)
        inline = wanted is not None and any(_inline_items(parts[i]) == wanted for i in p.focus)
        named = asked & _tokens("\n".join([p.section, *v.lead]))
        as_list = intent == "list" and (wanted == len(parts) or bool(named))
        if not inline and (as_list or p.role == "list_outline"):
            return _Block(p, outline=True, parts=sorted(expanded))
    chosen = sorted(set(p.focus) | set(expanded[:1])) if p.focus else sorted(expanded)
    return _Block(p, parts=chosen or None)


_NESTED = re.compile(r"^\s*[•◦○▪●+*-]\s*\S")


def _nested(item: str) -> list[str]:
    """The nested bullets of a list item's body (its sub-items): an outline shows them
    under their item, so a list is never cut to its heads where it has sub-items."""
    return [ln for ln in item.split("\n")[1:] if _NESTED.match(ln)]


def _view_lines(v: UnitView, block: _Block) -> list[str]:
    """The verbatim lines a block shows of a unit view (for its citation)."""
    if block.outline:
        shown = set(block.parts or [])
        return [
            *v.lead,
            *(
                it if i in shown else "\n".join([h, *_nested(it)])
                for i, (it, h) in enumerate(zip(v.items, v.heads(), strict=True))
            ),
        ]
    parts = v.parts()
    chosen = parts if block.parts is None else [parts[i] for i in block.parts if i < len(parts)]
    if v.kind == "table" and v.header_line:
        return [*v.lead, v.header_line, *chosen]
    return [*v.lead, *chosen]


def _select(
    out: SearchOutput, intent: str, wanted: int | None, ordinal: int | None
) -> list[_Block]:
    """The units an answer shows, and what of each, in the order they are read."""
    passages = out.passages
    asked = asked_items(out.question)
    primary = passages[0]
    if intent == "list" and wanted is not None and _offers(primary) != wanted:
        # The list asked for may be the next unit's ("the nine dimensions" in a table next
        # to the paragraph that names them), if it speaks to the question as well.
        primary = next(
            (
                p
                for p in passages[:3]
                if p is not primary and _offers(p) == wanted and p.coverage >= primary.coverage
            ),
            primary,
        )
    blocks = [_choose(primary, intent, wanted, ordinal, asked)]
    shown = {primary.unit_id}
    covered = _weight(out.terms, "\n".join(_view_lines(primary.view, blocks[0])))
    total = sum(out.terms.values()) or 1.0
    # The figure or table the primary unit names, when it is a list asked for or adds words.
    for rel in primary.related:
        gain = _weight(out.terms, rel.quote) - covered
        if rel.unit_id not in shown and (_offers(rel) and intent == "list" or gain > 0):
            blocks.append(_Block(rel))
            shown.add(rel.unit_id)
    # The question's most specific word (the rarest the corpus has) must be answered: if
    # the units shown so far lack it, the best unit holding it comes next.
    key = out.key_term
    if key and key not in _tokens(f"{primary.section}\n{primary.quote}"):
        holder = next((p for p in passages[1:] if key in _tokens(f"{p.section}\n{p.quote}")), None)
        if holder is not None and holder.unit_id not in shown:
            blocks.append(_choose(holder, intent, wanted, ordinal, asked))
            shown.add(holder.unit_id)
    # Further units, in rank order: one that holds more of the question, is as good a match
    # (the evidence is split), or goes on with a section already shown; then, for a question
    # asking for neither a list nor a definition, those close to the best (CLOSE_SCORE).
    cap = MAX_BLOCKS_OTHER if intent == "other" else MAX_BLOCKS
    for p in passages:
        if len(blocks) >= cap:
            break
        if p.unit_id in shown or p.score < SUPPORT_SCORE * primary.score:
            continue
        block = _choose(p, intent, wanted, ordinal, asked)
        seen = "\n".join("\n".join(_view_lines(b.passage.view, b)) for b in blocks)
        text = "\n".join(_view_lines(p.view, block))
        gain = (_weight(out.terms, f"{seen}\n{text}") - _weight(out.terms, seen)) / total
        tied = p.score >= TIE_SCORE * primary.score
        same_section = any(
            (b.passage.doc_id, b.passage.section) == (p.doc_id, p.section) for b in blocks
        )
        if gain >= SUPPORT_GAIN or tied or same_section:
            blocks.append(block)
            shown.add(p.unit_id)
    for p in passages if intent == "other" else []:
        if len(blocks) >= cap:
            break
        if p.unit_id not in shown and p.score >= CLOSE_SCORE * primary.score:
            blocks.append(_choose(p, intent, wanted, ordinal, asked))
            shown.add(p.unit_id)
    # Units of one section are read in their order.
    first: dict[tuple[str, str], int] = {}
    for b in blocks:
        first.setdefault((b.passage.doc_id, b.passage.section), len(first))
    blocks.sort(
        key=lambda b: (first[(b.passage.doc_id, b.passage.section)], _position(b.passage.unit_id))
    )
    for b in blocks:
        b.lines = _view_lines(b.passage.view, b)
        tv = b.passage.twin_view
        b.twin_lines = _view_lines(tv, b) if tv is not None else []
    return blocks


def _position(unit: str) -> int:
    """A unit's place in its article (unit ids end in its number: 'cx-team:u03')."""
    digits = re.search(r"(\d+)$", unit)
    return int(digits.group(1)) if digits else 0


def _render(block: _Block, n: int) -> list[str]:
    """A unit as Markdown: heading (article — section), then its text, whole."""
    p, v = block.passage, block.passage.view
    where = f"{p.title} — {p.section}" if p.section else p.title
    out = [f"**[{n}] {where}**"]
    lead = [ln.strip() for ln in v.lead]
    if v.kind == "paragraph":
        return out + lead
    out += lead
    if v.kind == "table":
        if v.columnar:
            return out + [f"- **{h}:** {', '.join(cells)}" for h, cells in v.columns()]
        rows = v.rows if block.parts is None else [v.rows[i] for i in block.parts]
        if len(v.header) == 1:
            cells = [" | ".join(r) for r in rows]
            return out + [f"{v.header[0]}:"] + [c if MARKER.match(c) else f"- {c}" for c in cells]
        head = v.header[1:] if v.header else []
        for r in rows:
            cells = [f"{h}: {c}" for h, c in zip(head, r[1:], strict=False)] if head else r[1:]
            out.append(f"- **{r[0]}** — {' — '.join(cells)}" if cells else f"- **{r[0]}**")
        return out
    shown = range(len(v.items)) if block.parts is None else block.parts
    for i, item in enumerate(v.items):
        if block.outline and i not in shown:
            out.append(_item_head(item.split("\n")[0]))
            out += [f"   {ln.strip()}" for ln in _nested(item)]
            continue
        if i not in shown:
            continue
        head, *body = item.split("\n")
        out.append(_item_head(head))
        out += [f"   {ln.strip()}" for ln in body]
    return out


def _item_head(head: str) -> str:
    """A list item's first line as written; a titled item (no marker) in bold."""
    text = head.strip()
    return text if MARKER.match(text) and MARKER.match(text).group(0).strip() else f"**{text}**"


def _direct(
    intent: str,
    wanted: int | None,
    asked: set[str],
    blocks: list[_Block],
    terms: dict[str, float],
    key: str | None,
) -> str:
    """The one-sentence answer that opens a list or definition answer: for a list, what it
    is and its items' names; otherwise the sentence that best answers the question."""
    first = blocks[0]
    v = first.passage.view

    def listed(b: _Block) -> bool:
        return b.passage.view.kind in ("list", "table") and (b.parts is None or b.outline)

    if intent == "list":
        text = "\n".join(first.lines)
        # A sentence of what is shown that names the items as the question does and lists
        # them ("three groups: Operational metrics (…), Perception metrics (…), …") answers
        # better than a list whose items the question does not name.
        enumerating = [
            s for b in blocks for s in _sentences("\n".join(b.lines))
            if asked & _tokens(s) and (s.count(",") >= 2 or _inline_items(s))
            and ":" in s and not s.rstrip().endswith(":")
        ]  # fmt: skip
        if enumerating and listed(first):
            heads = "\n".join([*first.passage.view.lead, *first.passage.view.heads()])
            best = max(enumerating, key=lambda s: _weight(terms, s))
            if _weight(terms, best) > _weight(terms, heads):
                return best
        if not listed(first) and _inline_items(text):
            # Items enumerated inside a sentence of the best unit: that sentence.
            # (Items spread over several sentences match no single one: no direct answer.)
            return next((s for s in _sentences(text) if _inline_items(s)), "")

        # The list asked for: the best unit's own, or a list shown with it that has as many
        # items as asked, items named as the question names them, or the question's most
        # specific word (not any list that happens to be shown).
        def asked_for(b: _Block) -> bool:
            have = _tokens("\n".join(b.lines))
            return len(b.passage.view.heads()) == wanted or bool(asked & have) or key in have

        listings = [b for b in blocks if listed(b) and (b is first or asked_for(b))]
        if listings:
            listing = first if listed(first) else listings[0]
            lv = listing.passage.view
            if lv.kind == "table" and lv.columnar:
                names = "; ".join(f"{h}: {', '.join(c)}" for h, c in _columns_asked(lv, terms))
            else:
                names = "; ".join(_name(h) for h in lv.heads())
            return f"{_stem(listing, blocks, terms, asked)}: {names}."
    if intent in ("list", "definition"):
        if v.kind == "table" and first.parts:
            # The row whose first cell names what is asked ("Personas | …" for "persona là
            # gì"), not the first row shown.
            row = v.rows[max(first.parts, key=lambda i: (_weight(terms, v.rows[i][0]), -i))]
            return f"{row[0]}: {row[-1]}" if len(row) >= 2 else ""
        if intent == "definition" and v.kind == "list" and first.parts and len(first.parts) == 1:
            # One item: its head (a titled item names what it defines) and its first sentence.
            head, *body = v.items[first.parts[0]].split("\n")
            sentences = _sentences("\n".join(body))
            if sentences and not MARKER.match(head):
                return f"{_strip(head)}: {sentences[0]}"
        text = "\n".join(ln for ln in first.lines if not ln.strip().endswith("|"))
        return _best_sentence(terms, text)
    return ""


def _columns_asked(v: UnitView, terms: dict[str, float]) -> list[tuple[str, list[str]]]:
    """The columns of a columnar table a question names ("organisations" -> "Customer as an
    organization"): those whose header holds a question word the other headers lack; all
    of them when it names none."""
    columns = v.columns()
    heads = [_tokens(header) for header, _ in columns]
    shared = frozenset.intersection(*heads) if heads else frozenset()
    named = [c for c, h in zip(columns, heads, strict=True) if any(t in terms for t in h - shared)]
    return named or columns


def _stem(listing: _Block, blocks: list[_Block], terms: dict[str, float], asked: set[str]) -> str:
    """What the list is: its lead-in; for a figure's or table's list (its "Note:" says
    nothing), the sentence of the unit that names it (one naming the items as the question
    does, if any: "five levels"), else its caption without its label; else its section."""
    v = listing.passage.view
    captions = [ln.strip() for ln in v.lead if CAPTION.match(ln)]
    lead = [
        ln.strip()
        for ln in v.lead
        if len(words(ln)) >= 3 and not MARKER.match(ln) and not CAPTION.match(ln)
    ]
    if lead:
        return _best_sentence(terms, lead[-1]).rstrip(":. ")
    naming = next((b for b in blocks if listing.passage in b.passage.related), None)
    if naming is not None:
        sentences = _sentences(naming.passage.quote)
        naming_items = [x for x in sentences if asked & _tokens(x)] or sentences
        return _best_sentence(terms, "\n".join(naming_items)).rstrip(":. ")
    if captions:
        return CAPTION.sub("", captions[0]).strip(" :.")
    return listing.passage.section or listing.passage.title


def _cite(block: _Block) -> Citation:
    p = block.passage
    return Citation(
        doc_id=p.doc_id,
        title=p.title,
        kind=p.kind,
        quote="\n".join(block.lines),
        score=p.score,
        ref=p.unit_id,
        lang=p.lang,
        section=p.section,
        twin_lang=p.twin_lang,
        twin_title=p.twin_title or None,
        twin_section=p.twin_section or None,
        twin_quote="\n".join(block.twin_lines) or None,
    )


def _sources(lang: Lang, passages: list[Passage]) -> str:
    lines = [f"*{TEXT[lang]['sources']}:*"]
    for i, p in enumerate(passages, 1):
        where = f" — {p.section}" if p.section else ""
        lines.append(f"[{i}] {p.title}{where}")
    return "\n".join(lines)


def _abstain(question: str, lang: Lang, passages: list[Passage]) -> Answer:
    shown = passages[:3]
    body = [TEXT[lang]["none"]]
    for i, p in enumerate(shown, 1):
        excerpt = " ".join(p.quote.split())
        body.append(f"- [{i}] {p.title}: “{excerpt[:200]}{'…' if len(excerpt) > 200 else ''}”")
    return Answer(
        question=question,
        lang=lang,
        answer="\n".join(body + ["", _sources(lang, shown)]),
        citations=[_cite(_Block(p, lines=[p.quote], twin_lines=[p.twin_quote])) for p in shown],
        tool="search",
    )


def compose_search_answer(question: str, lang: Lang, out: SearchOutput) -> Answer:
    """An extractive answer from the search tool's units, in the question's language; it
    opens by saying what the articles lack when the question asks for it (gaps.py)."""
    if not_a_question(question, out.known):
        return Answer(question=question, lang=lang, tool="search",
                      answer=GAPS[lang]["not_understood"], citations=[])  # fmt: skip
    if not out.relevant or not out.passages:
        return _abstain(question, lang, out.passages)
    intent, wanted, ordinal = question_intent(question)
    blocks = _select(out, intent, wanted, ordinal)
    lines: list[str] = []
    asked = asked_items(question)
    direct = _direct(intent, wanted, asked, blocks, out.terms, out.key_term)
    shown = "\n".join(ln for b in blocks for ln in b.lines)
    if notes := gap_notes(question, lang, shown, out.key_term, out.unknown, _unknown_share(out)):
        # Say what is missing first, then what the articles do say about the question.
        said = _key_sentence(out.terms, out.key_term, shown)
        lines += [" ".join(notes), "", f"{GAPS[lang]['they_say']} {said}", ""]
    elif direct:
        lines += [direct, ""]
    for n, block in enumerate(blocks, 1):
        lines += _render(block, n) + [""]
    lines.append(_sources(lang, [b.passage for b in blocks]))
    return Answer(
        question=question,
        lang=lang,
        answer="\n".join(lines),
        citations=[_cite(b) for b in blocks],
        tool="search",
    )
