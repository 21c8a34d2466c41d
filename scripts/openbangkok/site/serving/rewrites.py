"""Datasette's SQL answered by faster SQL with exactly the same result, on an immutable database.

Installed on each immutable database at startup by find_precomputed() (openbangkok/hooks/serving.py):
rewrite() answers Datasette's SQL for a search's count and first page, and for the count of
filters on the precomputed columns (equalities, and `?types__arraycontains=` on an array column);
precomputed_facets() answers the facets of a search or of filters. Measured on a 1,000,000-row
complaints table (benchmarks/serve.py, benchmarks/README.md):

- a search's count from the FTS index alone (every FTS rowid is a row: checked at startup);
- a search's page along the sort's index (Walk), stopping after a page of matches;
- facets from datasets/complaints/serving_precomputed.sql: a page filtered on one value of one
  column, or on one item of an array column, reads that value's facets (by_value_facets); other
  filters on the combination columns and searches sum the precomputed (district, state, types)
  combinations (combination_facets); all of a page's facets in one query, shared by its facet
  classes. An array filter reads the combinations that hold the item (complaints_facet_values);
- a page whose filters the combinations answer and no row passes (an array item no ticket has)
  is empty at once, instead of reading every row's array newest first.

A rewritten statement that fails falls back to Datasette's own; tests/test_serving_rewrites.py
compares every answer with Datasette's.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

from datasette.database import QueryInterrupted, Results
from datasette.utils import escape_sqlite

from openbangkok.site.internals import COLUMN_FACET_SQL, COUNT_SQL, FILTER_PART, PAGE_SQL, SEARCH_WHERE, table_metadata
from openbangkok.site.levers import lever_on
from openbangkok.site.memo import Memo

PRECOMPUTED_ATTRIBUTE = "_openbangkok_precomputed"
COUNTS_SUFFIX, ROWS_SUFFIX, VALUES_SUFFIX = "_facet_counts", "_facet_rows", "_facet_values"  # serving_precomputed.sql
BY_VALUE_SUFFIX = "_facet_by_value"
# A search page is read newest first along the sort column's index (stopping after one page of matches)
# when at least 1 row in WALK_FRACTION matches: then about WALK_FRACTION x page size index entries are
# read. Rarer words: the matches are fetched by rowid and sorted, as Datasette's SQL does.
WALK_FRACTION = 200
WALK_TIME_LIMIT_MS = 40
SEARCH_PARTS = 2          # rowid ranges a search's facets are counted in at once (one per core)
WALKS_KEPT = 256


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


INDEX_IN_PLAN = re.compile(r"USING (?:COVERING )?INDEX (?P<index>\S+)(?: \((?P<bound>[^)]*)\))?")


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
    by_value_filters: frozenset = frozenset()   # its (kind, column) filters: ("column", a text column:
                                                # = compares as text), ("array", an array column)
    by_value_facets: frozenset = frozenset()    # its (kind, column) facets
    # (order-by column, filters) -> whether the +rowid plan walks an index; filters may be ?_where= text
    walks: Memo = field(default_factory=lambda: Memo(WALKS_KEPT))


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
            meta = table_metadata(datasette, name, table)
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
    """The match of `where` if it is exactly Datasette's ?_search= clause on the table's FTS index,
    alone or after filters on the precomputed combinations' columns (m["filters"])."""
    m = SEARCH_WHERE.fullmatch(where or "")
    if not m or not info.fts or m["fts"] != escape_sqlite(info.fts):
        return None
    if m["filters"] and not combination_filters(info, f"where {m['filters']}"):
        return None
    return m


def search_matches(info: Precomputed, search) -> str:
    """The FTS rows a search matches (`fts.rowid`) with their combinations (`r.combo`), only those
    of combinations that pass the search's filters (any column but the combinations' makes it fail)."""
    fts = search["fts"]
    sql = (f"from {fts} join {escape_sqlite(info.combos)} r on r.rowid = {fts}.rowid "
           f"where {search['lhs']} match {search['match']}")
    if search["filters"]:
        sql += f" and r.combo in (select combo from {escape_sqlite(info.counts)} {counts_where(info, 'where ' + search['filters'])})"
    return sql


