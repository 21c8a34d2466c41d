"""Serving a million-row table fast: what the site does beyond Datasette's settings.

Measured on a 1,000,000-row complaints table (benchmarks/serve.py, results in
benchmarks/results/serve.md); plugins/serving.py wires these into Datasette.

- Connection: SQLite reads the immutable database through mmap (MMAP_BYTES): no copy through the
  read() system call for every page, which roughly halves queries that visit many rows.
- Array facets (`types` of complaints): Datasette 0.65 de-duplicates array items by selecting
  DISTINCT over every column of every row, seconds on 20,000 rows and always over the facet time
  limit on a large table, so the facet silently went missing. array_facet_sql counts the same thing
  by grouping the rows by their array first and splitting each distinct array once.
- Facets of a whole table (no filter, no search) on an immutable database cannot change while the
  site runs: they are computed once, at startup for the facets the metadata turns on (warm_facets),
  and answered from memory after that (a small LRU, so ?_facet_size= cannot grow it without bound).
  Filtered facets are always computed; indexes keep them fast (datasets/*/serving_indexes.sql).
- Facets of a later page (?_next=) are those of the page's filter (filter_sql), as on page 1.
- A facet that times out anyway stays in the JSON, empty and marked "timed_out": true.
- Garbage collection (tune_gc): a table page allocates enough to run the collector about ten
  times, and the full collections walked every object of the process, ~50 ms pauses that made the
  p95 of an HTML page three times its p50. What is alive after startup (Datasette, metadata,
  templates) lives as long as the process, so it is frozen out of the collector's scans, and young
  collections run less often.
- CSV streams (`.csv?_stream=on`): Datasette 0.65 means to page through the table max_returned_rows
  at a time but drops its own `_size=max`, so it fetched the table's page size (50 rows) per query,
  20,000 queries for a million rows; and it sends every row as its own ASGI message. stream_csv
  adds `_size=max` to a stream that names no size and sends the rows in blocks of STREAM_BLOCK bytes.
  A stream that names no sort order comes in primary-key order (as stock Datasette exports a table)
  rather than in the table's default sort: keyset pagination on `timestamp desc, ticket_id` is an
  OR that SQLite cannot seek, so every 1,000 rows re-scanned the index from the top (quadratic:
  10 MB/s instead of 23 MB/s for the million complaints).

- SQL rewrites (rewrite(), installed on each immutable database at startup by find_precomputed):
  Datasette's SQL for a search's count and first page, and for the count and facets of a search
  or of equality filters, is answered by SQL with exactly the same result on the immutable file:
  the count from the FTS index alone (every FTS rowid is a row: checked at startup), the page
  along the sort's index (Walk), the facets from precomputed combinations (precomputed_facets;
  datasets/complaints/serving_precomputed.sql), all in one query shared by the page's facets.
  A rewritten statement that fails falls back to Datasette's own.

Set OPENBANGKOK_SERVING_OFF to a comma-separated list of lever names (LEVERS) to switch levers off,
for measuring what each one is worth.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import sys
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote_plus

from datasette.database import QueryInterrupted, Results
from datasette.facets import ArrayFacet, ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args, tilde_decode
from datasette.utils.asgi import Request

MMAP_BYTES = 4 << 30     # SQLite caps it at its compile-time maximum (2 GiB in most builds)
MEMO_SIZE = 256          # facet results kept per site
MEMO_ATTRIBUTE = "_openbangkok_facet_memo"
STREAM_BLOCK = 64 * 1024  # bytes of CSV per message when streaming
GC_THRESHOLD = (10_000, 10, 10)   # objects allocated between young collections (CPython's default: 700)
LEVERS = ("mmap", "fast_array_facet", "facet_memo", "next_page_facets", "stream_csv", "gc", "search_sql",
          "precomputed_facets", "permission_memo")
PRECOMPUTED_ATTRIBUTE = "_openbangkok_precomputed"
COUNTS_SUFFIX, ROWS_SUFFIX, VALUES_SUFFIX = "_facet_counts", "_facet_rows", "_facet_values"  # serving_precomputed.sql
BY_VALUE_SUFFIX = "_facet_by_value"
# A search page is read newest first along the sort column's index (stopping after one page of matches)
# when at least 1 row in WALK_FRACTION matches: then about WALK_FRACTION x page size index entries are
# read. Rarer words: the matches are fetched by rowid and sorted, as Datasette's SQL does.
WALK_FRACTION = 200
WALK_TIME_LIMIT_MS = 40
SEARCH_PARTS = 2          # rowid ranges a search's facets are counted in at once (one per core)


def lever_on(name: str) -> bool:
    assert name in LEVERS, name
    return name not in {v.strip() for v in os.environ.get("OPENBANGKOK_SERVING_OFF", "").split(",")}


def configure_connection(conn) -> None:
    if lever_on("mmap"):
        conn.execute(f"pragma mmap_size = {MMAP_BYTES}")


def array_facet_sql(column: str, sql: str, limit: int, filtered: bool = True, weight: str = "count(*)") -> str:
    """Values of the JSON-array `column` over the rows of `sql`, each row counted once per value.

    For a filter, `+column` keeps SQLite from grouping in the order of an index on the column: it
    did so rather than use the filter's index, reading the whole table (1.3 s instead of 50 ms for
    the state filter of a million complaints). For the whole table that order is the fast way.
    `weight`: what one row of `sql` counts for (`sum(n)` over precomputed counts).
    """
    col = escape_sqlite(column)
    group = f"+{col}" if filtered else col
    return f"""select j.value as value, sum(g.n) as count
