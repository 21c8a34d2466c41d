"""Thai and English on the pages: what the templates in plugins/templates need beyond Datasette's
context (the words: openbangkok.site.pages.labels, the layout: openbangkok.site.pages.layout).

`column_labels` (each column's "ไทย / English" title, shown under its name; on query pages the result
columns' titles), `param_titles` (a canned query's form), `value_labels` (facet values that are
codes), `column_order` (the columns a table page shows first), `filter_words` (what a table page is
filtered by, in Thai), `filter_years` (the years with data, when a year filter finds none), `embed`
(?_embed=1: the page without its chrome, for an <iframe>), `table_titles` and, on the home page, `catalog_datasets` and
`other_tables`.
"""

import functools

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import internals
from openbangkok.site import tables as site_info
from openbangkok.site.pages import filter_words, labels, layout


def page_vars(datasette, view_name, table, columns, request):
    """The variables every page's template gets (extra_template_vars): labels, titles, layout, the catalogue."""

    async def inner():
        tables_meta = internals.metadata(datasette, "tables", database=DATABASE) or {}
        result = {
            "database_name": DATABASE,
            "table_titles": {name: meta.get("title") for name, meta in tables_meta.items() if meta.get("title")},
            "value_labels": labels.value_labels(datasette),
            **layout.page_vars(datasette, request, table),
        }
        catalog = site_info.catalog(datasette)
        # Datasette 0.65's QueryView has no view_name of its own: a query page is one without a table
        query = None if table else layout.canned_query_name(request)
        if table:
            result["column_labels"] = labels.column_labels(datasette, table)
            result["filter_words"] = functools.partial(filter_words.thai_where, datasette, table, request)
            result["filter_years"] = functools.partial(filter_words.years_with_data, datasette, table)
        elif columns:
            result["column_labels"] = labels.query_column_labels(datasette, query, columns)
        if query:
            result["param_titles"] = labels.param_titles(datasette, query, layout.query_params(datasette, query))
            result["years_with_data"] = await layout.years_with_data(datasette, request, query)
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
                datasets.append(
                    {
                        "name": dataset.name,
                        "title": dataset.descriptor.get("title", dataset.name),
                        "description": (dataset.descriptor.get("description") or "").strip(),
                        "tables": tables + derived,
                    }
                )
            result["catalog_datasets"] = datasets
            result["other_tables"] = [t for name, t in public.items() if name not in listed]
        return result

    return inner
