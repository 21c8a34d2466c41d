"""Table filters typed the Thai way (openbangkok.site.pages.filter_values, thai.conversions.typed_value):
Thai digits and Thai dates filter as the database's Arabic digits and ISO dates do; text searches keep
Thai digits as text. Counts are read from the built database, never written here."""

from __future__ import annotations

import datetime as dt

import pytest

from openbangkok.model.site_metadata import DATABASE
from openbangkok.thai import conversions as thai

TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def in_thai(text: str) -> str:
    return str(text).translate(TO_THAI)


async def count(ds, table: str, params: dict) -> int:
    response = await ds.client.get(f"/{DATABASE}/{table}.json", params={**params, "_size": 1})
    assert response.status_code == 200, response.text
    return response.json()["filtered_table_rows_count"]


@pytest.mark.parametrize(
    ("text", "many", "expected"),
    [
        ("๑๐๐๑", False, "1001"),
        ("๔,๙๔๖", False, "4946"),
        ("-๕.๕", False, "-5.5"),
        ("๑ ม.ค. ๒๕๖๖", False, "2023-01-01"),
        ("๑/๑/๒๕๖๖", False, "2023-01-01"),
        ("ซอย ๕", False, "ซอย ๕"),  # Thai digits inside words are words
        ("๓๑/๐๒/๒๕๖๖", False, "๓๑/๐๒/๒๕๖๖"),  # no such day: compared as typed, finds nothing
        ("1/1/2566", False, "1/1/2566"),  # ASCII input is never rewritten
        ("1,000", False, "1,000"),
        ("๑๐๐๑,๑๐๐๒", True, "1001,1002"),
        ('["๑๐๐๑", "๑๐๐๒"]', True, '["1001", "1002"]'),
        ("ซอย ๕,๖", True, "ซอย ๕,๖"),
    ],
)
def test_a_typed_value_is_read_as_the_database_holds_it(text, many, expected):
    assert thai.typed_value(text, many=many) == expected


async def test_thai_digits_filter_as_arabic_digits(ds, built_conn):
    code, expected = built_conn.execute(
        "select district_code, count(*) from complaints where district_code is not null group by 1 order by 2 desc"
    ).fetchone()
    assert await count(ds, "complaints", {"district_code": in_thai(code)}) == expected
    assert await count(ds, "complaints", {"district_code__exact": in_thai(code)}) == expected
    codes = [r[0] for r in built_conn.execute("select district_code from districts order by 1 limit 3")]
    in_list = built_conn.execute("select count(*) from complaints where district_code in (?, ?, ?)", codes).fetchone()[
        0
    ]
    assert await count(ds, "complaints", {"district_code__in": in_thai(",".join(codes))}) == in_list
    # a number with Thai digits and a thousands separator compares as a number
    median = built_conn.execute(
        "select population_total from districts order by population_total limit 1 offset 25"
    ).fetchone()[0]
    above = built_conn.execute("select count(*) from districts where population_total > ?", [median]).fetchone()[0]
    assert 0 < await count(ds, "districts", {"population_total__gt": in_thai(f"{median:,}")}) == above


async def test_a_thai_date_filters_as_its_iso_date(ds, built_conn):
    day, expected = built_conn.execute(
        "select date(timestamp), count(*) from complaints group by 1 order by 2 desc limit 1"
    ).fetchone()
    day = dt.date.fromisoformat(day)
    month = thai.THAI_MONTHS[day.month][1]
    typed = in_thai(f"{day.day} {month} {day.year + 543}")
    assert await count(ds, "complaints", {"timestamp__date": typed}) == expected > 0


async def test_text_searches_keep_thai_digits_as_text(ds, built_conn):
    found = built_conn.execute("select count(*) from complaints where comment like '%๑%'").fetchone()[0]
    converted = built_conn.execute("select count(*) from complaints where comment like '%1%'").fetchone()[0]
    assert found != converted
    assert await count(ds, "complaints", {"comment__contains": "๑"}) == found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"district_code=%E0%B9%91%E0%B9%90%E0%B9%90%E0%B9%91", True),
        (b"district_code=%e0%b9%91", True),
        ("comment__contains=ไฟ".encode(), True),
        (b"district_code=1001&_sort=timestamp", False),
        (b"name=%E2%80%94", False),  # another script's character: not read
    ],
)
def test_only_a_query_that_may_hold_thai_is_read(query, expected):
    from openbangkok.site.pages.filter_values import may_hold_thai

    assert may_hold_thai(query) is expected
