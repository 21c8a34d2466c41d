"""The API as documentation: an OpenAPI 3 description of every table's JSON and CSV endpoints and
the copy-paste examples of the /-/api page (plugins/api_docs.py serves both), with the CKAN Action
API's (openbangkok.ckan) beside them.

One path per table (`/openbangkok/<table>.json`), so a client generator makes one named
operation per table with typed rows. Rows come back as objects with `_shape=objects`; a page holds
at most `max_returned_rows` rows and `next` is the token for the following page (`_next`).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from .site_info import PublicTable
from .site_metadata import DATABASE

FIELD_TO_SCHEMA = {
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "integer", "enum": [0, 1], "description": "1 true, 0 false"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "year": {"type": "integer"},
    "string": {"type": "string"},
}
SQLITE_TO_SCHEMA = {"INTEGER": {"type": "integer"}, "REAL": {"type": "number"}, "TEXT": {"type": "string"}}


def operation_name(table: str) -> str:
    return re.sub(r"\W+", "_", table).strip("_") or "table"


def column_schema(column: dict) -> dict:
    if column.get("type") in FIELD_TO_SCHEMA:
        schema = dict(FIELD_TO_SCHEMA[column["type"]])
    else:
        schema = dict(SQLITE_TO_SCHEMA.get((column.get("sqlite_type") or "").upper(), {}))
    description = " - ".join(x for x in (column.get("label"), column.get("description")) if x)
    if description:
        schema["description"] = (schema.get("description", "") + " " + description).strip()
    if not column.get("notnull"):
        schema["nullable"] = True
    return schema


def _parameters(table: PublicTable, max_rows: int) -> list[dict]:
    params = [
        {"name": "_shape", "in": "query", "required": True,
         "description": "Rows as objects. (`array` gives a bare list, with the next page in the Link header.)",
         "schema": {"type": "string", "enum": ["objects"]}},
        {"name": "_size", "in": "query", "required": False,
         "description": f"Rows per page, at most {max_rows} (`max`).",
         "schema": {"type": "string", "pattern": r"^(max|\d+)$", "example": "max"}},
        {"name": "_next", "in": "query", "required": False,
         "description": "The `next` token of the previous page.", "schema": {"type": "string"}},
        {"name": "_sort", "in": "query", "required": False, "description": "Sort by this column.",
         "schema": {"type": "string", "enum": [c["name"] for c in table.columns]}},
        {"name": "_sort_desc", "in": "query", "required": False, "description": "Sort by this column, descending.",
         "schema": {"type": "string", "enum": [c["name"] for c in table.columns]}},
        {"name": "_where", "in": "query", "required": False,
         "description": "An extra SQL WHERE condition (read-only, under the SQL time limit).",
         "schema": {"type": "string"}},
    ]
    for column in table.columns:
        if column["name"].startswith("_"):
            continue
        params.append({
            "name": column["name"], "in": "query", "required": False,
            "description": f"Rows where {column['name']} equals this value. Other comparisons: "
                           f"{column['name']}__gt, __gte, __lt, __lte, __not, __contains, __startswith, __in, __isnull.",
            "schema": {"type": "string"},
        })
    return params


def openapi(tables: list[PublicTable], base_url: str, settings: dict, site: dict) -> dict:
    """An OpenAPI 3.0 document of the tables' JSON and CSV endpoints."""
    max_rows = settings.get("max_returned_rows", 1000)
    paths: dict = {}
    schemas: dict = {}
    for table in tables:
        op = operation_name(table.name)
        row_name = f"{op}_row"
        schemas[row_name] = {
            "type": "object",
            "description": table.title,
            "properties": {c["name"]: column_schema(c) for c in table.columns},
        }
        schemas[f"{op}_page"] = {
            "type": "object",
            "required": ["rows"],
            "properties": {
                "database": {"type": "string"},
                "table": {"type": "string"},
                "columns": {"type": "array", "items": {"type": "string"}},
                "rows": {"type": "array", "items": {"$ref": f"#/components/schemas/{row_name}"}},
                "next": {"type": "string", "nullable": True,
                         "description": "Pass as `_next` for the following page; null on the last page."},
                "next_url": {"type": "string", "nullable": True, "description": "The following page's URL."},
                "filtered_table_rows_count": {"type": "integer", "nullable": True},
                "truncated": {"type": "boolean"},
            },
        }
        description = (table.description or table.title) + (
            f"\n\nLicence: {table.licence}" if table.licence else "") + (
            f". Source: {table.source}" if table.source else "")
        base = f"/{DATABASE}/{quote(table.name)}"
        paths[f"{base}.json"] = {"get": {
            "operationId": f"get_{op}",
            "summary": table.title,
            "description": description,
            "tags": [table.dataset or "other"],
            "parameters": _parameters(table, max_rows),
            "responses": {
                "200": {"description": "One page of rows",
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{op}_page"}}}},
                "400": {"description": "Invalid filter or SQL; or the query took longer than the time limit",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}},
            },
        }}
        paths[f"{base}.csv"] = {"get": {
            "operationId": f"get_{op}_csv",
            "summary": f"{table.title} (CSV)",
            "description": "The same rows as CSV (UTF-8). `_stream=on` streams every row in one response; "
                           "`_bom=on` adds a byte order mark for Excel.",
            "tags": [table.dataset or "other"],
            "parameters": [
                {"name": "_stream", "in": "query", "required": False, "schema": {"type": "string", "enum": ["on"]}},
                {"name": "_size", "in": "query", "required": False, "schema": {"type": "string", "example": "max"}},
                {"name": "_bom", "in": "query", "required": False, "schema": {"type": "string", "enum": ["on"]}},
            ],
            "responses": {"200": {"description": "CSV",
                                  "content": {"text/csv": {"schema": {"type": "string"}},
                                              "text/plain": {"schema": {"type": "string"}}}}},
        }}
    schemas["error"] = {"type": "object", "properties": {
        "ok": {"type": "boolean"}, "error": {"type": "string"}, "status": {"type": "integer"},
        "title": {"type": "string", "nullable": True}}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": site.get("title", "Open Bangkok") + " API",
            "version": "1.0.0",
            "description": (
                "Read-only JSON and CSV API of Open Bangkok, the BMA's open data. "
                f"Pages of at most {max_rows} rows; follow `next` with `_next`. "
                f"SQL (and `_where`) is limited to {settings.get('sql_time_limit_ms', 0)} ms. "
                "CORS is open (Access-Control-Allow-Origin: *). API ของข้อมูลเปิดกรุงเทพมหานคร อ่านได้อย่างเดียว"),
            "license": {"name": site.get("license", "see each table"), "url": site.get("license_url", base_url)},
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def examples(table: PublicTable, base_url: str) -> dict[str, str]:
    """Copy-paste examples for one table: curl, Python (httpx, pandas) and JavaScript."""
    url = f"{base_url}/{DATABASE}/{quote(table.name)}"
    return {
        "curl": (f"curl '{url}.json?_shape=array&_size=10'\n"
                 f"curl -o {table.name}.csv '{url}.csv?_stream=on&_size=max'"),
        "python": (
            "import httpx\n\n"
            f"url = \"{url}.json\"\n"
            "params = {\"_shape\": \"objects\", \"_size\": \"max\"}\n"
            "rows = []\n"
            "while True:\n"
            "    page = httpx.get(url, params=params, timeout=30).json()\n"
            "    rows += page[\"rows\"]\n"
            "    if not page[\"next\"]:\n"
            "        break\n"
            "    params[\"_next\"] = page[\"next\"]\n"
            "print(len(rows))"),
        "pandas": (
            "import pandas as pd\n\n"
            f"df = pd.read_csv(\"{url}.csv?_stream=on&_size=max\", dtype=str)  # every row; codes stay text\n"
            "print(df.head())"),
        "javascript": (
            f"const response = await fetch(\"{url}.json?_shape=array&_size=100\");\n"
            "const rows = await response.json();\n"
            "console.log(rows.length, rows[0]);"),
    }


CKAN_EXAMPLE_TABLE = "complaints"   # the table the CKAN examples search, where it is published


def ckan_examples(tables: list[PublicTable], base_url: str) -> dict[str, str]:
    """Copy-paste examples of the CKAN Action API: ckanapi, as for any CKAN portal, and curl."""
    names = [t.name for t in tables if not t.is_view and t.dataset]
    table = CKAN_EXAMPLE_TABLE if CKAN_EXAMPLE_TABLE in names else (names or ["districts"])[0]
    return {
        "ckanapi": (
            "from ckanapi import RemoteCKAN  # pip install ckanapi\n\n"
            f"site = RemoteCKAN(\"{base_url}\")  # code for a CKAN portal: only the address changes\n"
            "found = site.action.package_search(q=\"ร้องเรียน\", fq=\"organization:bma\")\n"
            "print(found[\"count\"], [p[\"name\"] for p in found[\"results\"]])\n"
            f"resource = site.action.resource_show(id=\"{table}\")  # its stable id, or the table's name\n"
            "page = site.action.datastore_search(resource_id=resource[\"id\"], q=\"ไฟ\", limit=100)\n"
            "print(page[\"total\"], page[\"records\"][:1])\n"
            "rows = site.action.datastore_search_sql(\n"
            "    sql=f'SELECT count(*) AS n FROM \"{resource[\"id\"]}\"')\n"
            "print(rows[\"records\"])"),
        "curl": (
            f"curl '{base_url}/api/3/action/package_list'\n"
            f"curl -G '{base_url}/api/3/action/package_search' --data-urlencode 'q=ร้องเรียน' "
            "--data-urlencode 'facet.field=[\"organization\",\"tags\"]'\n"
            f"curl -G '{base_url}/api/3/action/datastore_search' --data-urlencode 'resource_id={table}' \\\n"
            "  --data-urlencode 'q=ไฟ' --data-urlencode 'limit=5'"),
    }
