"""Thai and English names of what a page shows: table columns, canned query parameters and result
columns, facet values that are codes. The words live in the metadata, never in code:

- a table's columns: the Table Schema `title` of each field ("รหัสเขต / District code"), or the head
  of its metadata description ("ชื่อ / Name - ...");
- a canned query's result columns: its `columns:` in metadata (as a table's), else the site-wide
  `columns:` of openbangkok-labels, else the same column of a published table (ticket_id is titled
  once, in complaints);
- a canned query's parameters: its `param_titles:`, else the site-wide `params:`, both in the plugin
  configuration `openbangkok-labels` of metadata.yml; an example follows the title ("..., e.g. 2566");
- facet values: `value_labels:` of openbangkok-labels, {column: {code: label}}.

Everything is read once per site: the database and metadata do not change while it runs.
"""

from __future__ import annotations

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import internals
from openbangkok.site import tables as site_info

PLUGIN = "openbangkok-labels"


def label_from_description(description: str) -> str:
    """The bilingual label a metadata column description starts with: "ชื่อ / Name - ..." -> "ชื่อ / Name"."""
    head = description.split(" - ", 1)[0].rstrip(".")
    return head if " / " in head and len(head) < 80 else ""


def _config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


def _tables_meta(datasette) -> dict:
    return internals.metadata(datasette, "tables", database=DATABASE) or {}


def column_labels(datasette, table: str) -> dict[str, str]:
    """{column: "ไทย / English"} of a table or view."""
    cache = site_info.cache(datasette).setdefault("column_labels", {})
    if table not in cache:
        sources = {s.name: s for s in site_info.catalog(datasette).sources}
        labels = {}
        if table in sources:
            labels = {f["name"]: f.get("title", "") for f in sources[table].published_schema.get("fields", [])}
        for column, description in ((_tables_meta(datasette).get(table) or {}).get("columns") or {}).items():
            if not labels.get(column) and isinstance(description, str):
                labels[column] = label_from_description(description)
        cache[table] = {k: v for k, v in labels.items() if v}
    return cache[table]


def _any_table_labels(datasette) -> dict[str, str]:
    """The first title of each column name across every described table (for query results)."""
    cache = site_info.cache(datasette)
    if "any_table_labels" not in cache:
        found: dict[str, str] = {}
        names = [s.name for s in site_info.catalog(datasette).sources] + list(_tables_meta(datasette))
        for table in dict.fromkeys(names):
            for column, label in column_labels(datasette, table).items():
                found.setdefault(column, label)
        cache["any_table_labels"] = found
    return cache["any_table_labels"]


def query_column_labels(datasette, query: str | None, columns) -> dict[str, str]:
    """{column: label} for the result columns of a canned query (or of any SQL, query None)."""
    declared = {}
    if query:
        meta = (internals.metadata(datasette, "queries", database=DATABASE) or {}).get(query) or {}
        declared = {k: (label_from_description(v) or v) for k, v in (meta.get("columns") or {}).items()}
    site_wide = {k: (label_from_description(v) or v) for k, v in (_config(datasette).get("columns") or {}).items()}
    tables = _any_table_labels(datasette)
    result = {}
    for column in columns or ():
        label = declared.get(column) or site_wide.get(column) or tables.get(column)
        if label:
            result[column] = label
    return result


def param_titles(datasette, query: str | None, params) -> dict[str, str]:
    """{parameter: "ไทย / English, e.g. ..."} for a canned query's form."""
    meta = (internals.metadata(datasette, "queries", database=DATABASE) or {}).get(query) or {} if query else {}
    own = meta.get("param_titles") or {}
    site_wide = _config(datasette).get("params") or {}
    return {p: own.get(p) or site_wide.get(p) for p in params or () if own.get(p) or site_wide.get(p)}


def value_labels(datasette) -> dict[str, dict[str, str]]:
    """{column: {value: label}} for facet values that are codes (e.g. a state or level code)."""
    return {
        column: {str(k): v for k, v in labels.items()}
        for column, labels in (_config(datasette).get("value_labels") or {}).items()
    }
