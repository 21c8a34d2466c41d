"""Pages sorted on a column with repeated values: every row once, page after page.

Datasette 0.65 orders a table page sorted with `?_sort=` or `?_sort_desc=` (or a `sort` in the
metadata) by that column alone on the first page, and by the column then the primary key on the
pages its `_next` links lead to. Rows of equal value came in one order on page 1 and in another
from page 2 on, so some were shown twice and others never, in the browser and in CSV exports
(policy_updates sorted by report_month lost and repeated rows). installed() makes the first page
sort like the next ones: the primary key (or rowid) is added to its ORDER BY.

The key is added as `+key`, the same order: as a bare column it let SQLite walk an index that
holds the key and read each row through it, seconds for a first page of the million complaints
(benchmarks/README.md, Serving: the first page of a sort).
"""

from __future__ import annotations

from openbangkok.site import internals
from openbangkok.site.internals import FIRST_PAGE_SQL, escape_sqlite
from openbangkok.site.levers import lever_on
from openbangkok.site.memo import Memo

KNOWN_TABLES = 256


def unescaped(name: str) -> str:
    """The name escape_sqlite() wrote as `name`."""
    if name.startswith("[") and name.endswith("]"):
        return name[1:-1]
    if name.startswith('"') and name.endswith('"'):
        return name[1:-1].replace('""', '"')
    return name


async def tie_breaker(db, table: str) -> list[str] | None:
    """What Datasette's next pages of `table` add to the sort: its primary keys, rowid when it has
    none (escaped as Datasette does); None for a view (its pages are offsets)."""
    if not await db.table_exists(table):
        return None
    return [escape_sqlite(pk) for pk in await db.primary_keys(table)] or ["rowid"]


def installed(db):
    """`db.execute` with the primary key added to the sort of a first page (see the module's text)."""
    internals.wrap_execute(db, "tie_breaker", lambda execute: breaking_ties(db, execute))
    return db


def breaking_ties(db, execute):
    known = Memo(KNOWN_TABLES)  # an immutable database's tables do not change; names come from SQL

    async def run(sql, params=None, **kwargs):
        m = FIRST_PAGE_SQL.fullmatch(sql) if isinstance(sql, str) and lever_on("tie_breaker") else None
        if m:
            table = unescaped(m["table"])
            tie = known[table] if table in known else await tie_breaker(db, table)
            if not db.is_mutable:
                known[table] = tie
            if tie and tie != [m["order"]]:
                end = m.end("direction") if m["direction"] else m.end("order")
                sql = sql[:end] + "".join(f", +{key}" for key in tie) + sql[end:]
        return await execute(sql, params, **kwargs)

    run.known = known
    return run
