"""Staging: the SQLite database a resource's rows are written into once they are read and checked,
and from which the build copies them into the published file.

`Staged` is what a pass over the resources (check.validate) leaves behind: the staging database,
the report, per-table statistics, and, for a build only, the search indexes started in the
background. It is also what an adapter is handed to stage its own format with (the Adapter
protocol, openbangkok.adapters), with the helpers here: the staging table of a Table Schema, the
problem of a file without rows, and the copy of a staged table into its published one.

Imports model/ and the pipeline's search_index only: adapters import this module, so it imports no
adapter and nothing that calls one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from openbangkok.model.catalog import Source
from openbangkok.model.problems import Problem, Report
from openbangkok.model.sql_functions import register
from openbangkok.model.sqlite_types import column_types
from openbangkok.pipeline.search_index import SearchIndex

ROW_COLUMN = "_source_row"  # each staged row's row in its file (header = 1), for problems and file order
STAGING = "staging"  # the staging database, as the build attaches it to the published file
PREVIOUS = "previous"  # the published file, as an incremental build attaches it to the staging database


@dataclass
class Staged:
    """What staging leaves for the build: a staging database and per-table statistics."""

    db_path: Path
    report: Report = field(default_factory=Report)
    stats: dict[str, dict] = field(default_factory=dict)
    progress: Callable[[str, int, int], None] = lambda table, done, total: None  # (table, done, total)
    for_build: bool = False  # staged for a build: search indexes are built too (search_index())
    # Work left running in the background for the build (a search index): objects with
    # complete(db_path), called once the rest of the database is written, and wait(), called when
    # the build stops early.
    deferred: list = field(default_factory=list)
    # Staged tables an adapter publishes record for record (insert ... select *): the build reads
    # their column profiles from here, in the background, while it writes the published file.
    as_published: set[str] = field(default_factory=set)
    # Tables updated in place: the SQL of their rows as the update leaves them, over the published
    # file (main) and the staging file (STAGING), for the same background read of their profiles.
    profile_views: dict[str, str] = field(default_factory=dict)
    # Sources the build updates in place (pipeline.in_place): only what may have changed is staged,
    # and their search index is not built again (their adapter's update() changes its entries).
    updated_in_place: set[str] = field(default_factory=set)
    previous_db: Path | None = None  # the published file an incremental build starts from (attached as PREVIOUS)

    def search_index(self, fts: str, create_sql: str, read_sql: str, insert_sql: str) -> SearchIndex | None:
        """A search index built in the background from the rows as they are staged, for a build only
        (None when only checking): openbangkok.pipeline.search_index."""
        if not self.for_build:
            return None
        return SearchIndex(self.db_path.parent / f"{fts}.db", self.db_path, fts, create_sql, read_sql, insert_sql)


def open_staging(path: Path) -> sqlite_utils.Database:
    path.unlink(missing_ok=True)
    # URI file names, so that the published database can be attached read-only (attach_read_only)
    db = sqlite_utils.Database(sqlite3.connect(path.resolve().as_uri(), uri=True))
    # large pages: a million staged rows are written in 30,000 pages instead of 500,000 (each
    # written to the write-ahead log with its own checksum while the search index reads them)
    db.conn.execute("pragma page_size = 65536")
    db.conn.execute("pragma journal_mode = off")
    db.conn.execute("pragma synchronous = off")
    register(db.conn)
    return db


def attach_read_only(db: sqlite_utils.Database, alias: str, path: Path) -> None:
    """`path` attached so that nothing done on the connection can write it (the published database,
    which a running server holds open and a failed build must leave as it was): an unqualified
    DROP or PRAGMA meant for the staging database fails instead of reaching it."""
    db.execute(f"attach ? as [{alias}]", [f"{Path(path).resolve().as_uri()}?mode=ro"])


def no_data_rows(display: str) -> Problem:
    """A file with a header and no rows is refused: it would replace the published rows with none."""
    return Problem(
        display,
        None,
        None,
        "table-dimensions",
        "the file has a header but no data rows: export the rows too "
        "(or mark the resource allowEmpty in its descriptor)",
        "ไฟล์มีแต่หัวตาราง ไม่มีข้อมูล กรุณาส่งออกข้อมูลด้วย",
    )


def stage_table(db: sqlite_utils.Database, source: Source, schema: dict) -> sqlite_utils.db.Table:
    """The staging table of a resource: its schema's columns, and the row of the file each row is."""
    columns = {ROW_COLUMN: int, **column_types(schema)}
    return db[source.name].create(columns, replace=True)


def create_table(db: sqlite_utils.Database, schema: dict, name: str) -> sqlite_utils.db.Table:
    """A table as its Table Schema declares it: types, primary key, required columns, foreign keys."""
    fields = schema.get("fields", [])
    pk = schema.get("primaryKey")
    foreign_keys = [
        (fk["fields"][0], fk["reference"]["resource"] or name, fk["reference"]["fields"][0])
        for fk in schema.get("foreignKeys", [])
        if len(fk["fields"]) == 1
    ]
    return db[name].create(
        column_types(schema),
        pk=(pk[0] if isinstance(pk, list) and len(pk) == 1 else tuple(pk) if pk else None),
        not_null={f["name"] for f in fields if f.get("constraints", {}).get("required")},
        foreign_keys=foreign_keys,
    )


def copy_staged(db: sqlite_utils.Database, source: Source) -> int:
    """Copies the staged rows of `source` (the staging database attached as STAGING) into its
    published table, in file order; returns the count."""
    schema = source.published_schema
    create_table(db, schema, source.name)
    columns = ", ".join(f"[{f['name']}]" for f in schema.get("fields", []))
    db.execute(
        f"insert into main.[{source.name}] ({columns}) "
        f"select {columns} from {STAGING}.[{source.name}] order by {ROW_COLUMN}"
    )
    return db[source.name].count
