"""The CKAN Action API with a real CKAN client: ckanapi.RemoteCKAN (which POSTs every call) against
the live server, compared with SQLite read directly (openbangkok.opendata.ckan, openbangkok/hooks/ckan_api.py).

Counts are read from the built database, never written here: the complaints data can change.
"""

from __future__ import annotations

import html
import re
import sqlite3
import subprocess
import sys
from collections import Counter

import ckanapi
import httpx
import pytest

from openbangkok.model.catalog import DEFAULT_DATASETS, load_catalog
from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.dga import dga_fields


@pytest.fixture(scope="session")  # session, not module: the tests spread over the workers
def ckan(live_server):
    with ckanapi.RemoteCKAN(live_server, user_agent="openbangkok-tests") as remote:
        yield remote


@pytest.fixture(scope="session")
def complaints_id(ckan) -> str:
    return ckan.action.resource_show(id="complaints")["id"]


def fts_columns(conn: sqlite3.Connection, fts: str) -> list[str]:
    return [row[1] for row in conn.execute(f"pragma table_info([{fts}])")]


def test_filtered_datastore_search_counts_as_sqlite(ckan, built_conn, complaints_id):
    district, state = built_conn.execute(
        "select district_code, state from complaints where district_code is not null and state is not null "
        "group by 1, 2 order by count(*) desc limit 1"
    ).fetchone()
    codes = [
        r[0]
        for r in built_conn.execute(
            "select distinct district_code from complaints where district_code is not null order by 1 limit 3"
        )
    ]
    expected = built_conn.execute(
        "select count(*) from complaints where district_code = ? and state = ?", (district, state)
    ).fetchone()[0]
    result = ckan.action.datastore_search(
        resource_id=complaints_id, filters={"district_code": district, "state": state}, limit=5
    )
    assert result["total"] == expected > 0
    assert len(result["records"]) == min(5, expected)
    assert all(r["district_code"] == district and r["state"] == state for r in result["records"])
    # a code typed in Thai digits is the same code, as on the site's table pages
    thai_code = district.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    assert thai_code != district
    typed = ckan.action.datastore_search(
        resource_id=complaints_id, filters={"district_code": thai_code, "state": state}
    )
    assert typed["total"] == expected
    # a list is IN
    in_list = ckan.action.datastore_search(resource_id="complaints", filters={"district_code": codes}, limit=0)
    assert (
        in_list["total"]
        == built_conn.execute(
            f"select count(*) from complaints where district_code in ({', '.join('?' * len(codes))})", codes
        ).fetchone()[0]
    )


def test_thai_q_counts_as_sqlite(ckan, built_conn, complaints_id):
    """`q` is the site's Thai search: a Thai word is found wherever the search index's columns hold it."""
    columns = fts_columns(built_conn, "complaints_fts")
    for word in ("ไฟ", "ขยะ"):
        expected = built_conn.execute(
            f"select count(*) from complaints where {' or '.join(f'[{c}] like ?' for c in columns)}",
            [f"%{word}%"] * len(columns),
        ).fetchone()[0]
        result = ckan.action.datastore_search(resource_id=complaints_id, q=word, limit=3)
        assert result["total"] == expected > 0, word
        assert all(any(word in str(r[c]) for c in columns) for r in result["records"])
    # q as {column: text}: only that column
    expected = built_conn.execute("select count(*) from complaints where comment like '%ไฟ%'").fetchone()[0]
    assert ckan.action.datastore_search(resource_id=complaints_id, q={"comment": "ไฟ"}, limit=0)["total"] == expected


def test_a_sorted_search_page_is_sqlites_page(ckan, built_conn, complaints_id):
    """A common word's page is read along the sort's index (+rowid in ...) or sorted: the same rows."""
    columns = fts_columns(built_conn, "complaints_fts")
    matches = " or ".join(f"[{c}] like :w" for c in columns)
    district = built_conn.execute(
        "select district_code from complaints where district_code is not null group by 1 order by count(*) desc"
    ).fetchone()[0]
    for sort, extra in (
        ("timestamp desc, ticket_id", {}),
        ("star desc, ticket_id", {}),
        ("timestamp desc, ticket_id", {"filters": {"district_code": district}}),
    ):
        where = f"({matches})" + (" and district_code = :d" if extra else "")
        expected = [
            r[0]
            for r in built_conn.execute(
                f"select ticket_id from complaints where {where} order by {sort} limit 20 offset 5",
                {"w": "%ไฟ%", "d": district},
            )
        ]
        page = ckan.action.datastore_search(
            resource_id=complaints_id, q="ไฟ", sort=sort, limit=20, offset=5, fields="ticket_id", **extra
        )
        assert [r["ticket_id"] for r in page["records"]] == expected and expected, sort
        assert (
            page["total"]
            == built_conn.execute(
                f"select count(*) from complaints where {where}", {"w": "%ไฟ%", "d": district}
            ).fetchone()[0]
        )


