"""Errors that cost nothing (openbangkok.site.security.errors, openbangkok.site.security.limits, openbangkok/hooks/bad_requests.py):
a client's mistake is a 4xx in Thai and English, one log line, no `rich` traceback on the event loop;
an address over the limits is refused before Datasette reads it; every answer has the site's headers."""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.parse

import httpx
import pytest

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.security import errors
from openbangkok.site.security.errors import ERROR_LOG
from openbangkok.site.security.limits import FACET_REPEATS, QUERY_BYTES, SEARCH_CHARACTERS

from .conftest import sql_url

T = f"/{DATABASE}/complaints"
# (address, status): the red team's 500s, and mistakes of the same families
MISTAKES = [
    ("/no-such-page", 404),
    ("/no-such-page.json", 404),
    (f"/{DATABASE}/no_such_table", 404),
    (f"/{DATABASE}/no_such_table.json", 404),
    ("//evil.example", 404),
    ("//evil.example/x.json", 404),
    (f"{T}/2099-NOSUCH", 404),
    (f"{T}?_facet=%00", 400),
    (f"{T}.json?_facet=%00", 400),
    (f"{T}.json?_through={{}}", 400),
    (f"{T}?_through=%7B%22table%22%3A1%7D", 400),
    (f"{T}.json?_through=x", 400),
    (f"{T}.json?_through=" + urllib.parse.quote('{"table": "districts", "column": "x", "value": "1"}'), 400),
    (f"{T}.json?_facet=nope", 400),
    (f"{T}.json?_facet_array=nope", 400),
    (f"{T}.json?_sort=nope", 400),
    (f"{T}.json?nope=1", 400),
    (f"{T}.json?nope__gt=1", 400),
    (f"{T}.json?_nocol=nope", 400),
    (f"/{DATABASE}/policy_progress_reports.json?_facet=state", 400),
    (f"{T}.json?_where=nope", 400),
    (f"{T}.json?_where=1)", 400),
    (f"{T}.json?_size=abc", 400),
    (f"{T}.json?_size=100000", 400),
    (f"{T}.json?district_code__in=[", 400),
    (f"{T}.json?_col=nope", 400),
    (f"{T}.json?_search=%22", 400),
    (sql_url("select nope from nowhere"), 400),
    (sql_url("update districts set name_th = 1"), 400),
    (f"/{DATABASE}/complaints_district_league.json?month=abc", 400),
    (f"/{DATABASE}.db?x=%00", 400),
    (f"{T}.json?_sort_desc=%00", 400),
]


@pytest.mark.parametrize("address, status", MISTAKES)
async def test_a_clients_mistake_is_a_4xx_never_a_500(ds, address, status):
    response = await ds.client.get(address)
    assert response.status_code == status, (address, response.text[:300])
    if status >= 400 and address.split("?")[0].endswith(".json"):
        assert response.json()["ok"] is False and response.json()["error"]


async def test_the_answers_do_not_depend_on_rich(ds, monkeypatch):
    """rich 15 made Datasette's own handler answer 500; its console must never be called."""
    import rich

    def broken(*args, **kwargs):
        raise RuntimeError("rich must not be used on the event loop")

    monkeypatch.setattr(rich, "get_console", broken)
    for address, status in MISTAKES[:12]:
        assert (await ds.client.get(address)).status_code == status, address


async def test_an_error_is_one_log_line_and_its_traceback_only_at_debug(ds, caplog):
    caplog.set_level(logging.INFO, logger="openbangkok.site.security.errors")
    for address in (f"{T}.json?_facet=nope", f"{T}.json?_size=abc"):  # refused early; raised in Datasette
        caplog.clear()
        await ds.client.get(address)
        await asyncio.to_thread(ERROR_LOG.lines.join)
        lines = [r.getMessage() for r in caplog.records if r.name == "openbangkok.site.security.errors"]
        assert len(lines) == 1 and "-> 400" in lines[0] and "\n" not in lines[0], lines
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="openbangkok.site.security.errors")
    await ds.client.get(f"{T}.json?_size=abc")
    await asyncio.to_thread(ERROR_LOG.lines.join)
    messages = [r.getMessage() for r in caplog.records if r.name == "openbangkok.site.security.errors"]
    assert len(messages) == 2 and "Traceback" in messages[1]


async def test_a_log_line_cannot_be_forged(ds, caplog):
    caplog.set_level(logging.INFO, logger="openbangkok.site.security.errors")
    await ds.client.get("/nope%0A2026-01-01 ERROR forged line")
    await asyncio.to_thread(ERROR_LOG.lines.join)
    assert all("\n" not in r.getMessage() for r in caplog.records if r.name == "openbangkok.site.security.errors")