from (select {col} as array, {weight} as n from ({sql}) where {group} is not null group by {group}) g
join json_each(g.array) j
where not exists (select 1 from json_each(g.array) k where k.value = j.value and k.id < j.id)
group by j.value order by count desc, value limit {limit}"""


class FacetMemo:
    """SQL results of whole-table facets, by (database, sql); least recently used dropped first."""

    def __init__(self, size: int = MEMO_SIZE):
        self.size = size
        self.results: OrderedDict = OrderedDict()

    def get(self, key):
        if key in self.results:
            self.results.move_to_end(key)
        return self.results.get(key)

    def put(self, key, value) -> None:
        self.results[key] = value
        self.results.move_to_end(key)
        while len(self.results) > self.size:
            self.results.popitem(last=False)


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
            if self._warming:   # at startup, not bounded by the per-request facet time limit
                kwargs.pop("custom_time_limit", None)
            results = await self._datasette.execute(database, sql, params, **kwargs)
            self._memo.put(key, results)
        return results


# ---------------------------------------------------------------- SQL rewrites (exact, immutable database)

SEARCH_WHERE = re.compile(
    r"where rowid in \(select rowid from (?P<fts>\S+) where (?P<lhs>\S+) match (?P<match>escape_fts\(:\w+\)|:\w+)\) $")
COUNT_SQL = re.compile(r"select count\(\*\) from (?P<table>\S+) (?P<where>where .*)?$", re.S)
PAGE_SQL = re.compile(r"select (?P<columns>.+?) from (?P<table>\S+) (?P<where>where rowid in \(.+\) )"
                      r"order by (?P<order>\S+)(?: desc)? limit \d+$", re.S)
COLUMN_FACET_SQL = re.compile(r"\s*select (?P<column>\S+) as value, count\(\*\) as count from \(\s*(?P<sql>.*?)\s*\)\s*"
                              r"where (?P=column) is not null\s*group by (?P=column) order by count desc, value "
                              r"limit (?P<limit>\d+)\s*$", re.S)


@dataclass
class Precomputed:
    """What the site knows of one table of an immutable database, found once at startup."""
    table: str
    rows: int                                   # the table's row count
    first_rowid: int = 0                        # its smallest and largest rowid
    last_rowid: int = 0
    fts: str | None = None                      # its FTS table, when every FTS rowid is a row of the table
    counts: str | None = None                   # <table>_facet_counts: (combo, facet columns..., n)
    combos: str | None = None                   # <table>_facet_rows: (rowid, combo)
    columns: tuple[str, ...] = ()               # the facet columns of `counts`
    values: str | None = None                   # <table>_facet_values: (column_name, combo, value)
    array_columns: frozenset = frozenset()      # the array columns `values` has the items of
    by_value: str | None = None                 # <table>_facet_by_value: the facets of one-value filters
    by_value_filters: frozenset = frozenset()   # its filter columns (text columns: = compares as text)
    by_value_facets: frozenset = frozenset()    # its (kind, column) facets
    walks: dict = field(default_factory=dict)   # order-by column -> whether the +rowid plan walks an index


def precomputed(datasette) -> dict:
    """Also through the wrappers facets see Datasette as (_Memoised, _Precomputing: getattr passes through)."""
    if not hasattr(datasette, PRECOMPUTED_ATTRIBUTE):
        setattr(datasette, PRECOMPUTED_ATTRIBUTE, {})
    return getattr(datasette, PRECOMPUTED_ATTRIBUTE)


async def find_precomputed(datasette) -> None:
    """For each table of each immutable database: its row count, its FTS table if every rowid of that
    is a row of the table (then a search's count is the FTS index's count), its precomputed facet
    tables. Installs the SQL rewrites on the database (rewriting_execute)."""
    found = precomputed(datasette)
    for name, db in datasette.databases.items():
        if db.is_mutable or name.startswith("_"):
            continue
        tables = set(await db.table_names())
        for table in tables:
            counts, combos = table + COUNTS_SUFFIX, table + ROWS_SUFFIX
            meta = datasette.table_metadata(name, table)
            fts = meta.get("fts_table") or await db.fts_table(table)
            if meta.get("fts_pk", "rowid") != "rowid":
                fts = None
            if not fts and not (counts in tables and combos in tables):
                continue
            info = Precomputed(table, *(await db.execute(
                f"select count(*), coalesce(min(rowid), 0), coalesce(max(rowid), 0) from {escape_sqlite(table)}")).rows[0])
            if fts and await fts_rowids_are_rows(db, fts, table):
                info.fts = fts
            if counts in tables and combos in tables:
                columns = [c for c in await db.table_columns(counts) if c not in ("combo", "n")]
                info.counts, info.combos, info.columns = counts, combos, tuple(columns)
                if table + VALUES_SUFFIX in tables:
                    info.values = table + VALUES_SUFFIX
                    info.array_columns = frozenset(r[0] for r in (await db.execute(
                        f"select distinct column_name from {escape_sqlite(info.values)}")).rows)
                if table + BY_VALUE_SUFFIX in tables:
                    await find_by_value(db, info, table + BY_VALUE_SUFFIX)
            found[(name, table)] = info
        if any(key[0] == name for key in found) and not getattr(db, "_openbangkok_rewrites", False):
            db.execute = rewriting_execute(datasette, name, db.execute)
            db._openbangkok_rewrites = True


async def fts_rowids_are_rows(db, fts: str, table: str) -> bool:
    """Every rowid of the FTS index is a row of the table: true by construction of the build, checked."""
    sql = (f"select not exists (select 1 from {escape_sqlite(fts)} "
           f"where rowid not in (select rowid from {escape_sqlite(table)}))")
    try:
        return bool((await db.execute(sql, custom_time_limit=60_000)).rows[0][0])
    except (sqlite3.DatabaseError, QueryInterrupted):
        return False


def rewriting_execute(datasette, database: str, execute):
    """Database.execute answering some of Datasette's table SQL with faster SQL of the same result
    (rewrite()); the original SQL if the rewritten one fails (a filter on a column the precomputed
    table lacks, say)."""

    async def run(sql, params=None, **kwargs):
        better = await rewrite(datasette, database, execute, sql, params) if isinstance(sql, str) else None
        if isinstance(better, Walk):
            try:   # the fastest form, if the matches come soon enough in the index's order
                return await execute(better.exists, params,
                                     **{**kwargs, "custom_time_limit": WALK_TIME_LIMIT_MS, "log_sql_errors": False})
            except (QueryInterrupted, sqlite3.OperationalError):
                better = better.listed
        if better is not None:
            try:
                return await execute(better, params, **{**kwargs, "log_sql_errors": False})
            except sqlite3.OperationalError:
                pass
        return await execute(sql, params, **kwargs)

    return run


def info_for(datasette, database: str, escaped_table: str) -> Precomputed | None:
    for (name, table), info in precomputed(datasette).items():
        if name == database and escape_sqlite(table) == escaped_table:
            return info
    return None


def search_clause(info: Precomputed, where: str):
    """The match of `where` if it is exactly Datasette's ?_search= clause on the table's FTS index."""
    m = SEARCH_WHERE.fullmatch(where or "")
    if m and info.fts and m["fts"] == escape_sqlite(info.fts):
        return m
    return None


ONE_EQUALITY = re.compile(r'\s*where (?P<column>"[^"]+"|\[[^\]]+\]|\w+) = :(?P<param>\w+)\s*')


async def find_by_value(db, info: Precomputed, by_value: str) -> None:
    """The one-value filters and the facets `by_value` answers; a filter column must compare as
    text, as the table's filter does (`= :p0` with a text parameter)."""
    details = {c.name: c.type.upper() for c in await db.table_column_details(info.table)}
    filters = [r[0] for r in (await db.execute(f"select distinct filter_column from {escape_sqlite(by_value)}")).rows]
    info.by_value = by_value
    info.by_value_filters = frozenset(c for c in filters if "CHAR" in details.get(c, "") or "TEXT" in details.get(c, ""))
    info.by_value_facets = frozenset(tuple(r) for r in (await db.execute(
        f"select distinct facet_kind, facet_column from {escape_sqlite(by_value)}")).rows)


