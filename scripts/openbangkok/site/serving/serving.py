"""Serving a million-row table fast: what the site does beyond Datasette's settings.

What each lever is worth is measured by benchmarks/serve.py (benchmarks/README.md, Serving);
openbangkok/hooks/serving.py wires these into Datasette.

- Connection: SQLite reads the immutable database through mmap (MMAP_BYTES): no copy through the
  read() system call for every page, which matters for queries that visit many rows.
- Array facets (`types` of complaints): Datasette 0.65 de-duplicates array items by selecting
  DISTINCT over every column of every row, over the facet time limit on a large table, so the
  facet silently went missing. array_facet_sql counts the same thing
  by grouping the rows by their array first and splitting each distinct array once.
- Facets of a whole table (no filter, no search) on an immutable database cannot change while the
  site runs: they are computed once, at startup for the facets the metadata turns on (warm_facets),
  and answered from memory after that (a small LRU, so ?_facet_size= cannot grow it without bound).
  Filtered facets are always computed; indexes keep them fast (datasets/*/serving_indexes.sql).
- Facets of a later page (?_next=) are those of the page's filter (filter_sql), as on page 1.
- A facet that times out anyway stays in the JSON, empty and marked "timed_out": true.
- Rows with labels (iterate_rows_in_c): iterated by the dictionary's C lookup rather than a
  Python generator (the map asks for 1,000 of them).
- Garbage collection (tune_gc): a table page allocates enough to run the collector about ten
  times, and the full collections walked every object of the process, pauses that made the p95
  of an HTML page a multiple of its p50. What is alive after startup (Datasette, metadata,
  templates) lives as long as the process, so it is frozen out of the collector's scans, and young
  collections run less often.
- CSV streams (`.csv?_stream=on`): Datasette 0.65 means to page through the table max_returned_rows
  at a time but drops its own `_size=max`, so it fetched the table's page size (50 rows) per query,
  20,000 queries for a million rows; and it sends every row as its own ASGI message. stream_csv
  adds `_size=max` to a stream that names no size and sends the rows in blocks of STREAM_BLOCK bytes.
  A stream that names no sort order comes in primary-key order (as stock Datasette exports a table)
  rather than in the table's default sort: keyset pagination on `timestamp desc, ticket_id` is an
  OR that SQLite cannot seek, so every 1,000 rows re-scanned the index from the top (quadratic).
  The GeoJSON and NDJSON streams (`.geojson?_stream=on`, `.ndjson?_stream=on`) come in the same
  order; they read their own pages (openbangkok.site.exports.pages), so the page Datasette computes
  before handing over to their renderer is cut to one row, without facets or count.

- SQL rewrites (openbangkok.site.serving.rewrites): Datasette's SQL for searches, and the facets of
  searches and filters, answered by SQL with exactly the same result on the immutable file.

Set OPENBANGKOK_SERVING_OFF to a comma-separated list of lever names (LEVERS) to switch levers off,
for measuring what each one is worth.
"""

from __future__ import annotations

import sqlite3
import sys
from collections import OrderedDict
from urllib.parse import parse_qsl, quote_plus

from datasette.database import QueryInterrupted
from datasette.utils import tilde_decode
from datasette.utils.asgi import Request

from openbangkok.site import internals
from openbangkok.site.internals import (
    ArrayFacet,
    ColumnFacet,
    escape_sqlite,
    path_with_added_args,
    path_with_removed_args,
)
from openbangkok.site.levers import lever_on
from openbangkok.site.memo import Memo
from openbangkok.site.serving.precomputed_facets import (
    _Precomputing,
    array_facet_sql,
    precomputed_facets,
    wanted_facets,
)

MMAP_BYTES = 4 << 30  # SQLite caps it at its compile-time maximum (2 GiB in most builds)
MEMO_SIZE = 256  # facet results kept per site
MEMO_ATTRIBUTE = "_openbangkok_facet_memo"
STREAM_BLOCK = 64 * 1024  # bytes of CSV per message when streaming
STREAMED = (".csv", ".geojson", ".ndjson")  # formats whose ?_stream=on holds every row
GC_THRESHOLD = (10_000, 10, 10)  # objects allocated between young collections (CPython's default: 700)


