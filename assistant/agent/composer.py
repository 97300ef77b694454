"""The offline composer: extractive, templated, bilingual answers that always cite.

No LLM: the answer is made of sentences and list items taken verbatim from the retrieved
passages, framed in the language of the question. The methodology is Vietnamese, so an
English answer quotes Vietnamese text and says so.
"""

from __future__ import annotations

import re

from assistant.agent.types import Answer, Citation
from assistant.knowledge.glossary import expand_query
from assistant.text import Lang, fold, words
from assistant.tools.search import Passage, SearchOutput

_MARKER = re.compile(r"^(?:\d{1,2}[.)]|bước\s+\d{1,2}\s*[:.]?|[-•*–])\s*", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}
_NOT_LIST = re.compile(r"\b(why|how|vi sao|tai sao|lam sao|nhu the nao|bao nhieu|how many)\b")
_LIST_WORDS = re.compile(
    r"\b(steps?|questions?|list|dimensions?|levels?|groups?|skills?|misconceptions?|"
    r"buoc|cau hoi|liet ke|khia canh|cap do|ky nang|quan niem)\b"
)

TEXT = {
    "en": {
        "list": "According to “{title}”, the methodology lists {n} points "
        "(quoted in the original Vietnamese):",
        "extract": "From the methodology (quoted in the original Vietnamese):",
        "none": "I found nothing in the methodology that answers this question. "
        "The nearest passages are:",
        "sources": "Sources",
    },
    "vi": {
        "list": "Theo “{title}”, có {n} ý:",
        "extract": "Theo tài liệu phương pháp luận:",
        "none": "Không tìm thấy nội dung nào trong tài liệu phương pháp luận trả lời câu hỏi "
        "này. Các đoạn gần nhất:",
        "sources": "Nguồn",
    },
}


def _asked_number(question: str) -> int | None:
    folded = fold(question)
    if m := re.search(r"\b(\d{1,2})\b", folded):
        return int(m.group(1))
    for tok in words(folded):
        if tok in _NUMBER_WORDS:
            return _NUMBER_WORDS[tok]
    return None


def _items_from_lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if _MARKER.match(line.strip())]


def _inline_enumeration(text: str) -> list[str]:
    """Items enumerated inside a sentence: 'năm câu hỏi sau: A? B? C? D? E?'."""
    for part in text.split(":")[1:]:
        questions = [q.strip() + "?" for q in part.split("?")[:-1] if q.strip()]
        if len(questions) >= 3 and all(len(q) < 160 for q in questions):
            return questions
    return []


def _list_candidates(p: Passage) -> list[tuple[str, list[str]]]:
    """Lists a passage offers, each with the text that states it: the list the passage
    belongs to (its outline if it has one), its table rows, or an inline enumeration."""
    out = []
    if p.list_outline:
        out.append((p.list_outline, _items_from_lines(p.list_outline)))
    elif p.list_items:
        text = "\n".join(p.list_items)
        out.append((text, _items_from_lines(text)))
    elif p.role == "table":
        out.append((p.quote, [ln.split("|")[0].strip() for ln in p.quote.split("\n") if "|" in ln]))
    if inline := _inline_enumeration(p.quote):
        out.append((p.quote, inline))
    return [(text, items) for text, items in out if len(items) >= 2]


def _pick_list(question: str, passages: list[Passage]) -> tuple[Passage, str, list[str]] | None:
    """The list that answers a 'what are the N steps/questions' question, if any."""
    folded = fold(question)
    wanted = _asked_number(question)
    if _NOT_LIST.search(folded) or not (wanted is not None or _LIST_WORDS.search(folded)):
        return None
    candidates = [(p, text, items) for p in passages[:3] for text, items in _list_candidates(p)]
    if wanted is not None:
        return next((c for c in candidates if len(c[2]) == wanted), None)
    return candidates[0] if candidates else None


def _sentences(text: str) -> list[str]:
    return [s.strip() for line in text.split("\n") for s in _SENTENCE.split(line) if s.strip()]


def _sentence_scores(question: str, sentences: list[str]) -> list[float]:
    """Distinct question words (with glossary terms) found in each sentence."""
    q = {t for t in words(fold(expand_query(question))) if len(t) > 1}
    return [float(len(q & set(words(fold(s))))) for s in sentences]


def _best_window(question: str, text: str, max_chars: int = 600) -> list[str]:
    """The run of consecutive sentences (at most `max_chars`) that best matches the question:
    consecutive, so that a short answer sentence keeps the sentence that asks for it."""
    sentences = _sentences(text)
    if len(text) <= max_chars:
        return sentences
    scores = _sentence_scores(question, sentences)
    best, best_score = (0, 1), -1.0
    for i in range(len(sentences)):
        size, total = 0, 0.0
        for j in range(i, len(sentences)):
            size += len(sentences[j]) + 1
            if size > max_chars and j > i:
                break
            total += scores[j]
            if total > best_score + 0.5:  # a longer window must add a real match
                best, best_score = (i, j + 1), total
    return sentences[best[0] : best[1]]


