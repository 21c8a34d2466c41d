"""The site: every table's HTML, JSON and CSV answers 200; every canned query runs."""

import html
import json
import re

import pytest

from openbangkok.model.site_metadata import DATABASE


async def table_names(ds):
    db = ds.get_database(DATABASE)
    hidden = set(await db.hidden_table_names())
    return [name for name in await db.table_names() if name not in hidden]


async def test_districts_json(ds):
    response = await ds.client.get(f"/{DATABASE}/districts.json?_shape=array&_size=max")
    assert response.status_code == 200
    rows = response.json()
    assert [r["district_code"] for r in rows] == [str(c) for c in range(1001, 1051)]
    assert {r["district_group_th"] for r in rows} >= {"กรุงเทพกลาง", "กรุงธนใต้"}


@pytest.mark.slow
async def test_every_table_html_json_csv(ds):
    names = await table_names(ds)
    assert {"districts", "agencies", "build_files"} <= set(names)
    for name in names:
        for suffix in ("", ".json", ".csv"):
            response = await ds.client.get(f"/{DATABASE}/{name}{suffix}")
            assert response.status_code == 200, f"{name}{suffix}: {response.status_code}"


async def test_every_canned_query_runs(ds):
    queries = ds.metadata("queries", database=DATABASE) or {}
    for name, query in queries.items():
        params = {p: "" for p in query.get("params", [])}
        params.update(query.get("example_params", {}))
        response = await ds.client.get(f"/{DATABASE}/{name}.json", params=params)
        assert response.status_code == 200, f"{name}: {response.text[:300]}"
        assert "error" not in response.json() or not response.json()["error"], name


async def test_canned_queries_over_illustrative_rows_say_so(ds):
    """A canned query that reads illustrative sample rows shows which (a column naming them) and says
    so in its description, as the tables do: the complaints' three queries did neither."""
    db = ds.get_database(DATABASE)
    for name, query in (ds.metadata("queries", database=DATABASE) or {}).items():
        sources = set(re.findall(r"(?:from|join)\s+([a-z_0-9]+)", query["sql"], re.I))
        with_samples = [
            t
            for t in sources
            if t in set(await db.table_names()) | set(await db.view_names())
            and "is_illustrative" in await db.table_columns(t)
            and (await db.execute(f"select count(*) from [{t}] where is_illustrative = 1")).rows[0][0]
        ]
        params = {p: "" for p in query.get("params", [])}
        columns = (await ds.client.get(f"/{DATABASE}/{name}.json", params=params)).json()["columns"]
        labelled = [c for c in columns if "illustrative" in c]
        if with_samples or labelled:
            assert labelled, f"{name} reads sample rows of {with_samples} but has no column saying which"
            description = query.get("description") or query.get("description_html") or ""
            assert "illustrative" in description.lower(), name


async def test_no_canned_query_hides_a_table_or_view(ds):
    """A canned query takes the URL of a table or view of its name: the table's page, filters,
    facets and full CSV export could not be reached."""
    db = ds.get_database(DATABASE)
    names = set(await db.table_names()) | set(await db.view_names())
    queries = set(ds.metadata("queries", database=DATABASE) or {})
    assert not names & queries
    for view in await db.view_names():
        response = await ds.client.get(f"/{DATABASE}/{view}.json?_size=1")
        assert "filtered_table_rows_count" in response.json(), view


async def test_every_table_and_column_is_described(ds):
    tables = ds.metadata("tables", database=DATABASE)
    for name in await table_names(ds):
        entry = tables.get(name, {})
        assert entry.get("description") or entry.get("description_html"), f"{name} has no description"
        assert entry.get("license") and entry.get("source"), f"{name} has no licence or source"
        columns = await ds.get_database(DATABASE).table_columns(name)
        missing = [c for c in columns if not entry.get("columns", {}).get(c)]
        assert not missing, f"{name}: columns without a description: {missing}"


THAI = re.compile(r"[\u0e00-\u0e7f]")


async def test_every_column_of_every_table_and_view_has_a_thai_and_english_label(ds):
    """Views and the build_* tables showed bare column names: no Thai beside the English."""
    db = ds.get_database(DATABASE)
    hidden = set(await db.hidden_table_names())
    names = [t for t in await db.table_names() if t not in hidden] + await db.view_names()
    unlabelled = []
    for name in names:
        page = (await ds.client.get(f"/{DATABASE}/{name}?_size=1")).text
        headers = re.findall(r'<th [^>]*data-column="([^"]+)"[^>]*>(.*?)</th>', page, re.S)
        if not headers:  # an empty table shows no header row (complaints_median_days: no last activity)
            assert not (await db.execute(f"select 1 from [{name}] limit 1")).rows, name
            continue
        for column, cell in headers:
            label = re.search(r'<span class="col-label">(.*?)</span>', cell, re.S)
            if column not in ("Link", "rowid") and not (label and " / " in label[1] and THAI.search(label[1])):
                unlabelled.append(f"{name}.{column}")
    assert not unlabelled, unlabelled


