"""Filters named in a free-text request: period, star rating, customer segment.

    parse_filters("sinh viên đánh giá 1-2 sao trong quý 2 năm 2020", reference=None)
    -> start 2020-04-01, end 2020-06-30, min_rating 1, max_rating 2, segment "students"

The rules, all in Vietnamese and English, typed with or without diacritics:
- dates are inclusive; a day, a month ("tháng 3/2020", "March 2020", "03/2020"), a quarter
  ("quý 2 năm 2020", "Q2 2020", "second quarter of 2020") or a year is a period; two periods
  joined by "to / đến / -" are a range; "since / từ / from X" sets only the start, "until /
  đến X / cap it at the end of X" only the end (X's last day), "before / trước X" ends the
  day before X begins; a month or quarter of last year or this one ("tháng 6 năm ngoái", "Q2
  last year") is that year's (it needs R);
- relative periods count from the reference date R (the latest feedback date): "last month /
  tháng trước" is the previous calendar month (likewise quarter, year, week), "this month /
  tháng này" runs from its first day to R, "past N days / N ngày qua" is R - N days + 1 .. R
  (weeks likewise), and N months or years are counted back from the day after R (R =
  2020-06-30, 3 months -> 2020-04-01). A vague "recently / dạo này" sets nothing and is said
  as not applied. Without R a relative period cannot be resolved: it is reported in
  `unresolved`, not guessed;
- star ratings: "1-2 sao", "5 sao", "dưới 3 sao / below 3" (max 2), "tối đa 2 / at most 2"
  (max 2), "từ 4 sao trở lên / at least 4" (min 4), "trên 3 / more than 3" (min 4), in words
  "low ratings / sao thấp" (max 2), "highly rated / sao cao" (min 4); an end of the scale
  left out, "loại 5 sao / exclude 1-star" (max 4 / min 2); a number without "sao / star(s)"
  is not a rating ("top 5 pain points");
- segments and filters the data has no field for (location, gender, age, channel) are found
  by cue words kept as data in `corpus/playbook/segments.yaml`.

Phrases are matched in that order (periods, ratings, segments, unsupported cues) and each
consumes its words, so "người lớn tuổi" is the elderly segment and not an age filter.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from assistant.core.text import has_diacritics, nfc
from assistant.feedback.cues import fold_aligned
from assistant.feedback.dates import months_later
from assistant.feedback.segments import SegmentBook, Unsupported, load_segments, negated

MatchKind = Literal["period", "rating", "segment", "unsupported"]


# -- the result ------------------------------------------------------------------------------


class Matched(BaseModel):
    """A phrase of the request that was read as a filter."""

    kind: MatchKind
    text: str = Field(description="The phrase as written.")
    span: tuple[int, int] = Field(description="Start and end offsets in the NFC text.")
    value: str = Field(description="What it was read as: '2020-04-01..2020-06-30', 'max 2'...")


class ParsedFilters(BaseModel):
    """The filters a request names; absent filters are None (or empty)."""

    start: date | None = Field(None, description="First day of the period (inclusive).")
    end: date | None = Field(None, description="Last day of the period (inclusive).")
    min_rating: int | None = Field(None, ge=1, le=5, description="Lowest star rating kept.")
    max_rating: int | None = Field(None, ge=1, le=5, description="Highest star rating kept.")
    segment: str | None = Field(None, description="Segment id from the segments file.")
    unsupported: list[Unsupported] = Field(
        default_factory=list, description="Filters asked for that the data has no field for."
    )
    matched: list[Matched] = Field(
        default_factory=list, description="The phrases read as filters, in text order."
    )
    unresolved: list[Matched] = Field(
        default_factory=list,
        description="Relative periods recognised but not applied: no reference date was "
        "given, or the phrase is ambiguous ('3 tháng trước').",
    )
    before_that: Literal["month", "quarter", "year", "period", "year_ago"] | None = Field(
        None, description="'the month before', 'quý trước đó': the unit before the period "
        "already in use; 'same period last year', 'cùng kỳ năm ngoái': that period a year "
        "earlier (a follow-up's; the conversation knows which period that is).",
    )

    stars_left_out: bool = Field(
        False, description="A star level was left out ('loại 5 sao', 'exclude 1-star'): the "
        "other ratings are kept, which no removal of the star filter undoes.",
    )

    def is_empty(self) -> bool:
        """True when the request names no filter at all."""
        return not (
            self.start or self.end or self.min_rating or self.max_rating or self.segment
            or self.unsupported or self.before_that
        )  # fmt: skip

    def remainder(self, text: str) -> str:
        """The request without the phrases read as filters (to search or route the rest)."""
        text = nfc(text)
        spans = sorted(m.span for m in [*self.matched, *self.unresolved])
        out, pos = [], 0
        for s, e in spans:
            if s >= pos:
                out.append(text[pos:s])
                pos = e
        out.append(text[pos:])
        return re.sub(r"\s+", " ", " ".join(out)).strip(" ,;")


# -- the parser --------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MON = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "mot": 1, "hai": 2, "ba": 3, "bon": 4,
    "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10,
}  # fmt: skip
_NUM = r"(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")"
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
            "4th": 4}  # fmt: skip
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_YEAR = r"(?P<y>(?:19|20)\d{2})"
_NOT_BEFORE = r"(?<![\w/.-])"
_NOT_AFTER = r"(?![\w/]|[.-]\d)"

Period = tuple[date, date]


def _month(y: int, m: int) -> Period:
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def _quarter(y: int, q: int) -> Period:
    return date(y, 3 * q - 2, 1), _month(y, 3 * q)[1]


def _add_months(d: date, n: int) -> date:
    """`d` moved by n months, the day clamped to the month's length."""
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _number(raw: str) -> int:
    return int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]


def _day(g: dict[str, str]) -> Period | None:
    try:
        d = date(int(g["y"]), _MONTHS[g["mon"][:3]] if g.get("mon") else int(g["m"]), int(g["d"]))
    except (ValueError, KeyError):
        return None
    return d, d


def _month_period(g: dict[str, str]) -> Period | None:
    if g.get("mw"):
        return _month(int(g["y"]), _VI_MONTH_WORDS[re.sub(r"\s+", " ", g["mw"])])
    m = _MONTHS[g["mon"][:3]] if g.get("mon") else int(g["m"])
    return _month(int(g["y"]), m) if 1 <= m <= 12 else None


def _quarter_period(g: dict[str, str]) -> Period | None:
    raw = g["q"]
    q = _ORDINAL.get(raw) or _ROMAN.get(raw) or (int(raw) if raw.isdigit() else 0)
    return _quarter(int(g["y"]), q) if 1 <= q <= 4 else None