def configure_connection(conn) -> None:
    if lever_on("mmap"):
        conn.execute(f"pragma mmap_size = {MMAP_BYTES}")


class FacetMemo(Memo):
    """SQL results of whole-table facets, by (database, sql); least recently used dropped first."""

    def __init__(self, size: int = MEMO_SIZE):
        super().__init__(size)

    def get(self, key):
        try:
            return self[key]  # and it becomes the most recently used
        except KeyError:
            return None

    def put(self, key, value) -> None:
        self[key] = value


def facet_memo(datasette) -> FacetMemo:
    if not hasattr(datasette, MEMO_ATTRIBUTE):
        setattr(datasette, MEMO_ATTRIBUTE, FacetMemo())
    return getattr(datasette, MEMO_ATTRIBUTE)


class _Memoised:
    """Datasette as a whole-table facet on an immutable database sees it: execute() answers SQL it
    has answered before from the memo. Everything else is the real Datasette."""

    def __init__(self, datasette, warming: bool = False):
        self._datasette = datasette
        self._memo = facet_memo(datasette)
        self._warming = warming

    def __getattr__(self, name):
        return getattr(self._datasette, name)

    async def execute(self, database, sql, params=None, **kwargs):
        key = (database, sql)
        results = self._memo.get(key)
        if results is None:
            if self._warming:  # at startup, not bounded by the per-request facet time limit
                kwargs.pop("custom_time_limit", None)
            results = await self._datasette.execute(database, sql, params, **kwargs)
            self._memo.put(key, results)
        return results


async def filter_sql(datasette, request, database: str, table: str, sql: str) -> tuple[str, dict]:
    """The facets' SQL for the rows the page's filters select, without the ?_next= cursor.

    Datasette 0.65 counts the facets of a later page over the rows after that page (so they change
    as one pages on), and those queries cannot use the filter's index: "facets timed out" on page 2
    of the million complaints. The facets of page 1 are what a reader expects, and for the
    whole table they are in the memo. The filters are read from the request as the table view reads them.
    """
    from datasette.utils import await_me_maybe

    args = [
        (key, value)
        for key in request.args
        if not (key.startswith("_") and "__" not in key)
        for value in request.args.getlist(key)
    ]
    units = internals.table_metadata(datasette, database, table).get("units", {})
    where_clauses, params = internals.where_clauses(sorted(args), units, table)
    for hook in internals.filters_from_request_hooks(
        request=request, table=table, database=database, datasette=datasette
    ):
        arguments = await await_me_maybe(hook)
        if arguments:
            where_clauses.extend(arguments.where_clauses)
            params.update(arguments.params)
    source = f" from {escape_sqlite(table)} "
    select = sql[: sql.index(source)]
    where = f"where {' and '.join(where_clauses)} " if where_clauses else ""
    return f"{select}{source}{where}", params


class _SiteFacet:
    """What the site's column and array facets share: on a later page the facets of the filter, not
    of the rows after the page; the whole table's facets on an immutable database from the memo."""

    warming = False

    async def prepare(self) -> None:
        if self.table and self.request.args.get("_next") and lever_on("next_page_facets"):
            self.sql, self.params = await filter_sql(self.ds, self.request, self.database, self.table, self.sql)
        if lever_on("facet_memo") and self.whole_table() and not self.ds.get_database(self.database).is_mutable:
            self.ds = _Memoised(self.ds, warming=self.warming)
        elif self.table and not self.whole_table():
            self.ds = _Precomputing(self.ds, self)

    def whole_table(self) -> bool:
        return bool(self.table) and not self.params and self.sql.rstrip().endswith(f" from {escape_sqlite(self.table)}")

    def keep_timed_out(self, results: list, timed_out: list, argument: str) -> tuple[list, list]:
        """A facet that ran out of time stays in the answer, empty and marked `timed_out`: Datasette 0.65
        says so on the HTML page only, and a JSON client could not tell it from a facet with no values."""
        sources = {(c["config"].get("column") or c["config"].get("simple")): c["source"] for c in self.get_configs()}
        for column in timed_out:
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": [],
                    "truncated": False,
                    "timed_out": True,
                    "hideable": sources.get(column) != "metadata",
                    "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {argument: column})),
                }
            )
        return results, timed_out


