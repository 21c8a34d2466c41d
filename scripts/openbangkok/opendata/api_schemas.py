"""The JSON Schemas (OpenAPI 3.0) of what the API answers: a table's row, its pages in each
`_shape`, its GeoJSON features; openbangkok.opendata.openapi puts them into /-/openapi.json.

A column's schema says what the published rows really hold, so a client may rely on it (the tests
validate real rows of every table and view against it):
- its type from the Table Schema (`date`, `boolean` as 0/1, ...), or from SQLite's declared type;
  a column of no declared type (a view's expression) may hold anything;
- the Table Schema's `enum`, `minimum` and `maximum`, which the build enforces;
- nullable unless a null cannot occur: SQLite's NOT NULL, a primary key, the Table Schema's
  `required`, or none in this build (build_columns counts the empty values of every column of every
  table and view; the database is immutable, so the document is true for as long as it is served).
  A nullable enum lists null among its values (OpenAPI 3.0.3: `nullable` does not add it to an enum).
"""

from __future__ import annotations

FIELD_TO_SCHEMA = {
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "integer", "enum": [0, 1], "description": "1 true, 0 false"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "year": {"type": "integer"},
    "string": {"type": "string"},
    "array": {"type": "string", "description": "a JSON array, as text"},
}
SQLITE_TO_SCHEMA = {"INTEGER": {"type": "integer"}, "REAL": {"type": "number"}, "TEXT": {"type": "string"}}
NUMERIC = {"integer", "number"}
GEOMETRY = {
    "type": "object",
    "nullable": True,
    "required": ["type", "coordinates"],
    "description": "A Point at [longitude, latitude] (WGS84); null where the row has no valid coordinates.",
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    },
}


def can_be_null(column: dict, primary_keys: list[str]) -> bool:
    if column.get("notnull") or column["name"] in primary_keys:
        return False
    if (column.get("constraints") or {}).get("required"):
        return False
    return column.get("blanks") != 0


def column_schema(column: dict, primary_keys: list[str] = ()) -> dict:
    schema = dict(
        FIELD_TO_SCHEMA.get(column.get("type") or "")
        or SQLITE_TO_SCHEMA.get((column.get("sqlite_type") or "").upper(), {})
    )
    constraints = column.get("constraints") or {}
    if "enum" in constraints:
        schema["enum"] = list(constraints["enum"])
    if schema.get("type") in NUMERIC:
        schema.update(
            {k: constraints[k] for k in ("minimum", "maximum") if isinstance(constraints.get(k), int | float)}
        )
    description = " - ".join(x for x in (column.get("label"), column.get("description")) if x)
    if description:
        schema["description"] = (schema.get("description", "") + " " + description).strip()
    if can_be_null(column, list(primary_keys)):
        schema["nullable"] = True
        if "enum" in schema:
            schema["enum"] = schema["enum"] + [None]
    return schema


def row_schema(title: str, columns: list[dict], primary_keys: list[str], leave_out: tuple = ()) -> dict:
    """A row as an object (`_shape=objects`); `_col`/`_nocol` give a part of it, so nothing is required."""
    return {
        "type": "object",
        "description": title,
        "additionalProperties": False,
        "properties": {c["name"]: column_schema(c, primary_keys) for c in columns if c["name"] not in leave_out},
    }


def page_schema(rows: dict, description: str) -> dict:
    """A JSON page: `rows`, and what Datasette says about them."""
    return {
        "type": "object",
        "required": ["rows"],
        "description": description,
        "properties": {
            "database": {"type": "string"},
            "table": {"type": "string"},
            "columns": {"type": "array", "items": {"type": "string"}},
            "rows": {"type": "array", "items": rows},
            "next": {
                "type": "string",
                "nullable": True,
                "description": "Pass as `_next` for the following page; null on the last page.",
            },
            "next_url": {"type": "string", "nullable": True, "description": "The following page's URL."},
            "filtered_table_rows_count": {"type": "integer", "nullable": True},
            "truncated": {"type": "boolean"},
        },
    }


def shapes(op: str, has_key: bool) -> dict:
    """A table's answer in each `_shape` (the component schemas of its row and pages)."""
    row = {"$ref": f"#/components/schemas/{op}_row"}
    result = {
        f"{op}_page": page_schema(row, "_shape=objects: rows as objects"),
        f"{op}_page_arrays": page_schema(
            {"type": "array", "items": {}}, "_shape=arrays: rows as lists, in the order of `columns`"
        ),
        f"{op}_array": {"type": "array", "items": row, "description": "_shape=array: a bare list of rows"},
    }
    if has_key:
        result[f"{op}_object"] = {
            "type": "object",
            "additionalProperties": row,
            "description": "_shape=object: rows by their primary key",
        }
    return result


def feature_collection(op: str) -> dict:
    """A table's GeoJSON (RFC 7946): its row without the coordinates as each feature's properties."""
    return {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "geometry": GEOMETRY,
                        "properties": {"$ref": f"#/components/schemas/{op}_properties"},
                    },
                },
            },
            "links": {
                "type": "array",
                "description": "The following page (OGC API - Features): rel `next`",
                "items": {
                    "type": "object",
                    "required": ["rel", "href"],
                    "properties": {"rel": {"type": "string"}, "href": {"type": "string"}, "type": {"type": "string"}},
                },
            },
            "next_url": {"type": "string", "description": "The following page's URL (as in `links`)."},
        },
    }