def by_value_facets(info: Precomputed, where: str, wanted: tuple) -> tuple[str, list[dict]] | None:
    """(SQL, its parameters) of the `wanted` facets of a page filtered on exactly one value of one
    column, read from the precomputed facets of that value; None when they are not all there."""
    m = ONE_EQUALITY.fullmatch(where or "")
    if not m or not info.by_value or not set(wanted) <= info.by_value_facets:
        return None
    column = m["column"][1:-1] if m["column"][0] in '"[' else m["column"]
    if column not in info.by_value_filters:
        return None
    table = escape_sqlite(info.by_value)
    extra = {"openbangkok_filter_column": column}
    selects = []
    for number, (kind, facet_column) in enumerate(wanted):
        extra[f"openbangkok_kind_{number}"], extra[f"openbangkok_facet_{number}"] = kind, facet_column
        selects.append(f"select {number} as facet, value, n as count from {table} "
                       f"where filter_column = :openbangkok_filter_column and filter_value = :{m['param']} "
                       f"and facet_kind = :openbangkok_kind_{number} and facet_column = :openbangkok_facet_{number}")
    return "\nunion all\n".join(selects), [extra]


def equality_only(info: Precomputed, where: str) -> bool:
    """`where` can be answered from the precomputed counts: no rowid, no search (any other column
    than the counts table's makes the rewritten SQL fail, and the original runs)."""
    return bool(info.counts) and not re.search(r"\browid\b|\bmatch\b|\bjson_each\b", where or "", re.I)


