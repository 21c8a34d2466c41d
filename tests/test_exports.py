"""Complete exports: the GeoJSON and NDJSON streams hold every row of a table or filter, the catalogue
(/-/dcat.jsonld) and the data package (/-/datapackage.json) name only downloads that hold every row,
and the Excel workbook streams, states Excel's row limit and is written at most a few at a time
(openbangkok/site/exports/geojson.py, xlsx.py, hooks/ndjson_output.py; openbangkok.site.exports.pages, xlsx_stream)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import sqlite3
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.exports.xlsx_stream import EXCEL_DATA_ROWS
from openbangkok.site.pages.illustrative import SHEET_TITLE

from .held_client import HeldClient


def count(conn, sql: str, *params) -> int:
    return conn.execute(sql, params).fetchone()[0]


async def test_the_geojson_stream_holds_every_complaint(synthetic_ds, synthetic_db):
    """On the synthetic tickets, whose known dirt includes tickets without coordinates (the real
    pages have none): each keeps its Feature, with a null geometry."""
    ds, built_conn = synthetic_ds, sqlite3.connect(f"file:{synthetic_db}?mode=ro", uri=True)
    everything = await ds.client.get(f"/{DATABASE}/complaints.geojson?_stream=on")
    assert everything.headers["content-type"] == "application/geo+json; charset=utf-8"
    features = everything.json()["features"]
    total = count(built_conn, "select count(*) from complaints")
    assert total > 2 * 1000 and len(features) == total  # more than two pages of max_returned_rows
    tickets = {f["properties"]["ticket_id"] for f in features}
    assert tickets == {r[0] for r in built_conn.execute("select ticket_id from complaints")}
    without_place = count(built_conn, "select count(*) from complaints where latitude is null or longitude is null")
    assert without_place > 0 and sum(f["geometry"] is None for f in features) == without_place
    district = await ds.client.get(f"/{DATABASE}/complaints.geojson?district_code=1026&_stream=on")
    assert len(district.json()["features"]) == count(
        built_conn, "select count(*) from complaints where district_code = '1026'"
    )
    assert {f["properties"]["district_code"] for f in district.json()["features"]} == {"1026"}


async def test_a_geojson_page_is_a_page_with_a_standard_next_link(ds):
    page = (await ds.client.get(f"/{DATABASE}/complaints.geojson?_size=10")).json()
    assert page["type"] == "FeatureCollection" and len(page["features"]) == 10
    (link,) = [link for link in page["links"] if link["rel"] == "next"]
    assert link["type"] == "application/geo+json" and ".geojson?" in link["href"] and "_next=" in link["href"]
    following = (await ds.client.get(link["href"].removeprefix("http://localhost"))).json()
    assert len(following["features"]) == 10
    assert not {f["properties"]["ticket_id"] for f in following["features"]} & {
        f["properties"]["ticket_id"] for f in page["features"]
    }


@pytest.mark.slow
async def test_the_table_pages_geojson_and_ndjson_links_hold_every_row(synthetic_ds, synthetic_conn):
    import re

    ds, built_conn = synthetic_ds, synthetic_conn

    total = count(built_conn, "select count(*) from complaints")
    first = await ds.client.get(f"/{DATABASE}/complaints")
    following = re.search(r'href="http://localhost(/[^"]*_next=[^"]*)"', first.text).group(1).replace("&amp;", "&")
    for page in (first, await ds.client.get(following)):  # page 2's links carry its _next
        links = dict(re.findall(r'<a href="([^"]+)">(geojson|ndjson)</a>', page.text))
        assert set(links.values()) == {"geojson", "ndjson"}
        for href, name in links.items():
            assert "_stream=on" in href
            answer = await ds.client.get(href.replace("&amp;", "&"))
            rows = answer.json()["features"] if name == "geojson" else answer.text.splitlines()
            assert len(rows) == total, (name, href)


@pytest.mark.slow
async def test_the_ndjson_stream_is_every_row_one_object_a_line(ds, built_conn):
    answer = await ds.client.get(f"/{DATABASE}/complaints.ndjson?_stream=on")
    assert answer.headers["content-type"] == "application/x-ndjson; charset=utf-8"
    rows = [json.loads(line) for line in answer.text.splitlines()]
    assert len(rows) == count(built_conn, "select count(*) from complaints")
    by_key = {r["ticket_id"]: r for r in rows}
    for row in built_conn.execute("select * from complaints order by random() limit 50"):
        assert by_key[row["ticket_id"]] == dict(row)
    view = await ds.client.get(f"/{DATABASE}/ita_district_changes.ndjson?_stream=on")
    assert len(view.text.splitlines()) == count(built_conn, "select count(*) from ita_district_changes")
    page = await ds.client.get(f"/{DATABASE}/complaints.ndjson?_size=7")
    assert len(page.text.splitlines()) == 7 and 'rel="next"' in page.headers["link"]


def rows_in(fmt: str, content: bytes) -> int:
    if fmt == "CSV":
        return len(list(csv.reader(io.StringIO(content.decode("utf-8"))))) - 1
    if fmt == "JSON":
        return len([json.loads(line) for line in content.decode("utf-8").splitlines()])
    if fmt == "GeoJSON":
        return len(json.loads(content)["features"])
    if fmt == "XLSX":
        return workbook_rows(content) - 1
    raise AssertionError(fmt)


def workbook_rows(content: bytes) -> int:
    """Rows of the data sheet: the first, after the notice a workbook of illustrative rows opens on."""
    sheets = [s for s in load_workbook(io.BytesIO(content), read_only=True).worksheets if s.title != SHEET_TITLE]
    return sum(1 for _ in sheets[0].iter_rows())


@pytest.mark.slow
async def test_every_catalogue_download_holds_every_row(synthetic_ds, synthetic_conn):
    ds, built_conn = synthetic_ds, synthetic_conn
    catalogue = (await ds.client.get("/-/dcat.jsonld")).json()
    checked = set()
    for dataset in catalogue["dcat:dataset"]:
        for distribution in dataset["dcat:distribution"]:
            url = urlsplit(distribution["dcat:downloadURL"]["@id"])
            table = url.path.rsplit("/", 1)[1].rsplit(".", 1)[0]
            answer = await ds.client.get(f"{url.path}?{url.query}")
            assert answer.status_code == 200, url
            assert answer.headers["content-type"].startswith(distribution["dcat:mediaType"]), url
            rows = rows_in(distribution["dct:format"], answer.content)
            assert rows == count(built_conn, f"select count(*) from [{table}]"), (url.geturl(), rows)
            checked.add((table, distribution["dct:format"]))
    assert {("complaints", "GeoJSON"), ("complaints", "JSON"), ("districts", "XLSX")} <= checked
    package = (await ds.client.get("/-/datapackage.json")).json()
    for resource in package["resources"]:
        url = urlsplit(resource["path"])
        answer = await ds.client.get(f"{url.path}?{url.query}")
        assert rows_in("CSV", answer.content) == count(built_conn, f"select count(*) from [{resource['name']}]")


@pytest.mark.slow
async def test_the_workbook_states_excels_limit_and_has_every_row(synthetic_ds, synthetic_conn):
    """On the synthetic tickets: 3,000 rows are three pages of max_returned_rows, as the 9,508 real ones are ten."""
    ds, built_conn = synthetic_ds, synthetic_conn
    answer = await ds.client.get(f"/{DATABASE}/complaints.xlsx")
    workbook = load_workbook(io.BytesIO(answer.content))
    illustrative, data, about = workbook.worksheets  # synthetic rows: a first sheet says they are illustrative
    assert "ILLUSTRATIVE" in illustrative.title
    assert data.max_row == count(built_conn, "select count(*) from complaints") + 1
    notes = dict(about.iter_rows(values_only=True))
    assert f"{EXCEL_DATA_ROWS:,}" in notes["ขีดจำกัด / Limit"] and "ไม่ครบ / Incomplete" not in notes
    assert notes["แถว / Rows"] == f"{data.max_row - 1:,}"
    header = [c.value for c in data[1]]
    when = data.cell(row=2, column=header.index("timestamp (เวลาไทย UTC+7)") + 1)
    assert when.is_date  # an ISO timestamp is an Excel date, in Bangkok time (the header says so)
    ticket = data.cell(row=2, column=header.index("ticket_id") + 1).value
    utc = built_conn.execute("select timestamp from complaints where ticket_id = ?", [ticket]).fetchone()[0]
    bangkok = dt.datetime.fromisoformat(utc).astimezone(dt.timezone(dt.timedelta(hours=7))).replace(tzinfo=None)
    assert abs(when.value - bangkok) < dt.timedelta(seconds=1)
    assert "UTC+7" in notes["วันที่ / Dates"]
    view = await ds.client.get(f"/{DATABASE}/ita_district_changes.xlsx")
    assert workbook_rows(view.content) == count(built_conn, "select count(*) from ita_district_changes") + 1


@pytest.mark.slow
async def test_workbooks_stream_and_beyond_the_limit_the_answer_is_503(ds, built_conn):
    from openbangkok.site.exports import xlsx as plugin

    app = ds.app()
    # one district's tickets: a workbook of a few hundred rows is streamed and held as the whole table's is
    path = f"/{DATABASE}/complaints.xlsx?district_code=1006"
    held = [HeldClient(app, path) for _ in range(plugin.CONCURRENT_EXPORTS)]
    try:
        for client in held:
            await asyncio.wait_for(client.first_block.wait(), 60)
            start, first = client.messages[0], client.messages[1]
            assert start["status"] == 200
            # the first block goes out while the rest is still to be written: a zip's first entry
            assert first["body"].startswith(b"PK\x03\x04") and first["more_body"] is True
        busy = await asyncio.wait_for(ds.client.get(f"/{DATABASE}/districts.xlsx"), 60)
        assert busy.status_code == 503 and int(busy.headers["retry-after"]) > 0 and "Excel" in busy.text
        assert busy.headers["cache-control"] == "no-store"  # openbangkok.site.serving.http_cache: never kept by a cache
        csv_meanwhile = await ds.client.get(f"/{DATABASE}/districts.csv")
        assert csv_meanwhile.status_code == 200
    finally:
        for client in held:
            await client.release()
    body = b"".join(m.get("body", b"") for m in held[0].messages if m["type"] == "http.response.body")
    assert workbook_rows(body) == count(built_conn, "select count(*) from complaints where district_code = '1006'") + 1
    assert (await ds.client.get(f"/{DATABASE}/districts.xlsx")).status_code == 200  # the slots are free again