class SiteColumnFacet(_SiteFacet, ColumnFacet):
    async def facet_results(self):
        await self.prepare()
        return self.keep_timed_out(*await super().facet_results(), "_facet")


class SiteArrayFacet(_SiteFacet, ArrayFacet):
    """Datasette's array facet with array_facet_sql; same results, same JSON."""

    async def facet_results(self):
        await self.prepare()
        if not lever_on("fast_array_facet"):
            return self.keep_timed_out(*await super().facet_results(), "_facet_array")
        results, timed_out = [], []
        facet_size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        wanted = wanted_facets(self) if isinstance(self.ds, _Precomputing) else ()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            try:
                shared = await precomputed_facets(self, wanted) if ("array", column) in wanted else None
                if shared is not None:
                    rows = internals.facet_rows(shared[("array", column)])
                else:
                    rows = await self.ds.execute(
                        self.database,
                        array_facet_sql(column, self.sql, facet_size + 1, not self.whole_table()),
                        self.params,
                        truncate=False,
                        custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                    )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:facet_size]:
                value = str(row["value"])
                arg = (f"{column}__arraycontains", value)
                selected = arg in pairs
                path = (
                    path_with_removed_args(self.request, {arg[0]: value})
                    if selected
                    else path_with_added_args(self.request, {arg[0]: value})
                )
                values.append(
                    {
                        "value": value,
                        "label": value,
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, path),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": source != "metadata",
                    "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_array": column})),
                    "truncated": len(rows) > facet_size,
                }
            )
        return self.keep_timed_out(results, timed_out, "_facet_array")


REPLACEMENTS = {ColumnFacet: SiteColumnFacet, ArrayFacet: SiteArrayFacet}


def replace_facet_classes(classes_per_plugin: list[list[type]]) -> list[list[type]]:
    if not lever_on("site_facets"):  # the Facet API changed (internals_check.facet_problems)
        return classes_per_plugin
    return [[REPLACEMENTS.get(c, c) for c in classes] for classes in classes_per_plugin]


async def warm_facets(datasette) -> dict[str, float]:
    """Compute the metadata's default facets of every table of every immutable database once, at
    startup, so the first visitor of a large table does not wait for them. Returns seconds per table."""
    import time

    timings = {}
    if not lever_on("facet_memo") or not lever_on("site_facets"):
        return timings
    for name, db in datasette.databases.items():
        if db.is_mutable or name.startswith("_"):
            continue
        tables = set(await db.table_names())
        for table, meta in (internals.metadata(datasette, "tables", database=name) or {}).items():
            if table not in tables or not meta.get("facets"):
                continue
            started = time.perf_counter()
            columns = ", ".join(escape_sqlite(c) for c in await db.table_columns(table))
            sql = f"select {columns} from {escape_sqlite(table)} "
            request = Request.fake(datasette.urls.table(name, table))
            table_meta = internals.table_metadata(datasette, name, table)
            for cls in (SiteColumnFacet, SiteArrayFacet):
                facet = type("Warming" + cls.__name__, (cls,), {"warming": True})(
                    datasette, request, name, sql=sql, table=table, params={}, metadata=table_meta
                )
                try:
                    await facet.facet_results()
                except (sqlite3.DatabaseError, QueryInterrupted) as e:  # the page will say so itself
                    print(
                        f"openbangkok.site.serving.serving: facets of {name}.{table} not precomputed: {e}",
                        file=sys.stderr,
                    )
            timings[table] = time.perf_counter() - started
    return timings


