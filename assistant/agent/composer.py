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
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5,
    "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10,
}
_LIST_WORDS = re.compile(
    r"\b(steps?|questions?|list|dimensions?|levels?|groups?|skills?|misconceptions?|"
    r"buoc|cau hoi|liet ke|khia canh|cap do|nhom|ky nang|quan niem)\b"
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


def _list_candidates(p: Passage) -> list[list[str]]:
    """Lists a passage offers: the list it belongs to, its table rows, an inline enumeration."""
    out = []
    if p.list_outline:
        out.append(_items_from_lines(p.list_outline))
    elif p.list_items:
        out.append([item for text in p.list_items for item in _items_from_lines(text)])
    elif p.role == "table":
        out.append([line.split("|")[0].strip() for line in p.quote.split("\n") if "|" in line])
    if inline := _inline_enumeration(p.quote):
        out.append(inline)
    return [c for c in out if len(c) >= 2]


def _pick_list(question: str, passages: list[Passage]) -> tuple[Passage, list[str]] | None:
    wanted = _asked_number(question)
    asks_list = wanted is not None or bool(_LIST_WORDS.search(fold(question)))
    if not asks_list:
        return None
    candidates = [(p, items) for p in passages[:3] for items in _list_candidates(p)]
    if wanted is not None:
        exact = [(p, items) for p, items in candidates if len(items) == wanted]
        if exact:
            return exact[0]
    return candidates[0] if candidates and candidates[0][0] is passages[0] else None


def _best_sentences(question: str, text: str, n: int = 3) -> list[str]:
    q = set(words(fold(expand_query(question))))
    sentences = [s.strip() for line in text.split("\n") for s in _SENTENCE.split(line) if s.strip()]
    scored = [(len(q & set(words(fold(s)))) / (1 + len(words(s)) ** 0.5), i) for i, s in
              enumerate(sentences)]
    keep = sorted(i for _, i in sorted(scored, reverse=True)[:n])
    return [sentences[i] for i in keep]


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
            question=question, lang=lang, answer="\n".join(body + ["", _sources(lang, shown)]),
            citations=[_cite(p) for p in shown], tool="search",
        )

    picked = _pick_list(question, passages)
    if picked:
        main, items = picked
        cited = [main] + [p for p in passages[:3] if p is not main][:1]
        intro = main.quote.split("\n")[0] if main.quote.split("\n")[0].endswith(":") else ""
        lines = [t["list"].format(title=main.title, n=len(items))]
        if intro and lang == "vi":
            lines.append(f"> {intro}")
        lines += [f"{i}. {_MARKER.sub('', item)} [1]" for i, item in enumerate(items, 1)]
    else:
        cited = passages[:2] if len(passages) > 1 and passages[1].doc_id != passages[0].doc_id \
            else passages[:1]
        lines = [t["extract"]]
        for n, p in enumerate(cited, 1):
            for sentence in _best_sentences(question, p.quote, 3 if n == 1 else 1):
                lines.append(f"- {sentence} [{n}]")
    return Answer(
        question=question, lang=lang, answer="\n".join(lines + ["", _sources(lang, cited)]),
        citations=[_cite(p) for p in cited], tool="search",
    )
