"""Datasette's SQL answered by faster SQL with exactly the same result, on an immutable database.

Installed on each immutable database at startup by find_precomputed() (openbangkok/hooks/serving.py):
rewrite() answers Datasette's SQL for a search's count and first page, and for the count of
filters on the precomputed columns (equalities, and `?types__arraycontains=` on an array column);
precomputed_facets() answers the facets of a search or of filters. Measured on a 1,000,000-row
complaints table (benchmarks/serve.py, benchmarks/README.md):

- a search's count from the FTS index alone (every FTS rowid is a row: checked at startup);
- a search's page along the sort's index (Walk), stopping after a page of matches;
- facets from datasets/complaints/serving_precomputed.sql (precomputed_facets.py): a page filtered on one value of one
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

import re
import sqlite3
from dataclasses import dataclass, field

from datasette.database import QueryInterrupted

from openbangkok.site import internals
from openbangkok.site.internals import COUNT_SQL, FILTER_PART, PAGE_SQL, SEARCH_WHERE, escape_sqlite, table_metadata
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
WALKS_KEPT = 256
INDEX_IN_PLAN = re.compile(r"USING (?:COVERING )?INDEX (?P<index>\S+)(?: \((?P<bound>[^)]*)\))?")


@dataclass
class Precomputed:
    """What the site knows of one table of an immutable database, found once at startup."""

    table: str
    rows: int  # the table's row count
    first_rowid: int = 0  # its smallest and largest rowid
    last_rowid: int = 0
    fts: str | None = None  # its FTS table, when every FTS rowid is a row of the table
    counts: str | None = None  # <table>_facet_counts: (combo, facet columns..., n)
    combos: str | None = None  # <table>_facet_rows: (rowid, combo)
    columns: tuple[str, ...] = ()  # the facet columns of `counts`
    values: str | None = None  # <table>_facet_values: (column_name, combo, value)
    array_columns: frozenset = frozenset()  # the array columns `values` has the items of
    by_value: str | None = None  # <table>_facet_by_value: the facets of one-value filters
    by_value_filters: frozenset = frozenset()  # its (kind, column) filters: ("column", a text column:
    # = compares as text), ("array", an array column)
    by_value_facets: frozenset = frozenset()  # its (kind, column) facets
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
            info = Precomputed(
                table,
                *(
                    await db.execute(
                        f"select count(*), coalesce(min(rowid), 0), coalesce(max(rowid), 0) from {escape_sqlite(table)}"
                    )
                ).rows[0],
            )
            if fts and await fts_rowids_are_rows(db, fts, table):
                info.fts = fts
            if counts in tables and combos in tables:
                columns = [c for c in await db.table_columns(counts) if c not in ("combo", "n")]
                info.counts, info.combos, info.columns = counts, combos, tuple(columns)
                if table + VALUES_SUFFIX in tables:
                    info.values = table + VALUES_SUFFIX
                    info.array_columns = frozenset(
                        r[0]
                        for r in (
                            await db.execute(f"select distinct column_name from {escape_sqlite(info.values)}")
                        ).rows
                    )
                if table + BY_VALUE_SUFFIX in tables:
                    await find_by_value(db, info, table + BY_VALUE_SUFFIX)
            found[(name, table)] = info
        if any(key[0] == name for key in found):
            internals.wrap_execute(
                db, "rewrites", lambda execute, name=name: rewriting_execute(datasette, name, execute)
            )


async def fts_rowids_are_rows(db, fts: str, table: str) -> bool:
    """Every rowid of the FTS index is a row of the table: true by construction of the build, checked."""
    sql = (
        f"select not exists (select 1 from {escape_sqlite(fts)} "
        f"where rowid not in (select rowid from {escape_sqlite(table)}))"
    )
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
            try:  # the fastest form, if the matches come soon enough in the index's order
                return await execute(
                    better.exists,
                    params,
                    **{**kwargs, "custom_time_limit": WALK_TIME_LIMIT_MS, "log_sql_errors": False},
                )
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
    sql = (
        f"from {fts} join {escape_sqlite(info.combos)} r on r.rowid = {fts}.rowid "
        f"where {search['lhs']} match {search['match']}"
    )
    if search["filters"]:
        sql += f" and r.combo in (select combo from {escape_sqlite(info.counts)} {counts_where(info, 'where ' + search['filters'])})"
    return sql


async def find_by_value(db, info: Precomputed, by_value: str) -> None:
    """The one-value filters and the facets `by_value` answers; a column filter's column must compare
    as text, as the table's filter does (`= :p0` with a text parameter); an array filter's column must
    have its items in the values table."""
    details = {c.name: c.type.upper() for c in await db.table_column_details(info.table)}
    filters = [
        tuple(r)
        for r in (await db.execute(f"select distinct filter_kind, filter_column from {escape_sqlite(by_value)}")).rows
    ]
    info.by_value = by_value
    info.by_value_filters = frozenset(
        (kind, c)
        for kind, c in filters
        if (kind == "column" and ("CHAR" in details.get(c, "") or "TEXT" in details.get(c, "")))
        or (kind == "array" and c in info.array_columns)
    )
    info.by_value_facets = frozenset(
        tuple(r)
        for r in (await db.execute(f"select distinct facet_kind, facet_column from {escape_sqlite(by_value)}")).rows
    )


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
    parts = [FILTER_PART.fullmatch(part) for part in body[len("where ") :].split(" and ")]
    return None if None in parts else parts


def combination_filters(info: Precomputed, where: str) -> bool:
    """`where` is only Datasette's own filters on the precomputed combinations' columns (an array
    filter on a column whose items the values table has), so the counts table answers it exactly
    (counts_where); anything else is left to Datasette's SQL."""
    filters = datasette_filters(where)
    return (
        bool(info.counts)
        and filters is not None
        and all(filter_column(m) in (info.array_columns if m["item"] else info.columns) for m in filters)
    )


