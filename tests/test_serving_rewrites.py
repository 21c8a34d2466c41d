"""The site's SQL rewrites (openbangkok.site.serving.rewrites: rewrite; precomputed_facets) give exactly Datasette's
answers: every request below is answered twice by the same site, with the rewrites on and off
(OPENBANGKOK_SERVING_OFF=search_sql,precomputed_facets), and the count, the facets and the rows must
be the same. The table is tests/test_serving.py's generated one, smaller, with search text that
makes common, rare and absent words, indexed as the build indexes complaints."""

from __future__ import annotations

import sqlite3

import pytest

from openbangkok.site.app import make_datasette
from openbangkok.site.serving import precomputed_facets as precomputing
from openbangkok.site.serving import rewrites as sql_rewrites
from openbangkok.thai.search import TOKENIZE, index_text


def _generate():
    """tests/test_serving.py's generator (the tests are not a package)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("_test_serving", Path(__file__).with_name("test_serving.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


generate = _generate()

ROWS = 20_000
WORDS = ["ไฟดับ", "ขยะล้น", "น้ำท่วมขัง", "ทางเท้าพัง", "สายไฟห้อย"]
OFF = "search_sql,precomputed_facets"


def search_text(conn) -> None:
    conn.create_function("index_text", 1, index_text)
    conn.create_function(
        "words", 1, lambda i: " ".join([WORDS[i % 5], WORDS[(i // 7) % 5]] + (["ต้นไม้ล้ม"] if i % 997 == 0 else []))
    )
    conn.execute("drop table complaints_fts")
    conn.execute(f"""create virtual table complaints_fts using fts5(comment, types, content='',
                     tokenize="{TOKENIZE}")""")
    conn.execute(
        "insert into complaints_fts (rowid, comment, types) "
        "select rowid, index_text(words(rowid)), index_text(types) from complaints"
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("rewrites") / "rewrites.db"
    generate(path, ROWS, prepare=search_text)
    return make_datasette(path)


REQUESTS = [
    "_search=ไฟ",  # common: the page walks the newest-first index
    "_search=ขยะ",
    "_search=ต้นไม้",  # rare: the page keeps Datasette's SQL
    "_search=ไม่มีคำนี้",  # nothing
    "_search=สายไฟ&_facet_size=3",
    "_search=ไฟ&_facet=types",  # types as a column facet too
    "_search_comment=ขยะ",
    "_search=ไฟ&district_code=1001",  # search and filters: the matches of the filters' combinations
    "_search=ขยะ&state=รอรับเรื่อง",
    "_search=ไฟ&district_code=1017&state=รอรับเรื่อง",
    "_search=ต้นไม้&district_code=1001",  # rare
    "_search=ไฟ&district_code__isnull=1",
    "_search=ไฟ&is_illustrative=1",  # a column the combinations lack: Datasette's SQL
    # not Datasette's filters on the combinations: left to Datasette's SQL
    "_where=oid<100",
    "district_code=1001&_where=oid<300",
    "_search=ไฟ&_where=_rowid_<5000",
    "_search=ไฟ&_where=district_code='1001' or state='รอรับเรื่อง'",
    "_search=ไฟ&state=รอรับเรื่อง&_where=1 or district_code='1001'",
    "district_code__not=1001&state__in=รอรับเรื่อง,ส่งต่อ",
    # sorts whose index would not give equal values in primary-key order: not walked
    "_search=ไฟ&_sort_desc=reported_month",
    "_search=ไฟ&_sort=reported_month",
    "_search=ไฟ&district_code=1001&_sort_desc=reported_month",
    "_search=ไฟ&district_code=1001&_sort=latitude",
    "district_code=1001",
    "district_code=1001&_facet=types",  # types as a column facet: not among the one-value facets
    "state=เสร็จสิ้น&_facet_size=2",
    "district_code=1017&state=รอรับเรื่อง",
    "state=รอรับเรื่อง",
    "state__in=รอรับเรื่อง,ส่งต่อ",
    "types__arraycontains=ถนน",  # one type: its precomputed facets, its combinations' count
    "types__arraycontains=ถนน&_facet_size=3",
    "types__arraycontains=ไม่มีประเภทนี้",  # no ticket: an empty page without reading every array
    "types__arraycontains=ถนน&district_code=1001",  # with other filters: the combinations
    "types__arraycontains=ถนน&state=รอรับเรื่อง&_facet=types",
    "types__arraycontains=ไม่มีประเภทนี้&district_code=1001",
    "types__arraycontains=ถนน&types__arraycontains=ทางเท้า",
    "_search=ไฟ&types__arraycontains=ถนน",
    "_search=ไฟ&types__arraycontains=ไม่มีประเภทนี้",
    "types__arraynotcontains=ถนน",  # not among the combinations' filters: Datasette's SQL
    "types__arraycontains=ถนน&is_illustrative=1",
    "types__arraycontains=ถนน&_sort=latitude",
    "district_code__isnull=1",
    "state=ไม่มีสถานะนี้",
]


def answer(data: dict) -> tuple:
    facets = {
        name: [(r["value"], r["count"], r["label"]) for r in f["results"]] + [f["truncated"]]
        for name, f in data["facet_results"].items()
    }
    return data["filtered_table_rows_count"], facets, data["rows"], data["next"]


@pytest.mark.parametrize("query", REQUESTS)
async def test_rewritten_sql_answers_as_datasette(site, monkeypatch, query):
    await site.invoke_startup()
    answers = []
    for off in ("", OFF):
        monkeypatch.setenv("OPENBANGKOK_SERVING_OFF", off)
        response = await site.client.get(f"/openbangkok/complaints.json?{query}")
        assert response.status_code == 200, response.text
        answers.append(answer(response.json()))
    assert answers[0] == answers[1]
    assert answers[0][1], "facets present"


async def test_the_rewrites_are_used(site, monkeypatch):
    await site.invoke_startup()
    monkeypatch.setenv("OPENBANGKOK_SERVING_OFF", "")
    info = sql_rewrites.precomputed(site)[("openbangkok", "complaints")]
    assert info.fts == "complaints_fts" and info.counts == "complaints_facet_counts"
    assert info.columns == ("district_code", "state", "types")
    db = site.get_database("openbangkok")
    sql = (
        "select count(*) from complaints where rowid in "
        "(select rowid from complaints_fts where complaints_fts match escape_fts(:search)) "
    )
    assert "from complaints_fts where" in await sql_rewrites.rewrite(
        site, "openbangkok", db.execute, sql, {"search": "ไฟ"}
    )
    filtered = sql.replace("where rowid in", 'where "district_code" = :p0 and rowid in')
    assert "r.combo in (select combo from complaints_facet_counts where" in await sql_rewrites.rewrite(
        site, "openbangkok", db.execute, filtered, {"search": "ไฟ", "p0": "1001"}
    )
    answered = []
    real = precomputing.precomputed_facets

    async def spy(facet, wanted):
        result = await real(facet, wanted)
        answered.append(result is not None)
        return result

    monkeypatch.setattr(precomputing, "precomputed_facets", spy)
    for query in ("_search=ไฟ", "state=รอรับเรื่อง"):
        answered.clear()
        await site.client.get(f"/openbangkok/complaints?{query}")
        assert answered and all(answered), query
    assert info.array_columns == {"types"}
    assert info.by_value_filters == {("column", "district_code"), ("column", "state"), ("array", "types")}
    assert info.by_value_facets == {("column", "district_code"), ("column", "state"), ("array", "types")}
    ways = []
    for name in ("by_value_facets", "combination_facets"):
        real_way = getattr(precomputing, name)
        monkeypatch.setattr(
            precomputing,
            name,
            lambda *a, real_way=real_way, name=name: ways.append((name, real_way(*a) is not None)) or real_way(*a),
        )
    for query, way in (
        ("district_code=1001", "by_value_facets"),
        ("state=ส่งต่อ", "by_value_facets"),
        ("district_code=1017&state=รอรับเรื่อง", "combination_facets"),
        ("_search=ขยะ", "combination_facets"),
        ("_search=ไฟ&district_code=1001", "combination_facets"),
        ("types__arraycontains=ถนน", "by_value_facets"),
        ("types__arraycontains=ถนน&district_code=1001", "combination_facets"),
        ("_search=ไฟ&types__arraycontains=ถนน", "combination_facets"),
    ):
        ways.clear()
        await site.client.get(f"/openbangkok/complaints.json?{query}")
        assert (way, True) in ways, (query, ways)
    contains = ':p0 in (select value from json_each("complaints"."types"))'
    count = await sql_rewrites.rewrite(
        site, "openbangkok", db.execute, f"select count(*) from complaints where {contains}", {"p0": "ถนน"}
    )
    assert "from complaints_facet_counts where combo in (select combo from complaints_facet_values" in count
    page = f"select * from complaints where {contains} order by timestamp desc limit 51"
    assert (
        await sql_rewrites.rewrite(site, "openbangkok", db.execute, page, {"p0": "ไม่มีประเภทนี้"})
        == "select * from complaints where 0 order by timestamp desc limit 51"
    )
    assert await sql_rewrites.rewrite(site, "openbangkok", db.execute, page, {"p0": "ถนน"}) is None
    assert info.walks[("timestamp", " desc", "")] is True  # read along complaints_newest, no sort
    # along complaints_district_newest: equal timestamps in ticket_id order, as the next page assumes
    assert info.walks[("timestamp", " desc", '"district_code" = :p0')] is True


def test_every_search_index_rowid_is_a_complaint(built_db):
    """What the count rewrite relies on (the site checks it again at startup)."""
    conn = sqlite3.connect(built_db)
    assert (
        conn.execute(
            "select not exists (select 1 from complaints_fts where rowid not in (select rowid from complaints))"
        ).fetchone()[0]
        == 1
    )
    counts = conn.execute("select sum(n) from complaints_facet_counts").fetchone()[0]
    assert counts == conn.execute("select count(*) from complaints").fetchone()[0]
    conn.close()


async def test_a_search_page_walk_out_of_time_falls_back_to_the_list_of_matches(site, monkeypatch):
    await site.invoke_startup()
    monkeypatch.setattr(sql_rewrites, "WALK_TIME_LIMIT_MS", 1)
    rows = []
    for off in ("", OFF):
        monkeypatch.setenv("OPENBANGKOK_SERVING_OFF", off)
        rows.append((await site.client.get("/openbangkok/complaints.json?_search=ขยะ")).json()["rows"])
    assert rows[0] == rows[1] and len(rows[0]) == 50


@pytest.mark.parametrize(
    "sql",
    [
        "select count(*) from complaints where state = 'รอรับเรื่อง'",
        "select count(*) from complaints where state is not null group by state having count(*) > 100",
        "select count(*) from complaints where \"district_code\" = '1001'",
    ],
)
async def test_arbitrary_sql_answers_as_written(site, monkeypatch, sql):
    """SQL a reader writes gets the answer (and column names) it asks for, rewrites on or off."""
    await site.invoke_startup()
    answers = []
    for off in ("", OFF):
        monkeypatch.setenv("OPENBANGKOK_SERVING_OFF", off)
        data = (await site.client.get("/openbangkok.json", params={"sql": sql, "_shape": "arrays"})).json()
        answers.append((data.get("columns"), data.get("rows")))
    assert answers[0] == answers[1] and answers[0][1]
