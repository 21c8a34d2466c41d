"""The published complaints are the real Traffy Fondue tickets of the API's ten pages: each ticket
once (the copy on the page fetched last), every record published or rejected with its reason, the
statistics per 10,000 residents, and the canned queries' defaults sensible for 26 days of 2022."""

from __future__ import annotations

import gzip
import json

import pytest

from openbangkok.model.catalog import DEFAULT_DATASETS
from openbangkok.model.site_metadata import DATABASE

from .test_complaints import COMPLAINTS_TABLES, assert_no_personal_data

PAGES = DEFAULT_DATASETS / "complaints" / "traffy_api"


@pytest.fixture(scope="session")  # session, not module: the tests spread over the workers
def pages() -> list[tuple[int, str, list[dict]]]:
    """(offset, file, records) of the saved pages, read here as a reader would, in ascending offset."""
    read = [
        (int(p.name.split("_")[-1].split(".")[0]), p.name, json.loads(gzip.decompress(p.read_bytes()))["results"])
        for p in PAGES.iterdir()
    ]
    return sorted(read)


def test_the_real_tickets_are_published(built_conn, pages):
    (count, illustrative) = built_conn.execute("select count(*), sum(is_illustrative) from complaints").fetchone()
    ids = {r["ticket_id"] for _, _, records in pages for r in records if r["ticket_id"]}
    assert count == len(ids) == 9508 and illustrative == 0
    example = built_conn.execute("select * from complaints where ticket_id = '2022-FQPL93'").fetchone()
    assert (example["district"], example["district_code"], example["latitude"], example["longitude"]) == (
        "มีนบุรี",
        "1010",
        13.80091,
        100.71982,
    )
    first, last = built_conn.execute("select min(timestamp), max(timestamp) from complaints").fetchone()
    assert first.startswith("2022-11-22") and last.startswith("2022-12-18")
    assert {r[0] for r in built_conn.execute("select distinct reported_month from complaints")} == {
        "2022-11",
        "2022-12",
    }


def test_each_ticket_is_published_from_the_page_fetched_last(built_conn, pages):
    last = {}
    for offset, name, records in pages:
        for position, record in enumerate(records, 1):
            if record["ticket_id"]:
                last[record["ticket_id"]] = (name, position, record)
    copies = built_conn.execute("select * from complaints_rejected where ticket_id is not null").fetchall()
    assert len(copies) == 10_000 - 33 - 9508 == 459
    for copy in copies:
        name, position, _ = last[copy["ticket_id"]]
        assert (copy["source_file"], copy["source_line"]) != (name, position)
        assert copy["reason"] == f"copy of a ticket published from the page fetched later ({name}, record {position})"
    published = {r["ticket_id"]: r for r in built_conn.execute("select ticket_id, state, status from complaints")}
    for ticket, (_, _, record) in last.items():
        assert (published[ticket]["state"], published[ticket]["status"]) == (record["state"], record["status"])
    blank = built_conn.execute("select count(*) from complaints_rejected where reason = 'no ticket_id'").fetchone()[0]
    assert blank == 33
    files = built_conn.execute("select * from build_files where table_name = 'complaints'").fetchone()
    assert (files["rows_read"], files["rows_published"], files["rows_rejected"]) == (10_000, 9508, 492)
    assert "21 tickets from provinces other than Bangkok" in files["conversions"]


@pytest.mark.slow
def test_no_personal_data_in_the_real_complaints(built_db):
    assert_no_personal_data(built_db, only=COMPLAINTS_TABLES)


def test_every_district_has_its_population_and_a_rate(built_conn):
    districts = built_conn.execute("select * from districts").fetchall()
    assert len(districts) == 50
    for d in districts:
        assert d["population_total"] == d["population_female"] + d["population_male"] > 0, d["district_code"]
        assert d["area_km2"] > 0 and abs(d["population_per_km2"] - d["population_total"] / d["area_km2"]) < 0.1
    summary = built_conn.execute(
        "select s.*, d.population_total from complaints_district_summary s join districts d using (district_code)"
    ).fetchall()
    assert len(summary) == 50
    for row in summary:
        assert row["population"] == row["population_total"]
        assert row["tickets_per_10000_residents"] == round(10000 * row["tickets"] / row["population"], 2)
    (total,) = built_conn.execute("select count(*) from complaints where district_code is not null").fetchone()
    assert sum(r["tickets"] for r in summary) == total


async def get(ds, name, **params):
    response = await ds.client.get(f"/{DATABASE}/{name}.json", params={"_shape": "array", **params})
    assert response.status_code == 200, response.text[:300]
    return response.json()


async def test_the_rate_query_sorts_as_a_journalist_asks(ds, built_conn):
    by_rate = await get(ds, "complaints_per_10000_residents")
    assert len(by_rate) == 50
    rates = [r["tickets_per_10000_residents"] for r in by_rate]
    assert rates == sorted(rates, reverse=True) and by_rate[0]["rank_by_rate"] == 1
    by_tickets = await get(ds, "complaints_per_10000_residents", order="tickets")
    assert [r["tickets"] for r in by_tickets] == sorted((r["tickets"] for r in by_tickets), reverse=True)
    roads = await get(ds, "complaints_per_10000_residents", month="2022-12", type="ถนน", order="district")
    assert [r["district_code"] for r in roads] == sorted(r["district_code"] for r in roads)
    (expected,) = built_conn.execute(
        "select count(*) from complaints c where district_code is not null and reported_month = '2022-12' "
        "and exists (select 1 from json_each(c.types) where value = 'ถนน')"
    ).fetchone()
    assert sum(r["tickets"] for r in roads) == expected > 0


async def test_the_canned_queries_defaults_fit_one_month_of_2022(ds, built_conn):
    league = await get(ds, "complaints_district_league")
    assert league[0]["month"] == "2022-12" and len(league) == 50
    (december,) = built_conn.execute(
        "select count(*) from complaints where reported_month = '2022-12' and district_code is not null"
    ).fetchone()
    assert sum(r["tickets"] for r in league) == december
    assert all(r["tickets_per_10000_residents"] is not None for r in league)
    unresolved = await get(ds, "complaints_unresolved")
    assert unresolved and all(r["days_open"] > 14 and r["state"] != "เสร็จสิ้น" for r in unresolved)
    assert await get(ds, "complaints_unresolved", days="30") == []  # 26 days of tickets: says why in its description
    near = await get(ds, "complaints_near_point")
    assert near and all(r["distance_m"] <= 1000 for r in near)