def _half_period(g: dict[str, str]) -> Period | None:
    """'first half of 2020', 'H2 2019', 'nửa đầu năm 2020', '6 tháng cuối năm 2019'."""
    second = g["h"] in ("second", "2nd", "2", "cuoi", "sau", "last")
    y = int(g["y"])
    return (date(y, 7, 1), date(y, 12, 31)) if second else (date(y, 1, 1), date(y, 6, 30))


def _months_of_year(g: dict[str, str]) -> Period | None:
    """'3 tháng đầu năm 2020', 'last four months of 2019': the year's first or last N."""
    n, y = _number(g["n"]), int(g["y"])
    if not 1 <= n <= 12:
        return None
    if g["h"] in ("dau", "first"):
        return date(y, 1, 1), _month(y, n)[1]
    return date(y, 13 - n, 1), date(y, 12, 31)


def _year_period(g: dict[str, str]) -> Period | None:
    y = int(g["y"])
    return date(y, 1, 1), date(y, 12, 31)


def _month_range(g: dict[str, str]) -> Period | None:
    """'tháng 3 - tháng 5/2020', 'March to May 2020': both months of the one year."""
    first = _month_period({"m": g.get("m1", ""), "mon": g.get("mon1", ""), "y": g["y"]})
    last = _month_period({"m": g.get("m2", ""), "mon": g.get("mon2", ""), "y": g["y"]})
    return (first[0], last[1]) if first and last and first[0] <= last[0] else None


def _quarter_range(g: dict[str, str]) -> Period | None:
    first = _quarter_period({"q": g["q1"], "y": g["y"]})
    last = _quarter_period({"q": g["q2"], "y": g["y"]})
    return (first[0], last[1]) if first and last and first[0] <= last[0] else None


def _mon(name: str) -> str:
    return _MON.replace("?P<mon>", f"?P<{name}>")


_TO = r"\s*(?:-|to|through|until|and|den|toi)\s*"
_VI_YEAR = r"(?:\s*[/-]\s*|\s*,?\s*(?:nam\s+)?)" + _YEAR + r"\b"


# Vietnamese month names in words ("tháng bảy", "tháng giêng"); "tháng năm" (May) only when
# no word follows that makes it "this/last year" or a count of months.
_VI_MONTH_WORDS = {"gieng": 1, "mot": 1, "hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6,
                   "bay": 7, "tam": 8, "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12,
                   "chap": 12}  # fmt: skip
# ... as typed with diacritics: "tháng sau" (next month), "tháng tư" (April) and "từ" fold alike;
# a request typed with diacritics names a month only in its own spelling.
_VI_MONTH_TYPED = {"gieng": "giêng", "mot": "một", "tu": "tư", "nam": "năm", "sau": "sáu",
                   "bay": "bảy", "tam": "tám", "chin": "chín", "muoi": "mười",
                   "chap": "chạp"}  # fmt: skip
_VI_MONTH_WORD = (r"(?P<mw>muoi\s+mot|muoi\s+hai|gieng|chap|mot|hai|ba|tu|sau|bay|tam|chin|"
                  r"muoi|nam(?!\s+(?:nay|ngoai|truoc|qua|roi|gan|\d)))")
# Absolute periods, most specific first: a day is read before the month inside it.
_ABSOLUTE: list[tuple[re.Pattern[str], Callable[[dict[str, str]], Period | None]]] = [
    # Two months or quarters sharing the year written after the second.
    (re.compile(r"\bthang\s+(?P<m1>\d{1,2})" + _TO + r"(?:thang\s+)?(?P<m2>\d{1,2})" + _VI_YEAR),
     _month_range),
    (re.compile(r"\b" + _mon("mon1") + _TO + _mon("mon2") + r",?\s+(?:of\s+)?" + _YEAR + r"\b"),
     _month_range),
    (re.compile(r"\bq(?P<q1>[1-4])" + _TO + r"q(?P<q2>[1-4])\s*(?:[/-]|\s+of\s+|\s*)\s*" + _YEAR
                + r"\b"), _quarter_range),
    (re.compile(r"\bquy\s+(?P<q1>[1-4]|iv|i{1,3})" + _TO + r"(?:quy\s+)?(?P<q2>[1-4]|iv|i{1,3})"
                + _VI_YEAR), _quarter_range),
    (re.compile(_NOT_BEFORE + r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _NOT_AFTER),
     _day),
    (re.compile(_NOT_BEFORE + r"(?P<d>\d{1,2})([-/.])(?P<m>\d{1,2})\2(?P<y>\d{4})" + _NOT_AFTER),
     _day),
    (re.compile(r"\b" + _MON + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+" + _YEAR + r"\b"), _day),
    (re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON + r",?\s+" + _YEAR
                + r"\b"), _day),
    (re.compile(r"\bngay\s+(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2}),?\s+(?:nam\s+)?" + _YEAR
                + r"\b"), _day),
    (re.compile(r"\b(?P<h>first|second|1st|2nd)\s+half\s+(?:of\s+)?(?:the\s+year\s+)?" + _YEAR
                + r"\b"), _half_period),
    (re.compile(r"\b(?P<h>first|last)\s+(?:6|six)\s+months\s+of\s+" + _YEAR + r"\b"), _half_period),
    (re.compile(r"\bh(?P<h>[12])\s*(?:[/-]|\s+of\s+|\s*)\s*" + _YEAR + r"\b"), _half_period),
    (re.compile(r"\b(?:nua|6\s+thang|sau\s+thang)\s+(?:nam\s+)?(?P<h>dau|cuoi|sau)\s+(?:cua\s+)?"
                r"(?:nam\s+)?" + _YEAR + r"\b"), _half_period),
    (re.compile(r"\b(?P<n>\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")\s+thang\s+(?P<h>dau|cuoi)\s+"
                r"(?:cua\s+)?(?:nam\s+)?" + _YEAR + r"\b"), _months_of_year),
    (re.compile(r"\b(?P<h>first|last)\s+(?P<n>\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")\s+months\s+"
                r"of\s+" + _YEAR + r"\b"), _months_of_year),
    (re.compile(r"\bq(?P<q>[1-4])\s*(?:[/-]|\s+of\s+|\s*)\s*" + _YEAR + r"\b"), _quarter_period),
    (re.compile(r"\b" + _YEAR + r"\s*[-/]?\s*q(?P<q>[1-4])\b"), _quarter_period),
    (re.compile(r"\bquy\s+(?P<q>[1-4]|iv|i{1,3})\s*(?:[/-]\s*|,?\s*(?:nam\s+)?)" + _YEAR
                + r"\b"), _quarter_period),
    (re.compile(r"\b(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\s+(?:of\s+)?"
                + _YEAR + r"\b"), _quarter_period),
    (re.compile(r"\bquarter\s+(?P<q>[1-4])\s+(?:of\s+)?" + _YEAR + r"\b"), _quarter_period),
    (re.compile(r"\bthang\s+(?P<m>\d{1,2})(?:\s*[/-]\s*|\s*,?\s*(?:nam\s+)?)" + _YEAR + r"\b"),
     _month_period),
    (re.compile(r"\b" + _MON + r",?\s+(?:of\s+)?" + _YEAR + r"\b"), _month_period),
    (re.compile(r"\bthang\s+" + _VI_MONTH_WORD + r"\s*,?\s*(?:nam\s+)?" + _YEAR + r"\b"),
     _month_period),
    (re.compile(_NOT_BEFORE + r"(?P<m>\d{1,2})[/-]" + _YEAR + _NOT_AFTER), _month_period),
    (re.compile(_NOT_BEFORE + _YEAR + r"-(?P<m>\d{2})" + _NOT_AFTER), _month_period),
    (re.compile(r"(?:\bnam\s+)?" + _NOT_BEFORE + _YEAR + _NOT_AFTER), _year_period),
]  # fmt: skip

