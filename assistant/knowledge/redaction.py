"""Redaction of personal data in feedback text, before anything is stored or shown.

Emails, Vietnamese phone numbers, payment card numbers (Luhn-checked) and national ID
numbers (12-digit CCCD, 9-digit CMND) become placeholders. Prices such as "7.990.000đ",
dates and model numbers are left alone.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Not inside a longer number: no digit (or digit and separator) before, and no digit or
# thousands group ("7.990.000") or date part after. A comma then a digit is a CSV field.
_START = r"(?<!\d)(?<!\d[.,/])"
_END = r"(?!\d)(?![.,]\d{3}(?!\d))(?!/\d)"
# A card number: 13-19 digits, optionally grouped by spaces or dashes.
CARD = re.compile(rf"{_START}(?:\d[ -]?){{12,18}}\d{_END}")
# CCCD: 12 digits starting with 0 (province code), written as one run.
CCCD = re.compile(rf"{_START}0\d{{11}}{_END}")
# Phones: +84 / 84 / 0 followed by 9 or 10 digits, possibly split by spaces, dots or dashes.
PHONE = re.compile(rf"(?<!\w){_START}(?:\+84|84|0)(?:[ .-]?\d){{9,10}}{_END}(?!\w)")
# CMND: 9 digits as one run, not a price (no currency after it).
CMND = re.compile(
    rf"{_START}\d{{9}}{_END}(?!\s*(?:đ|d\b|vnd|vnđ|k\b|tr\b|triệu|đồng))", re.IGNORECASE
)


def _luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[CARD]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


def redact(text: str) -> tuple[str, int]:
    """The text with personal data replaced, and how many items were replaced."""
    count = 0

    def sub(pattern: re.Pattern[str], repl, s: str) -> str:  # noqa: ANN001
        nonlocal count
        out, n = pattern.subn(repl, s)
        if callable(repl):
            n = out.count("[CARD]") - s.count("[CARD]")
        count += n
        return out

    text = sub(EMAIL, "[EMAIL]", text)
    text = sub(CARD, _card, text)
    text = sub(CCCD, "[ID]", text)
    text = sub(PHONE, "[PHONE]", text)
    text = sub(CMND, "[ID]", text)
    return text, count
