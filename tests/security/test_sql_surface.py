"""The SQL a visitor may run (openbangkok.site.security.sql_guard): each test is an attack that worked on the public
SQL endpoint before (issue 19), or a page of the site that must keep working under the guard."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import urllib.parse
from pathlib import Path

import httpx
import pytest

from openbangkok.model.site_metadata import DATABASE
from openbangkok.model.sql_functions import register
from openbangkok.site.app import make_datasette
from openbangkok.site.security import sql_guard
from openbangkok.site.security.sql_guard import (
    ANSWER_BYTES,
    LIMITS,
    ROW_BYTES,
    VALUE_BYTES,
    AnswerTooLarge,
    guard,
    streamed,
)

from .conftest import sql_url

# (SQL, words the refusal holds): memory addresses, crashes, files, gigabytes, the schema's pages
REFUSED = [
    ("select fts3_tokenizer('simple')", "fts3_tokenizer"),
    ("select fts3_tokenizer('simple', x'4141414141414141')", "fts3_tokenizer"),
    ("select * from fts3tokenize where input = 'a'", "fts3tokenize"),
    ("select load_extension('/lib/x86_64-linux-gnu/libc.so.6')", "load_extension"),
    ("select zeroblob(300000000)", "zeroblob"),
    ("select randomblob(1000000000)", "randomblob"),
    ("select * from dbstat", "dbstat"),
    ("select * from sqlite_stmt", "sqlite_stmt"),
    ("select sqlite_compileoption_get(0)", "sqlite_compileoption_get"),
    ("select fts5(null)", "fts5"),
    ("select median(1)", "median"),
    ("select * from pragma_compile_options", "pragma_compile_options"),
    ("select * from temp.sqlite_master", "temp"),
    ("select rtreenode(2, x'00')", "rtreenode"),
]


def guarded(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    register(conn)
    guard(conn, DATABASE)
    return conn


def unguarded() -> sqlite3.Connection:
    return sqlite3.connect(":memory:")


@pytest.mark.parametrize("sql, words", REFUSED)
async def test_functions_and_tables_off_the_allow_lists_are_refused(ds, built_db, sql, words):
    response = await ds.client.get(sql_url(sql))
    assert response.status_code == 400, (sql, response.text[:300])
    with pytest.raises(sqlite3.DatabaseError, match="not authorized|prohibited|constructor failed"):
        guarded(built_db).execute(sql).fetchall()  # refused by SQLite itself, whatever Datasette checks before


def test_the_tokenizer_pointer_is_refused_where_sqlite_hands_it_out(built_db):
    """Debian's SQLite has ENABLE_FTS3_TOKENIZER: unguarded, the function gives a memory address."""
    raw = sqlite3.connect(f"file:{built_db}?immutable=1", uri=True)
    assert isinstance(raw.execute("select fts3_tokenizer('simple')").fetchone()[0], bytes)
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        guarded(built_db).execute("select fts3_tokenizer('simple')").fetchall()


def test_the_red_teams_crash_leaves_the_server_up(live_server):
    """Two GETs crashed the process: a fake tokenizer once per SQL thread, then the tokenize table."""
    url = live_server
    attack = ["select fts3_tokenizer('simple', x'4141414141414141')", "select * from fts3tokenize where input='a'"]

    async def fire():
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            answers = await asyncio.gather(*(client.get(sql_url(sql)) for sql in attack * 8))
            after = await client.get(f"/{DATABASE}/districts.json?_shape=array")
        return answers, after

    answers, after = asyncio.run(fire())
    assert [a.status_code for a in answers] == [400] * len(answers)
    assert after.status_code == 200 and len(after.json()) == 50


def test_every_limit_is_set_on_a_guarded_connection(built_db):
    conn = guarded(built_db)
    assert {limit: conn.getlimit(limit) for limit in LIMITS} == LIMITS
    assert conn.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED) == 0