def counts_where(info: Precomputed, where: str) -> str:
    """`where` (combination_filters) as a where clause of the counts table: an array filter becomes
    the combinations whose array holds the item (the values table)."""
    values = escape_sqlite(info.values or "")
    return "where " + " and ".join(
        f"combo in (select combo from {values} where column_name = {sql_text(filter_column(m))} "
        f"and value = :{m['item']})"
        if m["item"]
        else m.group(0)
        for m in datasette_filters(where)
    )


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
        return sql.replace(m["where"], "where 0 ", 1)  # the same columns, no row
    if m and lever_on("search_sql"):
        search = search_clause(info, m["where"]) if info else None
        if search is None:
            return None
        clause, fts = search["clause"], search["fts"]
        better = sql.replace(m["where"], m["where"].replace(clause, f"+{clause}", 1), 1)
        exists = sql.replace(
            m["where"],
            m["where"].replace(
                clause,
                (
                    f"exists (select 1 from {fts} where {search['lhs']} match {search['match']} "
                    f"and {fts}.rowid = {m['table']}.rowid)"
                ),
                1,
            ),
            1,
        )
        # a property of the schema and of the filters' columns: does SQLite read an index in the sort's order?
        shape = (m["order"], m["direction"] or "", search["filters"] or "")
        if shape not in info.walks:
            info.walks[shape] = await walks_in_key_order(
                execute, better, params, m["table"], m["order"], bool(m["direction"])
            )
        if not info.walks[shape]:
            return None
        count = (
            await execute(f"select count(*) from {search['fts']} where {search['lhs']} match {search['match']}", params)
        ).rows[0][0]
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
    pk = [
        r[0]
        for r in (
            await execute("select name from pragma_table_info(?) where pk > 0 order by pk", [table.strip('"[]')])
        ).rows
    ]
    bound = found["bound"].count("=") if found["bound"] else 0
    if len(pk) != 1 or len(keys) < bound + 2 or keys[bound][0] != order.strip('"[]') or keys[bound + 1][0] != pk[0]:
        return False
    reverse = bool(keys[bound][1]) != descending  # the index read backwards for this direction
    return bool(keys[bound + 1][1]) == reverse  # then its primary key comes ascending


@dataclass
class Walk:
    """A search page read along the sort's index: `exists` asks the search index about each row in turn
    (fast for a common word), `listed` checks each row against the list of all matches (slower:
    the list is made first; benchmarks/README.md, Serving), bounded however late in the order the matches
    come; `exists` is tried under WALK_TIME_LIMIT_MS first."""

    exists: str
    listed: str
