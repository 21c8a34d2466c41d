"""The API as documentation: an OpenAPI 3 description of the whole read-only API, and the copy-paste
examples of the /-/api page (openbangkok.opendata.api_examples; openbangkok/hooks/api_docs.py serves
both), with the CKAN Action API's (openbangkok.opendata.ckan) beside them.

One named operation per table and format, so a client generator makes typed calls: a table's or
view's JSON (`/openbangkok/<table>.json`, in each `_shape`, with its filters, sort, `_search` where
it has a search index, `_facet`, `_col`/`_nocol`), one row (`/openbangkok/<table>/<key>.json`), CSV,
NDJSON, GeoJSON (tables with coordinates) and XLSX, each canned query with its parameters, and SQL.
Rows are typed by openbangkok.opendata.api_schemas. A page holds at most `max_returned_rows` rows and `next`
is the token for the following page (`_next`); `_stream=on` gives every row of a CSV, NDJSON or
GeoJSON in one answer.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata import api_schemas
from openbangkok.opendata.openapi_parameters import COMMON
from openbangkok.site import tables as site_info
from openbangkok.site.pages.query_forms import EXAMPLES, WORDS
from openbangkok.site.tables import CannedQuery, PublicTable

SHAPES = {"objects": "_page", "arrays": "_page_arrays", "array": "_array", "object": "_object"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPERATORS = "__exact, __not, __gt, __gte, __lt, __lte, __contains, __startswith, __endswith, __in, __notin, __isnull"


def operation_name(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_") or "table"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _columns(table: PublicTable, name: str, description: str, many: bool = True) -> dict:
    names = {"type": "string", "enum": [c["name"] for c in table.columns]}
    schema = {"type": "array", "items": names} if many else names
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **({"style": "form", "explode": True} if many else {}),
    }


def _shape(shapes: list[str]) -> dict:
    return {
        "name": "_shape",
        "in": "query",
        "required": True,
        "description": "objects: rows as objects; array: a bare list (the next page in the Link header); "
        "arrays: rows as lists; object: rows by primary key.",
        "schema": {"type": "string", "enum": shapes},
    }


def _selecting(table: PublicTable) -> list[dict]:
    """What chooses the rows of any format: sort, search, columns, SQL condition."""
    params = [
        _columns(table, "_sort", "Sort by this column.", many=False),
        _columns(table, "_sort_desc", "Sort by this column, descending.", many=False),
        _columns(table, "_col", "Only these columns (repeat the parameter)."),
        _columns(table, "_nocol", "All columns but these (repeat the parameter)."),
        _ref("where"),
    ]
    return params + ([_ref("search")] if table.searchable else [])


def _filters(table: PublicTable) -> list[dict]:
    return [
        {
            "name": c["name"],
            "in": "query",
            "required": False,
            "description": f"Rows where {c['name']} equals this value. Other comparisons: {c['name']}{OPERATORS}.",
            "schema": {"type": "string"},
        }
        for c in table.columns
        if not c["name"].startswith("_")
    ]


def _errors(*statuses: int) -> dict:
    words = {
        400: "Invalid filter, sort or SQL, or the query took longer than the time limit",
        404: "No such row or table",
        503: "Too many Excel exports at once: try again after Retry-After",
    }
    return {
        str(s): {"description": words[s], "content": _json({"$ref": "#/components/schemas/error"})} for s in statuses
    }


def _download(op: str, table: PublicTable, fmt: str, media_type: str, schema: dict, note: str) -> dict:
    params = _selecting(table) + [_ref("labels")]
    params += [_ref("stream")] if fmt in ("csv", "ndjson", "geojson") else []
    params += [_ref("bom"), _ref("dl")] if fmt == "csv" else []
    params += [_ref("size"), _ref("next")] if fmt in ("csv", "ndjson", "geojson") else []
    responses = {"200": {"description": note, "content": {media_type: {"schema": schema}}}, **_errors(400)}
    if fmt == "xlsx":
        responses["503"] = {
            **_errors(503)["503"],
            "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
        }
    return {
        "get": {
            "operationId": f"get_{op}_{fmt}",
            "summary": f"{table.title} ({fmt.upper()})",
            "description": note + " Takes the same column filters as the JSON endpoint.",
            "tags": [table.dataset or "other"],
            "parameters": params,
            "responses": responses,
        }
    }


def table_paths(table: PublicTable, max_rows: int) -> tuple[dict, dict]:
    """({path: item}, {schema name: schema}) of one table or view."""
    op = operation_name(table.name)
    has_key = not table.is_view
    schemas = {
        f"{op}_row": api_schemas.row_schema(table.title, table.columns, table.primary_keys),
        **api_schemas.shapes(op, has_key),
    }
    shapes = [s for s in SHAPES if has_key or s != "object"]
    description = (
        (table.description or table.title)
        + (f"\n\nLicence: {table.licence}" if table.licence else "")
        + (f". Source: {table.source}" if table.source else "")
    )
    tags = [table.dataset or "other"]
    base = f"/{DATABASE}/{quote(table.name)}"
    page = {"anyOf": [{"$ref": f"#/components/schemas/{op}{SHAPES[s]}"} for s in shapes]}
    paths = {
        f"{base}.json": {
            "get": {
                "operationId": f"get_{op}",
                "summary": table.title,
                "description": description,
                "tags": tags,
                "parameters": [
                    _shape(shapes),
                    _ref("size"),
                    _ref("next"),
                    *_selecting(table),
                    _columns(table, "_facet", "Count the rows by the values of these columns."),
                    _ref("facet_size"),
                    _ref("labels"),
                    _ref("nocount"),
                    _ref("nofacet"),
                    *_filters(table),
                ],
                "responses": {
                    "200": {"description": f"One page of at most {max_rows} rows", "content": _json(page)},
                    **_errors(400),
                },
            }
        }
    }
    if has_key:
        keys = table.primary_keys
        key = keys[0] if len(keys) == 1 else "key"
        row_shapes = [s for s in shapes if s != "object"]
        paths[f"{base}/{{{key}}}.json"] = {
            "get": {
                "operationId": f"get_{op}_row",
                "summary": f"{table.title}: one row",
                "tags": tags,
                "description": f"The row whose {', '.join(keys)} is this"
                + (" (the values joined by commas)" if len(keys) > 1 else "")
                + ".",
                "parameters": [
                    {"name": key, "in": "path", "required": True, "schema": {"type": "string"}},
                    _shape(row_shapes),
                ],
                "responses": {
                    "200": {
                        "description": "The row",
                        "content": _json(
                            {"anyOf": [{"$ref": f"#/components/schemas/{op}{SHAPES[s]}"} for s in row_shapes]}
                        ),
                    },
                    **_errors(404),
                },
            }
        }
    paths[f"{base}.csv"] = _download(
        op,
        table,
        "csv",
        "text/csv",
        {"type": "string"},
        "CSV (UTF-8, text/csv; charset=utf-8); `_stream=on` every row.",
    )
    paths[f"{base}.ndjson"] = _download(
        op,
        table,
        "ndjson",
        "application/x-ndjson",
        {"type": "string"},
        "One JSON object per line, as the rows of the JSON; `_stream=on` every row.",
    )
    location = site_info.location_columns(table)
    if location:
        schemas[f"{op}_properties"] = api_schemas.row_schema(table.title, table.columns, table.primary_keys, location)
        schemas[f"{op}_geojson"] = api_schemas.feature_collection(op)
        paths[f"{base}.geojson"] = _download(
            op,
            table,
            "geojson",
            "application/geo+json",
            {"$ref": f"#/components/schemas/{op}_geojson"},
            "GeoJSON (RFC 7946), a Feature per row; `_stream=on` every row.",
        )
    paths[f"{base}.xlsx"] = _download(
        op,
        table,
        "xlsx",
        XLSX_TYPE,
        {"type": "string", "format": "binary"},
        "An Excel workbook of every row, up to Excel's 1,048,575, with an About sheet.",
    )
    return paths, schemas


def query_paths(query: CannedQuery) -> dict:
    op = operation_name(query.name)
    params = [_shape(["objects", "array", "arrays"])]
    for name in query.params:
        kind = query.kinds.get(name)
        words = (
            f"{WORDS[kind][1]}, for example {EXAMPLES[kind]} (Buddhist-era years and Thai digits are read)"
            if kind in WORDS
            else "text"
        )
        params.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": f"{name}: {words}; empty for the query's default.",
                "schema": {"type": "string"},
            }
        )
    page = api_schemas.page_schema({"type": "object"}, "The query's rows")
    base = f"/{DATABASE}/{quote(query.name)}"
    item = {"summary": query.title, "description": query.description or query.title, "tags": ["queries"]}
    return {
        f"{base}.json": {
            "get": {
                **item,
                "operationId": f"query_{op}",
                "parameters": params,
                "responses": {
                    "200": {
                        "description": "The rows",
                        "content": _json({"anyOf": [page, {"type": "array", "items": {"type": "object"}}]}),
                    },
                    **_errors(400),
                },
            }
        },
        f"{base}.csv": {
            "get": {
                **item,
                "operationId": f"query_{op}_csv",
                "parameters": params[1:],
                "responses": {
                    "200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                    **_errors(400),
                },
            }
        },
    }


def openapi(tables: list[PublicTable], queries: list[CannedQuery], base_url: str, settings: dict, site: dict) -> dict:
    """An OpenAPI 3.0 document of the API."""
    max_rows = settings.get("max_returned_rows", 1000)
    paths: dict = {}
    schemas: dict = {}
    for table in tables:
        more_paths, more_schemas = table_paths(table, max_rows)
        paths.update(more_paths)
        schemas.update(more_schemas)
    for query in queries:
        paths.update(query_paths(query))
    paths[f"/{DATABASE}.json"] = {
        "get": {
            "operationId": "run_sql",
            "summary": "Read-only SQL",
            "tags": ["sql"],
            "description": f"Any read-only SQL, at most {max_rows} rows, under the SQL time limit.",
            "parameters": [
                {
                    "name": "sql",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string"},
                    "example": "select district_code, name_en from districts",
                },
                _shape(["objects", "array", "arrays"]),
            ],
            "responses": {
                "200": {
                    "description": "The rows",
                    "content": _json(
                        {
                            "anyOf": [
                                api_schemas.page_schema({"type": "object"}, "rows as objects"),
                                {"type": "array", "items": {"type": "object"}},
                            ]
                        }
                    ),
                },
                **_errors(400),
            },
        }
    }
    schemas["error"] = {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "error": {"type": "string"},
            "status": {"type": "integer"},
            "title": {"type": "string", "nullable": True},
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": site.get("title", "Open Bangkok") + " API",
            "version": "1.0.0",
            "description": (
                "Read-only JSON, CSV, NDJSON, GeoJSON and Excel API of Open Bangkok, the BMA's open data. "
                f"Pages of at most {max_rows} rows; follow `next` with `_next`, or ask for every row with "
                "`_stream=on` (CSV, NDJSON, GeoJSON). "
                f"SQL (and `_where`) is limited to {settings.get('sql_time_limit_ms', 0)} ms. "
                "CORS is open (Access-Control-Allow-Origin: *). Answers carry an ETag: send it back as "
                "If-None-Match for a 304. API ของข้อมูลเปิดกรุงเทพมหานคร อ่านได้อย่างเดียว"
            ),
            "license": {"name": site.get("license", "see each table"), "url": site.get("license_url", base_url)},
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {"schemas": schemas, "parameters": COMMON},
    }
