"""/-/search?q=: datasets, tables and columns found by Thai or English words in their titles and
descriptions, and rows of the tables that have search.

The catalogue (a few hundred entries) is indexed once per site, in memory, with the project's Thai
search (thai.search: bigram tokens in an FTS5 table of the ascii tokenizer). Rows are found by each
searchable table's own search (`?_search=`, through Datasette's JSON, so under the SQL time limit and
with its permissions), ROWS_PER_TABLE rows each, with a link to all of them. A query is cut at
MAX_QUERY characters.
"""

from __future__ import annotations

import asyncio
import sqlite3
from urllib.parse import quote, urlencode

from datasette.utils import tilde_encode
from datasette.utils.asgi import Response

from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.datasets import PAGES
from openbangkok.site import tables as site_info
from openbangkok.thai.search import TOKENIZE, fts_query, index_text

ROWS_PER_TABLE = 5
MAX_RESULTS = 50
MAX_QUERY = 200
SNIPPET_CHARS = 160
KINDS = {"dataset": "ชุดข้อมูล / Dataset", "table": "ตาราง / Table", "column": "คอลัมน์ / Column"}
INDEX = "catalogue_index"


async def build_index(datasette) -> sqlite3.Connection:
    """The in-memory index of the catalogue, made at the first search and kept for the site's life."""
    cache = site_info.cache(datasette)
    if INDEX in cache:
        return cache[INDEX]
    entries = []
    for dataset in site_info.catalog(datasette).datasets:
        descriptor = dataset.descriptor
        entries.append(
            (
                "dataset",
                dataset.name,
                descriptor.get("title", dataset.name),
                descriptor.get("description") or "",
                f"{PAGES}/{quote(dataset.name)}",
                dataset.name,
            )
        )
    for table in await site_info.public_tables(datasette):
        url = f"/{DATABASE}/{quote(table.name)}"
        entries.append(("table", table.name, table.title, table.description, url, table.dataset or ""))
        for column in table.columns:
            entries.append(
                (
                    "column",
                    f"{table.name}.{column['name']}",
                    column["label"] or column["name"],
                    f"{column['name']} {column['description']}",
                    url,
                    table.dataset or "",
                )
            )
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute(
        f"create virtual table catalogue using fts5(title, body, kind unindexed, name unindexed, "
        f"shown_title unindexed, shown_body unindexed, url unindexed, dataset unindexed, "
        f"tokenize = '{TOKENIZE}')"
    )
    conn.executemany(
        "insert into catalogue values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (index_text(title), index_text(f"{name} {body}"), kind, name, title, body, url, dataset)
            for kind, name, title, body, url, dataset in entries
        ],
    )
    return cache.setdefault(INDEX, conn)


def _catalogue_matches(conn: sqlite3.Connection, query: str) -> list[dict]:
    match = fts_query(query)
    if not match:
        return []
    try:  # datasets, then tables, then columns; in each, titles weigh more than descriptions
        rows = conn.execute(
            "select kind, name, shown_title, shown_body, url, dataset from catalogue where catalogue match ? "
            "order by case kind when 'dataset' then 0 when 'table' then 1 else 2 end, bm25(catalogue, 5.0, 1.0) "
            f"limit {MAX_RESULTS}",
            [match],
        ).fetchall()
    except sqlite3.OperationalError:  # a query FTS5 cannot read: nothing found, not an error page
        return []
    return [
        {
            "kind": kind,
            "kind_label": KINDS[kind],
            "name": name,
            "title": title,
            "description": " ".join(body.split())[:SNIPPET_CHARS],
            "url": url,
            "dataset": dataset,
        }
        for kind, name, title, body, url, dataset in rows
    ]


def _row_text(row: dict, skip: set[str]) -> str:
    texts = [
        str(v)
        for k, v in row.items()
        if k not in skip and isinstance(v, str) and v and not v.startswith(("http", "[", "{"))
    ]
    return " · ".join(texts[:4])[:SNIPPET_CHARS]


async def _rows(datasette, table, query: str) -> dict | None:
    path = f"/{DATABASE}/{quote(table.name)}"
    args = urlencode({"_search": query, "_size": ROWS_PER_TABLE, "_shape": "objects", "_nofacet": 1})
    response = await datasette.client.get(f"{path}.json?{args}")
    if response.status_code != 200:
        return None
    data = response.json()
    rows = data.get("rows") or []
    if not rows:
        return None
    keys = table.primary_keys or ["rowid"]
    found = [
        {"text": _row_text(row, set(keys)), "url": f"{path}/" + ",".join(tilde_encode(str(row.get(k))) for k in keys)}
        for row in rows
    ]
    return {
        "table": table.name,
        "title": table.title,
        "count": data.get("filtered_table_rows_count"),
        "rows": found,
        "url": f"{path}?{urlencode({'_search': query})}",
    }


async def search(datasette, query: str) -> dict:
    query = " ".join(query.split())[:MAX_QUERY]
    if not query:
        return {"q": "", "catalogue": [], "rows": []}
    conn = await build_index(datasette)
    catalogue = _catalogue_matches(conn, query)
    searchable = [t for t in await site_info.public_tables(datasette) if t.searchable and not t.is_view]
    found = await asyncio.gather(*(_rows(datasette, t, query) for t in searchable))
    return {"q": query, "catalogue": catalogue, "rows": [f for f in found if f]}


async def search_page(datasette, request):
    result = await search(datasette, request.args.get("q") or "")
    if request.url_vars.get("format") == "json":
        return Response.json(result)
    return Response.html(await datasette.render_template("search.html", result, request=request))
