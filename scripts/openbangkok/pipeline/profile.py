"""Column profiles of the published tables, computed in SQL over the built database (as csvstat
reports them: blanks, distinct values, min, max), for the data-quality page.

Blanks, min, max and the longest text value of every column come from one pass over the table (as
csvstat, the longest value is that of text: empty for a column of numbers). Distinct
values are counted exactly by grouping the column, which is cheap where an index starts with the
column (it is read in order) or the table is small. In a large table (LARGE_TABLE rows) a column
without an index is not sorted for this: its distinct values are estimated from a random sample of
SAMPLE_ROWS rows with the Haas-Stokes estimator PostgreSQL's ANALYZE uses for n_distinct, and the
row says so (distinct_estimated = 1). Views are profiled too; virtual tables and FTS shadow tables
are not: they are the search index, not data.

The one pass is most of the time (five aggregates of every column), and it only reads: read_aggregates() runs it on a connection of its own in a thread
(SQLite lets go of the interpreter lock while it runs), over the staging file's copy of the table,
so the build makes the derived tables and indexes on the other core meanwhile (build.py); a table
updated in place is read the same way, as a view of the published file's rows it keeps and the
staged ones (read_view_aggregates).
"""

from __future__ import annotations

import json
import random
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import sqlite_utils

from openbangkok.model.build_record import PROFILE_TABLE

LARGE_TABLE = 200_000
SAMPLE_ROWS = 30_000
SAMPLE_TABLE = "build_profile_sample"


def leading_columns(db: sqlite_utils.Database, table: str) -> set[str]:
    """Columns that an index (or the primary key) of the table starts with; none for a view."""
    if table in db.view_names():
        return set()
    return {i.columns[0] for i in db[table].indexes if i.columns} | set(db[table].pks[:1]) - {"rowid"}


def profiled_tables(db: sqlite_utils.Database, tables) -> list[str]:
    """The tables and views among `tables`, without virtual tables and their shadow tables."""
    kinds = dict(db.execute("select name, type from pragma_table_list where schema = 'main'").fetchall())
    return [t for t in tables if kinds.get(t) in ("table", "view")]


def has_rowid(db: sqlite_utils.Database, table: str) -> bool:
    return table not in db.view_names() and "without rowid" not in db[table].schema.lower()


def exact_distinct(db: sqlite_utils.Database, table: str, column: str) -> int:
    return db.execute(
        f"select count(*) from (select 1 from [{table}] where [{column}] is not null group by [{column}])"
    ).fetchone()[0]


def estimated_distinct(db: sqlite_utils.Database, column: str, values: int) -> int:
    """Haas-Stokes (Duj1) from the sample: n d / (n - f1 + f1 n / N), between d and N."""
    n, d, f1 = db.execute(
        f"select coalesce(sum(k), 0), count(*), coalesce(sum(k = 1), 0) from (select count(*) as k "
        f"from temp.{SAMPLE_TABLE} where [{column}] is not null group by [{column}])"
    ).fetchone()
    if not n or values <= n:
        return d
    return max(d, min(values, round(n * d / (n - f1 + f1 * n / values))))


def take_sample(db: sqlite_utils.Database, table: str, total: int) -> None:
    """SAMPLE_ROWS rows of the table at random (the same ones for the same table and size)."""
    low, high = db.execute(f"select min(rowid), max(rowid) from [{table}]").fetchone()
    rowids = random.Random(f"{table}:{total}").sample(range(low, high + 1), min(SAMPLE_ROWS, high - low + 1))
    db.execute(f"drop table if exists temp.{SAMPLE_TABLE}")
    db.execute(
        f"create temp table {SAMPLE_TABLE} as select * from [{table}] where rowid in (select value from json_each(?))",
        [json.dumps(sorted(rowids))],
    )


def holds_numbers(declared_type: str) -> bool:
    """A column declared INTEGER or REAL (or a name SQLite reads as one: INT, FLOA, DOUB), which holds
    no text, as the build writes the tables."""
    declared = declared_type.upper()
    return any(word in declared for word in ("INT", "REAL", "FLOA", "DOUB"))


