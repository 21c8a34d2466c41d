"""HTTP made for a CDN and replicas (openbangkok.site.serving.http_cache, openbangkok/hooks/media_types.py): ETag and
Last-Modified of the build, 304 on a repeat, Cache-Control on every answer, gzip that undoes to the
plain answer, /-/health, and CSV served as text/csv. The real site in-process, and over a socket
where the bytes on the wire matter (compression)."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import shutil
import zlib

import httpx
import pytest
from datasette import hookimpl
from datasette.plugins import pm

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.app import SETTINGS, make_datasette
from openbangkok.site.serving.http_cache import HTML_TTL, MIN_GZIP_BYTES, SHORT_TTL

from .held_client import HeldClient

IDENTITY = {"accept-encoding": "identity"}
GZIP = {"accept-encoding": "gzip"}
DATA_TTL = SETTINGS["default_cache_ttl"]
# whole-table streams of one district's tickets (a few hundred): streamed as the whole table is, read
# four times each here, in a fraction of the time
ONE_DISTRICT = "district_code=1006"
CACHED = [
    f"/{DATABASE}/complaints.json",
    f"/{DATABASE}/complaints.csv?_stream=on&{ONE_DISTRICT}",
    f"/{DATABASE}/complaints",
    f"/{DATABASE}/complaints.geojson?_stream=on&{ONE_DISTRICT}",
    f"/{DATABASE}/districts/1001.json",
    f"/{DATABASE}.db",
    "/-/dcat.jsonld",
    "/-/openapi.json",
    f"/{DATABASE}/complaints_district_league.csv?month=2024-06",
]


@pytest.mark.slow
async def test_a_repeat_with_if_none_match_is_answered_304(ds):
    for url in CACHED:
        first = await ds.client.get(url)
        tag = first.headers["etag"]
        assert first.status_code == 200 and tag.startswith('"') and tag.endswith('"'), url  # strong: no W/
        assert first.headers["last-modified"]
        again = await ds.client.get(url, headers={"if-none-match": tag})
        assert again.status_code == 304 and again.content == b"", url
        assert again.headers["etag"] == tag and again.headers["cache-control"] == first.headers["cache-control"]
        assert "content-length" not in again.headers or again.headers["content-length"] == "0"
        weak = await ds.client.get(url, headers={"if-none-match": f'"other", W/{tag}'})
        assert weak.status_code == 304, url  # If-None-Match compares weakly (RFC 9110 13.1.2)
        assert (await ds.client.get(url, headers={"if-none-match": '"other"'})).status_code == 200, url


async def test_a_repeat_with_if_modified_since_is_answered_304(ds):
    url = f"/{DATABASE}/districts.json"
    first = await ds.client.get(url)
    modified = email.utils.parsedate_to_datetime(first.headers["last-modified"]).timestamp()
    assert (await ds.client.get(url, headers={"if-modified-since": first.headers["last-modified"]})).status_code == 304
    later = email.utils.formatdate(modified + 86400, usegmt=True)
    assert (await ds.client.get(url, headers={"if-modified-since": later})).status_code == 304
    earlier = email.utils.formatdate(modified - 86400, usegmt=True)
    assert (await ds.client.get(url, headers={"if-modified-since": earlier})).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2)
    both = {"if-modified-since": first.headers["last-modified"], "if-none-match": '"other"'}
    assert (await ds.client.get(url, headers=both)).status_code == 200
    assert (await ds.client.get(url, headers={"if-modified-since": "not a date"})).status_code == 200


async def test_each_address_and_coding_has_its_own_etag_and_head_has_gets(ds):
    url = f"/{DATABASE}/complaints.json"
    zipped, plain = await ds.client.get(url, headers=GZIP), await ds.client.get(url, headers=IDENTITY)
    other = await ds.client.get(url + "?_size=5", headers=GZIP)
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert len({zipped.headers["etag"], plain.headers["etag"], other.headers["etag"]}) == 3
    assert {**zipped.json(), "query_ms": 0} == {**plain.json(), "query_ms": 0}  # httpx undoes the gzip
    head = await ds.client.head(url, headers=GZIP)
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "last-modified", "cache-control", "content-type", "content-encoding", "vary"):
        assert head.headers[name] == zipped.headers[name], name
    assert int(head.headers["content-length"]) > 0  # GET's, which differs only by Datasette's query_ms
    assert (await ds.client.head(url, headers={**GZIP, "if-none-match": zipped.headers["etag"]})).status_code == 304
    assert (await ds.client.get(url, headers={"if-none-match": zipped.headers["etag"]})).status_code == 304


async def test_only_what_would_be_200_is_answered_304(ds):
    for url in (f"/{DATABASE}/complaints.json?_sort=no_such_column", f"/{DATABASE}/no_such_table.json"):
        answer = await ds.client.get(url, headers={"if-none-match": "*"})
        assert answer.status_code in (400, 404), url
        assert "etag" not in answer.headers


@pytest.mark.slow
async def test_cache_control_on_every_answer(ds):
    data = f"public, max-age={DATA_TTL}"
    expected = {
        f"/{DATABASE}/complaints.json": data,
        f"/{DATABASE}/complaints.csv": data,
        f"/{DATABASE}/complaints.geojson": data,
        f"/{DATABASE}/complaints.xlsx?{ONE_DISTRICT}": data,
        "/-/dcat.jsonld": data,
        "/-/datapackage.json": data,
        "/-/openapi.json": data,
        "/sitemap.xml": data,
        "/robots.txt": data,
        f"/{DATABASE}.db": data,
        f"/{DATABASE}/complaints": f"public, max-age={HTML_TTL}",
        "/": f"public, max-age={HTML_TTL}",
        "/-/api": f"public, max-age={HTML_TTL}",
        f"/{DATABASE}/complaints.json?_ttl=0": "no-cache",
        f"/{DATABASE}/complaints.json?_ttl=30": "public, max-age=30",
        f"/{DATABASE}/complaints.json?_sort=no_such_column": f"public, max-age={SHORT_TTL}",
        "/-/health": "no-store",
    }
    for url, policy in expected.items():
        answer = await ds.client.get(url)
        assert answer.headers.get("cache-control") == policy, (url, answer.status_code)
        assert len(answer.headers.get_list("cache-control")) == 1, url  # one source, one header
    # a request with credentials or a cookie is the client's own: Datasette marks it private, and it stays so
    personal = await ds.client.get(f"/{DATABASE}/districts.json", headers={"cookie": "ds_actor=x"})
    assert personal.headers["cache-control"] == "private, no-store" and "etag" not in personal.headers


@pytest.mark.slow
def test_gzip_on_json_csv_and_geojson_undoes_to_the_plain_answer(live_server):
    with httpx.Client(base_url=live_server, timeout=60) as client:
        for url in (
            f"/{DATABASE}/complaints.json?_size=max&_shape=array",
            f"/{DATABASE}/complaints.csv",
            f"/{DATABASE}/complaints.csv?_stream=on&{ONE_DISTRICT}",
            f"/{DATABASE}/complaints.geojson?_stream=on&{ONE_DISTRICT}",
            f"/{DATABASE}/complaints.ndjson?_stream=on&{ONE_DISTRICT}",
            "/-/openapi.json",
            "/-/static/app.css",
        ):  # a file: Datasette sends its length, then blocks
            plain = client.get(url, headers=IDENTITY)
            assert plain.status_code == 200 and "content-encoding" not in plain.headers, url
            with client.stream("GET", url, headers=GZIP) as answer:
                raw = b"".join(answer.iter_raw())
            assert answer.headers["content-encoding"] == "gzip", url
            assert "Accept-Encoding" in answer.headers["vary"] and "Accept-Encoding" in plain.headers["vary"]
            assert gzip.decompress(raw) == plain.content, url
            assert len(raw) * 3 < len(plain.content), url
            if "_stream=on" in url:  # compressed as it streams: no length known before the end
                assert "content-length" not in answer.headers, url


class QueryLog:
    """A plugin registered for one test (Datasette's documented way, "Testing plugins"): every SQL
    statement of the connections a Datasette made meanwhile opens, in the order they ran."""

    __name__ = "QueryLog"

    def __init__(self):
        self.statements: list[str] = []

    @hookimpl
    def prepare_connection(self, conn):
        conn.set_trace_callback(self.statements.append)

    def pages_of(self, table: str) -> int:
        return sum(1 for sql in self.statements if sql.startswith("select ") and f" from {table} " in sql)


async def test_a_streamed_answer_starts_before_its_end(built_db):
    """The first gzip block of the whole table's CSV reaches the client while the server has read one
    page of its rows: compressed block by block and flushed, not gathered whole first. The client holds
    the answer there (HeldClient), so a server that read every page before its first block fails."""
    log = QueryLog()
    pm.register(log, name="query-log")
    try:
        site = make_datasette(built_db)  # its connections open after the registration: all traced
        await site.invoke_startup()
        held = HeldClient(site.app(), f"/{DATABASE}/complaints.csv?_stream=on", headers=GZIP)
        await asyncio.wait_for(held.first_block.wait(), 120)
        pages_at_first_block = log.pages_of("complaints")
        messages = await held.release()
    finally:
        pm.unregister(name="query-log")
    start, first = messages[0], next(m for m in messages if m.get("body"))
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"text/csv; charset=utf-8" and headers[b"content-encoding"] == b"gzip"
    text = zlib.decompressobj(31).decompress(first["body"]).decode("utf-8", errors="ignore")
    assert text.startswith("ticket_id,") and "\n" in text
    pages = log.pages_of("complaints")
    assert pages >= 5, f"{pages} pages: too few for the first block to come before the last page"
    assert pages_at_first_block <= 2, f"the first block came after {pages_at_first_block} of {pages} pages"


async def test_tiny_and_compressed_answers_are_sent_as_they_are(ds):
    tiny = await ds.client.get(f"/{DATABASE}.json?sql=select+1+as+one&_shape=array", headers=GZIP)
    assert len(tiny.content) < MIN_GZIP_BYTES and "content-encoding" not in tiny.headers
    workbook = await ds.client.get(f"/{DATABASE}/districts.xlsx", headers=GZIP)
    assert "content-encoding" not in workbook.headers and "Accept-Encoding" not in workbook.headers.get("vary", "")
    assert workbook.content.startswith(b"PK")


async def test_other_methods_pass_through_untouched(ds):
    answer = await ds.client.post(f"/{DATABASE}/districts.json", headers=GZIP)
    assert answer.status_code == 405
    assert not {"etag", "last-modified", "cache-control", "content-encoding"} & set(answer.headers)


async def test_health_answers_while_the_database_reads(ds):
    answer = await ds.client.get("/-/health")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["ok"] is True and body["database"] == DATABASE and body["tables"] > 10
    await ds.client.get(f"/{DATABASE}/districts.json")
    assert (await ds.client.get("/-/health")).json()["build"] == (
        await ds.client.get(f"/{DATABASE}/districts.json")
    ).headers["etag"][1:13]


# the guard raises to Datasette as any connection error would, not through pluggy's teardown warning
@pytest.mark.filterwarnings("error::pluggy.PluggyTeardownRaisedWarning")
async def test_health_is_503_when_the_database_cannot_be_read(built_db, tmp_path):
    copy = tmp_path / built_db.name
    shutil.copy(built_db, copy)
    site = make_datasette(copy)
    copy.write_bytes(b"this is not a SQLite database\n" * 200)
    answer = await site.client.get("/-/health")
    assert answer.status_code == 503 and answer.headers["cache-control"] == "no-store"
    assert answer.json()["ok"] is False and "not a database" in answer.json()["error"]


@pytest.mark.parametrize(
    "url",
    [
        f"/{DATABASE}/complaints.csv",
        f"/{DATABASE}/complaints.csv?_stream=on",
        f"/{DATABASE}/complaints.csv?_bom=on",
        f"/{DATABASE}/complaints.csv?_stream=on&_bom=on&_dl=on",
        f"/{DATABASE}.csv?sql=select+1+as+one",
        f"/{DATABASE}/complaints_district_league.csv?month=2024-06",
    ],
)
async def test_csv_is_text_csv(ds, url):
    answer = await ds.client.get(url)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert ("attachment" in answer.headers.get("content-disposition", "")) == ("_dl=" in url)


async def test_newline_delimited_json_says_what_it_is(ds):
    answer = await ds.client.get(f"/{DATABASE}/districts.json?_shape=array&_nl=on")
    assert answer.headers["content-type"] == "application/x-ndjson; charset=utf-8"
    assert len(answer.text.splitlines()) == 50
