"""The site: every table's HTML, JSON and CSV answers 200; every canned query runs."""

from openbangkok.site_metadata import DATABASE


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


async def test_every_table_and_column_is_described(ds):
    tables = ds.metadata("tables", database=DATABASE)
    for name in await table_names(ds):
        entry = tables.get(name, {})
        assert entry.get("description") or entry.get("description_html"), f"{name} has no description"
        assert entry.get("license") and entry.get("source"), f"{name} has no licence or source"
        columns = await ds.get_database(DATABASE).table_columns(name)
        missing = [c for c in columns if not entry.get("columns", {}).get(c)]
        assert not missing, f"{name}: columns without a description: {missing}"


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