_YEARLESS_MONTH = [
    re.compile(r"(?P<at>\bthang\s+(?P<m>1[0-2]|0?[1-9])" + _NOT_AFTER + r")(?P<mon>)"),
    re.compile(r"(?P<at>\bthang\s+" + _VI_MONTH_WORD + r"\b)(?P<m>)(?P<mon>)"
               r"(?!\s*,?\s*(?:nam\s+)?\d)"),
    re.compile(r"\b(?:in|since|from|until|till|to|through|during|before|after|of)\s+(?P<at>"
               + _MON + r")(?P<m>)(?!\w)(?!\s*,?\s*\d)"),
    # ... or after a Vietnamese one, as code-switched requests write it ("từ March tới giờ"):
    # full names only, and never "may" ("máy", "mấy" typed without diacritics).
    re.compile(r"\b(?:tu|ke tu|den|toi|trong|truoc|sau|thang)\s+(?P<at>(?P<mon>january|february|"
               r"march|april|june|july|august|september|october|november|december))(?P<m>)"
               r"(?!\w)(?!\s*,?\s*\d)"),
    # "make it June instead", "only July": a month's full name alone, where it is no other
    # word ("may" and "march" are verbs too: they need a preposition above).
    re.compile(r"(?P<at>\b(?P<mon>january|february|april|june|july|august|september|october|"
               r"november|december)\b)(?P<m>)(?!\s*,?\s*\d)"),
]

# Two days without their year, as Vietnamese write them ("từ 1/6 đến 15/7", "from 1/6 to
# 15/7"): a range only, since "1/2" alone is as often a share or a rating.
_YEARLESS_DAYS = re.compile(
    _NOT_BEFORE + r"(?:ngay\s+)?(?P<d1>[0-3]?\d)/(?P<m1>[01]?\d)" + _TO
    + r"(?:ngay\s+)?(?P<d2>[0-3]?\d)/(?P<m2>[01]?\d)" + _NOT_AFTER)
# A month or quarter of the year before or this one ("tháng 6 năm ngoái", "Q2 last year",
# "June of this year"): the year is written in, so the month is read as that year's.
_OF_RELATIVE_YEAR = re.compile(
    r"\b(?:thang\s+(?:1[0-2]|0?[1-9]|muoi\s+mot|muoi\s+hai|gieng|chap|mot|hai|ba|tu|sau|bay|tam|"
    r"chin|muoi)|quy\s+(?:[1-4]|iv|i{1,3})|q[1-4]|(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+"
    r"quarter|" + _MON.replace("?P<mon>", "?P<en>") + r")\s*,?\s+(?:of\s+)?"
    r"(?P<rel>nam\s+(?:ngoai|truoc|roi)|(?:last|previous)\s+year|the\s+previous\s+year|"
    r"nam\s+nay|this\s+year)\b"
)

_YEARLESS_QUARTER = re.compile(
    r"\b(?:quy\s+(?P<q>[1-4]|iv|i{1,3})|q(?P<q2>[1-4])|(?P<q3>first|second|third|fourth|1st|2nd|3rd|"
    r"4th)\s+quarter|quarter\s+(?P<q4>[1-4]))\b(?!\s*(?:[/-]\s*)?,?\s*(?:of\s+|nam\s+)?\d)"
)

# Words before a period that say which side of it is meant.
_PREP = r"(?:in|on|during|within|of|for|trong|vao|ngay|trong\s+nam)"
_SINCE = r"(?:(?:--)?from|since|starting(?:\s+from)?|as\s+of|(?:ke\s+)?tu|bat\s+dau\s+tu)"
# The data named before "from" ("reviews from Q1 2020", "comments from 2019"): where they come
# from in time, the period itself, not its start.
_DATA_FROM = r"(?:reviews?|comments?|feedback|data|ratings?|responses?|complaints?)\s+from"
_AFTER = r"(?:after|sau(?:\s+ngay)?)"
_BEFORE = r"(?:before|prior\s+to|earlier\s+than|truoc(?:\s+ngay)?)"
_UNTIL = (r"(?:(?:(?:--)?to|until|till|through|thru|up\s+to|(?:cap|stop|end)(?:\s+(?:it|this))?"
          r"\s+at)(?:\s+the\s+end\s+of)?|(?:cho\s+)?den(?:\s+het)?|(?:toi|den)\s+cuoi|toi)")
# "restrict to 2019", "narrow it down to Q2", "change it to March": a bare "to" after a verb
# that sets the scope names the period, not its end (closed grammar: a list).
_NARROW = (r"(?:(?:restrict|limit|narrow|cut|change|switch|set|filter|keep|stick|scope|focus|"
           r"move|shift|bring|reduce|zoom)\w*(?:\s+(?:it|this|that|them|down|back|in|only|"
           r"the\s+\w+|just))*\s+to|chuyen\s+sang|doi\s+sang|doi\s+thanh)")