def aggregates_sql(conn, table: str) -> str | None:
    """The one pass: rows, then blanks, non-null values, min, max and longest value of each column.

    The longest value is that of text, as csvstat reports it: numbers are not written out as text
    for it (it cost more than the rest of a column's aggregates), and the numbers
    of a column with no declared type (a view's expression) are left out."""
    columns = [row[1:3] for row in conn.execute("select * from pragma_table_info(?)", (table,))]
    if not columns:
        return None
    return (
        "select count(*), "
        + ", ".join(
            f"sum([{c}] is null or [{c}] = ''), count([{c}]), min([{c}]), max([{c}]), "
            + ("null" if holds_numbers(declared) else f"max(length(case when typeof([{c}]) = 'text' then [{c}] end))")
            for c, declared in columns
        )
        + f" from [{table}]"
    )


def aggregates(conn, table: str) -> tuple | None:
    sql = aggregates_sql(conn, table)
    return sql and conn.execute(sql).fetchone()


def read_aggregates(db_path: Path, tables, pool: ThreadPoolExecutor) -> dict[str, Future]:
    """The one pass of each table, read in the background from db_path (where the same rows are
    committed, and no one writes them meanwhile) by a connection of its own: {table: future
    aggregates()}."""

    def read(table: str):
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            return aggregates(conn, table)
        finally:
            conn.close()

    return {table: pool.submit(read, table) for table in tables}


def read_view_aggregates(
    published: Path, staging: Path, views: dict[str, str], alias: str, pool: ThreadPoolExecutor
) -> dict[str, Future]:
    """The one pass of tables updated in place, read in the background as views {table: SQL} over
    the published file (main, which the build does not write: it updates a copy) and the staging
    file (attached as `alias`), each view named as its table: {table: future aggregates()}."""

    def read(table: str, sql: str):
        conn = sqlite3.connect(f"{published.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute(f"attach ? as [{alias}]", (f"{staging.resolve().as_uri()}?mode=ro",))
            conn.execute(f"create temp view [{table}] as {sql}")  # found before main's table of that name
            return aggregates(conn, table)
        finally:
            conn.close()

    return {table: pool.submit(read, table, sql) for table, sql in views.items()}


def profile_rows(db: sqlite_utils.Database, table: str, read: Future | None = None):
    columns = db[table].columns
    if not columns:
        return
    total, *values = read.result() if read else aggregates(db.conn, table)
    if len(values) != 5 * len(columns):  # the table changed after it was read (a dataset's SQL)
        total, *values = aggregates(db.conn, table)
    exact = {c.name for c in columns}
    if total > LARGE_TABLE and has_rowid(db, table):
        exact = leading_columns(db, table)
        take_sample(db, table, total)
    for i, column in enumerate(columns):
        blanks, non_null, lowest, highest, longest = values[5 * i : 5 * i + 5]
        estimated = column.name not in exact
        yield {
            "table_name": table,
            "column_name": column.name,
            "sqlite_type": column.type,
            "rows": total,
            "blanks": blanks or 0,
            "distinct_values": (
                estimated_distinct(db, column.name, non_null) if estimated else exact_distinct(db, table, column.name)
            ),
            "distinct_estimated": int(estimated),
            "min_value": lowest,
            "max_value": highest,
            "max_length": longest,
        }
    db.execute(f"drop table if exists temp.{SAMPLE_TABLE}")


def record_profiles(db: sqlite_utils.Database, tables, read: dict[str, Future] | None = None) -> None:
    """Profiles of `tables`; `read`: the one pass of some of them, from read_aggregates()."""
    read = read or {}
    rows = [row for table in profiled_tables(db, tables) for row in profile_rows(db, table, read.get(table))]
    db[PROFILE_TABLE].insert_all(rows, pk=("table_name", "column_name"), replace=True, alter=True)