async def rewrite(datasette, database: str, execute, sql: str, params) -> str | None:
    m = COUNT_SQL.fullmatch(sql)
    if m:
        info = info_for(datasette, database, m["table"])
        if info is None:
            return None
        search = search_clause(info, m["where"])
        if search and lever_on("search_sql"):
            # every FTS rowid is a row of the table: the index alone counts the matches
            return f"select count(*) from {search['fts']} where {search['lhs']} match {search['match']}"
        if m["where"] and equality_only(info, m["where"]) and lever_on("precomputed_facets"):
            return f"select coalesce(sum(n), 0) from {escape_sqlite(info.counts)} {m['where']}"
        return None
    m = PAGE_SQL.fullmatch(sql)
    if m and lever_on("search_sql"):
        info = info_for(datasette, database, m["table"])
        search = search_clause(info, m["where"]) if info else None
        if search is None:
            return None
        walked = m["where"].replace("where rowid in", "where +rowid in", 1)
        better = sql.replace(m["where"], walked, 1)
        fts = search["fts"]
        exists = sql.replace(m["where"], f"where exists (select 1 from {fts} where {search['lhs']} match {search['match']} "
                                         f"and {fts}.rowid = {m['table']}.rowid) ", 1)
        order = m["order"]
        if order not in info.walks:   # a property of the schema: does SQLite read the sort's index in order?
            plan = (await execute(f"explain query plan {better}", params)).rows
            details = " ".join(str(r[-1]) for r in plan)
            info.walks[order] = "USING INDEX" in details and "TEMP B-TREE" not in details
        if not info.walks[order]:
            return None
        count = (await execute(f"select count(*) from {search['fts']} where {search['lhs']} match {search['match']}",
                               params)).rows[0][0]
        return Walk(exists, better) if count * WALK_FRACTION >= info.rows else None
    return None


