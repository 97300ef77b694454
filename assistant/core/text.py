"""Text helpers shared by every layer: NFC, diacritic folding, tokens, language."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

Lang = Literal["vi", "en"]

_WORD = re.compile(r"[\w]+", re.UNICODE)

# Common Vietnamese syllables that survive without diacritics; they tell Vietnamese typed
# without accents ("pin trau giao hang nhanh") from English.
VI_PLAIN = frozenset(
    "la gi cua nhung cac khong nao nhu va voi cho trong mot nguoi khach hang hanh trinh buoc "
    "ban do toi minh co duoc dung rat qua thi nay sao ai muon hay tot xau nhanh cham pin mua "
    "giao dien thoai".split()
)
EN_STOP = frozenset(
    "the a an is are was what which who how why when where of to in for on and or do does "
    "did with from by about this that these those it its be should can i we you they my our "
    "your their me us them".split()
)
# Vietnamese function words (diacritic-free) that say nothing about a question's topic.
VI_STOP = frozenset(
    "la gi cua va cac nhung mot co duoc cho trong voi the nao nhu khong nay do ai".split()
)


def nfc(text: str) -> str:
    """NFC-normalise: Vietnamese text typed in NFD must compare equal to NFC text."""
    return unicodedata.normalize("NFC", text)


class _FoldTable(dict[int, str]):
    """`str.translate` table, filled on first sight of each character: a character without
    its combining marks (NFD, marks dropped). Folding is on every hot path (the lexical
    index alone folds the whole corpus on a cold start); per-character decomposition is
    what NFD of the whole text did, without a pass over every code point in Python."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code))
        self[code] = folded = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
        return folded


_FOLD = _FoldTable({ord("đ"): "d"})


def fold(text: str) -> str:
    """Lower-case and strip diacritics ('Đường' -> 'duong') for accent-insensitive matching."""
    return nfc(text).lower().translate(_FOLD)


# Chat shorthand of Vietnamese offices ("kh", "sv", "nv tư vấn", "bh", "làm dc những gì") and
# of English chat ("abt"): read as the words, so that names, segments, steps and what is asked
# are found in them. Requests only: comments are matched on their own words (a closed list of
# unambiguous forms).
_SHORTHAND = {"kh": "khách", "khg": "khách hàng", "sv": "sinh viên", "hs": "học sinh",
              "nv": "nhân viên", "bh": "bảo hành", "dt": "điện thoại", "đt": "điện thoại",
              "dc": "được", "đc": "được", "ko": "không", "sp": "sản phẩm",
              "onl": "online", "ng": "người", "trc": "trước", "abt": "about"}  # fmt: skip
_SHORTHAND_WORD = re.compile(r"(?<!\w)(" + "|".join(_SHORTHAND) + r")(?!\w)", re.IGNORECASE)


def expand_shorthand(text: str) -> str:
    """`text` with chat shorthand written out ("nhóm sv thì sao" -> "nhóm sinh viên thì sao")."""
    return _SHORTHAND_WORD.sub(lambda m: _SHORTHAND[m[1].lower()], nfc(text))


def read_form(text: str) -> str:
    """A request as the rules read it: shorthand written out, folded, one space between words."""
    return " ".join(words(fold(expand_shorthand(text))))


def has_diacritics(text: str) -> bool:
    return any(ord(c) > 127 and c.isalpha() for c in text)


def words(text: str) -> list[str]:
    """Lower-cased NFC word tokens (Vietnamese: syllables)."""
    return _WORD.findall(nfc(text).lower())


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "ly", "s")


@lru_cache(maxsize=1 << 16)  # the same few thousand words, over and over
def stem(token: str) -> str:
    """A light English stemmer ("visually" -> "visual", "depicts" -> "depict", "mapping" ->
    "map"), so that a question's "describe" finds "described". Vietnamese syllables are
    left alone: none ends in these suffixes, and none is touched that is one."""
    if len(token) < 4 or not token.isascii() or _VI_SYLLABLE.match(token):
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            base = token[: -len(suffix)]
            if suffix in ("ies", "ied"):
                base += "y"
            elif suffix == "s" and base.endswith("s"):
                return token  # "process", "business"
            elif len(base) > 3 and base[-1] == base[-2] and base[-1] not in "aeiouls":
                base = base[:-1]  # "mapped" -> "map"
            token = base
            break
    return token[:-1] if len(token) > 4 and token.endswith("e") else token