def _best_sentence(question: str, text: str) -> tuple[str, float]:
    sentences = _sentences(text)
    scores = _sentence_scores(question, sentences)
    i = max(range(len(sentences)), key=scores.__getitem__)
    return sentences[i], scores[i]


def _cite(p: Passage) -> Citation:
    return Citation(doc_id=p.doc_id, title=p.title, kind=p.kind, quote=p.quote, score=p.score)


def _sources(lang: Lang, passages: list[Passage]) -> str:
    lines = [f"*{TEXT[lang]['sources']}:*"]
    for i, p in enumerate(passages, 1):
        where = f" — {p.section}" if p.section else ""
        lines.append(f"[{i}] {p.title}{where}")
    return "\n".join(lines)


def compose_search_answer(question: str, lang: Lang, out: SearchOutput) -> Answer:
    """An extractive answer from the search tool's passages, in the question's language."""
    t = TEXT[lang]
    passages = out.passages
    if not out.relevant or not passages:
        shown = passages[:3]
        body = [t["none"]] + [
            f"- [{i}] {p.title}: “{p.quote[:200]}…”" for i, p in enumerate(shown, 1)
        ]
        return Answer(
            question=question,
            lang=lang,
            answer="\n".join(body + ["", _sources(lang, shown)]),
            citations=[_cite(p) for p in shown],
            tool="search",
        )

    picked = _pick_list(question, passages)
    citations = []
    if picked:
        main, stated, items = picked
        # Cite the text that states the list (the outline, when the hit was one of its items).
        citations.append(
            Citation(
                doc_id=main.doc_id, title=main.title, kind=main.kind, quote=stated, score=main.score
            )
        )
        cited = [main]
        first = stated.split("\n")[0]
        lines = [t["list"].format(title=main.title, n=len(items))]
        if lang == "vi" and first.endswith(":") and not _MARKER.match(first):
            lines.append(f"> {first}")
        lines += [f"{i}. {_MARKER.sub('', item)} [1]" for i, item in enumerate(items, 1)]
    else:
        cited = [passages[0]]
        lines = [t["extract"]] + [f"- {s} [1]" for s in _best_window(question, passages[0].quote)]
        # One supporting sentence from each of the next passages that speaks to the question.
        for p in passages[1:3]:
            sentence, score = _best_sentence(question, p.quote)
            if score > 0 and p.dense >= passages[0].dense - 0.03:
                cited.append(p)
                lines.append(f"- {sentence} [{len(cited)}]")
    return Answer(
        question=question,
        lang=lang,
        answer="\n".join(lines + ["", _sources(lang, cited)]),
        citations=citations or [_cite(p) for p in cited],
        tool="search",
    )


def _evidence(node: object) -> list[dict]:
    """Every piece of evidence inside a tool output, in order: Evidence objects (kind, ref,
    quote) and feedback quotes (record_id, text)."""
    if isinstance(node, dict):
        own = []
        if {"kind", "ref"} <= set(node) and node["kind"] in ("atlas", "feedback", "methodology"):
            own = [node]
        elif {"record_id", "text"} <= set(node):
            own = [{"kind": "feedback", "ref": node["record_id"], "quote": node["text"]}]
        return own + [e for v in node.values() for e in _evidence(v)]
    if isinstance(node, list):
        return [e for v in node for e in _evidence(v)]
    return []


def tool_citations(output: object, titles: dict[str, str], limit: int = 12) -> list[Citation]:
    """Citations from a tool output's evidence: methodology first, then atlas, feedback."""
    data = output.model_dump(mode="json") if hasattr(output, "model_dump") else output
    seen: set[str] = set()
    out: list[Citation] = []
    order = {"methodology": 0, "atlas": 1, "feedback": 2}
    for ev in sorted(_evidence(data), key=lambda e: order[e["kind"]]):
        if ev["ref"] in seen:
            continue
        seen.add(ev["ref"])
        doc = ev["ref"].split("#")[0]
        title = titles.get(doc, ev["ref"]) if ev["kind"] == "methodology" else ev["ref"]
        doc_id = doc if ev["kind"] == "methodology" else ev["ref"]
        out.append(Citation(doc_id=doc_id, title=title, kind=ev["kind"],
                            quote=ev.get("quote", ""), score=1.0))  # fmt: skip
    return out[:limit]


def compose_tool_answer(
    question: str,
    lang: Lang,
    tool: str,
    output: object,
    render,
    titles: dict[str, str],  # noqa: ANN001
) -> Answer:
    """A tool's output rendered in the question's language, with its evidence cited."""
    return Answer(
        question=question, lang=lang, answer=render(output, lang),
        citations=tool_citations(output, titles), tool=tool, result=output,
    )  # fmt: skip
