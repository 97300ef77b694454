"""Methodology questions in the wordings Vietnamese offices use: typed without diacritics,
or with the English CX terms inside a Vietnamese sentence. They must find what the same
question in plain Vietnamese finds."""

import pytest

from assistant.core.text import fold
from assistant.methodology.accents import AccentRestorer
from assistant.methodology.search import SearchInput, search_methodology


def test_accents_come_back_from_the_articles_own_words():
    restorer = AccentRestorer(
        ["Bản đồ hành trình khách hàng là gì? Bản đồ hành trình giúp gì.",
         "Bạn bán bản đồ. Cái gì, là gì, gì nữa."]
    )  # fmt: skip
    assert restorer.restore("Ban do hanh trinh la gi?") == "Bản đồ hành trình là gì?"
    # a lone syllable gets its most frequent form; a word the texts lack stays as typed
    assert restorer.restore("ban nao, journey atlas") == "bản nao, journey atlas"
    assert restorer.restore("CJM") == "CJM"


def _units(kb, question: str) -> list[str]:
    out = search_methodology(SearchInput(question=question), kb)
    return [p.unit_id for p in out.passages]


@pytest.mark.parametrize(
    "question",
    [
        "Bản đồ hành trình khách hàng thực chất là cái gì vậy?",
        "Nhóm CX phải biết làm những kiểu nghiên cứu nào để thấu hiểu khách hàng?",
        "Phân tích hành trình khách hàng gồm những tương tác nào?",
    ],
)
def test_question_without_diacritics_finds_what_the_accented_one_finds(methodology_kb, question):
    accented = _units(methodology_kb, question)
    folded = _units(methodology_kb, fold(question))
    assert folded[0] in accented[:2]
    assert len(set(folded) & set(accented)) >= 3


def test_english_words_of_a_code_switched_question(methodology_kb):
    retriever = methodology_kb.retriever("methodology")
    said = retriever.english_words("pain point khác gì moment of truth?")
    assert said == "pain point moment of truth"  # "of" between two English words stays
    # "CJM", "CX", "persona" are words of the Vietnamese original too: not code-switched
    assert retriever.english_words("CJM và persona trong team CX là gì?") == ""
    assert retriever.english_words("co CJM va du lieu roi thi lam gi") == ""


@pytest.mark.parametrize(
    ("vietnamese", "mixed"),
    [
        (
            "Vì sao nên tổ chức hội thảo với các bên liên quan nội bộ?",
            "Vì sao nên tổ chức workshop với các internal stakeholder?",
        ),
        (
            "Bí mật của kỹ thuật số là tương tự nghĩa là gì?",
            "Secret of digital is analog nghĩa là gì?",
        ),
        (
            "Khoảnh khắc của sự thật trong bản đồ hành trình là gì?",
            "Moment of truth trong customer journey map là gì?",
        ),
    ],
)
def test_english_terms_find_what_their_vietnamese_names_find(methodology_kb, vietnamese, mixed):
    plain = _units(methodology_kb, vietnamese)
    switched = _units(methodology_kb, mixed)
    assert switched[0] in plain[:2]


@pytest.mark.parametrize(
    ("questions", "name"),
    [
        (["VoC là gì?", "voc la gi", "What is VoC?"], "(VoC)"),
        (["Journey atlas là gì?", "journey atlas la gi", "What is a journey atlas?"], "tlas"),
    ],
)
def test_a_term_is_defined_alike_in_every_wording(methodology_kb, questions, name):
    # the glossary row "Tiếng nói KH (VoC)" defines VoC under the name in brackets too
    from assistant.methodology.answer import compose_search_answer

    firsts = []
    for q in questions:
        out = search_methodology(SearchInput(question=q), methodology_kb)
        first = compose_search_answer(q, out.lang, out).answer.split("\n")[0]
        assert name in first.split(":")[0]
        firsts.append(out.passages[0].unit_id)
    assert len(set(firsts)) == 1


def test_the_item_named_by_its_place_is_the_one_asked_for():
    from assistant.methodology.search import question_intent

    # a count and an ordinal: the item named, of the list counted
    assert question_intent("Trong roadmap 10 bước, step 3 làm gì?") == ("other", None, 3)
    assert question_intent("Bước đầu tiên khi lập CJM là gì?") == ("other", None, 1)
    assert question_intent("viec dau tien can lam la gi") == ("other", None, 1)
    assert question_intent("What is the first step of design thinking?") == ("other", None, 1)
    assert question_intent("What are the 10 steps?")[:2] == ("list", 10)


def test_first_step_of_a_numbered_list_shows_that_item(methodology_kb):
    from assistant.methodology.answer import compose_search_answer

    q = "Trong 10 bước bắt đầu JCXM, bước đầu tiên cụ thể làm gì?"
    out = search_methodology(SearchInput(question=q), methodology_kb)
    answer = compose_search_answer(q, out.lang, out).answer
    item = next(ln for ln in answer.split("\n") if ln.startswith("1. "))
    body = answer.split(item, 1)[1].split("\n")[1]
    assert body.startswith("   ") and len(body.split()) > 8  # the item's own text, shown


def test_vietnamese_names_bring_the_english_ones_the_articles_write_as_they_are(methodology_kb):
    from assistant.methodology.glossary import expand_query

    said = expand_query("bản đồ hành trình là gì", into="vi", used=lambda t: t == "cjm")
    assert " cjm" in said and "journey map" not in said
    retriever = methodology_kb.retriever("methodology")
    # the Vietnamese original writes "CJM" (its own word too), never "journey map"
    assert retriever.writes("CJM", "vi") and not retriever.writes("journey map", "vi")
    assert "cjm" in retriever.expand("Thiết kế xong bản đồ hành trình rồi làm gì?", "vi")


def test_what_a_word_means_is_a_definition_even_where_a_list_is_named():
    from assistant.methodology.search import question_intent

    assert question_intent("Nhân khẩu học trong các khía cạnh persona nghĩa là gì?")[0] == (
        "definition"
    )
    assert question_intent("What does psychographics mean among the dimensions?")[0] == (
        "definition"
    )
    assert question_intent("Các khía cạnh của persona là gì?")[0] == "list"


@pytest.mark.parametrize(
    ("question", "relevant"),
    [
        ("Secret of digital is analog nghĩa là gì?", True),
        ("Next best action gồm những gì?", True),
        ("Stock price của Apple hôm nay?", False),
        ("Weather ở Hà Nội hôm nay thế nào?", False),
    ],
)
def test_english_words_the_english_rendering_has_count_as_words_the_articles_use(
    methodology_kb, question, relevant
):
    assert search_methodology(SearchInput(question=question), methodology_kb).relevant is relevant
