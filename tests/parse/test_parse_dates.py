"""embedkit._parse.dates: the one timestamp parser, on the forms feeds and pages use."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedkit._parse.dates import MAX_DATE_LENGTH, month_first, parse_date_value, parse_datetime

UTC = dt.UTC


def _zone(hours: float) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours))


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        # RFC 822 and its variants
        ("Tue, 05 Mar 2019 10:00:00 +0100", None, dt.datetime(2019, 3, 5, 10, tzinfo=_zone(1))),
        ("Tue, 5 Mar 19 10:00 GMT", None, dt.datetime(2019, 3, 5, 10, tzinfo=UTC)),
        ("05 Mar 2019 10:00:00 EST", None, dt.datetime(2019, 3, 5, 10, tzinfo=_zone(-5))),
        ("Tuesday, 05-Mar-2019 10:00:00 GMT", None, dt.datetime(2019, 3, 5, 10, tzinfo=UTC)),
        ("Fri Jan 16 18:21:00 UTC 2009", None, dt.datetime(2009, 1, 16, 18, 21, tzinfo=UTC)),
        ("Tue, 05 Mar 2019 10:00:00", None, dt.datetime(2019, 3, 5, 10, tzinfo=UTC)),
        # ISO 8601
        ("2019-03-05", None, dt.datetime(2019, 3, 5, tzinfo=UTC)),
        ("2019-03-05T10:00:00Z", None, dt.datetime(2019, 3, 5, 10, tzinfo=UTC)),
        ("2019-03-05T10:00:00.123+09:00", None,
         dt.datetime(2019, 3, 5, 10, 0, 0, 123000, tzinfo=_zone(9))),
        ("2019-03-05 10:00:00 UTC", None, dt.datetime(2019, 3, 5, 10, tzinfo=UTC)),
        ("2019-03-05 10:00:00", None, dt.datetime(2019, 3, 5, 10, tzinfo=UTC)),
        ("20190305T100000Z", None, dt.datetime(2019, 3, 5, 10, tzinfo=UTC)),
        # written forms
        ("March 5, 2019", None, dt.datetime(2019, 3, 5, tzinfo=UTC)),
        ("5 March 2019 10:00 GMT", None, dt.datetime(2019, 3, 5, 10, tzinfo=UTC)),
        ("Mar 5th, 2019 at 10:00 PM", None, dt.datetime(2019, 3, 5, 22, tzinfo=UTC)),
        ("5. März 2019", "de", dt.datetime(2019, 3, 5, tzinfo=UTC)),
        ("mardi 5 mars 2019", "fr", dt.datetime(2019, 3, 5, tzinfo=UTC)),
        ("Seg, 24 Set 2018 19:42:40 -0300", "pt-BR",
         dt.datetime(2018, 9, 24, 19, 42, 40, tzinfo=_zone(-3))),
        ("Seg, 24 Set 2018 19:42:40 -0300", None,
         dt.datetime(2018, 9, 24, 19, 42, 40, tzinfo=_zone(-3))),
        # numeric days, by the document's language
        ("05.03.2019", "de", dt.datetime(2019, 3, 5, tzinfo=UTC)),
        ("05.03.2019", "en-US", dt.datetime(2019, 3, 5, tzinfo=UTC)),  # dots: day first
        ("05/03/2019", "fr", dt.datetime(2019, 3, 5, tzinfo=UTC)),
        ("05/03/2019", "ru", dt.datetime(2019, 3, 5, tzinfo=UTC)),
        ("05/03/2019", "en-GB", dt.datetime(2019, 3, 5, tzinfo=UTC)),
        ("03/05/2019", "en-US", dt.datetime(2019, 3, 5, tzinfo=UTC)),
        ("03/05/2019", "en", dt.datetime(2019, 3, 5, tzinfo=UTC)),
        ("13/03/2019", "en-US", dt.datetime(2019, 3, 13, tzinfo=UTC)),  # no choice
        ("03/13/2019", "de", dt.datetime(2019, 3, 13, tzinfo=UTC)),
        ("4/6/2016 4:00:00 PM", "en", dt.datetime(2016, 4, 6, 16, tzinfo=UTC)),
        ("2020/1/10 14:33:00", "zh-CN", dt.datetime(2020, 1, 10, 14, 33, tzinfo=UTC)),
        ("31.12.99 14:30", "de", dt.datetime(1999, 12, 31, 14, 30, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_the_forms_real_documents_use(text: str, lang: str | None, expected: dt.datetime) -> None:
    parsed = parse_datetime(text, lang)
    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "Tuesday",
        "March 2019",  # no day
        "2019",
        "5",
        "2023-02-30",
        "32.01.2019",
        "the day after tomorrow",
        "0000-01-01",
        "2019-03-05" + " " * 5 + "x" * MAX_DATE_LENGTH,
        "",
    ],
)
def test_what_is_not_a_date_is_none(text: str) -> None:
    assert parse_datetime(text) is None


def test_dates_and_datetimes_pass_through_timezone_aware() -> None:
    assert parse_datetime(dt.date(2023, 3, 16)) == dt.datetime(2023, 3, 16, tzinfo=UTC)
    assert parse_datetime(dt.datetime(2023, 3, 16, 9, 30)) == dt.datetime(
        2023, 3, 16, 9, 30, tzinfo=UTC
    )
    assert parse_datetime(12345) is None


def test_a_day_stays_a_day_for_front_matter() -> None:
    assert parse_date_value("2023-03-16") == dt.date(2023, 3, 16)
    assert parse_date_value("March 16, 2023") == dt.date(2023, 3, 16)
    assert parse_date_value("2023-03-16 09:30") == dt.datetime(2023, 3, 16, 9, 30, tzinfo=UTC)


def test_month_first_only_for_american_english() -> None:
    assert [month_first(x) for x in ("en-US", "en_us", "en", "en-GB", "de", "fr", None)] == [
        True, True, True, False, False, False, False,
    ]  # fmt: skip


@given(st.text(max_size=120), st.sampled_from([None, "en-US", "de", "pt", "xx"]))
def test_never_raises(text: str, lang: str | None) -> None:
    parsed = parse_datetime(text, lang)
    assert parsed is None or parsed.tzinfo is not None
