"""Dates as feedback exports write them: d/m/yyyy, ISO, or relative ("2 tuần trước")."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import NamedTuple

from assistant.core.text import fold

EARLIEST_DATE = date(2000, 1, 1)  # default of CX_EARLIEST_DATE
MAX_DATE_CHARS = 64  # a longer cell is not a date: it is not folded or matched at all
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
_RELATIVE = re.compile(
    r"^(\d+|mot|một)\s*(giay|phut|gio|ngay|tuan|thang|nam|seconds?|minutes?|hours?|days?|weeks?"
    r"|months?|years?)\s*(truoc|ago)$"
)
_DAYS = {
    "giay": 0, "phut": 0, "gio": 0, "second": 0, "minute": 0, "hour": 0,
    "ngay": 1, "day": 1, "tuan": 7, "week": 7, "thang": 30, "month": 30, "nam": 365, "year": 365,
}  # fmt: skip


class DateRange(NamedTuple):
    """The dates a feedback row may plausibly have: one row dated 2099 (or year 1) must not
    become the reference that every relative period counts from."""

    earliest: date
    latest: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.earliest <= day <= self.latest

    def problem(self, shown: str) -> str:
        """The row error of a date outside the range (`shown`: the cell, quoted)."""
        return (
            f"date {shown} is outside {self.earliest.isoformat()} to {self.latest.isoformat()} "
            f"(the earliest is set by CX_EARLIEST_DATE; no date is after today)"
        )


def is_relative(raw: str) -> bool:
    return len(raw) <= MAX_DATE_CHARS and bool(_RELATIVE.match(fold(raw.strip())))


def is_estimated(raw: str) -> bool:
    """A date the export wrote relative to when it was collected ("2 tuần trước", "hôm
    qua"): its calendar day is an estimate, counted back from the collection date."""
    return is_relative(raw) or fold(raw.strip()) in ("hom nay", "today", "hom qua", "yesterday")


def parse_date(raw: str, reference: date | None = None) -> date | None:
    """A calendar date, or None when the text is empty or not a date we understand.

    Relative forms are resolved against `reference` (the collection date); without one
    they cannot be resolved and give None; one further back than year 1 gives date.min (out
    of any DateRange, so rejected, never an error that loses the file).
    """
    raw = raw.strip()
    if not raw or len(raw) > MAX_DATE_CHARS:
        return None
    if m := _DMY.match(raw):
        d, mth, y = (int(g) for g in m.groups())
        try:
            return date(y, mth, d)
        except ValueError:
            return None
    if m := _ISO.match(raw):
        try:
            return datetime.strptime("-".join(m.groups()), "%Y-%m-%d").date()
        except ValueError:
            return None
    folded = fold(raw)
    if folded in ("hom nay", "today"):
        return reference
    if folded in ("hom qua", "yesterday"):
        return reference - timedelta(days=1) if reference else None
    if (m := _RELATIVE.match(folded)) and reference:
        amount = 1 if m.group(1) in ("mot", "một") else int(m.group(1))
        unit = m.group(2).rstrip("s") if m.group(2).endswith("s") else m.group(2)
        try:
            return reference - timedelta(days=amount * _DAYS[unit])
        except OverflowError:  # "99999999 năm trước": before any calendar date
            return date.min
    return None


def months_later(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s month (before it when negative)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


_UNIT_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def period_before(lo: date, hi: date) -> tuple[date, date]:
    """The period before [lo, hi]: the calendar month, quarter or year before when the period
    is one (June before July, as the answer for June counted it), else as many days."""
    prev_end = lo - timedelta(days=1)
    for months in _UNIT_MONTHS.values():
        if (lo.day == 1 and (lo.month - 1) % months == 0
                and hi == months_later(lo, months) - timedelta(days=1)):
            return months_later(lo, -months), prev_end
    return prev_end - (hi - lo), prev_end


def _year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else day.day))


def unit_before(lo: date, hi: date, unit: str) -> tuple[date, date]:
    """"The month before" a period: the calendar month (quarter, year) before the one it
    starts in; "the period before": period_before; "year_ago": the same dates a year
    earlier."""
    if unit == "year_ago":  # "same period last year"
        return _year_earlier(lo), _year_earlier(hi)
    months = _UNIT_MONTHS.get(unit)
    if months is None:
        return period_before(lo, hi)
    first = date(lo.year, lo.month - (lo.month - 1) % months, 1)
    return months_later(first, -months), first - timedelta(days=1)
