"""What a methodology answer cannot say, said first.

The composer answers from the articles' text. Some questions ask for what that text lacks,
and a passage shown as if it answered would mislead:
- a figure's or table's values ("what percentage … in Figure 1?"): the figures are images,
  the text holds only their captions and notes;
- a number the text never gives ("how many", "bao nhiêu", a revenue);
- a formula ("NPS tính thế nào?"): the articles name metrics, they do not compute them;
- names or years the articles never mention ("doanh thu FPT Shop 2023");
- a definition of a term the passages found only mention ("what is a moment of truth?": a
  journey map will "identify moments of truth", and that is all the articles say of it).
Each is detected from the question's words and the text shown, and the answer opens by
saying what is missing and what the articles do say. Text that is not a question at all
(random letters, an instruction to the bot) is told it was not understood, with examples.
"""

from __future__ import annotations

import re

from assistant.core.text import EN_STOP, VI_STOP, fold, words
from assistant.methodology.glossary import GLOSSARY
from assistant.methodology.search import question_intent

_FIGURE = re.compile(r"\b(?:figure|fig|hinh|bang|table|bieu do|chart)\s*(\d{1,2})\b")
# A number asked for (not a count of items: "how many levels" is answered in words).
_QUANTITY = re.compile(
    r"\b(?:percent(?:age)?|what share|how much|revenue|profit|market share|sales figures?|"
    r"phan tram|ty le (?:la )?bao nhieu|bao nhieu (?:phan tram|tien)|doanh thu|loi nhuan|"
    r"thi phan|doanh so)\b|%"
)
# Share of the question's words (by weight) the articles never use, above which the names
# and numbers among them are said to be missing (a question mostly about something else).
MISSING_SHARE = 0.3
_FORMULA_ASK = re.compile(
    r"\b(?:formula|calculated?|calculat(?:e|ing|ion)|compute[sd]?|how (?:is|are|do you|to) "
    r"(?:\w+ ){0,3}(?:calculated|computed|measured|calculate|compute)|cong thuc|cach tinh|"
    r"tinh (?:the nao|nhu the nao|ra sao|sao|bang cach nao)|duoc tinh)\b"
)
# What a formula looks like in text: an operator between terms, or the words for one.
_FORMULA_TEXT = re.compile(r"[=×÷]|\s[-−+/]\s|\b(?:minus|divided by|tru di|chia cho|bang)\b")
_DIGIT = re.compile(r"\d")
# An amount as text gives one: a number with a unit, a share or a currency.
_AMOUNT = re.compile(
    r"\d[\d.,]*\s*(?:%|phần trăm|percent|triệu|tỷ|nghìn|million|billion|thousand|đồng|vnd|"
    r"usd|\$)", re.I,
)
_INSTRUCTION = re.compile(
    r"^(?:please )?(?:ignore|forget|disregard|pretend|act as|you are now|from now on|repeat "
    r"after|print|reveal|output|say|write (?:me )?a (?:poem|song|story|joke)|tell me a joke|"
    r"bo qua|quen|hay dong vai|tu gio|in ra|tiet lo|viet (?:cho toi )?(?:mot )?(?:bai tho|"
    r"bai hat|cau chuyen))\b"
)
_FUNCTION_WORDS = EN_STOP | VI_STOP | frozenset(
    "la gi sao nao bao nhieu the nhu tai vi khi neu thi ma de nhe a oi ha".split()
)

TEXT = {
    "en": {
        "not_understood": "I did not understand that as a question. Try, for example:\n"
        "- “What are the five journey-thinking questions?”\n"
        "- “What is a journey atlas?”\n"
        "- “What hurts customers most after delivery?”\n"
        "- “Summarize the warranty journey with a chart”",
        "figure": "The articles' text does not give the values of {figure}: the figure is "
        "an image, and the text holds only its caption and notes.",
        "number": "The articles do not give this number.",
        "formula": "The articles give no formula for {what}: they name it, they do not say "
        "how to calculate it.",
        "names": "The articles say nothing about {names}.",
        "undefined": "None of the passages found says what “{term}” is; they only mention it.",
        "they_say": "What they do say:",
    },
    "vi": {
        "not_understood": "Tôi không hiểu đây là câu hỏi gì. Bạn có thể hỏi, ví dụ:\n"
        "- “Năm câu hỏi của tư duy lấy hành trình làm trung tâm là gì?”\n"
        "- “Atlas hành trình là gì?”\n"
        "- “Khách hàng phàn nàn gì nhiều nhất sau khi giao hàng?”\n"
        "- “Tóm tắt hành trình bảo hành, kèm biểu đồ”",
        "figure": "Nội dung bài viết không có số liệu của {figure}: hình là ảnh, văn bản chỉ "
        "có chú thích và ghi chú của hình.",
        "number": "Các bài viết không đưa ra con số này.",
        "formula": "Các bài viết không đưa ra công thức tính {what}: chỉ nêu tên chỉ số, không "
        "nói cách tính.",
        "names": "Các bài viết không nói gì về {names}.",
        "undefined": "Không đoạn nào tìm được nói “{term}” là gì; các đoạn chỉ nhắc đến nó.",
        "they_say": "Những gì bài viết có nói:",
    },
}