_TO_NOW = re.compile(
    r"\s*,?\s*(?:(?:cho\s+)?(?:den|toi)\s+(?:nay|gio|bay\s+gio|hien\s+tai)"
    r"|(?:until|till|up\s+to|to|through)\s+(?:now|today|date|the\s+present))\b"
)
# The unit before the period in use: "the month before (that)", "the previous quarter to
# that", "tháng trước đó", "quý liền trước nữa", "the period before".
_BEFORE_THAT = re.compile(
    r"\b(?:the\s+)?(?P<u>month|quarter|year|period)\s+before(?:\s+(?:that|it|this))?\b(?!\s+\w*\d)"
    r"|\b(?P<u2>thang|quy|nam|ky)\s+(?:lien\s+)?truoc\s+(?:do|nua|no)\b"
)
# The period in use a year earlier: "same period last year", "same quarter a year ago",
# "year on year", "cùng kỳ (năm ngoái)", "cùng tháng năm trước".
_SAME_LAST_YEAR = re.compile(
    r"\b(?:(?:the\s+)?same\s+(?:period|time|month|quarter|week|months|weeks|dates)\s+(?:of\s+|in\s+)?"
    r"(?:last\s+year|a\s+year\s+(?:ago|before|earlier)|the\s+(?:year|previous\s+year)\s+before)"
    r"|(?:a|one)\s+year\s+(?:earlier|before)|year[\s-]on[\s-]year|yoy"
    r"|cung\s+ky(?:\s+nam\s+(?:ngoai|truoc|roi))?"
    r"|cung\s+(?:thang|quy|tuan|thoi\s+gian|giai\s+doan)\s+(?:nay\s+|do\s+)?nam\s+(?:ngoai|truoc|roi))\b"
)
_BEFORE_UNIT = {"month": "month", "thang": "month", "quarter": "quarter", "quy": "quarter",
                "year": "year", "nam": "year"}
_RANGE_HEAD = r"(?:(?:--)?from|between|tu|(?:ke\s+)?tu)"
_CONNECTOR = re.compile(r"\s*(?:-|~|->|and|or|(?:--)?to|until|till|through|thru|den|toi)\s*")


def _prefix(before: str, words: str) -> re.Match[str] | None:
    return re.search(r"(?<![\w-])" + words + r"\s*$", before)


# Relative periods (need the reference date R).
_UNIT = {
    "day": "day", "days": "day", "ngay": "day", "week": "week", "weeks": "week", "tuan": "week",
    "month": "month", "months": "month", "thang": "month", "year": "year", "years": "year",
    "nam": "year", "quarter": "quarter", "quy": "quarter", "ytd": "year", "mtd": "month",
    "qtd": "quarter",
}  # fmt: skip
_LEAD = r"(?:(?:in|over|during|within|for|from|trong)\s+)?(?:the\s+)?"
_ROLLING_N = [
    re.compile(_LEAD + r"\b(?:past|last|previous|recent)\s+" + _NUM
               + r"\s+(?P<u>days?|weeks?|months?|years?)\b"),
    re.compile(r"(?:\btrong\s+(?:vong\s+)?)?\b" + _NUM + r"\s+(?P<u>ngay|tuan|thang|nam)\s+"
               r"(?:qua|gan\s+day|gan\s+nhat|vua\s+qua|tro\s+lai\s+day|cuoi(?:\s+cung)?)\b"),
]  # fmt: skip
_HALF_RELATIVE = re.compile(
    r"\b(?:(?:the\s+)?(?P<h>first|second|1st|2nd)\s+half\s+of\s+(?P<w>this|last|previous)\s+year|"
    r"(?:nua|6\s+thang|sau\s+thang)\s+(?:nam\s+)?(?P<h2>dau|cuoi|sau)\s+(?:cua\s+)?nam\s+"
    r"(?P<w2>nay|ngoai|truoc))\b"
)
# "3 tháng đầu năm", "6 tháng cuối năm ngoái", "first four months of this year": the first or
# last N months of the reference year (or the one before), when no year number follows.
_MONTHS_RELATIVE = re.compile(
    r"\b(?P<n>\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")\s+thang\s+(?P<h>dau|cuoi)\s+(?:cua\s+)?nam"
    r"(?:\s+(?P<w>nay|ngoai|truoc))?(?!\s*\d)\b|\b(?P<h2>first|last)\s+(?P<n2>\d{1,2}|"
    + "|".join(_NUMBER_WORDS) + r")\s+months\s+of\s+(?P<w2>this|last)\s+year\b"
)
_AGO = re.compile(r"\b" + _NUM + r"\s+(?P<u>ngay|tuan|thang|nam|days?|weeks?|months?|years?)"
                  r"\s+(?:truoc|ago)\b")  # fmt: skip
# "a few months", "vài tuần qua", "mấy tuần nay", "lately", "dạo này": a period without a
# length; recorded, never guessed ("tuần nay" alone is this week). "gần đây" alone is also
# "nearby" ("cửa hàng gần đây"): only "dạo / thời gian / hồi gần đây" are a period.
_VAGUE = re.compile(
    r"\b(?:(?:past|last)\s+(?:few|several|couple\s+of)\s+(?:days|weeks|months|years)"
    r"|(?:vai|mot\s+vai|may|nhung)\s+(?:ngay|tuan|thang|nam)\s+(?:qua|nay|gan\s+day|gan\s+nhat)"
    r"|lately|recently|of\s+late|these\s+days|nowadays|in\s+recent\s+(?:days|weeks|months|times)"
    r"|dao\s+(?:nay|gan\s+day)|(?:thoi\s+gian|hoi|khoang\s+thoi\s+gian)\s+gan\s+day)\b"
)
_ROLLING_ONE = [
    re.compile(_LEAD + r"\bpast\s+(?P<u>day|week|month|year)\b"),
    re.compile(r"(?:\btrong\s+)?\b(?P<u>tuan|thang|nam)\s+qua\b"),
]
_PREVIOUS = [
    re.compile(_LEAD + r"\b(?:last|previous|prior)\s+(?P<u>week|month|quarter|year)\b"),
    re.compile(r"(?:\btrong\s+)?\b(?P<u>tuan|thang|quy)\s+(?:truoc|vua\s+roi|vua\s+qua)\b"),
    re.compile(r"(?:\btrong\s+)?\b(?P<u>nam)\s+(?:ngoai|truoc|vua\s+roi|vua\s+qua)\b"),
]
_CURRENT = [
    re.compile(_LEAD + r"\b(?:this|current)\s+(?P<u>week|month|quarter|year)\b"),
    re.compile(r"(?:\btrong\s+)?\b(?P<u>tuan|thang|quy|nam)\s+nay\b"),
    # "từ đầu năm đến nay", "từ đầu năm" (of no other year), "year to date", "since the
    # start of the year"
    re.compile(r"\b(?:(?:ke\s+)?tu\s+)?dau\s+(?P<u>nam|thang|quy)\s+(?:den|toi|cho\s+den)\s+"
               r"(?:nay|gio|bay\s+gio|hien\s+tai)\b"),
    re.compile(r"\b(?:ke\s+)?tu\s+dau\s+(?P<u>nam|thang|quy)\b"
               r"(?!\s+(?:nay\s+)?(?:\d|ngoai|truoc|roi|sau|toi|kia|nao))"),
    re.compile(r"\b(?P<u>year|month|quarter)[\s-]+to[\s-]+date\b"),
    re.compile(r"\b(?P<u>ytd|mtd|qtd)\b"),  # the same, as analysts write it
    re.compile(r"\bsince\s+the\s+(?:start|beginning)\s+of\s+the\s+(?P<u>year|month|quarter)\b"),
]
# "Today" is no period: "what are customers saying today", "thời tiết hôm nay" mean now,
# and the feedback ends before today anyway; yesterday is a day asked for.
_DAYS = [
    (re.compile(r"\b(?:yesterday|hom\s+qua)\b"), 1),
]