def test_a_full_walk_by_offset_reads_every_row_once(ckan, built_conn, complaints_id):
    total = built_conn.execute("select count(*) from complaints").fetchone()[0]
    limit, offset, seen = 1000, 0, []
    while True:
        page = ckan.action.datastore_search(
            resource_id=complaints_id, limit=limit, offset=offset, fields=["_id", "ticket_id"]
        )
        assert page["total"] == total and page["limit"] == limit
        if not page["records"]:
            break
        seen += [r["ticket_id"] for r in page["records"]]
        offset += limit
    assert len(seen) == total
    assert set(seen) == {r[0] for r in built_conn.execute("select ticket_id from complaints")}


def test_datastore_search_sql_with_resource_ids_counts_as_sqlite(ckan, built_conn, complaints_id):
    districts_id = ckan.action.resource_show(id="districts")["id"]
    result = ckan.action.datastore_search_sql(
        sql=(
            f'SELECT d.district_code, d.name_en, count(*) AS n FROM "{complaints_id}" c '
            f'JOIN "{districts_id}" d ON d.district_code = c.district_code GROUP BY 1, 2 ORDER BY 1'
        )
    )
    expected = built_conn.execute(
        "select d.district_code, d.name_en, count(*) from complaints c join districts d "
        "on d.district_code = c.district_code group by 1, 2 order by 1"
    ).fetchall()
    assert [(r["district_code"], r["name_en"], r["n"]) for r in result["records"]] == [tuple(r) for r in expected]
    assert [f["id"] for f in result["fields"]] == ["district_code", "name_en", "n"]
    assert "records_truncated" not in result
    capped = ckan.action.datastore_search_sql(sql=f'SELECT ticket_id FROM "{complaints_id}"')
    total = built_conn.execute("select count(*) from complaints").fetchone()[0]
    assert len(capped["records"]) == min(total, 1000) and capped.get("records_truncated") == (total > 1000 or None)


def test_package_search_finds_datasets_by_thai_and_english_words(ckan):
    assert "complaints" in [p["name"] for p in ckan.action.package_search(q="ร้องเรียน")["results"]]
    assert "reference" in [p["name"] for p in ckan.action.package_search(q="เขต")["results"]]
    assert "complaints" in [p["name"] for p in ckan.action.package_search(q="Traffy")["results"]]
    assert ckan.action.package_search(q="ไม่มีคำนี้แน่นอน")["count"] == 0
    everything = ckan.action.package_search(q="*:*", rows=1000)
    assert everything["count"] == len(ckan.action.package_list()) == len(everything["results"])


def owners() -> dict[str, str]:
    """{dataset: the agency_code that owns it}, as the catalog says."""
    return {d.name: dga_fields(d)["ownerAgency"] for d in load_catalog(DEFAULT_DATASETS).datasets}


def test_package_search_fq_rows_start_sort_and_facets(ckan):
    names = sorted(ckan.action.package_list())
    owner = owners()["reference"]
    owned = Counter(owners()[name] for name in names)
    found = ckan.action.package_search(fq=f'organization:{owner} tags:"เขต"')
    assert [p["name"] for p in found["results"]] == ["reference"]
    assert ckan.action.package_search(fq="res_format:CSV")["count"] == len(names)
    assert ckan.action.package_search(fq=f"-organization:{owner}")["count"] == len(names) - owned[owner]
    assert ckan.action.package_search(fq=f"organization:({owner} OR nobody)")["count"] == owned[owner]
    assert ckan.action.package_search(fq="metadata_modified:[2000-01-01T00:00:00Z TO *]")["count"] == len(names)
    pages = [ckan.action.package_search(sort="name asc", rows=2, start=s)["results"] for s in range(0, len(names), 2)]
    assert [p["name"] for page in pages for p in page] == names
    assert [p["name"] for p in ckan.action.package_search(sort="name desc", rows=100)["results"]] == names[::-1]
    faceted = ckan.action.package_search(**{"facet.field": '["organization", "tags", "res_format"]', "rows": 0})
    assert faceted["results"] == [] and faceted["facets"]["organization"] == dict(owned)
    items = {i["name"]: i for i in faceted["search_facets"]["organization"]["items"]}
    assert items[owner]["count"] == owned[owner]
    assert items[owner]["display_name"] == ckan.action.organization_show(id=owner)["title"] != owner
    assert faceted["search_facets"]["res_format"]["items"] == [
        {"count": len(names), "display_name": "CSV", "name": "CSV"}
    ]


