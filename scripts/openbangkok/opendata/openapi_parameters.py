"""The query parameters every table operation of /-/openapi.json shares (`_size`, `_next`, `_sort`,
`_search`, `_facet`, ...), declared once as OpenAPI components and referenced by each operation
(openbangkok.opendata.openapi)."""

from __future__ import annotations

COMMON = {
    "size": {
        "name": "_size",
        "in": "query",
        "required": False,
        "description": "Rows per page, at most max_returned_rows (`max`).",
        "schema": {"type": "string", "pattern": r"^(max|\d+)$", "example": "max"},
    },
    "next": {
        "name": "_next",
        "in": "query",
        "required": False,
        "description": "The `next` token of the previous page.",
        "schema": {"type": "string"},
    },
    "where": {
        "name": "_where",
        "in": "query",
        "required": False,
        "description": "An extra SQL WHERE condition (read-only, under the SQL time limit).",
        "schema": {"type": "string"},
    },
    "search": {
        "name": "_search",
        "in": "query",
        "required": False,
        "description": "Rows whose text holds these words (Thai words anywhere in a word).",
        "schema": {"type": "string"},
    },
    "stream": {
        "name": "_stream",
        "in": "query",
        "required": False,
        "description": "`on`: every row of the table or filter in one answer, not one page.",
        "schema": {"type": "string", "enum": ["on"]},
    },
    "labels": {
        "name": "_labels",
        "in": "query",
        "required": False,
        "description": "`on`: a foreign key's value becomes {value, label} (JSON) or gains a "
        "<column>_label column (CSV, GeoJSON, XLSX).",
        "schema": {"type": "string", "enum": ["on"]},
    },
    "nocount": {
        "name": "_nocount",
        "in": "query",
        "required": False,
        "description": "`1`: do not count the rows.",
        "schema": {"type": "string", "enum": ["1"]},
    },
    "nofacet": {
        "name": "_nofacet",
        "in": "query",
        "required": False,
        "description": "`1`: no facets.",
        "schema": {"type": "string", "enum": ["1"]},
    },
    "facet_size": {
        "name": "_facet_size",
        "in": "query",
        "required": False,
        "description": "Values per facet (`max` for as many as allowed).",
        "schema": {"type": "string", "pattern": r"^(max|\d+)$"},
    },
    "bom": {
        "name": "_bom",
        "in": "query",
        "required": False,
        "description": "`on`: start with a UTF-8 byte order mark, for Excel.",
        "schema": {"type": "string", "enum": ["on"]},
    },
    "dl": {
        "name": "_dl",
        "in": "query",
        "required": False,
        "description": "`1`: download as a file.",
        "schema": {"type": "string", "enum": ["1"]},
    },
}