def not_a_question(question: str, known: list[str]) -> bool:
    """Random letters (no word the articles or a sentence would have) or an instruction to
    the bot rather than a question."""
    folded = fold(question).strip()
    if _INSTRUCTION.match(folded):
        return True
    tokens = [fold(w) for w in words(question)]
    if not tokens:
        return True
    return not known and not any(t in _FUNCTION_WORDS for t in tokens)


def missing_names(question: str, unknown: list[str]) -> list[str]:
    """Names and numbers the question holds that the articles never mention: capitalised
    words (not the first) and years or figures, as the question writes them."""
    lacking = {fold(w) for w in unknown}
    written = re.findall(r"\w+", question)  # as typed: capitals tell a name
    out: list[list[str]] = []
    last = -2
    for i, w in enumerate(written):
        if fold(w) not in lacking:
            continue
        named = (i > 0 and w[:1].isupper()) or w.isupper() and len(w) > 1
        if named or (_DIGIT.search(w) and len(w) >= 2):
            if i == last + 1 and not _DIGIT.search(w):  # "FPT Shop": one name
                out[-1].append(w)
            else:
                out.append([w])
            last = i
    return list(dict.fromkeys(" ".join(x) for x in out))


# "what is a moment of truth?", "moment of truth là gì": the term a definition asks about.
_TERM_ASKED = re.compile(
    r"^(?:what(?:\s+(?:exactly|actually))?(?: is| s| are)|define)\s+(?:(?:a|an|the)\s+)?"
    r"(?P<en>[a-z][a-z -]{1,40}?)\s*\??$|"
    r"^(?P<vi>[a-z][a-z -]{1,40}?)\s+(?:la gi|la cai gi|nghia la gi)\s*\??$"
)
# "X is", "X là", "X: …", "X (…)", and a table row "X | …" (its term, then what it is).
_COPULA = r"[)\]”\"']*(?:\s+\S+){0,3}?\s*(?:\bla\b|\bis\b|\bare\b|\bmeans\b|\brefers? to\b|[:(|])"


def undefined_term(question: str, shown: str) -> str | None:
    """The term a definition question asks about, when the text shown mentions it (or its
    glossary name in the other language) and never says what it is ("X is", "X là", "X:")."""
    folded = words(fold(question))
    m = _TERM_ASKED.match(" ".join(folded))
    if not m or question_intent(question)[0] != "definition":  # "chín khía cạnh … là gì": a list
        return None
    term = (m["en"] or m["vi"]).strip()
    names = {term} | {fold(t) for en, vi in GLOSSARY if term in map(fold, en + vi)
                      for t in en + vi}  # fmt: skip
    text = " ".join(fold(shown).split())
    said = [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text)]
    if not said or any(re.search(rf"(?<!\w){re.escape(n)}s?{_COPULA}", text) for n in said):
        return None
    # As the question writes it ("khoảnh khắc của sự thật", not its folded form).
    n, original = len(term.split()), words(question)
    at = next((i for i in range(len(folded)) if folded[i:i + n] == term.split()), None)
    shown_term = " ".join(original[at:at + n]) if at is not None and len(original) == len(
        folded) else term
    return shown_term.upper() if len(shown_term) <= 4 else shown_term


def gap_notes(question: str, lang: str, shown: str, key: str | None, unknown: list[str],
              unknown_share: float) -> list[str]:  # fmt: skip
    """The sentences an answer opens with to say what the articles lack (empty: nothing
    is missing that these checks can see). `shown`: the text the answer shows;
    `unknown_share`: the weight of the question's words the articles never use."""
    t = TEXT["vi" if lang == "vi" else "en"]
    folded = fold(question)
    notes: list[str] = []
    names = missing_names(question, unknown) if unknown_share >= MISSING_SHARE else []
    figure = _FIGURE.search(folded)
    if figure and _QUANTITY.search(folded):
        shown_caption = re.search(rf"(?:figure|hình|fig\.?|bảng|table)\s*{figure.group(1)}\b",
                                  shown, re.I)  # fmt: skip
        label = shown_caption.group(0) if shown_caption else question[
            figure.start() : figure.end()]  # fmt: skip
        notes.append(t["figure"].format(figure=label))
    elif _QUANTITY.search(folded) and not _AMOUNT.search(shown):
        notes.append(t["number"])
    if _FORMULA_ASK.search(folded) and not _FORMULA_TEXT.search(fold(shown)):
        what = (key or "").upper() if key and len(key) <= 5 else (key or "")
        what = what or ("chỉ số này" if lang == "vi" else "it")
        notes.append(t["formula"].format(what=what))
    if names:
        notes.append(t["names"].format(names=", ".join(names)))
    elif term := undefined_term(question, shown):
        notes.append(t["undefined"].format(term=term))
    return notes
