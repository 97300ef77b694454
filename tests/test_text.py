import unicodedata

from assistant.text import detect_lang, fold, lexical_tokens, nfc


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
