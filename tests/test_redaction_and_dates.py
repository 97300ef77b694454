from datetime import date

import pytest

from assistant.core.redaction import redact
from assistant.feedback.dates import parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail nguyen.van.a@gmail.com nhé", "mail [EMAIL] nhé"),
        ("gọi 0912345678 giúp", "gọi [PHONE] giúp"),
        ("gọi 0912 345 678", "gọi [PHONE]"),
        ("gọi +84 912 345 678", "gọi [PHONE]"),
        ("gọi 091.234.5678", "gọi [PHONE]"),
        ("bàn 028 3812 3456", "bàn [PHONE]"),
        ("thẻ 4111 1111 1111 1111 bị trừ", "thẻ [CARD] bị trừ"),
        ("thẻ 5500-0000-0000-0004", "thẻ [CARD]"),
        ("CCCD 079123456789", "CCCD [ID]"),
        ("CMND 123456789", "CMND [ID]"),
        # Common Vietnamese ways of writing the same numbers
        ("gọi (+84) 912 345 678", "gọi [PHONE]"),
        ("gọi +84 (0) 912 345 678", "gọi [PHONE]"),
        ("sđt0912345670", "sđt[PHONE]"),
        ("gọi 0912  345  678 nhé", "gọi [PHONE] nhé"),
        ("gọi 84912345678", "gọi [PHONE]"),
        ("bàn (028) 3812 3456", "bàn [PHONE]"),
        ("số cũ 01234567890", "số cũ [PHONE]"),
        ("CCCD 079 123 456 789", "CCCD [ID]"),
        ("CCCD 079.123.456.789", "CCCD [ID]"),
        ("CMND 123 456 789", "CMND [ID]"),
        ("CMND: 123.456.789", "CMND: [ID]"),
        ("số chứng minh nhân dân là 123 456 789", "số chứng minh nhân dân là [ID]"),
        ("thẻ 4111.1111.1111.1111", "thẻ [CARD]"),
        ("ｓđｔ ０９１２３４５６７８", "ｓđｔ [PHONE]"),  # full-width digits
    ],
)
def test_each_kind_of_personal_data_is_redacted(text, expected):
    assert redact(text) == (expected, 1)


@pytest.mark.parametrize(
    "text",
    [
        "máy giá 7.990.000đ, giảm 500.000 đ",
        "giá 5990000đ mua ngày 14/09/2019",
        "giá 199000000 đ",
        "iphone 11 pro max 256gb, pin 4000mAh",
        "mã kích hoạt 1234567890123456",  # unnamed, ungrouped, fails the Luhn check
        "hotline 1800 1060",
        "giá 29.990.000 đồng, trả góp 1.250.000đ/tháng",
        "giá 150.000.000",
        "mua ngày 2019-09-14 lúc 10:30, nhận 14.09.2019",
        "đơn hàng #12345678 giao trễ",  # an order number is written after "#"
        "order #0912345678",
        "iOS 13.3.1, số lượng 123 456 789",  # 9 grouped digits with no "CMND" before them
    ],
)
def test_prices_dates_and_specs_are_not_redacted(text):
    assert redact(text) == (text, 0)


def test_two_numbers_side_by_side_are_two_items():
    assert redact("0912345678 0987654321") == ("[PHONE] [PHONE]", 2)
    assert redact("gọi 0912345678 5 lần") == ("gọi [PHONE] 5 lần", 1)


@pytest.mark.parametrize(
    "cell",
    [
        "a" * 200_000,  # one long word: the old e-mail pattern rescanned it from every letter
        "a." * 100_000,
        "1 " * 100_000,
        "0-" * 100_000,
        "+84 " * 50_000,
    ],
)
def test_long_cells_are_redacted_in_one_pass(cell):
    # Linear patterns: 200k characters take milliseconds (the old e-mail pattern took
    # minutes on a word this long). benchmarks/redaction.py measures 1M characters.
    out, n = redact(cell + " a.b@gmail.com 0912345678")
    assert out.endswith(" [EMAIL] [PHONE]") and n >= 2


REF = date(2020, 8, 17)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2 tuần trước", date(2020, 8, 3)),
        ("1 ngày trước", date(2020, 8, 16)),
        ("3 giờ trước", REF),
        ("2 tuan truoc", date(2020, 8, 3)),
        ("1 tháng trước", date(2020, 7, 18)),
        ("5 days ago", date(2020, 8, 12)),
        ("hôm qua", date(2020, 8, 16)),
        ("14/09/2019", date(2019, 9, 14)),
        ("1/1/2019", date(2019, 1, 1)),
        ("2020-02-29", date(2020, 2, 29)),
        ("31/02/2020", None),
        ("tuần trước nữa", None),
        ("", None),
    ],
)
def test_dates(raw, expected):
    assert parse_date(raw, REF) == expected


def test_relative_date_without_reference_is_unknown():
    assert parse_date("2 tuần trước") is None


def test_a_number_named_as_a_card_is_redacted_whatever_its_checksum():
    # A mistyped card number is still someone's card: named as one, or grouped 4-4-4-4.
    assert redact("số thẻ 1234 5678 9012 3456 bị trừ tiền") == ("số thẻ [CARD] bị trừ tiền", 1)
    assert redact("charged on 4000-1234-5678-9010 twice") == ("charged on [CARD] twice", 1)



def test_a_source_name_from_a_file_name_keeps_no_personal_data_nor_long_numbers():
    from assistant.feedback.store.protocol import source_slug

    assert source_slug("khach 0912345678 k nghe") == "khach-PHONE-k-nghe"
    assert source_slug("kh-271-234-567") == "kh-n"  # 9 digits in an unknown grouping
    assert source_slug("an.nguyen @ gmail.com") == "EMAIL"
    assert source_slug("survey-2020-q2") == "survey-2020-q2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gọi 0912345678 k nghe máy", "gọi [PHONE] k nghe máy"),  # "k" = không, not money
        ("gọi 0912345678d", "gọi [PHONE]d"),
        ("sđt 0912345678tr", "sđt [PHONE]tr"),
        ("sđt:0912345678,0987654321", "sđt:[PHONE],[PHONE]"),
        ("0912345678/0987654321", "[PHONE]/[PHONE]"),
        ("+840912345678 nhé", "[PHONE] nhé"),
        ("0912 - 345 - 678", "[PHONE]"),
        ("0912\u2009345\u2009678 và 0912\u00a0345\u00a0679", "[PHONE] và [PHONE]"),
        ("0912\u2011345\u2011678", "[PHONE]"),
        ("mail: an.nguyen @ gmail.com", "mail: [EMAIL]"),
        ("x(at)gmail(dot)com", "[EMAIL]"),
        ("STK 0071000123456 Vietcombank", "STK [ACCOUNT] Vietcombank"),
    ],
)
def test_personal_data_in_the_shapes_the_probe_found(text, expected):
    assert redact(text)[0] == expected