@dataclass
class Walk:
    """A search page read along the sort's index: `exists` asks the search index about each row in turn
    (about 2 ms for a page of a common word), `listed` checks each row against the list of all
    matches (about 18 ms: the list is made first), bounded however late in the order the matches
    come; `exists` is tried under WALK_TIME_LIMIT_MS first."""
    exists: str
    listed: str


async def precomputed_facets(facet, wanted: tuple) -> dict | None:
    """All facets `wanted` ((kind, column), kind "column" or "array") of a facet's rows, from the
    precomputed tables, computed once per request for the page's facet classes; None when they
    cannot answer. Same values, counts, order and limit as Datasette's facet SQL.

    A page filtered on one value of one column reads that value's facets (by_value_facets); other
    filters on the combination columns, and searches, sum the combinations (combination_facets).
    A search counts its matches per combination in SEARCH_PARTS ranges of rowids at once (SQL
    threads on more than one core), each range giving every value's count; the counts are added up,
    ordered as SQLite orders them (count desc, value) and cut at the facet size + 1."""
    info = precomputed(facet.ds).get((facet.database, facet.table))
    if info is None or not info.counts or not lever_on("precomputed_facets"):
        return None
    source = f" from {escape_sqlite(facet.table)} "
    if source not in facet.sql or any(column not in info.columns for _, column in wanted):
        return None
    where = facet.sql[facet.sql.index(source) + len(source):]
    params = dict(facet.params or {})
    found = by_value_facets(info, where, wanted) or combination_facets(info, where, wanted)
    if found is None:
        return None
    sql, extra = found
    parts = [{**params, **part} for part in extra]
    limit = facet.get_facet_size() + 1
    key = (sql, tuple(sorted(params.items())), limit, wanted)
    shared = facet.request.scope.setdefault("openbangkok_facets", {})
    if key not in shared:
        shared[key] = asyncio.ensure_future(_facet_parts(facet, sql, parts, wanted, limit))
    return await asyncio.shield(shared[key])


def combination_facets(info: Precomputed, where: str, wanted: tuple) -> tuple[str, list[dict]] | None:
    """(SQL, the extra parameters of each of its runs) of the `wanted` facets of a search or of
    filters on the combination columns, summed over the precomputed combinations; None otherwise.
    A search runs once per range of rowids (SEARCH_PARTS)."""
    counts, combos = escape_sqlite(info.counts), escape_sqlite(info.combos)
    search = search_clause(info, where)
    if search:
        fts = search["fts"]
        columns = ", ".join(f"c.{escape_sqlite(c)}" for c in info.columns)
        source_sql = (f"select c.combo, {columns}, g.n as n from (select r.combo, count(*) as n from {fts} join {combos} r "
                      f"on r.rowid = {fts}.rowid where {search['lhs']} match {search['match']} "
                      f"and {fts}.rowid >= :openbangkok_from and {fts}.rowid < :openbangkok_to group by r.combo) g "
                      f"join {counts} c on c.combo = g.combo")
        step = (info.last_rowid + 1 - info.first_rowid) // SEARCH_PARTS + 1
        parts = [{"openbangkok_from": info.first_rowid + i * step,
                  "openbangkok_to": info.first_rowid + (i + 1) * step if i < SEARCH_PARTS - 1 else info.last_rowid + 1}
                 for i in range(SEARCH_PARTS)]
    elif equality_only(info, where):
        source_sql = f"select * from {counts} {where}"
        parts = [{}]
    else:
        return None
    selects = []
    for number, (kind, column) in enumerate(wanted):
        col = escape_sqlite(column)
        if kind == "array" and column in info.array_columns:
            inner = (f"select v.value as value, sum(g.n) as count from g cross join {escape_sqlite(info.values)} v "
                     f"on v.column_name = :openbangkok_column_{number} and v.combo = g.combo group by v.value")
            parts = [{**part, f"openbangkok_column_{number}": column} for part in parts]
        elif kind == "array":
            inner = array_facet_sql(column, "select * from g", -1, True, weight="sum(n)")
        else:
            inner = f"select {col} as value, sum(n) as count from g where {col} is not null group by {col}"
        selects.append(f"select {number} as facet, value, count from ({inner})")
    return f"with g as materialized ({source_sql})\n" + "\nunion all\n".join(selects), parts


