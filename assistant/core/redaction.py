"""Redaction of personal data in feedback, before anything is stored or shown.

What becomes a placeholder:
- [EMAIL]: e-mail addresses.
- [PHONE]: Vietnamese phone numbers: 0 + 9 digits (mobile) or 0 + 10 digits (landline,
  and the 11-digit mobiles of before 2018), or the same after +84 / 84 / (+84) / +84 (0);
  grouped by up to three spaces, dots or dashes; glued to words as in "sđt0912345678".
- [CARD]: payment card numbers, 13-19 digits (Luhn-checked), grouped by spaces, dots or dashes.
- [ID]: CCCD (12 digits starting with 0, grouped or not), CMND (9 digits in one run, or
  grouped when written after "CMND", "CMT", "CCCD", "căn cước" or "chứng minh").

What stays: prices ("7.990.000đ", "199000000 đ"), dates ("14/09/2019", "2019-09-14"),
hotlines ("1800 1060"), model numbers and specs, and order numbers written after "#"
("đơn hàng #12345678": a number right after "#" is a reference, never personal data).

Every pattern is linear in the length of the text (no nested or overlapping repetition
that can backtrack; repetitions are bounded or possessive), so a long cell costs
milliseconds, not minutes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# The local part may only start where a run of address characters starts: without that,
# a long word would be rescanned from each of its letters (quadratic).
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")

# Between two digits of one number: up to three spaces, or one dot or dash.
_SEP = r"(?:[ \u00a0]{1,3}+|[.\-])?+"
# Phones may also close a parenthesis there: "(028) 3812 3456".
_PSEP = r"\)?+(?:[ \u00a0]{1,3}+|[.\-])?+"
# Not inside a longer number, nor right after "#" (an order number): no digit (or digit
# and separator) before. A comma then a digit is a CSV field.
_START = r"(?<![\d#])(?<!\d[.,/])"
# Not followed by more digits, a thousands group ("7.990.000") or a date part.
_END = r"(?!\d)(?![.,]\d{3}(?!\d))(?!/\d)"
# Not a price: no currency right after the number.
_NOT_MONEY = r"(?![ \u00a0]{0,2}(?i:đ|d\b|vnd|vnđ|k\b|tr\b|triệu|đồng))"

CARD = re.compile(rf"{_START}\d(?:{_SEP}\d){{12,18}}{_END}{_NOT_MONEY}")
# CCCD: 12 digits, the first a 0 (province codes 001-096).
CCCD = re.compile(rf"{_START}0(?:{_SEP}\d){{11}}{_END}{_NOT_MONEY}")
# An ID number written after its name may be grouped: "CMND: 123 456 789".
ID_AFTER_NAME = re.compile(
    r"(?i:\b(?:cmnd|cmt|cccd|căn cước(?: công dân)?|chứng minh(?: nhân dân| thư)?))"
    rf"(?P<gap>[^\w\n]{{0,5}}(?:(?i:số|là)[^\w\n]{{1,3}}){{0,2}})(?P<number>\d(?:{_SEP}\d){{8,11}}){_END}"
)
_NATIONAL = rf"(?:[35789](?:{_PSEP}\d){{8}}|[12](?:{_PSEP}\d){{9}})"
_COUNTRY = rf"(?:\(\s?\+?84\s?\)|\+\s?84|(?<!\w)84){_PSEP}(?:\(\s?0\s?\){_PSEP})?"
PHONE = re.compile(rf"{_START}(?:{_COUNTRY}|\(?0){_NATIONAL}{_END}{_NOT_MONEY}")
_DIGIT = re.compile(r"\d")
# Digits of other scripts (full-width "０９１２…"): written as ASCII, so the patterns see them.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
# CMND: 9 digits as one run.
CMND = re.compile(rf"{_START}\d{{9}}{_END}{_NOT_MONEY}")


def _luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_card(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return 13 <= len(digits) <= 19 and _luhn_ok(digits)


def redact(text: str) -> tuple[str, int]:
    """The text with personal data replaced, and how many items were replaced."""
    count = 0

    def apply(pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], s: str) -> str:
        def sub(m: re.Match[str]) -> str:
            nonlocal count
            out = repl(m)
            count += out != m.group(0)
            return out

        return pattern.sub(sub, s)

    if "@" in text:
        text = apply(EMAIL, lambda m: "[EMAIL]", text)
    if not _DIGIT.search(text):
        return text, count
    if _OTHER_DIGIT.search(text):
        text = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(0))), text)
    text = apply(CARD, lambda m: "[CARD]" if _is_card(m.group(0)) else m.group(0), text)
    text = apply(ID_AFTER_NAME, lambda m: m.group(0)[: m.start("number") - m.start()] + "[ID]",
                 text)  # fmt: skip
    text = apply(CCCD, lambda m: "[ID]", text)
    text = apply(PHONE, lambda m: "[PHONE]", text)
    text = apply(CMND, lambda m: "[ID]", text)
    return text, count


def redact_text(text: str) -> str:
    """The text with personal data replaced (for messages and stored fields)."""
    return redact(text)[0]