def test_catalogue_actions(ckan, built_conn):
    published = {r[0] for r in built_conn.execute("select table_name from build_files")}
    package = ckan.action.package_show(id="complaints")
    assert ckan.action.package_show(id=package["id"])["name"] == "complaints"
    resources = {r["name"]: r for r in package["resources"]}
    assert package["num_resources"] == len(resources) and package["organization"]["name"] == owners()["complaints"]
    listed = ckan.action.current_package_list_with_resources(limit=100)
    tables = {r["url"].split("/")[-1].split(".csv")[0] for p in listed for r in p["resources"]}
    assert published <= tables  # every delivered table is a resource (with the tables derived from them)
    for p in listed:
        for r in p["resources"]:
            assert r["datastore_active"] is True and r["format"] == "CSV" and r["package_id"] == p["id"]
            assert r["url"].endswith(".csv?_stream=on&_size=max")
    built_at = built_conn.execute("select max(built_at) from build_files where dataset = 'complaints'").fetchone()[0]
    assert package["metadata_modified"] == built_at.replace("+00:00", "")
    agencies = set(owners().values())
    assert ckan.action.organization_list(sort="name asc") == sorted(agencies)
    assert sum(ckan.action.organization_show(id=o)["package_count"] for o in agencies) == len(listed)
    assert ckan.action.group_list() == []
    assert "เขต" in ckan.action.tag_list() and "Districts" in ckan.action.tag_list()
    assert ckan.action.site_read() is True and ckan.action.status_show()["ckan_version"].startswith("2.10")
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert (
        extras["dga:ownerOrganisation"].startswith("กรุงเทพมหานคร")
        and extras["dga:format"] == "CSV, JSON, GeoJSON, XLSX"
    )


def test_the_resource_url_downloads_the_whole_table(ckan, live_server, built_conn):
    url = ckan.action.resource_show(id="districts")["url"]
    lines = httpx.get(url, timeout=30).text.strip().splitlines()
    assert len(lines) == built_conn.execute("select count(*) from districts").fetchone()[0] + 1


def test_writes_are_not_authorized_and_errors_are_ckans(ckan, complaints_id, built_conn):
    before = built_conn.execute("select count(*) from complaints").fetchone()[0]
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_create(name="x", title="x")
    for action, params in (
        ("datastore_upsert", {"resource_id": complaints_id, "records": [{"ticket_id": "x"}]}),
        ("datastore_delete", {"resource_id": complaints_id}),
        ("datastore_create", {"resource": {"package_id": "complaints"}}),
        ("resource_create", {"package_id": "complaints", "url": "http://x"}),
        ("package_update", {"id": "complaints"}),
        ("package_patch", {"id": "complaints"}),
        ("organization_member_create", {"id": "bma"}),
        ("dataset_purge", {"id": "complaints"}),
    ):
        with pytest.raises(ckanapi.NotAuthorized):
            ckan.call_action(action, params)
    assert built_conn.execute("select count(*) from complaints").fetchone()[0] == before
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id="no_such_table")
    with pytest.raises(ckanapi.ValidationError) as error:
        ckan.action.datastore_search(resource_id=complaints_id, filters={"no_such_column": 1})
    assert "no_such_column" in error.value.error_dict["filters"][0]
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.datastore_search_sql(sql=f'DELETE FROM "{complaints_id}"')
    with pytest.raises(ckanapi.CKANAPIError):
        ckan.call_action("no_such_action")


def test_only_the_action_api_takes_post(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as client:
        ok = client.post("/api/3/action/package_show", json={"id": "reference"})
        assert ok.status_code == 200 and ok.json()["result"]["name"] == "reference"
        assert client.post("/api/action/package_show", data={"id": "reference"}).json()["success"] is True
        for path in (
            f"/{DATABASE}",
            f"/{DATABASE}/districts",
            "/-/messages",
            "/api/3/action/package_show/x",
            "/api/3/actions/package_show",
            "/x/api/3/action/package_show",
        ):
            assert client.post(path, data={"sql": "delete from districts"}).status_code == 405, path
        for method in ("PUT", "PATCH", "DELETE"):
            assert client.request(method, "/api/3/action/package_show").status_code == 405
        unknown = client.get("/api/3/action/no_such_action")
        assert unknown.status_code == 400 and unknown.headers["content-type"].startswith("application/json")
        assert unknown.json()["error"]["message"] == "Bad request - Action name not known: no_such_action"


def test_the_api_pages_ckanapi_example_runs(live_server, built_conn):
    page = httpx.get(f"{live_server}/-/api", timeout=30).text
    code = html.unescape(re.search(r'id="ckanapi-example"><code>(.*?)</code>', page, re.DOTALL)[1])
    assert f'RemoteCKAN("{live_server}")' in code
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert output.returncode == 0, output.stderr
    total = built_conn.execute("select count(*) from complaints").fetchone()[0]
    assert output.stdout.splitlines()[-1] == str([{"n": total}])