async def _facet_parts(facet, sql: str, parts: list[dict], wanted: tuple, limit: int) -> dict | None:
    try:
        answers = await asyncio.gather(*(facet.ds.execute(
            facet.database, sql, params, truncate=False, custom_time_limit=facet.ds.setting("facet_time_limit_ms"))
            for params in parts))
    except sqlite3.OperationalError:
        return None
    sums: list[dict] = [defaultdict(int) for _ in wanted]
    for answer in answers:
        for row in answer.rows:
            sums[row["facet"]][row["value"]] += row["count"]
    return {item: [{"value": value, "count": n}
                   for value, n in sorted(sums[i].items(), key=lambda kv: (-kv[1], sqlite_order(kv[0])))[:limit]]
            for i, item in enumerate(wanted)}


def sqlite_order(value):
    """Sort key of a value as SQLite orders values of a column (numbers, then text, then blobs)."""
    return (0 if isinstance(value, (int, float)) else 1 if isinstance(value, str) else 2, value)


def wanted_facets(facet) -> tuple:
    """(kind, column) of every column and array facet of the request and of the table's metadata."""
    wanted = []
    for item in facet.metadata.get("facets", []):
        if isinstance(item, str):
            wanted.append(("column", item))
        elif isinstance(item, dict):
            kind, column = next(iter(item.items()))
            wanted.append(({"simple": "column"}.get(kind, kind), column))
    wanted += [("column", c) for c in facet.request.args.getlist("_facet")]
    wanted += [("array", c) for c in facet.request.args.getlist("_facet_array")]
    return tuple(dict.fromkeys(w for w in wanted if w[0] in ("column", "array")))


class _Precomputing:
    """Datasette as a column facet of a filtered page sees it: its facet SQL answered from
    precomputed_facets() when they can; everything else is the real Datasette."""

    def __init__(self, datasette, facet):
        self._datasette = datasette
        self._facet = facet

    def __getattr__(self, name):
        return getattr(self._datasette, name)

    async def execute(self, database, sql, params=None, **kwargs):
        m = COLUMN_FACET_SQL.fullmatch(sql)
        if m and m["sql"] == self._facet.sql.strip() and int(m["limit"]) == self._facet.get_facet_size() + 1:
            wanted = wanted_facets(self._facet)
            column = next((c for kind, c in wanted if kind == "column" and escape_sqlite(c) == m["column"]), None)
            if column is not None:
                results = await precomputed_facets(self._facet, wanted)
                if results is not None:
                    rows = results[("column", column)]
                    return Results(rows, False, [("value",), ("count",)])
        return await self._datasette.execute(database, sql, params, **kwargs)


