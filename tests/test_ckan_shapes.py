"""The CKAN Action API's answers, key for key as CKAN 2.10 documents them, and its parameters and
errors (in-process: Datasette's own client on the built site; openbangkok.opendata.ckan)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid

import pytest
import yaml

from openbangkok.model.catalog import load_catalog
from openbangkok.opendata.ckan import package_search
from openbangkok.pipeline.build import build
from openbangkok.site.app import make_datasette
from tests.conftest import copy_datasets

# package_show: the dataset fields of package_create plus what show adds
# https://docs.ckan.org/en/2.10/api/index.html#ckan.logic.action.get.package_show
# https://docs.ckan.org/en/2.10/api/index.html#ckan.logic.action.create.package_create
PACKAGE_KEYS = {
    "author",
    "author_email",
    "creator_user_id",
    "extras",
    "groups",
    "id",
    "isopen",
    "license_id",
    "license_title",
    "license_url",
    "maintainer",
    "maintainer_email",
    "metadata_created",
    "metadata_modified",
    "name",
    "notes",
    "num_resources",
    "num_tags",
    "organization",
    "owner_org",
    "private",
    "relationships_as_object",
    "relationships_as_subject",
    "resources",
    "state",
    "tags",
    "title",
    "type",
    "url",
    "version",
}
# resource_show: resource_create's fields plus id, position, state, ..., and the DataStore's flag
# https://docs.ckan.org/en/2.10/api/index.html#ckan.logic.action.create.resource_create
RESOURCE_KEYS = {
    "cache_last_updated",
    "cache_url",
    "created",
    "datastore_active",
    "description",
    "format",
    "hash",
    "id",
    "last_modified",
    "metadata_modified",
    "mimetype",
    "mimetype_inner",
    "name",
    "package_id",
    "position",
    "resource_type",
    "size",
    "state",
    "url",
    "url_type",
}
ORGANIZATION_IN_PACKAGE_KEYS = {
    "approval_status",
    "created",
    "description",
    "id",
    "image_url",
    "is_organization",
    "name",
    "state",
    "title",
    "type",
}
# https://docs.ckan.org/en/2.10/api/index.html#ckan.logic.action.get.organization_show
ORGANIZATION_KEYS = ORGANIZATION_IN_PACKAGE_KEYS | {
    "display_name",
    "image_display_url",
    "num_followers",
    "package_count",
    "extras",
    "groups",
    "tags",
    "users",
}
TAG_KEYS = {"display_name", "id", "name", "state", "vocabulary_id"}
# https://docs.ckan.org/en/2.10/api/index.html#ckan.logic.action.get.package_search
PACKAGE_SEARCH_KEYS = {"count", "facets", "results", "sort", "search_facets"}
# https://docs.ckan.org/en/2.10/api/index.html#ckan.logic.action.get.status_show
STATUS_KEYS = {
    "ckan_version",
    "error_emails_to",
    "extensions",
    "locale_default",
    "site_description",
    "site_title",
    "site_url",
}
# datastore_search: its documented results, and the parameters CKAN echoes
# https://docs.ckan.org/en/2.10/maintaining/datastore.html#ckanext.datastore.logic.action.datastore_search
DATASTORE_SEARCH_KEYS = {
    "fields",
    "offset",
    "limit",
    "filters",
    "total",
    "total_was_estimated",
    "records",
    "_links",
    "include_total",
    "records_format",
    "resource_id",
    "total_estimation_threshold",
}
# https://docs.ckan.org/en/2.10/maintaining/datastore.html#ckanext.datastore.logic.action.datastore_search_sql
DATASTORE_SQL_KEYS = {"sql", "fields", "records", "records_truncated"}
CKAN_DATASTORE_TYPES = {"int", "numeric", "text", "bool", "date", "timestamp", "time", "json", "bytea"}


async def call(ds, action: str, method: str = "post", **params):
    if method == "get":
        query = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in params.items()}
        response = await ds.client.get(f"/api/3/action/{action}", params=query)
    else:
        response = await ds.client.post(f"/api/3/action/{action}", json=params)
    body = response.json()
    assert set(body) == {"help", "success", "result" if body["success"] else "error"}
    assert body["help"].endswith(f"/api/3/action/help_show?name={action}")
    return response.status_code, body.get("result", body.get("error"))


async def test_answers_have_ckans_keys(ds):
    _, package = await call(ds, "package_show", id="complaints")
    assert set(package) == PACKAGE_KEYS
    assert all(set(r) == RESOURCE_KEYS for r in package["resources"])
    assert set(package["organization"]) == ORGANIZATION_IN_PACKAGE_KEYS
    assert all(set(t) == TAG_KEYS for t in package["tags"]) and package["num_tags"] == len(package["tags"])
    assert all(set(e) == {"key", "value"} for e in package["extras"])
    _, resource = await call(ds, "resource_show", id=package["resources"][0]["id"])
    assert resource == package["resources"][0]
    _, org = await call(ds, "organization_show", id=package["organization"]["name"])
    assert set(org) == ORGANIZATION_KEYS
    _, orgs = await call(ds, "organization_list", all_fields=True)
    assert all(set(o) == ORGANIZATION_KEYS - {"extras", "groups", "tags", "users"} for o in orgs)
    _, found = await call(ds, "package_search", q="*:*")
    assert set(found) == PACKAGE_SEARCH_KEYS and all(set(p) == PACKAGE_KEYS for p in found["results"])
    _, status = await call(ds, "status_show")
    assert set(status) == STATUS_KEYS
    _, rows = await call(ds, "datastore_search", resource_id="complaints", filters={"state": "x"}, offset=0)
    assert set(rows) == DATASTORE_SEARCH_KEYS
    assert set(rows["_links"]) == {"start", "next"}
    assert all(set(f) <= {"id", "type", "info"} and f["type"] in CKAN_DATASTORE_TYPES for f in rows["fields"])
    _, plain = await call(ds, "datastore_search", resource_id="complaints")
    assert set(plain) == DATASTORE_SEARCH_KEYS - {"offset", "filters"}
    _, sql = await call(ds, "datastore_search_sql", sql="select 1 as one")
    assert set(sql) <= DATASTORE_SQL_KEYS and sql["records"] == [{"one": 1}]


async def test_ids_are_uuids_and_survive_a_rebuild(ds, tmp_path):
    _, package = await call(ds, "package_show", id="reference")
    for value in [package["id"], package["owner_org"]] + [r["id"] for r in package["resources"]]:
        assert str(uuid.UUID(value)) == value
    out = tmp_path / "rebuilt.db"
    assert build(load_catalog(copy_datasets(tmp_path, "reference")), out).ok
    _, again = await call(
        make_datasette(out, copy_datasets(tmp_path / "b", "reference")), "package_show", id="reference"
    )
    assert again["id"] == package["id"] and [r["id"] for r in again["resources"]] == [
        r["id"] for r in package["resources"]
    ]


async def test_an_agency_named_in_dga_owns_its_dataset(tmp_path):
    datasets = copy_datasets(tmp_path, "reference", "clinics")
    descriptor_path = datasets / "clinics" / "datapackage.yaml"
    descriptor = yaml.safe_load(descriptor_path.read_text(encoding="utf-8"))
    descriptor["dga"] = {"ownerAgency": "health"}
    descriptor_path.write_text(yaml.safe_dump(descriptor, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "site.db"
    assert build(load_catalog(datasets), out).ok
    site = make_datasette(out, datasets)
    _, names = await call(site, "organization_list", sort="name asc")
    assert names == ["bma", "health"]
    _, health = await call(site, "organization_show", id="health", include_datasets=True)
    name_th, name_en = (
        sqlite3.connect(out).execute("select name_th, name_en from agencies where agency_code = 'health'").fetchone()
    )
    assert health["title"] == f"{name_th} / {name_en}" and [p["name"] for p in health["packages"]] == ["clinics"]
    _, found = await call(site, "package_search", fq="organization:health")
    assert [p["name"] for p in found["results"]] == ["clinics"]


async def test_get_json_body_and_form_body_give_the_same_answer(ds):
    params = {
        "resource_id": "districts",
        "filters": {"district_group_th": None},
        "sort": "district_code desc",
        "limit": 3,
        "fields": ["district_code", "name_en"],
    }
    _, group = await call(ds, "datastore_search", resource_id="districts", limit=1)
    params["filters"] = {"district_group_th": group["records"][0]["district_group_th"]}
    _, by_post = await call(ds, "datastore_search", **params)
    _, by_get = await call(ds, "datastore_search", method="get", **params)
    form = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in params.items()}
    by_form = (await ds.client.post("/api/action/datastore_search", data=form)).json()["result"]
    json_key = (
        await ds.client.post(
            "/api/action/datastore_search",
            content=json.dumps(params).encode() + b"=",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    ).json()["result"]
    assert by_post["records"] == by_get["records"] == by_form["records"] == json_key["records"]
    codes = [r["district_code"] for r in by_post["records"]]
    assert codes == sorted(codes, reverse=True) and list(by_post["records"][0]) == ["district_code", "name_en"]


async def test_records_formats_distinct_total_and_the_cap(ds, built_conn):
    args = {"resource_id": "districts", "sort": "district_code", "limit": 2, "fields": "district_code,name_en"}
    _, objects = await call(ds, "datastore_search", **args)
    _, lists = await call(ds, "datastore_search", records_format="lists", **args)
    _, as_csv = await call(ds, "datastore_search", records_format="csv", **args)
    expected = [[r["district_code"], r["name_en"]] for r in objects["records"]]
    assert lists["records"] == expected and list(csv.reader(io.StringIO(as_csv["records"]))) == expected
    _, groups = await call(ds, "datastore_search", resource_id="districts", distinct=True, fields=["district_group_th"])
    assert (
        groups["total"]
        == len(groups["records"])
        == built_conn.execute("select count(distinct district_group_th) from districts").fetchone()[0]
    )
    _, no_total = await call(ds, "datastore_search", resource_id="districts", include_total=False)
    assert "total" not in no_total
    assert len(no_total["records"]) == built_conn.execute("select count(*) from districts").fetchone()[0]
    _, capped = await call(ds, "datastore_search", resource_id="complaints", limit=10**6, fields="_id")
    max_rows = ds.setting("max_returned_rows")
    assert capped["limit"] == max_rows and len(capped["records"]) == min(max_rows, capped["total"])


async def test_types_and_links(ds, built_conn):
    _, page = await call(ds, "datastore_search", resource_id="complaints", limit=2, offset=1)
    types = {f["id"]: f["type"] for f in page["fields"]}
    assert types["_id"] == "int" and types["is_illustrative"] == "bool" and types["types"] == "json"
    assert types["latitude"] == "numeric" and types["ticket_id"] == "text"
    first = page["records"][0]
    assert isinstance(first["is_illustrative"], bool) and isinstance(first["types"], list)
    rowid = built_conn.execute("select rowid from complaints order by rowid limit 1 offset 1").fetchone()[0]
    assert first["_id"] == rowid
    following = (await ds.client.get(page["_links"]["next"])).json()["result"]
    assert (
        following["offset"] == 3
        and following["records"][0]["_id"]
        == built_conn.execute("select rowid from complaints order by rowid limit 1 offset 3").fetchone()[0]
    )
    start = (await ds.client.get(page["_links"]["start"])).json()["result"]
    assert start["records"][0]["_id"] == built_conn.execute("select min(rowid) from complaints").fetchone()[0]
    _, info = await call(ds, "datastore_info", id="complaints")
    assert info["meta"]["count"] == built_conn.execute("select count(*) from complaints").fetchone()[0]
    assert [f["id"] for f in info["fields"]] == [f["id"] for f in page["fields"]][1:]


@pytest.mark.parametrize(
    "params",
    [
        {"filters": {"district_code) or (1=1": 1}},
        {"filters": '{"district_code": "1001"'},
        {"filters": [1]},
        {"fields": ["ticket_id", 'x"; drop table complaints; --']},
        {"sort": "ticket_id; drop table complaints"},
        {"sort": "no_such_column desc"},
        {"q": {"no_such_column": "x"}},
        {"limit": "ten"},
        {"offset": -1},
        {"records_format": "xml"},
        {"include_total": "maybe"},
        {"filters": {"district_code": {"$gt": 1}}},
    ],
)
async def test_bad_datastore_parameters_are_validation_errors(ds, params, built_conn):
    status, error = await call(ds, "datastore_search", resource_id="complaints", **params)
    assert status == 409 and error["__type"] == "Validation Error"
    assert set(error) - {"__type"} <= {
        "filters",
        "fields",
        "sort",
        "q",
        "limit",
        "offset",
        "records_format",
        "include_total",
    }
    assert built_conn.execute("select count(*) from complaints").fetchone()[0] > 0


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("datastore_search", {"resource_id": "complaints", "sort": 5}),
        ("datastore_search", {"resource_id": "complaints", "sort": [["ticket_id"]]}),
        ("datastore_search", {"resource_id": "complaints", "offset": 1e300}),
        ("datastore_search", {"resource_id": "complaints", "limit": float("inf")}),
        ("datastore_search", {"resource_id": ["complaints"], "q": 5}),
        ("datastore_search", {"resource_id": "complaints", "filters": {"district_code": True}, "q": {"comment": 5}}),
        ("datastore_search", {"resource_id": "complaints", "fields": {"a": 1}, "distinct": [1]}),
        ("datastore_search", {"resource_id": "complaints", "records_format": ["csv"]}),
        ("datastore_search_sql", {"sql": 5}),
        ("datastore_search_sql", {"sql": ["select 1"]}),
        ("package_search", {"facet.field": 5}),
        ("package_search", {"q": 5, "fq": ["tags:x"], "sort": 5}),
        ("package_search", {"rows": float("inf"), "start": -1}),
        ("package_search", {"fq_list": "x"}),
        ("package_show", {"id": {"a": 1}}),
        ("organization_list", {"sort": ["name"], "limit": 1e300}),
        ("tag_list", {"query": 5, "all_fields": "maybe"}),
        ("current_package_list_with_resources", {"page": 0}),
    ],
)
async def test_any_json_body_is_answered_in_the_envelope(ds, action, body):
    response = await ds.client.post(
        f"/api/3/action/{action}", content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 400, 403, 404, 409), (body, response.text)
    assert set(response.json()) >= {"help", "success"}


@pytest.mark.parametrize("q", ['"', "NEAR(", "ไฟ OR", "*", "-", "((", "\\", "'", 'ไฟ" AND "x', "๑๒๓"])
async def test_any_text_query_is_answered(ds, q):
    status, result = await call(ds, "datastore_search", resource_id="complaints", q=q, limit=1)
    assert status == 200 and result["total"] >= 0
    status, _ = await call(ds, "datastore_search", resource_id="districts", q=q, limit=1)  # no FTS index: LIKE
    assert status == 200


async def test_package_search_errors_and_fields(ds):
    status, error = await call(ds, "package_search", fq="no_such_field:x")
    assert status == 409 and error["__type"] == "Search Error"
    status, error = await call(ds, "package_search", sort="nonsense desc")
    assert status == 409 and error["__type"] == "Search Error"
    status, error = await call(ds, "package_search", rows="many")
    assert status == 409 and error["__type"] == "Validation Error" and "rows" in error
    _, some = await call(ds, "package_search", fl="name,id", rows=1)
    assert set(some["results"][0]) == {"name", "id"}
    _, found = await call(ds, "package_search", q="*:*")
    assert set(package_search.fields_of(found["results"][0])) == package_search.FIELDS


async def test_views_are_not_resources_but_sql_reads_them(ds, built_conn):
    views = [r[0] for r in built_conn.execute("select name from sqlite_master where type = 'view' order by 1")]
    _, packages = await call(ds, "current_package_list_with_resources")
    urls = [r["url"] for p in packages for r in p["resources"]]
    assert views and not [v for v in views if any(f"/{v}.csv" in u for u in urls)]
    status, error = await call(ds, "datastore_search", resource_id=views[0])
    assert status == 404 and error["__type"] == "Not Found Error"
    _, result = await call(ds, "datastore_search_sql", sql=f'select count(*) as n from "{views[0]}"')
    assert result["records"] == [{"n": built_conn.execute(f'select count(*) from "{views[0]}"').fetchone()[0]}]


async def test_sql_errors_limits_and_the_body_bound(ds, built_db):
    status, error = await call(ds, "datastore_search_sql", sql="select * from complaints; select 1")
    assert status == 409 and "query" in error
    # refused as Datasette refuses them on its own SQL pages (datasette.utils.validate_sql_select)
    for sql in (
        "update districts set name_th = 'x'",
        "attach database ':memory:' as x",
        "pragma writable_schema = 1",
        "delete from districts",
    ):
        status, error = await call(ds, "datastore_search_sql", sql=sql)
        assert status == 403 and error["__type"] == "Authorization Error", sql
    slow_site = make_datasette(built_db, settings={"sql_time_limit_ms": 50})
    status, error = await call(
        slow_site,
        "datastore_search_sql",
        sql="with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r",
    )
    assert status == 409 and "too long" in error["query"][0]
    big = await ds.client.post(
        "/api/3/action/package_list", content=b"{" + b" " * 70_000 + b"}", headers={"content-type": "application/json"}
    )
    assert big.status_code == 413 and big.json()["success"] is False
    not_json = await ds.client.post(
        "/api/3/action/package_list", content=b"[1, 2]", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400 and "JSON" in not_json.json()["error"]["message"]


async def test_help_and_version(ds):
    _, text = await call(ds, "help_show", name="datastore_search")
    assert "resource_id" in text
    status, error = await call(ds, "help_show", name="no_such_action")
    assert status == 404 and error["__type"] == "Not Found Error"
    assert (await ds.client.get("/api/3")).json() == {"version": 3}


async def test_a_browser_may_post_json_from_another_site(ds):
    preflight = await ds.client.options(
        "/api/3/action/datastore_search",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    answer = await ds.client.post("/api/3/action/site_read", json={})
    assert answer.headers["access-control-allow-origin"] == "*" and answer.headers["cache-control"] == "no-store"
    assert "max-age=" in (await ds.client.get("/api/3/action/site_read")).headers["cache-control"]


async def test_the_api_page_shows_the_ckan_api(ds):
    page = (await ds.client.get("/-/api")).text
    assert "/api/3/action/package_search" in page and "RemoteCKAN(" in page
    assert "datastore_search" in page and "CKAN" in page
