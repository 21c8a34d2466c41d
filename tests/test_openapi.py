"""/-/openapi.json describes the whole API and the data as it is: 1,000 real rows of every table and
view, fetched through the site's JSON API, fit the schemas the document declares for them, in each
`_shape`, one row, GeoJSON (openbangkok.opendata.openapi, openbangkok.opendata.api_schemas)."""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

import pytest
from datasette.utils import tilde_encode
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.openapi import operation_name

ROWS = 1000


@pytest.fixture
def document(openapi_document):
    """/-/openapi.json, checked against the OpenAPI 3.0 specification once per worker (conftest)."""
    return openapi_document


def errors_of(document: dict, schema: dict, instance) -> list[str]:
    """What the OpenAPI 3.0 schema (refs into the document's components) finds wrong with instance."""
    validator = OAS30Validator({**schema, "components": document["components"]}, format_checker=oas30_format_checker)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)][:5]


def response_schema(document: dict, path: str, media_type: str = "application/json") -> dict:
    return document["paths"][path]["get"]["responses"]["200"]["content"][media_type]["schema"]


async def published(ds) -> list[str]:
    db = ds.get_database(DATABASE)
    hidden = set(await db.hidden_table_names())
    return [t for t in await db.table_names() if t not in hidden] + await db.view_names()


@pytest.mark.slow
async def test_a_thousand_real_rows_of_every_table_and_view_fit_their_schema(ds, document):
    checked = 0
    for name in await published(ds):
        schemas = document["components"]["schemas"]
        op = operation_name(name)
        page = (await ds.client.get(f"/{DATABASE}/{quote(name)}.json?_shape=objects&_size={ROWS}")).json()
        assert not errors_of(document, {"$ref": f"#/components/schemas/{op}_page"}, page), (
            name,
            errors_of(document, {"$ref": f"#/components/schemas/{op}_page"}, page),
        )
        assert not errors_of(document, response_schema(document, f"/{DATABASE}/{quote(name)}.json"), page), name
        declared = set(schemas[f"{op}_row"]["properties"])
        assert all(set(row) == declared for row in page["rows"]), name  # every column, nothing more
        checked += len(page["rows"])
    assert checked > 5000


async def test_columns_that_hold_nulls_are_nullable_and_nulls_fit(synthetic_ds, synthetic_db):
    """The issue's case: coords_* declared `enum: [0, 1]` while 85 complaints had null there (on the
    synthetic tickets, whose dirt includes tickets without coordinates; the real pages have none)."""
    ds, built_conn = synthetic_ds, sqlite3.connect(f"file:{synthetic_db}?mode=ro", uri=True)
    document = (await ds.client.get("/-/openapi.json")).json()
    schema = document["components"]["schemas"]["complaints_row"]["properties"]["coords_outside_bangkok"]
    assert schema["nullable"] is True and None in schema["enum"]
    nulls = built_conn.execute("select count(*) from complaints where coords_outside_bangkok is null").fetchone()[0]
    page = (
        await ds.client.get(f"/{DATABASE}/complaints.json?_shape=objects&_size=max&coords_outside_bangkok__isnull=1")
    ).json()
    assert nulls > 0 and len(page["rows"]) == min(nulls, ROWS)
    assert not errors_of(document, {"$ref": "#/components/schemas/complaints_page"}, page)
    # and a column the data never leaves empty is not nullable
    assert "nullable" not in document["components"]["schemas"]["complaints_row"]["properties"]["ticket_id"]


async def test_every_shape_one_row_and_geojson_fit_their_schemas(ds, document):
    for name, shape in [
        ("complaints", "array"),
        ("complaints", "arrays"),
        ("complaints", "object"),
        ("districts", "object"),
        ("ita_district_changes", "array"),
    ]:
        answer = (await ds.client.get(f"/{DATABASE}/{name}.json?_shape={shape}&_size=200")).json()
        op = operation_name(name)
        suffix = {"array": "_array", "arrays": "_page_arrays", "object": "_object"}[shape]
        assert not errors_of(document, {"$ref": f"#/components/schemas/{op}{suffix}"}, answer), (name, shape)
    for name in await published(ds):
        row_paths = [p for p in document["paths"] if p.startswith(f"/{DATABASE}/{quote(name)}/{{")]
        first = (await ds.client.get(f"/{DATABASE}/{quote(name)}.json?_shape=objects&_size=1")).json()
        if not row_paths or not first["rows"]:
            continue
        key = ",".join(tilde_encode(str(first["rows"][0][k])) for k in first["primary_keys"] or ["rowid"])
        answer = await ds.client.get(f"/{DATABASE}/{quote(name)}/{key}.json?_shape=objects")
        assert answer.status_code == 200 and len(answer.json()["rows"]) == 1, (name, key)
        assert not errors_of(document, response_schema(document, row_paths[0]), answer.json()), name
    for name in ("complaints", "clinics"):
        collection = (await ds.client.get(f"/{DATABASE}/{name}.geojson?_size=max")).json()
        assert len(collection["features"]) > 10
        assert not errors_of(
            document, response_schema(document, f"/{DATABASE}/{name}.geojson", "application/geo+json"), collection
        ), name


async def test_the_document_covers_the_whole_api(ds, document):
    paths = document["paths"]
    for name in await published(ds):
        base = f"/{DATABASE}/{quote(name)}"
        assert {f"{base}.json", f"{base}.csv", f"{base}.ndjson", f"{base}.xlsx"} <= set(paths), name
    assert f"/{DATABASE}/complaints/{{ticket_id}}.json" in paths and f"/{DATABASE}/clinics.geojson" in paths
    complaints = {p["name"]: p for p in paths[f"/{DATABASE}/complaints.json"]["get"]["parameters"] if "name" in p}
    assert {"_shape", "_facet", "_col", "_nocol", "_sort", "district_code"} <= set(complaints)
    assert complaints["_shape"]["schema"]["enum"] == ["objects", "arrays", "array", "object"]
    shared = document["components"]["parameters"]
    refs = {
        p["$ref"].rsplit("/", 1)[1] for p in paths[f"/{DATABASE}/complaints.json"]["get"]["parameters"] if "$ref" in p
    }
    assert "search" in refs and shared["search"]["name"] == "_search"  # complaints has a search index
    districts = paths[f"/{DATABASE}/districts.json"]["get"]["parameters"]
    assert "search" not in {p["$ref"].rsplit("/", 1)[1] for p in districts if "$ref" in p}
    stream = {p["$ref"] for p in paths[f"/{DATABASE}/complaints.geojson"]["get"]["parameters"] if "$ref" in p}
    assert "#/components/parameters/stream" in stream
    assert "503" in paths[f"/{DATABASE}/complaints.xlsx"]["get"]["responses"]
    league = paths[f"/{DATABASE}/complaints_district_league.json"]["get"]
    assert [p["name"] for p in league["parameters"]] == ["_shape", "month"] and "2567-01" in league["parameters"][1][
        "description"
    ]
    answer = (await ds.client.get(f"/{DATABASE}/complaints_district_league.json?_shape=objects&month=2024-06")).json()
    assert answer["rows"] and not errors_of(
        document, league["responses"]["200"]["content"]["application/json"]["schema"], answer
    )
    ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(ids) == len(set(ids))
