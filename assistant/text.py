"""Text helpers shared by every layer: NFC, diacritic folding, tokens, language."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Lang = Literal["vi", "en"]

_WORD = re.compile(r"[\w]+", re.UNICODE)

# Common Vietnamese syllables that survive without diacritics; they tell Vietnamese typed
# without accents ("pin trau giao hang nhanh") from English.
_VI_PLAIN = frozenset(
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


def fold(text: str) -> str:
    """Lower-case and strip diacritics ('Đường' -> 'duong') for accent-insensitive matching."""
    text = nfc(text).lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def has_diacritics(text: str) -> bool:
    return any(ord(c) > 127 and c.isalpha() for c in text)


def words(text: str) -> list[str]:
    """Lower-cased NFC word tokens (Vietnamese: syllables)."""
    return _WORD.findall(nfc(text).lower())


def lexical_tokens(text: str, *, folded: bool = False) -> list[str]:
    """Syllables plus syllable bigrams: Vietnamese words are mostly two syllables."""
    toks = words(fold(text) if folded else text)
    return toks + [f"{a}_{b}" for a, b in zip(toks, toks[1:], strict=False)]


def detect_lang(text: str) -> Lang:
    """Vietnamese or English, from diacritics and common function words."""
    text = nfc(text)
    if any(c in "ăâđêôơưĂÂĐÊÔƠƯ" for c in text) or re.search(
        r"[àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", text.lower()
    ):
        return "vi"
    toks = words(text)
    vi = sum(t in _VI_PLAIN for t in toks)
    en = sum(t in EN_STOP for t in toks)
    return "vi" if vi > en else "en"
