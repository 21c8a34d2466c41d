"""What held against the red team, kept held: nothing writes, nothing outside the site is read, user
text is escaped, the answers carry the site's headers (the browser and SIGKILL tests are elsewhere:
tests/test_browser_publishing.py, tests/test_robust.py)."""

from __future__ import annotations

import asyncio
import urllib.parse

import pytest

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.security.limits import RETRY_AFTER_SECONDS, STREAMS

from ..held_client import HeldClient
from .conftest import sql_url


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "address",
    [
        "/",
        f"/{DATABASE}",
        f"/{DATABASE}/districts",
        f"/{DATABASE}/districts/1001",
        "/-/messages",
        "/-/permissions",
        "/-/logout",
        f"/{DATABASE}/-/create",
    ],
)
async def test_nothing_is_written(ds, method, address):
    response = await ds.client.request(method, address)
    assert response.status_code == 405 and "read-only" in response.text
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize(
    "sql",
    [
        "delete from districts",
        "update districts set name_th = 'x'",
        "drop table districts",
        "insert into districts (district_code) values ('9999')",
        "vacuum",
        "reindex",
        "attach database '/tmp/x.db' as x",
        "pragma writable_schema = 1",
        "select 1; delete from districts",
        "with x as (delete from districts) select 1",
    ],
)
async def test_sql_that_writes_is_refused(ds, sql):
    response = await ds.client.get(sql_url(sql))
    assert response.status_code == 400
    count = (await ds.client.get(sql_url("select count(*) as n from districts"))).json()
    assert count == [{"n": 50}]


@pytest.mark.parametrize(
    "address",
    [
        "/assets/../../../../etc/passwd",
        "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/-/static/../../../../../../etc/passwd",
        "/-/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/-/static-plugins/datasette_cluster_map/../../../../../etc/passwd",
        f"/{DATABASE}/..%2f..%2fetc%2fpasswd",
        f"/{DATABASE}.db/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
    ],
)
async def test_no_path_leads_out_of_the_site(ds, address):
    response = await ds.client.get(address)
    assert "root:" not in response.text
    assert response.status_code in (301, 302, 400, 403, 404), (address, response.status_code)


async def test_user_text_is_escaped_in_pages(ds):
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    page = await ds.client.get(f"/{DATABASE}?" + urllib.parse.urlencode({"sql": f"select '{payload}' as x"}))
    assert page.status_code == 200 and payload not in page.text and "&lt;script&gt;" in page.text
    error = await ds.client.get(f"/{DATABASE}/{urllib.parse.quote(payload)}")
    assert payload not in error.text


@pytest.mark.parametrize(
    "address",
    [
        f"/{DATABASE}/districts.json",
        f"/{DATABASE}/districts.csv",
        f"/{DATABASE}.db",
        f"/{DATABASE}/districts",
        "/-/databases.json",
        sql_url("select 1"),
    ],
)
async def test_answers_carry_the_site_headers(ds, address):
    response = await ds.client.get(address)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("extension", [".csv", ".geojson", ".ndjson"])
async def test_complete_downloads_at_once_are_bounded(ds, extension):
    """Each ?_stream=on export reads page after page on the SQL threads: beyond a few at once the
    next is a 503 with Retry-After, and a slot frees when a download ends."""
    app = ds.app()
    path = f"/{DATABASE}/complaints{extension}"
    # one district's tickets (a few hundred): held as a whole table is, and read to the end cheaply
    held = [HeldClient(app, f"{path}?_stream=on&_size=10&district_code=1006") for _ in range(STREAMS)]
    for client in held:
        await asyncio.wait_for(client.first_block.wait(), 60)
    refused = await HeldClient(app, f"{path}?_stream=on").release()
    start = refused[0]
    assert start["status"] == 503, start
    assert (b"retry-after", str(RETRY_AFTER_SECONDS).encode()) in [(k.lower(), v) for k, v in start["headers"]]
    assert "Retry-After" in b"".join(m.get("body", b"") for m in refused[1:]).decode()
    ordinary = await ds.client.get(f"/{DATABASE}/districts.json?_size=1")  # the site still answers
    assert ordinary.status_code == 200
    for client in held:
        assert (await client.release())[0]["status"] == 200
    again = await HeldClient(app, f"{path}?_stream=on&district_code=1006").release()
    assert again[0]["status"] == 200