@pytest.mark.parametrize(
    "sql, words",
    [
        (
            f"select length(printf('%.*c', {VALUE_BYTES // 2 + 1}, 'x') || printf('%.*c', {VALUE_BYTES // 2}, 'y'))",
            "too big",
        ),
        ("with recursive r(s) as (select 'x' union all select s || s from r) select length(s) from r", "too big"),
        (f"select length(replace(printf('%.*c', {VALUE_BYTES // 2}, 'a'), 'a', 'aaa'))", "too big|raised exception"),
        (
            (
                f"select length(group_concat(printf('%.*c', 1000, 'x'))) from (with recursive r(n) as "
                f"(select 1 union all select n + 1 from r limit {VALUE_BYTES // 1000 + 10}) select n from r)"
            ),
            "too big",
        ),
        ("select 'a' like '" + "%a" * 160 + "'", "pattern too complex"),
        ("select " + "(" * 300 + "1" + ")" * 300, "too large|stack overflow"),
        ("select 1" + " + 1" * 300, "too large"),
        (" union all ".join(["select 1"] * 30), "too many terms"),
        ("select " + ", ".join(f"{n} as c{n}" for n in range(250)), "too many columns"),
    ],
)
# a refusal is the client's error, not a traceback in the server's log (sqlite3's callback tracebacks)
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_no_value_or_statement_grows_past_its_limit(built_db, sql, words):
    with pytest.raises(sqlite3.Error, match=words):
        guarded(built_db).execute(sql).fetchall()


def test_attaching_and_writing_are_refused(built_db):
    conn = guarded(built_db)
    for sql in (
        "attach database ':memory:' as other",
        "create temp table t (x)",
        "pragma writable_schema = 1",
        "pragma query_only = 0",
        "begin",
        "insert into districts (district_code) values ('x')",
    ):
        with pytest.raises(sqlite3.Error):
            conn.execute(sql)