async def filter_sql(datasette, request, database: str, table: str, sql: str) -> tuple[str, dict]:
    """The facets' SQL for the rows the page's filters select, without the ?_next= cursor.

    Datasette 0.65 counts the facets of a later page over the rows after that page (so they change
    as one pages on), and those queries cannot use the filter's index: 1.5 s and "facets timed out"
    on page 2 of the million complaints. The facets of page 1 are what a reader expects, and for the
    whole table they are in the memo. The filters are read from the request as the table view reads them.
    """
    from datasette.filters import Filters
    from datasette.plugins import pm
    from datasette.utils import await_me_maybe
    from datasette.views.base import ureg

    args = [(key, value) for key in request.args if not (key.startswith("_") and "__" not in key)
            for value in request.args.getlist(key)]
    units = datasette.table_metadata(database, table).get("units", {})
    where_clauses, params = Filters(sorted(args), units, ureg).build_where_clauses(table)
    for hook in pm.hook.filters_from_request(request=request, table=table, database=database, datasette=datasette):
        arguments = await await_me_maybe(hook)
        if arguments:
            where_clauses.extend(arguments.where_clauses)
            params.update(arguments.params)
    source = f" from {escape_sqlite(table)} "
    select = sql[:sql.index(source)]
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
        return bool(self.table) and not self.params and \
            self.sql.rstrip().endswith(f" from {escape_sqlite(self.table)}")

    def keep_timed_out(self, results: list, timed_out: list, argument: str) -> tuple[list, list]:
        """A facet that ran out of time stays in the answer, empty and marked `timed_out`: Datasette 0.65
        says so on the HTML page only, and a JSON client could not tell it from a facet with no values."""
        sources = {(c["config"].get("column") or c["config"].get("simple")): c["source"] for c in self.get_configs()}
        for column in timed_out:
            results.append({
                "name": column, "type": self.type, "results": [], "truncated": False, "timed_out": True,
                "hideable": sources.get(column) != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {argument: column})),
            })
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
                    rows = Results(shared[("array", column)], False, [("value",), ("count",)])
                else:
                    rows = await self.ds.execute(
                        self.database, array_facet_sql(column, self.sql, facet_size + 1, not self.whole_table()),
                        self.params,
                        truncate=False, custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                    )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:facet_size]:
                value = str(row["value"])
                arg = (f"{column}__arraycontains", value)
                selected = arg in pairs
                path = path_with_removed_args(self.request, {arg[0]: value}) if selected \
                    else path_with_added_args(self.request, {arg[0]: value})
                values.append({"value": value, "label": value, "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, path), "selected": selected})
            results.append({
                "name": column, "type": self.type, "results": values, "hideable": source != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_array": column})),
                "truncated": len(rows) > facet_size,
            })
        return self.keep_timed_out(results, timed_out, "_facet_array")


REPLACEMENTS = {ColumnFacet: SiteColumnFacet, ArrayFacet: SiteArrayFacet}


def replace_facet_classes(classes_per_plugin: list[list[type]]) -> list[list[type]]:
    return [[REPLACEMENTS.get(c, c) for c in classes] for classes in classes_per_plugin]


async def warm_facets(datasette) -> dict[str, float]:
    """Compute the metadata's default facets of every table of every immutable database once, at
    startup, so the first visitor of a large table does not wait for them. Returns seconds per table."""
    import time

    timings = {}
    if not lever_on("facet_memo"):
        return timings
    for name, db in datasette.databases.items():
        if db.is_mutable or name.startswith("_"):
            continue
        tables = set(await db.table_names())
        for table, meta in ((datasette.metadata("tables", database=name) or {}).items()):
            if table not in tables or not meta.get("facets"):
                continue
            started = time.perf_counter()
            columns = ", ".join(escape_sqlite(c) for c in await db.table_columns(table))
            sql = f"select {columns} from {escape_sqlite(table)} "
            request = Request.fake(datasette.urls.table(name, table))
            table_meta = datasette.table_metadata(name, table)
            for cls in (SiteColumnFacet, SiteArrayFacet):
                facet = type("Warming" + cls.__name__, (cls,), {"warming": True})(
                    datasette, request, name, sql=sql, table=table, params={}, metadata=table_meta)
                try:
                    await facet.facet_results()
                except (sqlite3.DatabaseError, QueryInterrupted) as e:   # the page will say so itself
                    print(f"openbangkok.serving: facets of {name}.{table} not precomputed: {e}", file=sys.stderr)
            timings[table] = time.perf_counter() - started
    return timings


async def _stream_arguments(datasette, path: str, args: set[str]) -> list[str]:
    """What a CSV stream lacks: `_size=max`, and `_sort=<primary key>` for a table and no sort."""
    extra = [] if "_size" in args else ["_size=max"]
    parts = path.strip("/").split("/")
    if "_sort" in args or "_sort_desc" in args or len(parts) != 2:
        return extra
    database, table = tilde_decode(parts[0]), tilde_decode(parts[1][:-len(".csv")])
    db = datasette.databases.get(database)
    if db is not None and await db.table_exists(table):
        pks = await db.primary_keys(table)
        if len(pks) == 1:
            extra.append("_sort=" + quote_plus(pks[0]))
    return extra


def stream_csv(app, datasette):
    """ASGI middleware for CSV streams: whole pages of max_returned_rows per query, in primary-key
    order unless the URL sorts, blocks of rows per message."""
    if not lever_on("stream_csv"):
        return app

    async def streaming(scope, receive, send):
        if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
            return await app(scope, receive, send)
        query = scope.get("query_string", b"")
        args = {k for k, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
        if "_stream" not in args:
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


def tune_gc() -> None:
    """After startup: leave the long-lived objects out of collections, collect the young less often."""
    import gc

    if lever_on("gc"):
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLD)