def lexical_tokens(text: str, *, folded: bool = False) -> list[str]:
    """Syllables (English words stemmed) plus bigrams: Vietnamese words are mostly two
    syllables."""
    toks = [stem(t) for t in words(fold(text) if folded else text)]
    return toks + [f"{a}_{b}" for a, b in zip(toks, toks[1:], strict=False)]


# A Vietnamese syllable written without diacritics: onset, vowel nucleus, final. Vietnamese
# typed without accents ("chin khia canh chat luong du lieu") is a run of such syllables,
# while most English words ("what", "nine", "data") are not one.
_VI_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:oai|oay|oao|uay|uoi|uou|uya|uye|uyu|yeu|ieu|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|"
    r"ua|ue|ui|uo|uu|uy|ye|a|e|i|o|u|y)"
    r"(?:ch|nh|ng|c|m|n|p|t)?$"
)
# English words that are also well-formed Vietnamese syllables: they count for English.
_EN_SYLLABLE_LIKE = frozenset(
    "a an at be by can do go he hi in me no not on so than the them then to up use map team "
    "ten men let get set bad big cat dog man".split()
)
# Words plain in both languages weigh for neither.
_BOTH = VI_PLAIN & (EN_STOP | _EN_SYLLABLE_LIKE)
_VI_LETTERS = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]")


def is_vi_syllable(token: str) -> bool:
    """Whether a word could be a Vietnamese syllable typed without diacritics."""
    return bool(_VI_SYLLABLE.match(fold(token)))


def detect_lang(text: str) -> Lang:
    """Vietnamese or English, word by word: a word with Vietnamese letters weighs most, a
    well-formed Vietnamese syllable typed without accents counts for Vietnamese, any other
    word for English. Capitalised words inside a sentence are names (an English question
    about "Nguyễn Dương" or "TGDĐ" is English) and weigh little; numbers and acronyms
    (CX, NPS, KPI) belong to both."""
    text = nfc(text)
    vi = en = 0
    marked = False  # a word with Vietnamese letters: an English writer types none
    for i, raw in enumerate(_WORD.findall(text)):
        if raw.isdigit() or (raw.isupper() and len(raw) > 1):
            continue
        tok = raw.lower()
        name = i > 0 and raw[0].isupper()
        if _VI_LETTERS.search(tok):
            vi += 1 if name else 3
            marked = marked or not name
        elif tok in _BOTH:
            continue  # "do": "what do they say?", "cái đó" typed without accents
        elif tok in VI_PLAIN:
            vi += 2
        elif tok in EN_STOP or tok in _EN_SYLLABLE_LIKE or not is_vi_syllable(tok):
            en += 1
        elif not name:
            vi += 1
    # A tie with Vietnamese typed with its accents ("Draft giúp mình persona first-time online
    # buyer") is a Vietnamese speaker using English terms.
    return "vi" if vi > en or (vi == en and marked) else "en"


def plain_lang(text: str) -> Lang | None:
    """The language a text is plainly written in: Vietnamese as `detect_lang` weighs it;
    English when no word of it, or one in ten at most, could be a Vietnamese syllable
    ("Summarise it for my boss"); None when unclear ("ok roadmap di")."""
    if detect_lang(text) == "vi":
        return "vi"
    tokens = words(fold(text))
    vi_like = [t for t in tokens if is_vi_syllable(t)
               and t not in EN_STOP and t not in _EN_SYLLABLE_LIKE]  # fmt: skip
    # (a long sentence may hold an English word that is a syllable too: "than", "care")
    return None if len(vi_like) > len(tokens) // 10 else "en"


def number(n: int, lang: str) -> str:
    """7,786 in English, 7.786 in Vietnamese."""
    return f"{n:,}".replace(",", ".") if lang == "vi" else f"{n:,}"