def test_an_answer_is_bounded_in_bytes_unless_it_is_streamed(built_db):
    rows = ANSWER_BYTES // 900_000 + 3
    sql = (
        f"select printf('%.*c', 900000, 'x') from (with recursive r(n) as (select 1 union all select n + 1 from r "
        f"limit {rows}) select n from r)"
    )
    with pytest.raises(AnswerTooLarge, match="in one page"):
        guarded(built_db).execute(sql).fetchall()
    conn = guarded(built_db)
    with streamed(conn):  # the .xlsx of a query: written out batch by batch, not held
        cursor = conn.execute(sql)
        assert sum(len(batch) for batch in iter(lambda: cursor.fetchmany(5), [])) == rows
    wide = "select " + ", ".join(["printf('%.*c', 900000, 'x')"] * (ROW_BYTES // 900_000 + 1))
    with pytest.raises(AnswerTooLarge, match="in one row"), streamed(conn):
        conn.execute(wide).fetchall()
    assert len(conn.execute("select * from complaints").fetchall()) > 0  # a new statement starts from nothing


async def test_the_site_answers_a_too_large_answer_with_400(ds):
    response = await ds.client.get(sql_url("select printf('%.*c', 900000, 'x') from complaints"))
    assert response.status_code == 400 and "too large" in response.json()["error"]
    assert len(response.content) < 10_000


@pytest.mark.slow
async def test_a_whole_table_still_streams_as_csv(ds):
    db = ds.get_database(DATABASE)
    count = (await db.execute("select count(*) from complaints")).rows[0][0]
    response = await ds.client.get(f"/{DATABASE}/complaints.csv?_stream=on")
    assert response.status_code == 200
    import csv
    import io

    assert len(list(csv.reader(io.StringIO(response.text)))) == count + 1


# Core functions whose C versions are quadratic in one step: the overrides give SQLite's answers.
LINEAR = [
    ("trim", "xxabcxx", "x"),
    ("trim", "  a b  ", " "),
    ("ltrim", "aabba", "a"),
    ("rtrim", "aabba", "a"),
    ("trim", "ข้อความ ", " "),
    ("trim", "", "x"),
    ("trim", None, "x"),
    ("trim", "abc", None),
    ("trim", 12.5, "1"),
    ("instr", "hello", "ll"),
    ("instr", "hello", "z"),
    ("instr", "ไฟดับ", "ดับ"),
    ("instr", None, "a"),
    ("instr", "abc", ""),
    ("replace", "a-b-c", "-", "+"),
    ("replace", "abc", "", "x"),
    ("replace", "ไฟดับ", "ดับ", "ติด"),
    ("replace", None, "a", "b"),
    ("replace", "aaa", "a", ""),
]


@pytest.mark.parametrize("case", LINEAR)
def test_linear_functions_answer_as_sqlite_does(built_db, case):
    name, *arguments = case
    sql = f"select {name}({', '.join('?' * len(arguments))})"
    assert tuple(guarded(built_db).execute(sql, arguments).fetchone()) == unguarded().execute(sql, arguments).fetchone()


@pytest.mark.parametrize(
    "sql",
    [
        "select length(trim(printf('%.*c', 400000, 'a'), printf('%.*c', 399999, 'b') || 'a'))",
        "select instr(printf('%.*c', 900000, 'a'), printf('%.*c', 90000, 'a') || 'b')",
        "select length(replace(printf('%.*c', 900000, 'a'), printf('%.*c', 90000, 'a') || 'b', 'c'))",
    ],
)
def test_quadratic_functions_finish(built_db, sql):
    """In C, trim() of these took about 30 minutes in one step the time limit cannot interrupt."""
    answer = []
    worker = threading.Thread(target=lambda: answer.append(guarded(built_db).execute(sql).fetchone()), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert answer, "did not finish"


async def test_a_runaway_recursive_query_is_stopped(ds):
    response = await ds.client.get(
        sql_url("with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r")
    )
    assert response.status_code == 400 and "too long" in response.json()["error"]


async def test_every_connection_of_the_site_is_guarded(built_db):
    site = make_datasette(built_db)
    await site.invoke_startup()
    db = site.get_database(DATABASE)
    limits = await asyncio.gather(
        *(
            db.execute_fn(
                lambda conn: (
                    threading.get_ident(),
                    conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH),
                    type(conn.row_factory).__name__,
                )
            )
            for _ in range(16)
        )
    )
    assert {limit for _, limit, _ in limits} == {VALUE_BYTES}
    internal = site.get_database("_internal")
    assert await internal.execute_write_fn(lambda conn: conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)) == VALUE_BYTES
    versions = (await site.client.get("/-/versions.json")).json()
    assert versions["sqlite"]["fts_versions"]  # Datasette's own probe still runs


# --- The allow lists hold what the site needs: every page, facet, search, query and README example ----


def site_addresses(site, tables: dict[str, list[str]], searchable: set[str]) -> list[str]:
    addresses = [
        "/",
        "/-/api",
        "/-/openapi.json",
        "/-/datapackage.json",
        "/-/dcat.jsonld",
        "/robots.txt",
        "/sitemap.xml",
        "/-/versions.json",
        "/-/databases.json",
        f"/{DATABASE}",
        f"/{DATABASE}.json",
    ]
    metadata = site.metadata("tables", database=DATABASE) or {}
    for table, columns in tables.items():
        base = f"/{DATABASE}/{table}"
        # a whole-table export of the big (searchable) tables runs the same SQL on one district's
        # rows as on all 9,508 tickets; the other tables are exported whole, labels and all
        one_district = "district_code=1010&" if table in searchable and "district_code" in columns else ""
        addresses += [
            base,
            f"{base}.json?_labels=on&_size=max",
            f"{base}.csv",
            f"{base}.csv?{one_district}_stream=on",
            f"{base}.xlsx?{one_district}".rstrip("?&"),
        ] + ([f"{base}.geojson?{one_district}".rstrip("?&")] if {"latitude", "longitude"} <= set(columns) else [])
        for column in (metadata.get(table) or {}).get("facets") or []:
            name = column if isinstance(column, str) else next(iter(column.values()))
            addresses.append(f"{base}.json?_facet={urllib.parse.quote(str(name))}")
        if columns:
            addresses.append(f"{base}?_sort_desc={urllib.parse.quote(columns[-1])}")
        if table in searchable:  # the complaints' and the clinics' search, their filters where they have them
            addresses += [
                f"{base}?_search=%E0%B9%84%E0%B8%9F",
                f"{base}.json?_search=%E0%B8%99%E0%B9%89%E0%B8%B3&district_code=1010",
            ]
            addresses += [f"{base}.json?types__arraycontains=%E0%B8%96%E0%B8%99%E0%B8%99"] if "types" in columns else []
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    addresses += [
        m.group(1) for m in re.finditer(r"(?:http://127\.0\.0\.1:8001|`)(/openbangkok[^\s'`\"<]*)(?=[\s'`\"])", readme)
    ]
    return list(dict.fromkeys(addresses))


QUERY_EXAMPLES = {
    "month": "2566-06",
    "district_code": "1010",
    "agency_code": "health",
    "role": "R",
    "days": "90",
    "policy_id": "P002",
    "latitude": "13.765",
    "longitude": "100.552",
    "service": "Telemedicine",
    "limit": "5",
    "fiscal_year_be": "2566",
    "as_of": "2023-12-31",
    "distance_m": "2000",
}


@pytest.mark.slow
async def test_the_allow_lists_hold_what_every_page_of_the_site_needs(built_db, monkeypatch):
    denied = []

    def recording(tables, strict):
        authorize = sql_guard_authorizer(tables, strict)

        def check(*arguments):
            answer = authorize(*arguments)
            if answer != sqlite3.SQLITE_OK:
                denied.append(arguments)
            return answer

        return check

    sql_guard_authorizer = sql_guard.authorizer
    monkeypatch.setattr(sql_guard, "authorizer", recording)
    site = make_datasette(built_db)
    await site.invoke_startup()
    db = site.get_database(DATABASE)
    names = await db.table_names() + await db.view_names()
    hidden = set(await db.hidden_table_names())
    tables = {name: await db.table_columns(name) for name in names if name not in hidden}
    searchable = {name for name in tables if f"{name}_fts" in names}
    addresses = site_addresses(site, tables, searchable)
    for name, query in (site.metadata("queries", database=DATABASE) or {}).items():
        params = {p: QUERY_EXAMPLES.get(p, "1") for p in re.findall(r"(?<!:):(\w+)", query["sql"])}
        addresses += [f"/{DATABASE}/{name}{ext}?{urllib.parse.urlencode(params)}" for ext in ("", ".json", ".csv")]
    failed = []
    for address in addresses:
        response = await site.client.get(address)
        if response.status_code >= 400:
            failed.append((address, response.status_code, response.text[:200]))
    assert len(addresses) > 150
    assert failed == []
    assert denied == []


def test_sqlite_holds_at_most_its_share_of_memory(built_db):
    """A search of every prefix at once held most of the index in memory. The limit is the process's,
    so it is lowered for the test in a process of its own."""
    import subprocess
    import sys

    script = f"""
import sqlite3, sys
from openbangkok.model.sql_functions import register
from openbangkok.site.security.sql_guard import HEAP_BYTES, guard
conn = sqlite3.connect("file:{built_db}?immutable=1", uri=True)
register(conn)
guard(conn, "openbangkok")
setting = sqlite3.connect(":memory:")
assert setting.execute("pragma hard_heap_limit").fetchone()[0] == HEAP_BYTES
setting.execute("pragma hard_heap_limit = 2000000")
try:
    conn.execute("select rowid from complaints_fts where complaints_fts match '"
                 + " OR ".join(c + "*" for c in "กขคงจฉชซดตถทนบปผพฟมยรลวสหอ") + "' order by rank").fetchall()
except MemoryError:
    sys.exit(0)
sys.exit(3)
"""
    assert subprocess.run([sys.executable, "-c", script], check=False, timeout=300).returncode == 0


async def test_a_query_over_the_memory_limit_is_a_400(ds):
    from datasette.utils.asgi import Request

    from openbangkok.site.security.errors import classify

    status, message, _ = classify(Request.fake(sql_url("select 1")), MemoryError())
    assert status == 400 and "memory" in message


def test_security_md_lists_exactly_the_sql_the_site_allows():
    text = (Path(__file__).parents[2] / "SECURITY.md").read_text(encoding="utf-8")
    section = re.search(r"- these functions(.*)Everything else", text, re.S).group(1)
    listed = {name for span in re.findall(r"`([^`]+)`", section) for name in span.split()}
    listed -= {"openbangkok/site/security/sql_guard.py", "ALLOWED_FUNCTIONS"}
    assert listed == sql_guard.ALLOWED_FUNCTIONS | sql_guard.ALLOWED_TABLE_FUNCTIONS