def test_a_flood_of_errors_drops_log_lines_instead_of_queueing_them(monkeypatch):
    log = errors.ErrorLog(size=5)
    monkeypatch.setattr(log, "thread", object())  # no writer: the queue fills
    for n in range(20):
        log.write(logging.ERROR, f"line {n}")
    assert log.lines.qsize() == 5 and log.dropped == 15


async def test_a_server_fault_is_a_500_that_names_only_a_reference(ds, caplog):
    from datasette.utils.asgi import Request

    caplog.set_level(logging.INFO, logger="openbangkok.site.security.errors")
    request = Request.fake(f"/{DATABASE}/districts.json")
    response = await errors.answer(ds, request, RuntimeError("/srv/secret/path exploded"))
    await asyncio.to_thread(ERROR_LOG.lines.join)
    body = response.body if isinstance(response.body, str) else response.body.decode()
    assert response.status == 500 and "secret" not in body and "Internal error" in body
    reference = body.split("Internal error ")[1][:8]
    assert any(reference in r.getMessage() and "exploded" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "address, status, words",
    [
        (f"{T}.json?" + "&".join(["_where=1"] * 3000), 414, "too long"),
        (f"{T}.json?" + "&".join(["_where=1"] * 11), 400, "_where"),
        (f"{T}.json?" + "&".join(["_facet=comment"] * 300), 400, "Too many"),
        (f"{T}.json?" + "&".join(["_facet=comment"] * (FACET_REPEATS + 1)), 400, "_facet"),
        (f"{T}.json?" + "&".join(f"p{n}=1" for n in range(101)), 400, "Too many"),
        (f"{T}.json?_col=" + "&_col=".join(["comment"] * 51), 400, "_col"),
        (f"{T}.json?_search=" + "ไ" * (SEARCH_CHARACTERS + 1), 400, "search"),
        (f"{T}.json?sql=" + "x" * QUERY_BYTES, 414, "too long"),
        (f"/{DATABASE}/" + "x" * 3000 + ".json", 414, "too long"),
        (f"{T}.json?_facet=%00", 400, "NUL"),
    ],
)
async def test_addresses_over_the_limits_are_refused_before_datasette_reads_them(ds, address, status, words):
    response = await ds.client.get(address)
    assert response.status_code == status, response.text[:200]
    assert words in response.json()["error"]
    assert "content-security-policy" in response.headers


async def test_addresses_within_the_limits_still_work(ds):
    db = ds.get_database(DATABASE)
    columns = await db.table_columns("complaints")
    everything = "&".join(f"_col={urllib.parse.quote(c)}" for c in columns)
    response = await ds.client.get(f"{T}.json?{everything}&_facet=district&_facet=state&_search=ไฟ&_size=5")
    assert response.status_code == 200 and response.json()["rows"]


async def test_every_answer_has_the_security_headers(ds):
    """The 400 of a canned query's form, the 405 of a write, an early refusal and an error page."""
    for method, address in (
        ("GET", f"/{DATABASE}/complaints_district_league?month=abc"),
        ("GET", f"/{DATABASE}/complaints_district_league.json?month=abc"),
        ("POST", f"/{DATABASE}/districts"),
        ("GET", f"{T}?_facet=%00"),
        ("GET", "/no-such-page"),
        ("GET", f"{T}.json?_facet=nope"),
    ):
        response = await ds.client.request(method, address)
        assert response.status_code in (400, 404, 405), address
        for header in ("content-security-policy", "x-content-type-options", "referrer-policy"):
            assert header in response.headers, (address, header)


def test_the_site_answers_while_80_bad_requests_arrive_at_once(live_server):
    """Every bad request gets its 4xx and an ordinary request is answered meanwhile (timings:
    benchmarks/security.py, errors(); the error pages one by one: benchmarks/error_pages.py)."""
    url = live_server
    bad = [address for address, status in MISTAKES if status >= 400] * 3
    bad = (bad + [f"{T}.json?" + "&".join(["_where=1"] * 3000), "/missing"] * 80)[:80]

    async def fire():
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=100)) as client:
            flood = [asyncio.create_task(client.get(url + address)) for address in bad]
            await asyncio.wait(flood, return_when=asyncio.FIRST_COMPLETED)  # the site is answering the flood
            ordinary = await client.get(f"/{DATABASE}/districts.json?_shape=array")
            return ordinary, await asyncio.gather(*flood)

    started = time.perf_counter()
    ordinary, answers = asyncio.run(fire())
    assert ordinary.status_code == 200 and len(ordinary.json()) == 50
    assert sorted({a.status_code for a in answers}) and all(400 <= a.status_code < 500 for a in answers), [
        (str(a.url)[:80], a.status_code) for a in answers if not 400 <= a.status_code < 500
    ]
    print(f"\n80 bad requests and an ordinary one: {time.perf_counter() - started:.2f} s")