async def test_foreign_keys_show_as_labels(ds):
    response = await ds.client.get(f"/{DATABASE}/agencies/district-office-1026")
    assert response.status_code == 200
    assert "เขตดินแดง" in response.text


async def test_read_only_sql_is_bounded(ds):
    ok = await ds.client.get(f"/{DATABASE}.json", params={"sql": "select count(*) as n from districts"})
    assert ok.json()["rows"] == [[50]]
    write = await ds.client.get(f"/{DATABASE}.json", params={"sql": "delete from districts"})
    assert write.status_code == 400


async def test_cors_on_json(ds):
    response = await ds.client.get(f"/{DATABASE}/districts.json")
    assert response.headers["access-control-allow-origin"] == "*"


def test_live_server_answers(live_server):
    import httpx

    response = httpx.get(f"{live_server}/{DATABASE}/districts.json?_shape=array&district_code=1006")
    assert response.status_code == 200
    assert response.json()[0]["name_en"] == "Bang Kapi"


async def test_home_page_links_each_table_by_its_own_title(ds):
    response = await ds.client.get("/")
    assert response.status_code == 200
    assert '/openbangkok/districts">เขต / Districts</a>' in response.text
    assert '/openbangkok/agencies">หน่วยงาน / Agencies</a>' in response.text


async def test_each_source_of_a_table_is_shown_with_its_own_link(ds):
    """Sources were joined into one title linked to the first one's address, or to bangkok.go.th when
    that had none."""
    tables = ds.metadata("tables", database=DATABASE)
    several = 0
    for name, entry in tables.items():
        if not entry.get("sources") or entry.get("hidden"):
            continue
        page = html.unescape((await ds.client.get(f"/{DATABASE}/{name}")).text)
        cited = page.split("Data source")[1].split("</p>")[0]
        for source in entry["sources"]:
            if source["url"]:
                assert f'<a href="{source["url"]}">{source["title"]}</a>' in cited, (name, source)
            else:
                assert f">{source['title']}<" not in cited and source["title"] in cited, (name, source)
        several += len(entry["sources"]) > 1
    assert several >= 3
    clinics = tables["clinics"]["sources"]
    assert any(not s["url"] for s in clinics) and all(s["title"] for s in clinics)


async def test_the_home_page_lists_each_view_with_its_rows_under_its_dataset(ds):
    """The policy views were under 'Other tables' without a row count (Datasette counts tables only)."""
    page = (await ds.client.get("/")).text
    db = ds.get_database(DATABASE)
    created = {
        t: d
        for d, tables in (await db.execute("select dataset, tables from build_datasets")).rows
        for t in json.loads(tables)
    }
    for view in await db.view_names():
        rows = (await db.execute(f"select count(*) from [{view}]")).rows[0][0]
        section = page.split(f'id="dataset-{created[view]}"')[1].split('<div class="dataset"')[0]
        entry = section.split(f'/{DATABASE}/{view}"')[1].split("</li>")[0]
        assert f"{rows:,} แถว / rows" in entry and "มุมมอง / view" in entry, view


@pytest.mark.slow
async def test_every_link_of_the_home_page_answers(ds):
    """Datasette([]) added an empty _memory database: the home page linked /_memory.db, a 404."""
    page = (await ds.client.get("/")).text
    links = {html.unescape(h) for h in re.findall(r'href="(/[^"#]*)"', page) if not h.startswith("//")}
    assert f"/{DATABASE}.db" in links and "_memory" not in page
    for link in links:
        assert (await ds.client.get(link)).status_code == 200, link
    databases = (await ds.client.get("/-/databases.json")).json()
    assert [d["name"] for d in databases] == [DATABASE]


async def every_page(ds, path: str) -> list[dict]:
    rows, url = [], path
    while url:
        page = (await ds.client.get(url)).json()
        rows += page["rows"]
        url = page["next_url"] and page["next_url"].replace("http://localhost", "")
    return rows


