"""The datasets' SQL files (derived tables, views and their indexes), run on the file being built,
one form for both kinds of build.

    prepare(conn, sources, in_place, previous_db)   temp.<table>_delta for each source table, before
                                                    its dataset's SQL files run
    run(conn, dataset)                              the dataset's SQL files, in file-name order
    finish(conn, sources)                           the temp views dropped, the previous file detached

temp.<table>_delta is what an SQL file counts: the table's rows with `sign` and `row_id` (the rowid)
before the columns. In a full build it is every row (+1), and the dataset's derived tables start
empty; when the build updated the table in place (pipeline.in_place) it is the old version (-1,
read from the published file, attached as PREVIOUS) and the new one (+1) of each row changed, added
or removed, and the dataset's derived tables are those of the published file (`kept_tables`). So an
SQL file of a dataset updated in place adds the delta to its sums and computes again whole what is
not a sum (datasets/complaints/*.sql); a full build is the delta of every row against empty tables.

The build's connection reads through a memory map while the SQL runs (MMAP_BYTES): the files'
CREATE INDEX and GROUP BY passes read the million-row table without a copy of each page.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from openbangkok.model.build_record import SQL_TABLE
from openbangkok.model.catalog import Dataset, Source
from openbangkok.pipeline.in_place import CHANGES

PREVIOUS = "previous_build"  # the published file, attached read-only in spirit: nothing writes to it
DELTA_SUFFIX = "_delta"
KEYS_SUFFIX = "_changed_keys"
MMAP_BYTES = 1 << 40  # the whole file: SQLite maps what it reads, at most the file's size


def keep_changed_keys(conn: sqlite3.Connection, table: str) -> None:
    """Right after `table` was updated in place: the keys in_place.diff() found, kept as
    temp.<table>_changed_keys (its table is the next diff's)."""
    conn.execute(f"drop table if exists temp.[{table}{KEYS_SUFFIX}]")
    conn.execute(f"create table temp.[{table}{KEYS_SUFFIX}] as select key, kind from {CHANGES}")


def kept_tables(conn: sqlite3.Connection, dataset: str) -> set[str]:
    """The tables the dataset's SQL files made in the published file (build_sql.creates): kept in
    an update in place, where the SQL files change them by the delta."""
    found = conn.execute(f"select creates from {SQL_TABLE} where dataset = ?", [dataset]).fetchall()
    return {name for (creates,) in found for name in json.loads(creates)}


def previous_creates(conn: sqlite3.Connection, dataset: str) -> dict[str, list[str]]:
    """{SQL file name: the tables and views it made} in the published file."""
    found = conn.execute(f"select name, creates from {SQL_TABLE} where dataset = ?", [dataset]).fetchall()
    return {name: json.loads(creates) for name, creates in found}


def prepare(conn: sqlite3.Connection, sources: list[Source], in_place: set[str], previous_db: Path | None) -> None:
    """temp.<table>_delta for each source (module docstring); `in_place`: the sources updated in
    place, whose old rows are read from previous_db."""
    if any(s.name in in_place for s in sources):
        conn.execute("attach database ? as " + PREVIOUS, [str(previous_db)])
    for source in sources:
        table, view = source.name, f"temp.[{source.name}{DELTA_SUFFIX}]"
        conn.execute(f"drop view if exists {view}")
        if source.name not in in_place:
            every_row(conn, table)
            continue
        key = source.published_schema["primaryKey"][0]
        keys = f"select key from temp.[{table}{KEYS_SUFFIX}] where kind in "
        conn.execute(
            f"create view {view} as "
            f"select -1 as sign, p.rowid as row_id, p.* from {PREVIOUS}.[{table}] p "
            f"where p.[{key}] in ({keys}('changed', 'removed')) "
            f"union all select 1, m.rowid, m.* from main.[{table}] m where m.[{key}] in ({keys}('changed', 'added'))"
        )


def every_row(conn: sqlite3.Connection, table: str) -> None:
    """temp.<table>_delta of a full build: every row, +1."""
    conn.execute(
        f"create view temp.[{table}{DELTA_SUFFIX}] as select 1 as sign, rowid as row_id, * from main.[{table}]"
    )


def run(conn: sqlite3.Connection, dataset: Dataset, names_in) -> list[tuple[Path, str, set[str]]]:
    """Each SQL file of the dataset run in turn: (file, its text, the tables and views it made).
    names_in(): the tables and views in the file now."""
    done = []
    conn.execute(f"pragma mmap_size = {MMAP_BYTES}")
    try:
        for sql_file in dataset.sql_files:
            before, text = names_in(), sql_file.read_text(encoding="utf-8")
            conn.executescript(text)
            done.append((sql_file, text, names_in() - before))
    finally:
        conn.execute("pragma mmap_size = 0")
    return done


def finish(conn: sqlite3.Connection, sources: list[Source]) -> None:
    for source in sources:
        conn.execute(f"drop view if exists temp.[{source.name}{DELTA_SUFFIX}]")
        conn.execute(f"drop table if exists temp.[{source.name}{KEYS_SUFFIX}]")
    if PREVIOUS in {row[1] for row in conn.execute("pragma database_list")}:
        conn.execute(f"detach database {PREVIOUS}")