def _rolling(ref: date, n: int, unit: str) -> Period:
    if unit == "day":
        return ref - timedelta(days=n - 1), ref
    if unit == "week":
        return ref - timedelta(days=7 * n - 1), ref
    months = n * (12 if unit == "year" else 3 if unit == "quarter" else 1)
    return _add_months(ref + timedelta(days=1), -months), ref


def _previous(ref: date, unit: str) -> Period:
    if unit == "week":
        monday = ref - timedelta(days=ref.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if unit == "month":
        first = _add_months(ref.replace(day=1), -1)
        return _month(first.year, first.month)
    if unit == "quarter":
        q = (ref.month - 1) // 3
        return _quarter(ref.year - 1, 4) if q == 0 else _quarter(ref.year, q)
    return date(ref.year - 1, 1, 1), date(ref.year - 1, 12, 31)


def _current(ref: date, unit: str) -> Period:
    if unit == "week":
        return ref - timedelta(days=ref.weekday()), ref
    if unit == "month":
        return ref.replace(day=1), ref
    if unit == "quarter":
        return date(ref.year, 3 * ((ref.month - 1) // 3) + 1, 1), ref
    return date(ref.year, 1, 1), ref


# Ratings: a number of stars with the words around it that make it a bound.
_STARS = r"(?:sao|stars?|\*|★|⭐)"
_RNUM = r"([1-5]|one|two|three|four|five|mot|hai|ba|bon|nam)"
_LESS = ("below", "under", "less than", "fewer than", "lower than", "duoi", "it hon", "nho hon",
         "thap hon", "<")  # fmt: skip
_AT_MOST = ("at most", "no more than", "not more than", "up to", "maximum", "max", "toi da",
            "khong qua", "nhieu nhat", "<=")  # fmt: skip
_MORE = ("above", "over", "more than", "greater than", "higher than", "better than", "tren",
         "hon", "lon hon", "cao hon", ">")  # fmt: skip
_AT_LEAST = ("at least", "no less than", "not less than", "minimum", "min", "toi thieu",
             "it nhat", "from", "tu", ">=")  # fmt: skip
_UP = ("and above", "or above", "and up", "or more", "and higher", "or higher", "or better",
       "and over", "tro len", "do len", "tro len tren")  # fmt: skip
_DOWN = ("and below", "or below", "and under", "or less", "or lower", "and lower", "or fewer",
         "or worse", "tro xuong", "do xuong", "tro lai")  # fmt: skip


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)
    )


_RATING_RANGE = re.compile(
    r"(?:\b(?:from|between|tu)\s+)?\b" + _RNUM
    + r"\s*-?\s*(?:-|~|to|den|toi|and|or|hoac|voi|,|/|&|va|\s)\s*" + _RNUM  # "one- and two-"
    + r"\s*-?\s*" + _STARS + r"(?!\w)"
)  # fmt: skip
_RATING = re.compile(
    r"(?:(?<!\w)(?P<pre>" + _alternatives(_LESS + _AT_MOST + _MORE + _AT_LEAST) + r")\s*)?"
    r"(?<![\w.])" + _RNUM + r"\s*(?P<plus>\+)?\s*-?\s*" + _STARS + r"(?!\w)"
    r"(?:\s*(?P<post>" + _alternatives(_UP + _DOWN) + r")\b)?"
)  # fmt: skip
# "rated 4 or above", "rating below 3", "ratings 1-2": a rating without the word "star".
_RATED = re.compile(
    r"\b(?:rated|rating|ratings)\s+(?:of\s+)?(?:(?P<pre>"
    + _alternatives(_LESS + _AT_MOST + _MORE + _AT_LEAST) + r")\s*)?" + _RNUM
    + r"(?:\s*(?:-|to|or|and|den|hoac|va|,|/)\s*" + _RNUM + r")?(?!\w|\.\d)(?:\s*(?P<post>"
    + _alternatives(_UP + _DOWN)
    + r")\b)?"
)  # fmt: skip


# Ratings said in words: "low ratings only", "the low-rated ones", "sao thấp" are 1–2 stars;
# "highly rated", "high ratings", "sao cao" 4 stars and up (as "4 stars and up" is). Not
# "đánh giá cao": that is praise ("khách đánh giá cao camera"), the sentiment, not the stars.
_RATED_IN_WORDS = re.compile(
    r"\b(?P<low>low(?:er)?[\s-]+(?:ratings?|rated|stars?)|low[\s-]+star\s+(?:reviews?|ratings?|comments?)"
    r"|poorly[\s-]+rated|bad\s+ratings?|danh\s+gia\s+thap|(?:so\s+)?sao\s+thap|diem\s+thap)\b"
    r"|\b(?P<high>high(?:er)?[\s-]+(?:ratings?|rated|stars?)|highly[\s-]+rated|top[\s-]+rated"
    r"|(?:so\s+)?sao\s+cao|diem\s+cao)\b"
)
# An age: "under 25", "over 40", "18-24", "dưới 25 tuổi", "25 tuổi" (never stars or years).
_AGE = re.compile(
    r"\b(?:(?:under|over|below|above|aged|age|tu|duoi|tren|ngoai)\s+(?P<a>[1-9]\d)"
    r"(?:\s*(?:-|to|den)\s*[1-9]\d)?(?!\s*(?:sao|stars?|%|k\b|tr\b|trieu|nghin|ngan|\d|complaints?|comments?|reviews?|"
    r"records?|ratings?|points?|days?|weeks?|months?|ngay|tuan|thang|phan hoi|binh luan|y kien))"
    r"(?:\s*(?:tuoi|years?(?:\s+old)?|yo|y/o))?"
    r"|[1-9]\d\s*(?:-|to|den)\s*[1-9]\d\s*(?:tuoi|years?(?:\s+old)?|yo)"
    r"|[1-9]\d\s*(?:tuoi|years?\s+old|yo|y/o)|u[1-9]\d|gen\s*z)\b"
)


def _stars(raw: str) -> int:
    return int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]


