import unicodedata

from assistant.core.text import detect_lang, fold, lexical_tokens, nfc, plain_lang, stem


def test_nfd_input_compares_equal_after_nfc():
    composed = "Bản đồ hành trình"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert nfc(decomposed) == composed


def test_fold_strips_diacritics_and_d_bar():
    assert fold("Đường giao hàng NHANH") == "duong giao hang nhanh"


def test_lexical_tokens_are_syllables_and_bigrams():
    assert lexical_tokens("Pin trâu") == ["pin", "trâu", "pin_trâu"]
    assert lexical_tokens("Pin trâu", folded=True) == ["pin", "trau", "pin_trau"]


def test_detect_lang():
    assert detect_lang("Năm câu hỏi là gì?") == "vi"
    assert detect_lang("What are the five questions?") == "en"
    assert detect_lang("pin trau, giao hang nhanh") == "vi"
    assert detect_lang(unicodedata.normalize("NFD", "Hành trình là gì")) == "vi"


def test_detect_lang_vietnamese_typed_without_diacritics():
    # Runs of well-formed Vietnamese syllables are Vietnamese, whatever the words.
    assert detect_lang("chin khia canh chat luong du lieu") == "vi"
    assert detect_lang("persona cho khach hang la doanh nghiep, to chuc thi gom nhung gi") == "vi"
    assert detect_lang("van de lon nhat ve hieu nang") == "vi"
    # English words that happen to be syllables ("the", "to", "map") do not tip it over.
    assert detect_lang("What is the bare minimum a journey map has to show?") == "en"
    assert detect_lang("Who should the CX team report to?") == "en"
    assert detect_lang("nine dimensions of data quality") == "en"
    # Acronyms belong to both languages.
    assert detect_lang("NPS CSAT CES") == "en"
    # A word plain in both ("do": "đó") weighs for neither.
    assert detect_lang("what do they say?") == "en"
    assert detect_lang("sao lai do") == "vi"
    assert detect_lang("chi can doi ten phong CSKH thanh bo phan trai nghiem") == "vi"


def test_stem_matches_english_word_forms_and_leaves_vietnamese_alone():
    assert stem("visually") == stem("visual")
    assert stem("described") == stem("describe")
    assert stem("mapping") == stem("mapped") == "map"
    assert stem("capabilities") == stem("capability")
    assert stem("process") == "process" and stem("business") == "business"
    for syllable in ("nguyen", "truong", "chuong", "nghieng", "khuyen"):
        assert stem(syllable) == syllable
    assert lexical_tokens("journey maps", folded=True) == ["journey", "map", "journey_map"]


def test_detect_lang_names_with_diacritics_do_not_make_english_vietnamese():
    assert detect_lang("Who is Nguyễn Dương?") == "en"
    assert detect_lang("What did TGDĐ do when it was small?") == "en"
    assert detect_lang("Hà Nội có mưa không?") == "vi"
    assert detect_lang("Quy trình 5 bước Research – Analyze – Ideate – Prototype là gì?") == "vi"


def test_detect_lang_a_tie_with_accented_words_is_vietnamese():
    # As many English words as Vietnamese weight: typed accents tell the speaker.
    assert detect_lang("Draft giúp mình persona first-time online buyer") == "vi"
    assert detect_lang("Draft a persona for the first-time online buyer") == "en"


def test_a_long_english_sentence_is_english_though_a_word_is_a_syllable_too():
    # "say" is a Vietnamese syllable as well; one word in ten may be
    assert plain_lang("Why do you say most of them worry about the price? Show me what "
                      "they actually wrote.") == "en"
    assert plain_lang("ok roadmap di") is None
    assert plain_lang("Summarise it for my boss") == "en"