@pytest.mark.slow
async def test_pages_sorted_on_a_repeated_value_show_every_row_once(ds):
    """Datasette 0.65 sorts the first page on the column alone and the next ones on the column then
    the key: rows of equal value were shown twice or never (openbangkok.site.serving.tie_breaker)."""
    db = ds.get_database(DATABASE)
    for table in ("policy_updates", "policy_agencies", "agencies", "ita_results"):
        pks = await db.primary_keys(table) or ["rowid"]
        expected = (await db.execute(f"select count(*) from [{table}]")).rows[0][0]
        columns = await db.table_columns(table)
        repeated = [
            c
            for c in columns
            if (await db.execute(f"select count(distinct [{c}]) from [{table}]")).rows[0][0] < expected
        ]
        assert repeated, table
        size = max(10, expected // 5)  # five or six pages: four or five page boundaries on each sort
        for column in repeated:
            for sort in ("_sort", "_sort_desc"):
                rows = await every_page(ds, f"/{DATABASE}/{table}.json?{sort}={column}&_size={size}&_shape=objects")
                keys = [tuple(row[pk] for pk in pks) for row in rows]
                assert len(keys) == len(set(keys)) == expected, f"{table} {sort}={column}"
                values = [row[column] for row in rows]
                assert values == sorted(values, key=lambda v: (v is not None, v), reverse=sort == "_sort_desc"), (
                    f"{table} {sort}={column}: out of order"
                )


async def test_address_mistakes_are_told_as_such_not_as_server_errors(ds):
    """An unknown sort column and a non-numeric _next on a view were HTTP 500."""
    for path, words in (
        (f"/{DATABASE}/districts.json?_sort=nope", "no column 'nope' to sort by"),
        (f"/{DATABASE}/districts.json?_sort_desc=nope", "no column 'nope' to sort by"),
        (f"/{DATABASE}/ita_level_counts.json?_next=zzz", "_next must be a whole number"),
    ):
        response = await ds.client.get(path)
        assert response.status_code == 400 and words in response.json()["error"], path
    page = await ds.client.get(f"/{DATABASE}/districts?_sort=nope")
    assert page.status_code == 400 and "ให้เรียงลำดับ" in page.text


async def test_query_forms_read_buddhist_era_and_thai_digits_and_refuse_nonsense(ds):
    """A Buddhist-era month (2566-06) gave the league 0 tickets everywhere, latitude=abc measured from
    latitude 0: now read as the build reads files, or refused in words (openbangkok.site.pages.query_forms)."""

    async def rows(name, **params):
        response = await ds.client.get(f"/{DATABASE}/{name}.json", params={"_shape": "array", **params})
        assert response.status_code == 200, response.text
        return response.json()

    league = await rows("complaints_district_league", month="2022-12")
    assert sum(r["tickets"] for r in league) > 0
    for written in ("2565-12", "๒๕๖๕-๑๒", "ธ.ค. 2565", "12/2565"):
        assert await rows("complaints_district_league", month=written) == league, written
    ranking = await rows("ita_ranking", fiscal_year_be="2566")
    assert ranking and await rows("ita_ranking", fiscal_year_be="2023") == ranking
    assert await rows("ita_ranking", fiscal_year_be="๒๕๖๖") == ranking
    unresolved = await rows("complaints_unresolved", as_of="2022-12-18")
    assert unresolved and await rows("complaints_unresolved", as_of="18/12/2565") == unresolved
    for name, params, words in (
        ("complaints_district_league", {"month": "abc"}, '"abc" is not a month'),
        ("complaints_district_league", {"month": "2566-13"}, "is not a month"),
        ("nearest_service", {"latitude": "abc"}, '"abc" is not a number'),
        ("ita_ranking", {"fiscal_year_be": "66"}, '"66" is not a year'),
    ):
        response = await ds.client.get(f"/{DATABASE}/{name}.json", params=params)
        assert response.status_code == 400 and words in response.json()["error"], (name, params)
        page = await ds.client.get(f"/{DATABASE}/{name}", params=params)
        assert page.status_code == 400 and "อ่าน" in page.text and "ไม่ได้" in page.text


async def test_the_site_menu_lists_every_menu_link_a_hook_gives(ds):
    """The nav menu (base.html, its list in _menu_links.html) shows each link of the menu_links hooks."""
    html = (await ds.client.get("/")).text
    menu = html.split('<details class="nav-menu">', 1)[1].split("</details>", 1)[0]
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', menu)
    assert ("/-/api", "API สำหรับนักพัฒนา / API for developers") in links
    assert ("/-/datasets", "ชุดข้อมูล / Datasets") in links
    assert ("/-/search", "ค้นหา / Search") in links