def _bounds(n: int, pre: str | None, post: str | None) -> tuple[int | None, int | None]:
    pre = re.sub(r"\s+", " ", pre) if pre else None
    post = re.sub(r"\s+", " ", post) if post else None
    if pre in _LESS:
        return None, n - 1
    if pre in _AT_MOST:
        return None, n
    if pre in _MORE:
        return n + 1, None
    if post in _DOWN:
        return None, n
    if pre in _AT_LEAST or post in _UP:
        return n, None
    return n, n


# "X instead of Y", "X thay cho Y": the period after it is the one replaced, not a bound.
_INSTEAD = re.compile(r"\b(instead(?: of)?|rather than|in place(?: of)?|thay cho|thay vi)\b")
_INSTEAD_AFTER = re.compile(r"\W*(?:instead|thay vao do|thay the)\b")
_SOURCE_TOKEN = re.compile(r"\bsource:\S+")
# Two periods joined by "và", "and", a comma ("tháng 6 và tháng 7"): both, so the span from
# the first to the last (a scope holds one period); otherwise periods narrow each other.
COMPARING = re.compile(r"\b(?:compare|comparing|compared|so sanh|vs|versus|so voi)\b")
_AND = re.compile(r"\b(?:and|va|voi|vs|versus)\b")
_BOTH = re.compile(r"^\s*(?:,|&|\+|and|va|voi|cung|hoac|or|plus|lan|,\s*(?:and|va))\s*$")


def _typed_as_month(word: str) -> bool:
    """Whether a month word is spelt as the month ("sáu", not "sau")."""
    return all(_VI_MONTH_TYPED.get(fold_aligned(w), w) == w for w in nfc(word).lower().split())


