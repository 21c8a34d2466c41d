"""Thai and English on the pages: what the templates in plugins/templates need beyond Datasette's
context. `column_labels` (the Table Schema `title` of each column, e.g. "รหัสเขต / District code",
shown under the column name), `table_titles` (each table's title) and, on the home page,
`catalog_datasets` (the datasets with their Thai/English titles and tables) and `other_tables`.
"""

from datasette import hookimpl

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import internals
from openbangkok.site import tables as site_info

LABELS_CACHE = "_openbangkok_column_labels"


def _label_from_description(description: str) -> str:
    """A bilingual label written as the start of a metadata column description: "ชื่อ / Name - ..."."""
    head = description.split(" - ", 1)[0]
    return head if " / " in head and len(head) < 80 else ""


def _column_labels(datasette, catalog, table: str, tables_meta: dict) -> dict:
    """Once per table and site: reading the schemas parses YAML, about 40 ms a page when done per request."""
    cache = datasette.__dict__.setdefault(LABELS_CACHE, {})
    if table not in cache:
        sources = {s.name: s for s in catalog.sources}
        labels = {}
        if table in sources:
            labels = {f["name"]: f.get("title", "") for f in sources[table].published_schema.get("fields", [])}
        for column, description in ((tables_meta.get(table) or {}).get("columns") or {}).items():
            if not labels.get(column) and isinstance(description, str):
                labels[column] = _label_from_description(description)
        cache[table] = {k: v for k, v in labels.items() if v}
    return cache[table]


@hookimpl
def extra_template_vars(datasette, view_name, table):
    async def inner():
        tables_meta = internals.metadata(datasette, "tables", database=DATABASE) or {}
        result = {"database_name": DATABASE, "table_titles": {name: meta.get("title") for name, meta in tables_meta.items() if meta.get("title")}}
        catalog = site_info.catalog(datasette)
        if table:
            result["column_labels"] = _column_labels(datasette, catalog, table, tables_meta)
        if view_name == "index":
            public = {t.name: t for t in await site_info.public_tables(datasette)}
            datasets, listed = [], set()
            for dataset in catalog.datasets:
                tables = [public[s.name] for s in dataset.sources if s.name in public]
                own = {t.name for t in tables}
                derived = [t for t in public.values() if t.dataset == dataset.name and t.name not in own]
                if not tables:
                    continue
                listed |= {t.name for t in tables + derived}
                datasets.append({"name": dataset.name, "title": dataset.descriptor.get("title", dataset.name),
                                 "description": (dataset.descriptor.get("description") or "").strip(),
                                 "tables": tables + derived})
            result["catalog_datasets"] = datasets
            result["other_tables"] = [t for name, t in public.items() if name not in listed]
        return result

    return inner