async def _stream_arguments(datasette, path: str, args: set[str]) -> list[str]:
    """What a stream lacks: `_size=max` for a CSV (a first page of one row, without facets or count,
    for the formats that read their own pages), and `_sort=<primary key>` for a table and no sort."""
    suffix = "." + path.rsplit(".", 1)[-1]
    if suffix == ".csv":
        extra = [] if "_size" in args else ["_size=max"]
    else:
        extra = [f"{key}=1" for key in ("_size", "_nofacet", "_nocount") if key not in args]
    parts = path.strip("/").split("/")
    if "_sort" in args or "_sort_desc" in args or len(parts) != 2:
        return extra
    database, table = tilde_decode(parts[0]), tilde_decode(parts[1][: -len(suffix)])
    db = datasette.databases.get(database)
    if db is not None and await db.table_exists(table):
        pks = await db.primary_keys(table)
        if len(pks) == 1:
            extra.append("_sort=" + quote_plus(pks[0]))
    return extra


def without_next(query: bytes) -> bytes:
    """`query` without its `_next`, every other byte kept: a stream starts at the first row. The CSV
    links of page 2 on carry the page's `_next`, which Datasette refuses with `_stream=on` (HTTP 400)."""
    return b"&".join(part for part in query.split(b"&") if part.split(b"=", 1)[0] != b"_next")


def stream_csv(app, datasette):
    """ASGI middleware for CSV streams (and the GeoJSON and NDJSON streams): every row whichever page
    the link was on (without_next); whole pages of max_returned_rows per query, in primary-key order
    unless the URL sorts, blocks of rows per message (the lever stream_csv)."""
    in_blocks = lever_on("stream_csv")

    async def streaming(scope, receive, send):
        if scope.get("type") != "http" or not scope.get("path", "").endswith(STREAMED):
            return await app(scope, receive, send)
        query = scope.get("query_string", b"")
        args = {k for k, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
        if "_stream" not in args:
            return await app(scope, receive, send)
        if "_next" in args:
            query = without_next(query)
            scope = {**scope, "query_string": query}
        if not in_blocks:
            return await app(scope, receive, send)
        extra = await _stream_arguments(datasette, scope["path"], args)
        if extra:
            scope = {**scope, "query_string": b"&".join(([query] if query else []) + [e.encode() for e in extra])}
        pending: list[bytes] = []
        size = 0

        async def send_in_blocks(message):
            nonlocal size
            if message["type"] != "http.response.body":
                return await send(message)
            pending.append(message.get("body", b""))
            size += len(pending[-1])
            more = message.get("more_body", False)
            if size >= STREAM_BLOCK or not more:
                body, size = b"".join(pending), 0
                pending.clear()
                await send({"type": "http.response.body", "body": body, "more_body": more})

        await app(scope, receive, send_in_blocks)

    return streaming


def iterate_rows_in_c() -> bool:
    """Rows with labels (`?_labels=on`: the map's 1,000-row request, and any page that expands
    foreign keys) are Datasette's CustomRow, an OrderedDict whose __iter__ is a Python generator
    calling a Python __getitem__ for every cell: about a third of the map's request (1,000 rows of
    29 columns iterated several times: JSON, infinities check). Its values are given by the
    dictionary's own (C) lookup over the columns instead: the same values in the same order.
    Returns whether it changed anything (False when Datasette's class no longer looks like that)."""
    CustomRow = internals.custom_row()
    if (
        not lever_on("fast_rows")
        or getattr(CustomRow.__iter__, "in_c", False)
        or not issubclass(CustomRow, OrderedDict)
    ):
        return False

    def values_in_c(row):
        return map(OrderedDict.__getitem__.__get__(row), row.columns)

    values_in_c.in_c = True
    values_in_c.original = CustomRow.__iter__
    CustomRow.__iter__ = values_in_c
    return True


def tune_gc() -> None:
    """After startup: leave the long-lived objects out of collections, collect the young less often."""
    import gc

    if lever_on("gc"):
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLD)