class _Scan:
    """The request, folded with offsets kept, and the parts already read blanked out."""

    def __init__(self, text: str) -> None:
        self.text = nfc(text)
        self.folded = fold_aligned(self.text)
        self.free = self.folded

    def take(self, s: int, e: int) -> None:
        self.free = self.free[:s] + "\0" * (e - s) + self.free[e:]

    def matches(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        found = list(pattern.finditer(self.free))
        for m in found:
            self.take(*m.span())
        return found


def parse_filters(
    text: str, reference: date | None = None, *, book: SegmentBook | None = None
) -> ParsedFilters:
    """The period, star ratings, segment and unsupported filters that `text` names.

    `reference` is the date relative periods count from (the latest feedback date);
    `book` the segments file (default: load_segments()). See the module docstring.
    """
    book = book if book is not None else load_segments()
    scan = _Scan(text)
    # `source:NAME` names a file (its name may hold "survey", "2024", "5 sao"): not a filter.
    scan.matches(_SOURCE_TOKEN)
    out = ParsedFilters()
    periods: list[tuple[date | None, date | None, int, int]] = []
    # Periods relative to the one in use first: "last year" of "same period last year" is
    # not 2019, "tháng trước" of "tháng trước đó" not last month.
    for m in scan.matches(_SAME_LAST_YEAR):
        out.before_that = "year_ago"
        out.matched.append(Matched(kind="period", text=scan.text[slice(*m.span())],
                                   span=m.span(), value="before:year_ago"))  # fmt: skip
    for m in scan.matches(_BEFORE_THAT):
        out.before_that = _BEFORE_UNIT.get(m["u"] or m["u2"], "period")  # type: ignore[assignment]
        out.matched.append(Matched(kind="period", text=scan.text[slice(*m.span())], span=m.span(),
                                   value=f"before:{out.before_that}"))  # fmt: skip
    if reference is not None:
        for m in _OF_RELATIVE_YEAR.finditer(scan.free):
            if m["en"] and not scan.text[m.start("en"):m.end("en")].isascii():
                continue  # "máy năm ngoái": the phone of last year, not May
            back = m["rel"].startswith(("nam ngoai", "nam truoc", "nam roi", "last", "previous",
                                        "the previous"))
            year = str(reference.year - back).rjust(m.end("rel") - m.start("rel"))
            scan.free = scan.free[: m.start("rel")] + year + scan.free[m.end("rel"):]
    # "so sánh tháng 6 với tháng 7", "compare June and July": two periods, not one of both
    comparing = COMPARING.search(scan.folded) is not None
    _absolute_periods(scan, periods, reference, out, comparing)
    _relative_periods(scan, reference, periods, out)
    periods.sort(key=lambda p: p[2])
    for i in range(len(periods) - 1):
        between = scan.folded[periods[i][3]:periods[i + 1][2]]
        if _INSTEAD.search(between):  # "30 ngày gần nhất thay cho tháng trước": the first
            del periods[i + 1:]
            break
        if _INSTEAD_AFTER.match(scan.folded, periods[i + 1][3]):
            # "this month is too thin, use the past 30 days instead": the one said last
            del periods[: i + 1]
            break
    joined: list[tuple[date | None, date | None, int, int]] = []
    for p in periods:
        if (joined and p[0] and p[1] and joined[-1][0] and joined[-1][1] and not comparing
                and _BOTH.match(scan.folded[joined[-1][3]:p[2]])):
            a = joined[-1]
            joined[-1] = (min(a[0], p[0]), max(a[1], p[1]), a[2], p[3])  # type: ignore[type-var]
        else:
            joined.append(p)
    periods = joined
    for i, (s0, _, s, e) in enumerate(periods):
        # "từ tháng 3 tới giờ", "năm 2019 đến nay", "since March up to now": from the period
        # to the latest comment; its "until now" is part of it, not words left for a step.
        if s0 is not None and (m := _TO_NOW.match(scan.folded, e)):
            scan.take(e, m.end())
            periods[i] = (s0, None, s, m.end())
    _one_scope(scan, periods, out)
    for s0, e0, s, e in periods:
        shown = f"{s0.isoformat() if s0 else ''}..{e0.isoformat() if e0 else ''}"
        out.matched.append(Matched(kind="period", text=scan.text[s:e], span=(s, e), value=shown))
    _ratings(scan, out)
    segments = book.request_matcher()
    for label, _, s, e in sorted(segments.find(scan.text, scan.free), key=lambda h: h.start):
        scan.take(s, e)
        if negated(scan.text, s):  # "không hợp với gamer": not the gamers segment
            continue
        if out.segment in (None, label):
            out.segment = label
            out.matched.append(Matched(kind="segment", text=scan.text[s:e], span=(s, e),
                                       value=label))  # fmt: skip
    unsupported = book.unsupported_matcher()
    kinds: set[str] = set()
    for m in scan.matches(_AGE):  # "under 25", "18-24 tuổi": an age, which no field holds
        kinds.add("age")
        out.matched.append(Matched(kind="unsupported", text=scan.text[slice(*m.span())],
                                   span=m.span(), value="age"))  # fmt: skip
    for label, _, s, e in sorted(unsupported.find(scan.text, scan.free), key=lambda h: h.start):
        scan.take(s, e)
        kinds.add(label)
        out.matched.append(Matched(kind="unsupported", text=scan.text[s:e], span=(s, e),
                                   value=label))  # fmt: skip
    out.unsupported = sorted(kinds)
    out.matched.sort(key=lambda m: m.span)
    return out


def _one_scope(scan: _Scan, periods: list[tuple[date | None, date | None, int, int]],
               out: ParsedFilters) -> None:
    """The period the filters keep: what every period named has in common ("tháng 3 năm
    2020"). Periods apart ("Q1 2020 vs Q2", "tháng 7 so với tháng 6") have nothing in common:
    the latest is the scope and the others are said (a trend compares a period with the one
    before it), never an empty, reversed range. `periods` keeps only those applied."""
    for p in [p for p in periods if p[0] and p[1] and p[0] > p[1]]:
        # "from June 2020 to March 2020": a range that ends before it starts is said, not kept
        periods.remove(p)
        out.unresolved.append(Matched(kind="period", text=scan.text[p[2]:p[3]],
                                      span=(p[2], p[3]), value="reversed"))  # fmt: skip
    for s0, e0, _, _ in periods:
        out.start = s0 if out.start is None or (s0 and s0 > out.start) else out.start
        out.end = e0 if out.end is None or (e0 and e0 < out.end) else out.end
    if out.start is None or out.end is None or out.start <= out.end:
        return
    # ... and periods apart are compared, not intersected
    latest = max(periods, key=lambda p: p[1] or p[0] or date.min)
    for s0, e0, s, e in periods:
        if (s0, e0, s, e) != latest:
            out.unresolved.append(Matched(kind="period", text=scan.text[s:e], span=(s, e),
                                          value="compared"))  # fmt: skip
    periods[:] = [latest]
    out.start, out.end = latest[0], latest[1]


def _yearless_days(m: re.Match[str], reference: date) -> Period | None:
    """`_YEARLESS_DAYS`: each day the last such day up to the reference date, the start a
    year earlier when it would fall after the end ("từ 20/12 đến 10/1")."""
    try:
        start, end = (date(reference.year, int(m[f"m{i}"]), int(m[f"d{i}"])) for i in (1, 2))
    except ValueError:  # "31/2", "5/13": no such day
        return None
    start, end = (d if d <= reference else d.replace(year=d.year - 1) for d in (start, end))
    return (start.replace(year=start.year - 1), end) if start > end else (start, end)


def _absolute_periods(
    scan: _Scan,
    periods: list[tuple[date | None, date | None, int, int]],
    reference: date | None = None,
    out: ParsedFilters | None = None,
    comparing: bool = False,
) -> None:
    tokens: list[tuple[int, int, Period, bool]] = []  # (start, end, period, is a range)
    for pattern, resolve in _ABSOLUTE:
        for m in pattern.finditer(scan.free):
            period = resolve({k: v for k, v in m.groupdict().items() if v})
            if period is not None:
                is_range = resolve in (_month_range, _quarter_range)
                if is_range and comparing and _AND.search(scan.folded[slice(*m.span())]):
                    # "compare June and July 2020": the later one, the other said
                    months = 1 if resolve is _month_range else 3
                    last = months_later(period[1].replace(day=1), 1 - months)
                    first = (period[0], months_later(period[0], months) - timedelta(days=1))
                    if out is not None:
                        out.unresolved.append(Matched(
                            kind="period", text=f"{first[0]} – {first[1]}", span=m.span(),
                            value="compared"))  # fmt: skip
                    period, is_range = (last, period[1]), False
                tokens.append((*m.span(), period, is_range))
                scan.take(*m.span())
    for m in _YEARLESS_DAYS.finditer(scan.free):
        if reference is None:
            if out is not None:
                out.unresolved.append(Matched(
                    kind="period", text=scan.text[slice(*m.span())], span=m.span(),
                    value="needs the reference date (latest feedback date)"))  # fmt: skip
        elif (days := _yearless_days(m, reference)) is not None:
            tokens.append((*m.span(), days, True))
            scan.take(*m.span())
    # A month without its year ("tháng 6", "since March"): the last such month up to the
    # reference date; without one it is said as unresolved, not guessed.
    accented = has_diacritics(scan.text)
    for pattern in _YEARLESS_MONTH:
        for m in pattern.finditer(scan.free):
            mw = m.groupdict().get("mw")
            if mw and accented and not _typed_as_month(scan.text[slice(*m.span("mw"))]):
                continue  # "tháng sau mình làm chương trình": next month, no June
            month = (_VI_MONTH_WORDS[re.sub(r"\s+", " ", mw)] if mw else int(m["m"]) if m["m"]
                     else _MONTHS[m["mon"][:3]])  # fmt: skip
            if not 1 <= month <= 12:
                continue
            span = m.span("at")
            scan.take(*span)
            if reference is None:
                if out is not None:
                    out.unresolved.append(Matched(
                        kind="period", text=scan.text[slice(*span)], span=span,
                        value="needs the reference date (latest feedback date)"))  # fmt: skip
                continue
            year = reference.year if month <= reference.month else reference.year - 1
            tokens.append((*span, _month(year, month), False))
    # A quarter without its year ("chỉ lấy quý 2", "Q3 only"): the last such quarter that began
    # by the reference date, as for a month.
    for m in _YEARLESS_QUARTER.finditer(scan.free):
        raw = m["q"] or m["q2"] or m["q3"] or m["q4"]
        q = _ORDINAL.get(raw) or _ROMAN.get(raw) or (int(raw) if raw.isdigit() else 0)
        if not 1 <= q <= 4:
            continue
        scan.take(*m.span())
        if reference is None:
            if out is not None:
                out.unresolved.append(Matched(
                    kind="period", text=scan.text[slice(*m.span())], span=m.span(),
                    value="needs the reference date (latest feedback date)"))  # fmt: skip
            continue
        year = reference.year if 3 * q - 2 <= reference.month else reference.year - 1
        tokens.append((*m.span(), _quarter(year, q), False))
    tokens.sort()
    i = 0
    while i < len(tokens):
        s, e, (p0, p1), is_range = tokens[i]
        prev_end = tokens[i - 1][1] if i else 0
        before = scan.free[prev_end:s]
        joined = i + 1 < len(tokens) and _CONNECTOR.fullmatch(scan.folded[e : tokens[i + 1][0]])
        if joined or is_range:
            e2, q1 = (tokens[i + 1][1], tokens[i + 1][2][1]) if joined else (e, p1)
            head = _prefix(before, _RANGE_HEAD) or _prefix(before, _PREP)
            s = head.start() + prev_end if head else s
            periods.append((p0, q1, s, e2))
            scan.take(s, e2)
            i += 2 if joined else 1
            continue
        if m := _prefix(before, _DATA_FROM):  # "reviews from Q1 2020": written in it
            periods.append((p0, p1, m.start() + prev_end, e))
        elif m := _prefix(before, _SINCE):
            periods.append((p0, None, m.start() + prev_end, e))
        elif m := _prefix(before, _AFTER):
            periods.append((p1 + timedelta(days=1), None, m.start() + prev_end, e))
        elif m := _prefix(before, _BEFORE):
            periods.append((None, p0 - timedelta(days=1), m.start() + prev_end, e))
        elif m := _prefix(before, _NARROW):  # "restrict to 2019": the period itself
            periods.append((p0, p1, m.start() + prev_end, e))
        elif m := _prefix(before, _UNTIL):
            periods.append((None, p1, m.start() + prev_end, e))
        else:
            m = _prefix(before, _PREP)
            periods.append((p0, p1, m.start() + prev_end if m else s, e))
        scan.take(periods[-1][2], e)
        i += 1


def _relative_periods(
    scan: _Scan,
    ref: date | None,
    periods: list[tuple[date | None, date | None, int, int]],
    out: ParsedFilters,
) -> None:
    def found(m: re.Match[str], period: Period | None, value: str = "") -> None:
        s, e = m.span()
        while s < e and scan.folded[s].isspace():
            s += 1
        if period is None:
            out.unresolved.append(Matched(
                kind="period", text=scan.text[s:e], span=(s, e),
                value=value or "needs the reference date (latest feedback date)",
            ))  # fmt: skip
        else:
            periods.append((period[0], period[1], s, e))

    for m in scan.matches(_HALF_RELATIVE):  # "first half of this year", "nửa đầu năm ngoái"
        last = (m["w"] or m["w2"]) in ("last", "previous", "ngoai", "truoc")
        y = (ref.year - 1 if last else ref.year) if ref else 0
        half = _half_period({"h": m["h"] or m["h2"], "y": str(y)}) if ref else None
        found(m, (half[0], min(half[1], ref)) if half and ref else None)
    for m in scan.matches(_MONTHS_RELATIVE):  # "3 tháng đầu năm", "first 4 months of this year"
        last = (m["w"] or m["w2"]) in ("last", "ngoai", "truoc")
        y = (ref.year - 1 if last else ref.year) if ref else 0
        part = _months_of_year({"n": m["n"] or m["n2"], "h": m["h"] or m["h2"], "y": str(y)}
                               ) if ref else None  # fmt: skip
        found(m, (part[0], min(part[1], ref)) if part and ref else None)
    for m in scan.matches(_AGO):
        found(m, None, "ambiguous: a point in the past, not a period")
    for m in scan.matches(_VAGUE):
        found(m, None, "vague: no length given")
    for pattern in _ROLLING_N:
        for m in scan.matches(pattern):
            n = _number(m["n"])
            ok = ref is not None and 0 < n <= 3660
            found(m, _rolling(ref, n, _UNIT[m["u"]]) if ok and ref else None)
    for group, resolve in ((_ROLLING_ONE, lambda r, u: _rolling(r, 1, u)),
                           (_PREVIOUS, _previous), (_CURRENT, _current)):  # fmt: skip
        for pattern in group:
            for m in scan.matches(pattern):
                found(m, resolve(ref, _UNIT[m["u"]]) if ref else None)
    for pattern, days_back in _DAYS:
        for m in scan.matches(pattern):
            day = ref - timedelta(days=days_back) if ref else None
            found(m, (day, day) if day else None)


_DATA_AFTER = re.compile(r"\s*(?:reviews?|comments?|ratings?|feedback|responses?|danh gia|"
                         r"phan hoi|binh luan|nhan xet)\b")


# A star level left out of the data, said just before it (grammar, a closed set).
_LEFT_OUT = re.compile(r"\b(?:loai|loai bo|loai tru|bo|bo qua|tru|ngoai tru|khong tinh|khong lay|"
                       r"khong xet|exclude|excluding|except|without|minus|leave out|leaving out|"
                       r"drop|remove|filter out|skip|skipping|ignore|ignoring|set aside)"
                       r"(?:\s+(?:the|all|any|cac|nhung|may|het|review|reviews|danh gia|"
                       r"phan hoi|comments?|binh luan|nhan xet))*\s*$")


def _ratings(scan: _Scan, out: ParsedFilters) -> None:
    found: list[tuple[int, int, int | None, int | None]] = []
    for m in scan.matches(_RATING_RANGE):
        a, b = sorted((_stars(m[1]), _stars(m[2])))
        found.append((*m.span(), a, b))
    for pattern in (_RATED, _RATING):
        for m in scan.matches(pattern):
            n = _stars(m[2])
            if pattern is _RATED and m[3]:
                lo, hi = sorted((n, _stars(m[3])))
            elif m["pre"] in ("from", "tu") and not m["post"] and _DATA_AFTER.match(
                scan.folded, m.end()
            ):
                lo = hi = n  # "from 1-star reviews": where they come from, not a minimum
            else:
                plus = pattern is _RATING and m["plus"]
                lo, hi = _bounds(n, m["pre"], "and above" if plus else m["post"])
            found.append((*m.span(), lo, hi))
    for m in scan.matches(_RATED_IN_WORDS):
        found.append((*m.span(), None, 2) if m["low"] else (*m.span(), 4, None))
    for s, e, lo, hi in sorted(found):
        if lo == hi and lo in (1, 5) and _LEFT_OUT.search(scan.folded[max(0, s - 40):s]):
            # "loại review 5 sao ra", "exclude the 1-star ones": every other rating is kept
            lo, hi = (2, None) if lo == 1 else (None, 4)
            out.stars_left_out = True
        if (lo is not None and not 1 <= lo <= 5) or (hi is not None and not 1 <= hi <= 5):
            continue  # "below 1 star", "more than 5 stars": nothing to keep
        if lo is not None:
            out.min_rating = max(lo, out.min_rating or lo)
        if hi is not None:
            out.max_rating = min(hi, out.max_rating or hi)
        shown = " ".join(x for x in (f"min {lo}" if lo else "", f"max {hi}" if hi else "") if x)
        out.matched.append(Matched(kind="rating", text=scan.text[s:e], span=(s, e), value=shown))
