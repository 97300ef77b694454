"""Redaction of personal data in feedback, before anything is stored or shown.

What becomes a placeholder:
- [EMAIL]: e-mail addresses, also with spaces around "@" and disguised ("ten(at)gmail(dot)
  com", "ten [at] yahoo [dot] com", "ten at gmail dot com").
- [PHONE]: Vietnamese phone numbers: 0 + 9 digits (mobile) or 0 + 10 digits (landline,
  and the 11-digit mobiles of before 2018), or the same after +84 / 84 / 0084 / (+84), with
  or without the 0 ("+84 (0)", "+840912…"); grouped by spaces (any Unicode space), dots or
  dashes (any hyphen, spaces around it or not), digit by digit; glued to words as in
  "sđt0912345678" or to short words after it ("0912345678 k nghe", "k" = không); every
  number of a list ("A, B", "A/B").
- [CARD]: payment card numbers, 13-19 digits (Luhn-checked), grouped by spaces, dots or dashes.
- [ID]: CCCD (12 digits starting with 0, grouped or not), CMND (9 digits in one run, or
  grouped when written after "CMND", "CMT", "CCCD", "căn cước" or "chứng minh"), passport
  numbers after "hộ chiếu" / "passport".
- [ACCOUNT]: bank account numbers (6-19 digits) after "STK", "tài khoản", "account no.",
  "a/c" or a bank's name.

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

# Spaces people put inside numbers: plain, no-break, figure, thin, narrow no-break.
_SP = "[ \u00a0\u2007\u2009\u202f]"
# Dashes: ASCII, the Unicode hyphens and dashes, the minus sign.
_DASH = "[\\-\u2010-\u2015\u2212]"

# The local part may only start where a run of address characters starts: without that,
# a long word would be rescanned from each of its letters (quadratic). People also put
# spaces around the "@" ("ten @ gmail.com").
EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]++{_SP}?+@{_SP}?+[\w-]++(?:{_SP}?+\.{_SP}?+[\w-]++)+")
# Addresses written to dodge scrapers: "ten(at)gmail(dot)com", "ten [at] yahoo [dot] com",
# "ten at gmail dot com" (the spelled-out form only with a mail provider's name after it).
_AT = r"(?:\s?+[(\[{]\s?+(?i:at|a)\s?+[)\]}]\s?+)"
_DOT = r"(?:\s?+[(\[{]\s?+(?i:dot|\.)\s?+[)\]}]\s?+|\s(?i:dot)\s|\s?+\.\s?+)"
_PROVIDER = r"(?i:gmail|yahoo|hotmail|outlook|icloud|live|msn|proton(?:mail)?|ymail|fpt|vnn)"
OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]++(?:{_AT}[\w-]++|\s(?i:at)\s{_PROVIDER})(?:{_DOT}[\w-]++)+"
)

# Between two digits of one number: up to three spaces, or a dot or a dash with at most two
# spaces on either side ("0912 - 345 - 678").
_SEP = rf"(?:{_SP}{{1,3}}+(?:[.]|{_DASH})?+{_SP}{{0,2}}+|(?:[.]|{_DASH}){_SP}{{0,2}}+)?+"
# Phones may also close a parenthesis there: "(028) 3812 3456".
_PSEP = rf"\)?+{_SEP}"
# Not inside a longer number, nor right after "#" (an order number): no digit (or digit
# and separator) before. A comma then a digit is a CSV field.
_START = r"(?<![\d#])(?<!\d[.,/])"
# Not followed by more digits, a thousands group ("7.990.000") or a date part.
_END = r"(?!\d)(?![.,]\d{3}(?!\d))(?!/\d)"
# Not a price: no currency right after the number. Only numbers that can be prices are
# checked: a phone or a CCCD starts with 0 or a country code, which no price does, so
# "gọi 0912345678 k nghe" ("k" = không) is still a phone.
_NOT_MONEY = r"(?![ \u00a0]{0,2}(?i:đ|d\b|vnd|vnđ|k\b|tr\b|triệu|đồng))"

# Between a number's name and the number: punctuation and up to three short words
# ("CMND: ", "cmnd e la ", "số tài khoản Vietcombank là "). Words and separators alternate,
# so there is one way to read them (linear).
_GAP = r"(?P<gap>[^\w\n]{0,5}(?:[^\W\d]{1,20}[^\w\n]{1,3}){0,3})"
CARD = re.compile(rf"{_START}(?<![^\W\d_])\d(?:{_SEP}\d){{12,18}}{_END}{_NOT_MONEY}")
# A number named as a card ("thẻ 4532 7153 2201 4478", "visa 4716…") is one whatever its
# checksum says; so is one grouped 4-4-4-4 as only cards are written.
CARD_AFTER_NAME = re.compile(
    r"(?i:\b(?:s[ốo] th[ẻe]|th[ẻe]|card|visa|master(?:card)?|napas|amex|jcb))(?![-_])"
    rf"{_GAP}(?P<number>\d(?:{_SEP}\d){{12,18}}){_END}"
)
CARD_GROUPED = re.compile(
    rf"{_START}(?<![^\W\d_])\d{{4}}(?:(?:{_SP}|{_DASH})\d{{4}}){{3}}(?!\d)(?![.,]\d)"
)
# CCCD: 12 digits, the first a 0 (province codes 001-096).
CCCD = re.compile(rf"{_START}(?<![^\W\d_])0(?:{_SEP}\d){{11}}{_END}")
# An ID number written after its name may be grouped: "CMND: 123 456 789".
ID_AFTER_NAME = re.compile(
    r"(?i:\b(?:cmnd|cmt|cccd|c[ăa]n c[ưu][ớo]c(?: c[ôo]ng d[âa]n)?"
    r"|ch[ứu]ng minh(?: nh[âa]n d[âa]n| th[ưu])?))(?![-_])"
    rf"{_GAP}(?P<number>\d(?:{_SEP}\d){{8,11}}){_END}"
)
# A passport number (a letter and 7 or 8 digits) after its name: "hộ chiếu C1234567".
PASSPORT_AFTER_NAME = re.compile(
    r"(?i:\b(?:h[ộo] ch[ií][ếe]u|passport(?:\s{1,3}(?:no\.?|number|#))?|s[ốo] hc|hc))(?![-_])"
    rf"{_GAP}(?P<number>[A-Za-z]{_SP}?\d{{7,8}})(?![\w])"
)
# A bank account after its name or its bank's ("STK: 0071 0001 23456", "số tài khoản
# Vietcombank là 0123456789", "account no. 12345678", "ACB 12345678"): 6 to 19 digits.
# Not "TK-2024…" (a ticket id): the name must not be glued to a dash.
_BANKS = (
    r"vietcombank|vcb|techcombank|tcb|vietinbank|bidv|agribank|acb|mb|mbbank|vpbank|tpbank|"
    r"sacombank|vib|shb|hdbank|ocb|msb|seabank|eximbank|scb|lpbank|bank"
)
ACCOUNT_AFTER_NAME = re.compile(
    r"(?i:\b(?:stk|s[ốo]\s{1,3}tk|(?:s[ốo]\s{1,3})?t[àa]i\s{1,3}kho[ảa]n|tk|a/c|acct|acc(?:ount)?(?:\s{1,3}"
    rf"(?:no\.?|number|#))?|{_BANKS}))(?![-_])"
    rf"{_GAP}(?P<number>\d(?:{_SEP}\d){{5,18}}){_END}{_NOT_MONEY}"
)
# Mobiles have 9 digits after the 0 (an old or mistyped 11-digit one has its extra digit
# glued to the last group: "0368 234 5678"), landlines 10.
_NATIONAL = rf"(?:[35789](?:{_PSEP}\d){{8}}\d?|[12](?:{_PSEP}\d){{9}})"
_COUNTRY = (
    rf"(?:\(\s?\+?84\s?\)|\+\s?84|(?<!\w)0084|(?<!\w)84){_PSEP}(?:\(\s?0\s?\){_PSEP}|0{_PSEP})?"
)
# A phone is too long to be a date, so "/" after it starts the next number ("A/B").
PHONE = re.compile(rf"{_START}(?:{_COUNTRY}|\(?0{_PSEP}){_NATIONAL}(?!\d)(?![.,]\d{{3}}(?!\d))")
# A number named as a reference (an order, a waybill, an invoice, a ticket, a transfer) is
# not personal data, nor the numbers listed after it ("đơn 100245789 và 100245790"): kept
# aside before the patterns run, put back after.
REFERENCE = re.compile(
    r"(?i:\b(?:đơn(?:\s{1,3}hàng)?|don(?:\s{1,3}hang)?|order|mã(?:\s{1,3}(?:đơn|vận\s{1,3}đơn|giao\s{1,3}dịch))?"
    r"|vận\s{1,3}đơn|van\s{1,3}don|waybill|tracking|ref(?:erence)?|hóa\s{1,3}đơn|invoice|ticket|mvđ))"
    r"(?:\s{1,3}(?:số|so|no\.?|number|code|#|id))?(?:\s{1,3}[A-Z][\w&]{0,10})?[\s:#.]{0,4}"
    r"(?P<refs>\d{5,20}(?:\s{0,2}(?:,|/|&|và|va|and|-)\s{0,2}\d{5,20}){0,5})(?!\d)"
)
_DIGIT = re.compile(r"\d")
# Digits of other scripts (full-width "０９１２…"): written as ASCII, so the patterns see them.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
# CMND: 9 digits as one run.
# Not glued after letters: "GHN123456789" is a tracking code.
CMND = re.compile(rf"{_START}(?<![^\W\d_])\d{{9}}{_END}{_NOT_MONEY}")


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


_AT_WORD = re.compile(r"(?i:[(\[{]\s?(?:at|a)\s?[)\]}]|\sat\s)")


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
    if _AT_WORD.search(text):
        text = apply(OBFUSCATED_EMAIL, lambda m: "[EMAIL]", text)
    if not _DIGIT.search(text):
        return text, count
    if _OTHER_DIGIT.search(text):
        text = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(0))), text)
    kept: list[str] = []

    def keep(m: re.Match[str]) -> str:
        kept.append(m.group("refs"))
        return m.group(0)[: m.start("refs") - m.start()] + f"\x00{len(kept) - 1}\x00"

    text = REFERENCE.sub(keep, text)
    text = apply(CARD_AFTER_NAME,
                 lambda m: m.group(0)[: m.start("number") - m.start()] + "[CARD]", text)
    text = apply(CARD_GROUPED, lambda m: "[CARD]", text)
    text = apply(ACCOUNT_AFTER_NAME,
                 lambda m: m.group(0)[: m.start("number") - m.start()] + "[ACCOUNT]", text)
    text = apply(CARD, lambda m: "[CARD]" if _is_card(m.group(0)) else m.group(0), text)
    text = apply(PASSPORT_AFTER_NAME,
                 lambda m: m.group(0)[: m.start("number") - m.start()] + "[ID]", text)
    text = apply(ID_AFTER_NAME, lambda m: m.group(0)[: m.start("number") - m.start()] + "[ID]",
                 text)  # fmt: skip
    text = apply(CCCD, lambda m: "[ID]", text)
    text = apply(PHONE, lambda m: "[PHONE]", text)
    if "[PHONE]" in text:
        # The second of "A,B" or "A/B" starts right after a number's separator, where a
        # number is not read (a CSV field, a date): once A is a placeholder, it is.
        text = apply(PHONE, lambda m: "[PHONE]", text)
    text = apply(CMND, lambda m: "[ID]", text)
    if kept:
        text = re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)
    return text, count


def redact_data(value: object) -> object:
    """Every string inside JSON-like data (dicts, lists) redacted: an answer before it is
    stored echoes what the question and the filters said."""
    if isinstance(value, str):
        return redact(value)[0]
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_data(v) for v in value]
    return value


def redact_text(text: str) -> str:
    """The text with personal data replaced (for messages and stored fields)."""
    return redact(text)[0]