async def find_by_value(db, info: Precomputed, by_value: str) -> None:
    """The one-value filters and the facets `by_value` answers; a column filter's column must compare
    as text, as the table's filter does (`= :p0` with a text parameter); an array filter's column must
    have its items in the values table."""
    details = {c.name: c.type.upper() for c in await db.table_column_details(info.table)}
    filters = [tuple(r) for r in (await db.execute(
        f"select distinct filter_kind, filter_column from {escape_sqlite(by_value)}")).rows]
    info.by_value = by_value
    info.by_value_filters = frozenset(
        (kind, c) for kind, c in filters
        if (kind == "column" and ("CHAR" in details.get(c, "") or "TEXT" in details.get(c, "")))
        or (kind == "array" and c in info.array_columns))
    info.by_value_facets = frozenset(tuple(r) for r in (await db.execute(
        f"select distinct facet_kind, facet_column from {escape_sqlite(by_value)}")).rows)


def by_value_facets(info: Precomputed, where: str, wanted: tuple) -> tuple[str, list[dict]] | None:
    """(SQL, its parameters) of the `wanted` facets of a page filtered on exactly one value of one
    column, read from the precomputed facets of that value; None when they are not all there."""
    filters = datasette_filters(where)
    if not filters or len(filters) != 1 or not info.by_value or not set(wanted) <= info.by_value_facets:
        return None
    m = filters[0]
    kind = "array" if m["item"] else "column" if m["op"] == "=" else None
    if (kind, filter_column(m)) not in info.by_value_filters:
        return None
    table = escape_sqlite(info.by_value)
    extra = {"openbangkok_filter_column": filter_column(m), "openbangkok_filter_kind": kind}
    selects = []
    for number, (kind, facet_column) in enumerate(wanted):
        extra[f"openbangkok_kind_{number}"], extra[f"openbangkok_facet_{number}"] = kind, facet_column
        selects.append(f"select {number} as facet, value, n as count from {table} "
                       f"where filter_column = :openbangkok_filter_column and filter_kind = :openbangkok_filter_kind "
                       f"and filter_value = :{filter_param(m)} "
                       f"and facet_kind = :openbangkok_kind_{number} and facet_column = :openbangkok_facet_{number}")
    return "\nunion all\n".join(selects), [extra]


def unquoted(column: str) -> str:
    return column[1:-1] if column[0] in '"[' else column


def filter_column(m: re.Match) -> str:
    """The column a FILTER_PART match filters (unquoted)."""
    return unquoted(m["column"] or m["array_column"])


def filter_param(m: re.Match) -> str:
    return m["param"] or m["item"]


def datasette_filters(where: str | None) -> list[re.Match] | None:
    """The clauses of `where` if it is only Datasette's own filter clauses, else None: `_where=` text,
    rowid or oid, a function of a column or a blank test are not."""
    body = (where or "").strip()
    if not body.startswith("where "):
        return None
    parts = [FILTER_PART.fullmatch(part) for part in body[len("where "):].split(" and ")]
    return None if None in parts else parts


def combination_filters(info: Precomputed, where: str) -> bool:
    """`where` is only Datasette's own filters on the precomputed combinations' columns (an array
    filter on a column whose items the values table has), so the counts table answers it exactly
    (counts_where); anything else is left to Datasette's SQL."""
    filters = datasette_filters(where)
    return bool(info.counts) and filters is not None and all(
        filter_column(m) in (info.array_columns if m["item"] else info.columns) for m in filters)


