"""The request filter parser: periods, ratings, segments, unsupported filters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant.core.errors import SegmentsFileError
from assistant.core.text import fold
from assistant.feedback.cues import CueMatcher
from assistant.feedback.request_filters import parse_filters
from assistant.feedback.segments import load_segments, validate_segments

REPO = Path(__file__).resolve().parents[1]
BOOK = load_segments(REPO / "corpus" / "playbook" / "segments.yaml")
R = date(2020, 6, 30)


def parsed(text: str, reference: date | None = R) -> dict:
    """The filters that are set, as plain values."""
    out = parse_filters(text, reference, book=BOOK).model_dump(exclude={"matched", "unresolved"})
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in out.items() if v}


# -- periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("ngày 5 tháng 3 năm 2020", {"start": "2020-03-05", "end": "2020-03-05"}),
        ("between Jan 5, 2020 and Feb 10, 2020", {"start": "2020-01-05", "end": "2020-02-10"}),
        ("--from 2020-01-01 --to 2020-03-31", {"start": "2020-01-01", "end": "2020-03-31"}),
        ("trước tháng 3/2020", {"end": "2020-02-29"}),
        ("sau 15/03/2020", {"start": "2020-03-16"}),
        ("before 2020", {"end": "2019-12-31"}),
        ("since Q1 2020", {"start": "2020-01-01"}),
        ("quý I/2020", {"start": "2020-01-01", "end": "2020-03-31"}),
        ("2020-Q3", {"start": "2020-07-01", "end": "2020-09-30"}),
        ("từ tháng 3 đến tháng 5 năm 2020", {"start": "2020-03-01", "end": "2020-05-31"}),
        ("March to May 2020", {"start": "2020-03-01", "end": "2020-05-31"}),
        ("Q1-Q2 2020", {"start": "2020-01-01", "end": "2020-06-30"}),
        ("tháng 02-2019", {"start": "2019-02-01", "end": "2019-02-28"}),
    ],
)
def test_absolute_periods(text, want):
    assert parsed(text, None) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("this year", {"start": "2020-01-01", "end": "2020-06-30"}),
        ("quý này", {"start": "2020-04-01", "end": "2020-06-30"}),
        ("tuần trước", {"start": "2020-06-22", "end": "2020-06-28"}),  # Monday to Sunday
        ("hôm qua", {"start": "2020-06-29", "end": "2020-06-29"}),
        ("in the past year", {"start": "2019-07-01", "end": "2020-06-30"}),
        ("hai tuần gần đây", {"start": "2020-06-17", "end": "2020-06-30"}),
        ("past month", {"start": "2020-06-01", "end": "2020-06-30"}),
    ],
)
def test_relative_periods_count_from_the_reference(text, want):
    assert parsed(text) == want


@pytest.mark.parametrize(("text", "start"), [
    ("ý kiến về pin năm 2019 đến nay", "2019-01-01"),  # from 2019, not 2019 alone
    ("màn hình tháng 4 tới giờ ra sao", "2020-04-01"),  # from April, not April alone
    ("camera complaints since February up to now", "2020-02-01"),
    ("tu thang 5 toi gio", "2020-05-01"),
])  # fmt: skip
def test_a_period_until_now_runs_to_the_latest_comment(text, start):
    out = parse_filters(text, R, book=BOOK)
    assert (out.start.isoformat(), out.end) == (start, None)
    # "tới giờ" / "up to now" belongs to the period: no word of it is left to name a step
    # ("giờ" is the hour of a delivery slot)
    said = " ".join(m.text for m in out.matched if m.kind == "period")
    assert any(w in fold(said) for w in ("den nay", "toi gio", "up to now"))


def test_months_back_are_counted_from_the_day_after_the_reference():
    # 2020-05-31 + 1 day = 2020-06-01; 3 months earlier = 2020-03-01.
    assert parsed("3 tháng qua", date(2020, 5, 31)) == {"start": "2020-03-01", "end": "2020-05-31"}
    # A month end that the earlier month lacks is clamped (no 2019-11-31).
    assert parsed("past 3 months", date(2020, 2, 29))["start"] == "2019-12-01"


def test_last_quarter_in_the_first_quarter_is_the_previous_years_fourth():
    assert parsed("last quarter", date(2020, 2, 10)) == {"start": "2019-10-01", "end": "2019-12-31"}


def test_relative_period_without_reference_is_reported_not_guessed():
    got = parse_filters("what did customers say last month?", None, book=BOOK)
    assert got.start is None and got.end is None
    assert [m.text for m in got.unresolved] == ["last month"]


@pytest.mark.parametrize("text", ["3 tháng trước khách nói gì", "vài tháng qua", "past few weeks",
                                  "mấy tuần nay khách kêu gì"])
def test_ambiguous_or_vague_periods_set_nothing(text):
    got = parse_filters(text, R, book=BOOK)
    assert got.start is None and got.end is None and got.unresolved


@pytest.mark.parametrize("text", ["what are buyers griping about recently?",
                                  "dạo gần đây khách có chê camera không",
                                  "how has the delivery experience been of late"])
def test_lately_and_recently_are_periods_without_a_length(text):
    got = parse_filters(text, R, book=BOOK)
    assert got.start is None and got.end is None
    assert [m.value for m in got.unresolved] == ["vague: no length given"]


def test_near_here_is_no_period():
    got = parse_filters("cửa hàng gần đây có đông khách không", R, book=BOOK)
    assert got.start is None and not got.unresolved


def test_stars_the_reviews_come_from_are_exactly_those():
    # "from" before the data it names is no minimum ("from 4 stars" alone still is one).
    assert parsed("what hurts in the comments from 2-star reviews?") == {"min_rating": 2,
                                                                        "max_rating": 2}
    assert parsed("from 4 stars") == {"min_rating": 4}


def test_a_month_word_typed_with_diacritics_is_a_month_only_in_its_own_spelling():
    # "tháng sau" is next month (the future: no filter), "tháng sáu" June; unaccented, June.
    assert parsed("Tháng sau tụi mình chạy khuyến mãi, khách đang than gì về giá?") == {}
    assert parsed("khách than gì hồi tháng sáu") == {"start": "2020-06-01", "end": "2020-06-30"}
    assert parsed("khach than gi thang sau") == {"start": "2020-06-01", "end": "2020-06-30"}
    assert parsed("tháng tư") == {"start": "2020-04-01", "end": "2020-04-30"}


@pytest.mark.parametrize("text", ["recently", "gần đây", "dạo này khách chê gì"])
def test_recently_alone_is_no_period(text):
    assert parsed(text) == {}


# -- ratings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("rated 4 or above", {"min_rating": 4}),
        ("rating below 3", {"max_rating": 2}),
        ("4+ stars", {"min_rating": 4}),
        ("reviews with 1 or 2 stars", {"min_rating": 1, "max_rating": 2}),
        ("five-star reviews", {"min_rating": 5, "max_rating": 5}),
        ("2 sao trở xuống", {"max_rating": 2}),
        ("it nhat 4 sao", {"min_rating": 4}),
        ("không quá 3 sao", {"max_rating": 3}),
        ("more than 5 stars", {}),  # no rating is above 5: nothing to filter on
        ("one- and two-star reviews", {"min_rating": 1, "max_rating": 2}),
        ("ratings of 1 or 2", {"min_rating": 1, "max_rating": 2}),
    ],
)
def test_ratings(text, want):
    assert parsed(text) == want


@pytest.mark.parametrize(
    "text",
    ["top 5 pain points", "iphone 11 pro max 256gb", "giá 7.990.000đ", "pin 4000 mAh", "sao vậy?"],
)
def test_numbers_that_are_not_ratings_or_dates(text):
    # (a phone model asked for is a filter of its own, said as not applied)
    assert {k: v for k, v in parsed(text).items() if k != "unsupported"} == {}
    assert parsed(text).get("unsupported", []) == (["product model"] if "iphone" in text else [])


# -- segments and unsupported filters ----------------------------------------------------------


def test_segment_words_are_consumed_before_unsupported_cues():
    # "tuổi" is an age cue, but "người cao tuổi" is the elderly segment.
    assert parsed("người cao tuổi khen gì?") == {"segment": "elderly"}


@pytest.mark.parametrize(("text", "segment"), [
    ("college kids complain about what?", "students"),
    ("older folks", "elderly"),
    ("people who play games a lot", "gamers"),
    ("dân công sở", "office-workers"),
    ("content creators", "photographers"),
    # Typed without accents, "máy cũ" (an old phone) is not "mấy cụ" (the old folks).
    ("tap trung vao luc dinh gia may cu thoi", None),
])  # fmt: skip
def test_segments_in_the_words_practitioners_use(text, segment):
    assert parsed(text).get("segment") == segment


@pytest.mark.parametrize(("text", "start", "end"), [
    ("chỉ tháng 6 và tháng 7", "2020-06-01", "2020-07-31"),
    ("tháng 4, tháng 5", "2020-04-01", "2020-05-31"),
    # Without "and", the second narrows the first: May of the second quarter.
    ("quý 2 năm 2020 tháng 5", "2020-05-01", "2020-05-31"),
])  # fmt: skip
def test_two_periods_joined_by_and_are_both(text, start, end):
    got = parse_filters(text, date(2020, 8, 17), book=BOOK)
    assert (got.start.isoformat(), got.end.isoformat()) == (start, end)


def test_first_segment_named_wins():
    assert parsed("sinh viên và game thủ")["segment"] == "students"


def test_accented_syllables_must_match_the_cue_accents():
    # "màn hình" is not "man" and "tính năng" not "tỉnh"; unaccented "khach nu" still matches.
    assert parsed("màn hình và tính năng") == {}
    assert parsed("khach nu danh gia the nao") == {"unsupported": ["gender"]}
    matcher = CueMatcher({"location": ["tỉnh lẻ"], "return": ["trả lại"]})
    assert matcher.labels("khách ở tinh le") == ["location"]  # the phrase has no accents
    assert matcher.labels("khách ở tính lẻ") == []
    # A phrase typed with accents is read as written: "tra lại" is not "trả lại".
    assert matcher.labels("mang ra kiểm tra lại thì bình thường") == []
    assert matcher.labels("mang ra kiem tra lai") == ["return"]  # unaccented: ambiguous


def test_date_words_are_not_read_as_cues():
    # "khach nam" would be a gender cue; here "nam ngoai" is "last year".
    assert parsed("khach nam ngoai noi gi") == {"start": "2019-01-01", "end": "2019-12-31"}


def test_matched_phrases_and_remainder():
    text = "Sinh viên đánh giá 1-2 sao về pin trong quý 2 năm 2020 nói gì?"
    got = parse_filters(text, None, book=BOOK)
    assert [(m.kind, m.text) for m in got.matched] == [
        ("segment", "Sinh viên"),
        ("rating", "1-2 sao"),
        ("period", "trong quý 2 năm 2020"),
    ]
    assert all(text[m.span[0] : m.span[1]] == m.text for m in got.matched)
    assert got.remainder(text) == "đánh giá về pin nói gì?"
    assert not got.is_empty()


def test_text_in_nfd_is_read_like_nfc():
    import unicodedata

    text = unicodedata.normalize("NFD", "người lớn tuổi tháng trước")
    assert parsed(text) == {"segment": "elderly", "start": "2020-05-01", "end": "2020-05-31"}


# -- the segments file -------------------------------------------------------------------------


def test_shipped_segments_file_is_valid():
    book, problems = validate_segments(REPO / "corpus" / "playbook" / "segments.yaml")
    assert problems == [] and book is not None
    assert {s.id for s in book.segments} == {
        "students", "elderly", "gamers", "office-workers", "photographers",
    }  # fmt: skip
    assert {u.kind for u in book.unsupported} == {"location", "gender", "age", "channel",
                                                "product model", "occasion"}


def test_segments_file_problems_name_file_line_and_field(tmp_path):
    path = tmp_path / "segments.yaml"
    path.write_text(
        "segments:\n"
        "  - id: students\n"
        "    name: {vi: Sinh viên, en: Students}\n"
        "    cues: {vi: [sinh viên], en: [students]}\n"
        "  - id: students\n"
        "    name: {vi: Học sinh, en: Pupils}\n"
        "    cues: {vi: [học sinh]}\n"
        "  - id: gamers\n"
        "    name: {vi: Game thủ}\n"
        "    cues: {vi: ['']}\n"
        "unsupported:\n"
        "  - kind: weather\n"
        "    cues: {en: [rain]}\n",
        encoding="utf-8",
    )
    book, problems = validate_segments(path)
    assert book is None
    text = "\n".join(problems)
    assert f"{path}:9: segments[2].name.en: Field required" in text
    assert f"{path}:10: segments[2].cues.vi: a cue must be a non-empty text" in text
    assert f"{path}:12: unsupported[0].kind:" in text
    with pytest.raises(SegmentsFileError, match="problem"):
        load_segments(path)


def test_duplicate_segment_ids_are_reported_with_their_line(tmp_path):
    path = tmp_path / "segments.yaml"
    path.write_text(
        "segments:\n"
        "  - {id: a, name: {vi: A, en: A}, cues: {vi: [x]}}\n"
        "  - {id: a, name: {vi: B, en: B}, cues: {vi: [y]}}\n",
        encoding="utf-8",
    )
    assert validate_segments(path)[1] == [f"{path}:3: segments[1].id: duplicate segment id 'a'"]


def test_segments_file_yaml_error_has_a_line(tmp_path):
    path = tmp_path / "segments.yaml"
    path.write_text("segments:\n  - id: [unclosed\n", encoding="utf-8")
    (problem,) = validate_segments(path)[1]
    assert problem.startswith(f"{path}:") and "YAML syntax error" in problem


def test_segment_cues_find_who_wrote_a_comment():
    comment = "Mình là sinh viên nên chọn máy rẻ, mua thêm 1 cái cho bố mẹ dùng"
    assert BOOK.segments_mentioned(comment) == ["students", "elderly"]
    assert BOOK.segments_mentioned("hay choi game nen can may manh") == ["gamers"]
    assert BOOK.segments_mentioned("chơi game mượt") == []  # a topic, not a person


def test_a_source_name_is_never_read_as_a_filter():
    # A file's source name may hold "survey", "facebook", a year or "5 sao": the summary of
    # an uploaded file must not say "Not applied: channel" (or filter by them) for it.
    plain = parse_filters("pains source:upload-slack-uabc-store-survey-2024-fbq")
    assert plain.unsupported == [] and plain.start is None and plain.matched == []
    asked = parse_filters("pains from facebook source:upload-slack-uabc-shop-xyz")
    assert asked.unsupported == ["channel"]  # only when someone asked for a channel


# -- periods and stars as practitioners write them (issue #19, third round) -------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # halves and the year's first or last months: never the whole year
        ("actually make it the first half of 2020", {"start": "2020-01-01", "end": "2020-06-30"}),
        ("second half of 2019", {"start": "2019-07-01", "end": "2019-12-31"}),
        ("H1 2020", {"start": "2020-01-01", "end": "2020-06-30"}),
        ("nửa đầu năm 2020", {"start": "2020-01-01", "end": "2020-06-30"}),
        ("6 tháng cuối năm 2019", {"start": "2019-07-01", "end": "2019-12-31"}),
        ("3 thang dau nam 2020", {"start": "2020-01-01", "end": "2020-03-31"}),
        ("first three months of 2020", {"start": "2020-01-01", "end": "2020-03-31"}),
        # "restrict to 2019" names the year, not only its end ("until 2019" still does)
        ("restrict to 2019", {"start": "2019-01-01", "end": "2019-12-31"}),
        ("narrow it down to March 2020", {"start": "2020-03-01", "end": "2020-03-31"}),
        ("until 2019", {"end": "2019-12-31"}),
        # a month in words
        ("tháng bảy năm 2019", {"start": "2019-07-01", "end": "2019-07-31"}),
        # the period said instead of another is the one kept, not their overlap
        ("Q2 2020 instead of Q1 2020", {"start": "2020-04-01", "end": "2020-06-30"}),
    ],
)
def test_periods_in_practitioners_words(text, want):
    assert parsed(text, None) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("chỉ lấy quý 2", {"start": "2020-04-01", "end": "2020-06-30"}),  # the last Q2 by R
        ("Q3 only", {"start": "2019-07-01", "end": "2019-09-30"}),  # Q3 2020 not begun at R
        ("chỉ xem dữ liệu tháng bảy", {"start": "2019-07-01", "end": "2019-07-31"}),
        ("nửa đầu năm nay", {"start": "2020-01-01", "end": "2020-06-30"}),
        ("second half of last year", {"start": "2019-07-01", "end": "2019-12-31"}),
        ("lấy 30 ngày gần nhất thay cho tháng trước", {"start": "2020-06-01", "end": "2020-06-30"}),
    ],
)
def test_periods_without_a_year_count_from_the_reference(text, want):
    assert parsed(text) == want


@pytest.mark.parametrize(
    "text", ["chi lay 1 2 sao thoi a", "lọc giúp mình mấy review 1 với 2 sao thôi", "1,2 sao"]
)
def test_two_star_counts_side_by_side_are_a_range(text):
    assert parsed(text) == {"min_rating": 1, "max_rating": 2}


def test_words_only_requests_use_are_not_read_in_comments():
    # A reviewer names other people ("not for those who love selfies"); a request names a group.
    comment = "cam trước sẽ không hợp lắm với những người thích selfie, còn lại ok"
    assert BOOK.segments_mentioned(comment) == []
    assert BOOK.segments_mentioned("mấy người thích selfie nói gì?", request=True) == [
        "photographers"]
    assert parsed("what do people who love taking photos say?")["segment"] == "photographers"


def test_an_english_month_after_vietnamese_words_is_a_month_but_may_is_never_one():
    # Code-switched ("từ March tới giờ"); R is the reference date of this file.
    assert parsed("tu March toi gio") == {"start": "2020-03-01"}
    assert parsed("chỉ tháng October thôi") == {"start": "2019-10-01", "end": "2019-10-31"}
    # "may" typed without diacritics is "máy" (phone) or "mấy" (a few), not May.
    assert parsed("truoc may ngay khach doi tra") == {}
    assert parsed("tu may cu sang may moi") == {}


def test_periods_apart_keep_the_latest_and_a_range_never_runs_backwards():
    # Compared periods have nothing in common: not an empty range from Q2 back to Q1.
    out = parse_filters("what about Q1 2020 vs Q2 2020?", R, book=BOOK)
    assert (out.start, out.end) == (date(2020, 4, 1), date(2020, 6, 30))
    assert [(m.text, m.value) for m in out.unresolved] == [("Q1 2020", "compared")]
    out = parse_filters("tháng 5 so với tháng 4 năm 2020", R, book=BOOK)
    assert (out.start, out.end) == (date(2020, 5, 1), date(2020, 5, 31))
    out = parse_filters("from 2020-06-01 to 2020-03-01", R, book=BOOK)
    assert (out.start, out.end) == (None, None) and out.unresolved[0].value == "reversed"


def test_the_unit_before_the_period_in_use_is_not_last_month():
    out = parse_filters("còn tháng trước đó thì sao?", R, book=BOOK)
    assert (out.start, out.end, out.before_that) == (None, None, "month")
    assert parsed("tháng trước") == {"start": "2020-05-01", "end": "2020-05-31"}
    assert parse_filters("and the quarter before?", R, book=BOOK).before_that == "quarter"


def test_two_months_compared_are_not_one_period_of_both():
    # "và"/"với" joins two months into one period, unless the request compares them.
    assert parsed("chỉ lấy tháng 3 và tháng 4 năm 2020") == {"start": "2020-03-01",
                                                             "end": "2020-04-30"}
    out = parse_filters("so sánh tháng 3 với tháng 4 năm 2020", R, book=BOOK)
    assert (out.start, out.end) == (date(2020, 4, 1), date(2020, 4, 30))
    assert [m.value for m in out.unresolved] == ["compared"]


# Round 13: days written without their year, and the phone of last year that is no May.
@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("góp ý từ 3/4 đến 20/5", {"start": "2020-04-03", "end": "2020-05-20"}),
        ("feedback from 2/6 to 9/6", {"start": "2020-06-02", "end": "2020-06-09"}),
        # a day after the reference date is last year's; the start a year before its end
        ("từ ngày 15/11 đến ngày 5/1", {"start": "2019-11-15", "end": "2020-01-05"}),
        ("khách chê pin của máy năm ngoái", {"start": "2019-01-01", "end": "2019-12-31"}),
        ("complaints from May last year", {"start": "2019-05-01", "end": "2019-05-31"}),
    ],
)
def test_yearless_day_ranges_and_the_phone_of_last_year(text, want):
    got = parsed(text)
    assert {k: got.get(k) for k in want} == want


def test_a_day_or_share_alone_is_no_period():
    assert "start" not in parsed("1/2 khách chê pin") and "end" not in parsed("chỉ 4/5 sao")


@pytest.mark.parametrize("text", ["June is too few. Use the last 3 months instead.",
                                  "tháng 6 ít quá, lấy 3 tháng gần đây thay vào đó"])
def test_the_period_said_last_with_instead_replaces_the_first(text):
    # (read as both, they would narrow each other to June)
    assert parsed(text) == {"start": "2020-04-01", "end": "2020-06-30"}


# Round 14: a sentence's full stop after a month or a rating is punctuation, not a decimal.
@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Lấy phản hồi tính tới hết tháng 4.", {"end": "2020-04-30"}),
        ("Chỉ xem từ tháng 6.", {"start": "2020-06-01"}),
        ("Only the reviews rated 2.", {"min_rating": 2, "max_rating": 2}),
    ],
)
def test_a_full_stop_after_a_month_or_a_rating_ends_the_sentence(text, want):
    got = parsed(text)
    assert {k: got.get(k) for k in want} == want


def test_a_month_with_its_year_after_a_dot_is_not_read_as_the_month_alone():
    assert "end" not in parsed("số liệu tháng 5.2021 chưa có")


@pytest.mark.parametrize(("text", "want"), [
    ("bỏ hết mấy đánh giá 5 sao đi", (None, 4)),
    ("leave out the 1-star reviews", (2, None)),
    ("loai het review 1 sao", (2, None)),
    ("drop 5 stars, keep 1 to 3 stars", (1, 3)),
    ("bỏ lọc ngày, lấy 5 sao thôi", (5, 5)),  # the removal is of the dates
    ("Bỏ qua các đánh giá 5 sao.", (None, 4)),
    ("ignore the 5 star ones", (None, 4)),
])
def test_an_end_of_the_scale_left_out_keeps_the_other_ratings(text, want):
    parsed = parse_filters(text, None)
    assert (parsed.min_rating, parsed.max_rating) == want
