"""Facets answered from the precomputed tables (datasets/complaints/serving_precomputed.sql) with
exactly Datasette's values, counts, order and limit: a page filtered on one value of one column
reads that value's facets (by_value_facets); other filters on the combination columns, and
searches, sum the precomputed combinations (combination_facets); all of a page's facets in one
query, shared by its facet classes. What the site found of the tables at startup, and how filters
and searches are recognised, is rewrites.py's; tests/test_serving_rewrites.py compares every
answer with Datasette's.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import defaultdict

from openbangkok.site import internals
from openbangkok.site.internals import COLUMN_FACET_SQL, escape_sqlite
from openbangkok.site.levers import lever_on
from openbangkok.site.serving.rewrites import (
    Precomputed,
    combination_filters,
    counts_where,
    datasette_filters,
    filter_column,
    filter_param,
    precomputed,
    search_clause,
    search_matches,
)

SEARCH_PARTS = 2  # rowid ranges a search's facets are counted in at once (one per core)


def array_facet_sql(column: str, sql: str, limit: int, filtered: bool = True, weight: str = "count(*)") -> str:
    """Values of the JSON-array `column` over the rows of `sql`, each row counted once per value.

    For a filter, `+column` keeps SQLite from grouping in the order of an index on the column: it
    did so rather than use the filter's index, reading the whole table (benchmarks/README.md, Figures
    behind the code's comments). For the whole table that order is the fast way.
    `weight`: what one row of `sql` counts for (`sum(n)` over precomputed counts).
    """
    col = escape_sqlite(column)
    group = f"+{col}" if filtered else col
    return f"""select j.value as value, sum(g.n) as count
from (select {col} as array, {weight} as n from ({sql}) where {group} is not null group by {group}) g
join json_each(g.array) j
where not exists (select 1 from json_each(g.array) k where k.value = j.value and k.id < j.id)
group by j.value order by count desc, value limit {limit}"""


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
        selects.append(
            f"select {number} as facet, value, n as count from {table} "
            f"where filter_column = :openbangkok_filter_column and filter_kind = :openbangkok_filter_kind "
            f"and filter_value = :{filter_param(m)} "
            f"and facet_kind = :openbangkok_kind_{number} and facet_column = :openbangkok_facet_{number}"
        )
    return "\nunion all\n".join(selects), [extra]


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
    where = facet.sql[facet.sql.index(source) + len(source) :]
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
        source_sql = (
            f"select c.combo, {columns}, g.n as n from (select r.combo, count(*) as n {search_matches(info, search)} "
            f"and {fts}.rowid >= :openbangkok_from and {fts}.rowid < :openbangkok_to group by r.combo) g "
            f"join {counts} c on c.combo = g.combo"
        )
        step = (info.last_rowid + 1 - info.first_rowid) // SEARCH_PARTS + 1
        parts = [
            {
                "openbangkok_from": info.first_rowid + i * step,
                "openbangkok_to": info.first_rowid + (i + 1) * step if i < SEARCH_PARTS - 1 else info.last_rowid + 1,
            }
            for i in range(SEARCH_PARTS)
        ]
    elif combination_filters(info, where):
        source_sql = f"select * from {counts} {counts_where(info, where)}"
        parts = [{}]
    else:
        return None
    selects = []
    for number, (kind, column) in enumerate(wanted):
        col = escape_sqlite(column)
        if kind == "array" and column in info.array_columns:
            inner = (
                f"select v.value as value, sum(g.n) as count from g cross join {escape_sqlite(info.values)} v "
                f"on v.column_name = :openbangkok_column_{number} and v.combo = g.combo group by v.value"
            )
            parts = [{**part, f"openbangkok_column_{number}": column} for part in parts]
        elif kind == "array":
            inner = array_facet_sql(column, "select * from g", -1, True, weight="sum(n)")
        else:
            inner = f"select {col} as value, sum(n) as count from g where {col} is not null group by {col}"
        selects.append(f"select {number} as facet, value, count from ({inner})")
    return f"with g as materialized ({source_sql})\n" + "\nunion all\n".join(selects), parts


async def _facet_parts(facet, sql: str, parts: list[dict], wanted: tuple, limit: int) -> dict | None:
    try:
        answers = await asyncio.gather(
            *(
                facet.ds.execute(
                    facet.database,
                    sql,
                    params,
                    truncate=False,
                    custom_time_limit=facet.ds.setting("facet_time_limit_ms"),
                )
                for params in parts
            )
        )
    except sqlite3.OperationalError:
        return None
    sums: list[dict] = [defaultdict(int) for _ in wanted]
    for answer in answers:
        for row in answer.rows:
            sums[row["facet"]][row["value"]] += row["count"]
    return {
        item: [
            {"value": value, "count": n}
            for value, n in sorted(sums[i].items(), key=lambda kv: (-kv[1], sqlite_order(kv[0])))[:limit]
        ]
        for i, item in enumerate(wanted)
    }


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
                    return internals.facet_rows(rows)
        return await self._datasette.execute(database, sql, params, **kwargs)