def counts_where(info: Precomputed, where: str) -> str:
    """`where` (combination_filters) as a where clause of the counts table: an array filter becomes
    the combinations whose array holds the item (the values table)."""
    values = escape_sqlite(info.values or "")
    return "where " + " and ".join(
        f"combo in (select combo from {values} where column_name = {sql_text(filter_column(m))} "
        f"and value = :{m['item']})" if m["item"] else m.group(0)
        for m in datasette_filters(where))


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def rewrite(datasette, database: str, execute, sql: str, params) -> str | None:
    m = COUNT_SQL.fullmatch(sql)
    if m:
        info = info_for(datasette, database, m["table"])
        if info is None:
            return None
        search = search_clause(info, m["where"])
        if search and not search["filters"] and lever_on("search_sql"):
            # every FTS rowid is a row of the table: the index alone counts the matches
            return f"select count(*) from {search['fts']} where {search['lhs']} match {search['match']}"
        if search and lever_on("search_sql") and lever_on("precomputed_facets"):
            # a search and filters: the matches whose combination passes the filters
            return f"select count(*) {search_matches(info, search)}"
        if m["where"] and combination_filters(info, m["where"]) and lever_on("precomputed_facets"):
            return f'select coalesce(sum(n), 0) as "count(*)" from {escape_sqlite(info.counts)} {counts_where(info, m["where"])}'
        return None
    m = PAGE_SQL.fullmatch(sql)
    info = info_for(datasette, database, m["table"]) if m else None
    if info is not None and lever_on("precomputed_facets") and await passes_none(execute, info, m["where"], params):
        return sql.replace(m["where"], "where 0 ", 1)   # the same columns, no row
    if m and lever_on("search_sql"):
        search = search_clause(info, m["where"]) if info else None
        if search is None:
            return None
        clause, fts = search["clause"], search["fts"]
        better = sql.replace(m["where"], m["where"].replace(clause, f"+{clause}", 1), 1)
        exists = sql.replace(m["where"], m["where"].replace(clause, (
            f"exists (select 1 from {fts} where {search['lhs']} match {search['match']} "
            f"and {fts}.rowid = {m['table']}.rowid)"), 1), 1)
        # a property of the schema and of the filters' columns: does SQLite read an index in the sort's order?
        shape = (m["order"], m["direction"] or "", search["filters"] or "")
        if shape not in info.walks:
            info.walks[shape] = await walks_in_key_order(execute, better, params, m["table"], m["order"],
                                                         bool(m["direction"]))
        if not info.walks[shape]:
            return None
        count = (await execute(f"select count(*) from {search['fts']} where {search['lhs']} match {search['match']}",
                               params)).rows[0][0]
        return Walk(exists, better) if count * WALK_FRACTION >= info.rows else None
    return None


async def passes_none(execute, info: Precomputed, where: str, params) -> bool:
    """No row passes `where`, an array filter among filters the combinations answer: read in the
    counts (Datasette's page would read every row's array, newest first, to find none)."""
    filters = datasette_filters(where)
    if not filters or not any(m["item"] for m in filters) or not combination_filters(info, where):
        return False
    sql = f"select not exists (select 1 from {escape_sqlite(info.counts)} {counts_where(info, where)})"
    return bool((await execute(sql, params)).rows[0][0])


async def walks_in_key_order(execute, sql: str, params, table: str, order: str, descending: bool) -> bool:
    """Whether SQLite reads `sql` (a page with the search as `+rowid in (...)`) along an index, with no
    sort of its own, that gives rows of equal `order` in ascending primary-key order: the order
    Datasette's next-page links assume (`... or (col = :v and pk > :p)`). Only then is the page
    walked; Datasette's own plan (the matches sorted) is used otherwise."""
    plan = " ".join(str(r[-1]) for r in (await execute(f"explain query plan {sql}", params)).rows)
    found = INDEX_IN_PLAN.search(plan)
    if not found or "TEMP B-TREE" in plan:
        return False
    name = found["index"].strip('"[]')
    keys = [(r[2], r[3]) for r in (await execute("select * from pragma_index_xinfo(?)", [name])).rows if r[5]]
    pk = [r[0] for r in (await execute("select name from pragma_table_info(?) where pk > 0 order by pk",
                                       [table.strip('"[]')])).rows]
    bound = found["bound"].count("=") if found["bound"] else 0
    if len(pk) != 1 or len(keys) < bound + 2 or keys[bound][0] != order.strip('"[]') or keys[bound + 1][0] != pk[0]:
        return False
    reverse = bool(keys[bound][1]) != descending        # the index read backwards for this direction
    return bool(keys[bound + 1][1]) == reverse          # then its primary key comes ascending


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
    counts = escape_sqlite(info.counts)
    search = search_clause(info, where)
    if search:
        fts = search["fts"]
        columns = ", ".join(f"c.{escape_sqlite(c)}" for c in info.columns)
        source_sql = (f"select c.combo, {columns}, g.n as n from (select r.combo, count(*) as n {search_matches(info, search)} "
                      f"and {fts}.rowid >= :openbangkok_from and {fts}.rowid < :openbangkok_to group by r.combo) g "
                      f"join {counts} c on c.combo = g.combo")
        step = (info.last_rowid + 1 - info.first_rowid) // SEARCH_PARTS + 1
        parts = [{"openbangkok_from": info.first_rowid + i * step,
                  "openbangkok_to": info.first_rowid + (i + 1) * step if i < SEARCH_PARTS - 1 else info.last_rowid + 1}
                 for i in range(SEARCH_PARTS)]
    elif combination_filters(info, where):
        source_sql = f"select * from {counts} {counts_where(info, where)}"
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
