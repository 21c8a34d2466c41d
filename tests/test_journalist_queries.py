"""Questions a newsroom asks, answered by canned queries without SQL: the share of complaints
unresolved after N days per district group and district, the monthly trend with its chart, and the
nearest health service by its English or Thai name (real build, real Datasette)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

FINISHED = "เสร็จสิ้น"


async def rows(ds, query: str, **params) -> list[dict]:
    response = await ds.client.get(f"/openbangkok/{query}.json", params={"_shape": "array", **params})
    assert response.status_code == 200, response.text
    return response.json()


def expected_unresolved(conn, as_of: dt.date, days: int) -> tuple[Counter, Counter]:
    """Per district: tickets reported more than `days` days before the end of as_of (Bangkok), and
    those of them not finished, counted in Python from the published rows."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.timezone(dt.timedelta(hours=7)))
    older, unresolved = Counter(), Counter()
    for district, timestamp, state in conn.execute(
        "select c.district_code, c.timestamp, c.state from complaints c join districts d using (district_code)"
    ):
        if (end - dt.datetime.fromisoformat(timestamp)).total_seconds() > days * 86400:
            older[district] += 1
            unresolved[district] += state != FINISHED
    return older, unresolved


async def test_unresolved_share_per_district_group_and_district_matches_the_tickets(ds, built_conn):
    answer = await rows(ds, "complaints_unresolved_share", days="20", as_of="18/12/2565")
    older, unresolved = expected_unresolved(built_conn, dt.date(2022, 12, 18), 20)
    bangkok, groups, districts = answer[0], answer[1:7], answer[7:]
    assert bangkok["level"].startswith("กรุงเทพฯ") and bangkok["as_of"] == "2022-12-18" and bangkok["days"] == 20
    assert (bangkok["tickets_older"], bangkok["unresolved"]) == (sum(older.values()), sum(unresolved.values()))
    assert bangkok["tickets_older"] > bangkok["unresolved"] > 0
    assert bangkok["unresolved_percent"] == round(100 * bangkok["unresolved"] / bangkok["tickets_older"], 1)
    assert len(groups) == 6 and len(districts) == 50
    for row in districts:
        assert (row["tickets_older"], row["unresolved"]) == (
            older[row["district_code"]],
            unresolved[row["district_code"]],
        )
    for group in groups:
        members = [d for d in districts if d["district_group"] == group["district_group"]]
        assert group["tickets_older"] == sum(d["tickets_older"] for d in members)
        assert group["unresolved"] == sum(d["unresolved"] for d in members)


async def test_unresolved_share_defaults_to_the_newest_tickets_day_and_reads_thai_digits(ds, built_conn):
    newest = built_conn.execute("select date(max(timestamp), '+7 hours') from complaints").fetchone()[0]
    default = await rows(ds, "complaints_unresolved_share")
    assert default[0]["as_of"] == newest and default[0]["days"] == 14
    assert await rows(ds, "complaints_unresolved_share", days="๑๔", as_of=newest) == default
    # 26 days of tickets: a threshold of 30 days finds none, and says 0 (not an error, not a missing row)
    none = await rows(ds, "complaints_unresolved_share", days="30")
    assert none[0]["tickets_older"] == 0 and none[0]["unresolved_percent"] is None and len(none) == 57
    bad = await ds.client.get("/openbangkok/complaints_unresolved_share.json?days=สามสิบ")
    assert bad.status_code == 400 and "days" in bad.json()["error"]


async def test_the_monthly_trend_counts_each_ticket_once_and_its_page_loads_the_chart(ds, built_conn):
    trend = await rows(ds, "complaints_monthly_trend")
    expected = dict(built_conn.execute("select reported_month, count(*) from complaints group by 1").fetchall())
    assert {r["month"]: r["tickets"] for r in trend} == expected
    by_name = await rows(ds, "complaints_monthly_trend", district="ลาดกระบัง", type="ถนน")
    by_code = await rows(ds, "complaints_monthly_trend", district="1011", type="ถนน")
    assert [r["tickets"] for r in by_name] == [r["tickets"] for r in by_code]
    road = built_conn.execute(
        "select count(*) from complaints c where district_code = '1011' "
        "and exists (select 1 from json_each(c.types) t where t.value = 'ถนน')"
    ).fetchone()[0]
    assert sum(r["tickets"] for r in by_name) == road > 0
    page = (await ds.client.get("/openbangkok/complaints_monthly_trend")).text
    assert "/assets/query-pages/trend-chart.js" in page and "/assets/query-pages/query-pages.css" in page
    assert (await ds.client.get("/assets/query-pages/trend-chart.js")).status_code == 200
    assert "trend-chart.js" not in (await ds.client.get("/openbangkok/complaints_unresolved")).text


async def test_nearest_service_reads_english_and_thai_names_in_any_case(ds):
    english = await rows(ds, "nearest_service", service="Pride clinic", limit="3")
    assert len(english) == 3 and all("Pride clinic" in r["services"] for r in english)
    for typed in (
        "pride clinic",
        "PRIDE CLINIC",
        " Pride Clinic ",
        "คลินิกสุขภาพเพศหลากหลาย",
        "คลินิกสุขภาพเพศหลากหลาย (BKK Pride Clinic)",
        "bkk pride clinic",
    ):
        assert await rows(ds, "nearest_service", service=typed, limit="3") == english, typed
    assert all("คลินิกสุขภาพเพศหลากหลาย" in r["services_th"] for r in english)
    long_covid = await rows(ds, "nearest_service", service="คลินิกลองโควิด", limit="๕")
    assert len(long_covid) == 5 and all("Long COVID clinic" in r["services"] for r in long_covid)


async def test_nearest_service_keeps_limit_an_integer_and_offers_the_services(ds, built_conn):
    page = (await ds.client.get("/openbangkok/nearest_service?limit=3.0&service=pride+clinic")).text
    assert 'value="3"' in page and 'value="3.0"' not in page
    assert "/assets/query-pages/service-list.js" in page
    services = await rows(ds, "health_services")
    assert {r["service"] for r in services} == {
        r[0] for r in built_conn.execute("select distinct service from health_service_figures")
    }
    pride = next(r for r in services if r["service"] == "Pride clinic")
    assert pride["service_th"].startswith("คลินิกสุขภาพเพศหลากหลาย")
    assert (
        pride["places"]
        == built_conn.execute(
            "select count(*) from clinics c where exists (select 1 from json_each(c.services) s where s.value = 'Pride clinic')"
        ).fetchone()[0]
    )
