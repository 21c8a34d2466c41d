"""Incremental within a dataset: the rows of a table that changed since the published file was
built, and those changes applied to it in place instead of loading the table again.

    diff(conn, table, key, columns)      the keys added, changed and removed: the staged table
                                         (attached as stage.STAGING) against the published one
    apply(conn, table, key, columns, changes)   the published table made equal to the staged one:
                                         removed rows deleted, changed rows updated where they are
                                         (their rowids kept), added rows inserted in file order

A source is updated in place (`in_place_sources`) when its adapter can do it (an `update` function
beside the Adapter protocol's two: it also keeps its search index up to date), the published file
already holds its table declared exactly as the table would be created now, and its dataset's SQL
files are those the published file was built with; otherwise it is loaded again as before.

Imports model/ and the pipeline's stage only: adapters call diff() and apply().
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from openbangkok.model.build_record import SQL_TABLE
from openbangkok.model.catalog import Catalog, Source
from openbangkok.pipeline.stage import STAGING, create_table

CHANGES = "temp.changed_keys"  # the keys diff() found, by kind: apply() reads them


@dataclass
class Changes:
    """The keys of the rows added, changed and removed in one table (the comparison a build's
    record of its changes can be made from)."""

    added: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    copied: int = 0  # rows the adapter left as published, their records unchanged (not staged)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def diff(conn: sqlite3.Connection, table: str, key: str, columns: list[str], unchanged: str = "") -> Changes:
    """The staged table `table` (STAGING) against the published one (main), row by row by `key`:
    a row is changed when any column differs (NULL equal to NULL). `unchanged`: the name of a
    staging table of the keys (column `key`) of published rows left as they are (not staged, not
    removed). The keys are also left in CHANGES for apply()."""
    differs = " or ".join(f"m.[{c}] is not s.[{c}]" for c in columns if c != key)
    conn.execute(f"drop table if exists {CHANGES}")
    conn.execute(f"create table {CHANGES} (key primary key, kind text not null) without rowid")
    conn.execute(
        f"insert into {CHANGES} select s.[{key}], 'added' from {STAGING}.[{table}] s "
        f"where not exists (select 1 from main.[{table}] m where m.[{key}] = s.[{key}])"
    )
    conn.execute(
        f"insert into {CHANGES} select s.[{key}], 'changed' from {STAGING}.[{table}] s "
        f"join main.[{table}] m on m.[{key}] = s.[{key}] where ({differs or '0'})"
    )
    if removed_any(conn, table, unchanged):
        kept = f" and not exists (select 1 from {STAGING}.[{unchanged}] u where u.[{key}] = m.[{key}])"
        conn.execute(
            f"insert into {CHANGES} select m.[{key}], 'removed' from main.[{table}] m "
            f"where not exists (select 1 from {STAGING}.[{table}] s where s.[{key}] = m.[{key}])"
            + (kept if unchanged else "")
        )
    changes = Changes()
    for value, kind in conn.execute(f"select key, kind from {CHANGES} order by kind, key"):
        getattr(changes, kind).append(value)
    return changes


def removed_any(conn: sqlite3.Connection, table: str, unchanged: str) -> bool:
    """Whether some published row is neither staged nor left unchanged (called once the added keys
    are in CHANGES): counted first, as a count reads the key's index in order where finding which
    rows costs two searches a row."""
    (published,) = conn.execute(f"select count(*) from main.[{table}]").fetchone()
    (staged,) = conn.execute(f"select count(*) from {STAGING}.[{table}]").fetchone()
    (added,) = conn.execute(f"select count(*) from {CHANGES} where kind = 'added'").fetchone()
    left = conn.execute(f"select count(*) from {STAGING}.[{unchanged}]").fetchone()[0] if unchanged else 0
    return published != staged - added + left


def keys_of(*kinds: str) -> str:
    """SQL: the keys diff() found of these kinds."""
    return f"select key from {CHANGES} where kind in ({', '.join(repr(k) for k in kinds)})"


def apply(conn: sqlite3.Connection, table: str, key: str, columns: list[str]) -> None:
    """The changes diff() found applied to main.`table`: afterwards it holds the staged rows (and
    the rows diff() was told are unchanged)."""
    names = ", ".join(f"[{c}]" for c in columns)
    conn.execute(f"delete from main.[{table}] where [{key}] in ({keys_of('removed')})")
    others = [c for c in columns if c != key]
    if others:
        listed = ", ".join(f"[{c}]" for c in others)
        # a row value from the staged row, each found by its key (UPDATE ... FROM let the planner
        # choose to read the whole published table)
        conn.execute(
            f"update main.[{table}] set ({listed}) = (select {listed} from {STAGING}.[{table}] s "
            f"where s.[{key}] = main.[{table}].[{key}]) where [{key}] in ({keys_of('changed')})"
        )
    conn.execute(
        f"insert into main.[{table}] ({names}) select {names} from {STAGING}.[{table}] "
        f"where [{key}] in ({keys_of('added')}) order by rowid"
    )


def declared_sql(source: Source) -> str:
    """The CREATE TABLE statement the build would make for the source's published table now."""
    scratch = sqlite3.connect(":memory:")
    try:
        for fk in source.published_schema.get("foreignKeys", []):  # the tables it points at, as stand-ins
            other = fk["reference"].get("resource") or source.name
            if other != source.name:
                columns = ", ".join(f"[{c}]" for c in fk["reference"]["fields"])
                scratch.execute(f"create table if not exists [{other}] ({columns})")
        create_table(sqlite_utils.Database(scratch), source.published_schema, source.name)
        return scratch.execute("select sql from sqlite_master where name = ?", (source.name,)).fetchone()[0]
    finally:
        scratch.close()


def in_place_sources(catalog: Catalog, published: Path, rebuilt: set[str], can_update) -> set[str]:
    """The sources of the rebuilt datasets the build may update in place in a copy of `published`;
    can_update(source) says whether its adapter can."""
    candidates = [s for s in catalog.sources if s.dataset in rebuilt and can_update(s)]
    if not candidates or not published.exists():
        return set()
    conn = sqlite3.connect(f"file:{published}?mode=ro", uri=True)
    try:
        tables = dict(conn.execute("select name, sql from sqlite_master where type = 'table'").fetchall())
        if SQL_TABLE not in tables:
            return set()
        scripts = {
            (dataset, name): sql for dataset, name, sql in conn.execute(f"select dataset, name, sql from {SQL_TABLE}")
        }
    finally:
        conn.close()
    result = set()
    for source in candidates:
        dataset = next(d for d in catalog.datasets if d.name == source.dataset)
        now = {(dataset.name, f.stem): f.read_text(encoding="utf-8") for f in dataset.sql_files}
        then = {k: v for k, v in scripts.items() if k[0] == dataset.name}
        if tables.get(source.name) == declared_sql(source) and now == then:
            result.add(source.name)
    return result
