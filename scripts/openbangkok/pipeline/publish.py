"""The published file, written from the staging database (the build calls publish() once every
resource is checked and staged).

Order of work in the new file: each source is published (its adapter's publish(), or a copy of its
staged rows; a source the build updates in place, pipeline.in_place, by its adapter's update(): its
table and search index are kept, only the rows that changed are written), then each dataset's *.sql files run (derived_sql.py: derived tables, and indexes of their own; in an
update in place they apply the delta to the derived tables kept from the published file), then
the automatic indexes on foreign-key, facet and sort columns are made where no index starts with the
column yet, then build_files, build_sql and build_columns (the build's account of itself,
model.build_record) and build_changes (changes.py: what changed since the published file), then
ANALYZE. The file needs no rollback journal (journal_mode off,
synchronous off): the build renames it into place only when complete. Work an adapter left in the
background (the complaints' search index) is completed last.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlite_utils

from openbangkok.adapters import adapter
from openbangkok.model.build_record import FILES_TABLE, PROFILE_TABLE, SITE_KEY, SQL_TABLE, STATE_TABLE
from openbangkok.model.catalog import Catalog, Source
from openbangkok.model.site_metadata import facet_columns, site_metadata
from openbangkok.model.sql_functions import register
from openbangkok.pipeline import derived_sql
from openbangkok.pipeline.changes import record_changes
from openbangkok.pipeline.csv_rules import MAX_CELL_CHARACTERS
from openbangkok.pipeline.in_place import Changes
from openbangkok.pipeline.incremental import Previous, file_key, size_and_mtime
from openbangkok.pipeline.profile import (
    leading_columns,
    profiled_tables,
    read_aggregates,
    read_view_aggregates,
    record_profiles,
)
from openbangkok.pipeline.stage import STAGING, Staged, copy_staged
from openbangkok.thai.redact import redact

# what a statement may do to a table that makes its profile read before the statement stale
WRITES = {
    sqlite3.SQLITE_INSERT,
    sqlite3.SQLITE_UPDATE,
    sqlite3.SQLITE_DELETE,
    sqlite3.SQLITE_ALTER_TABLE,
    sqlite3.SQLITE_DROP_TABLE,
}


def names_in(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.execute("select name from sqlite_master where type in ('table', 'view')")}


def drop_dataset_tables(db: sqlite_utils.Database, names: list[str]) -> None:
    kinds = dict(db.execute("select name, type from sqlite_master where type in ('table', 'view')").fetchall())
    for name in names:  # views first: they may read the tables
        if kinds.get(name) == "view":
            db.execute(f"drop view if exists [{name}]")
    for name in names:
        if kinds.get(name) == "table":
            db.execute(f"drop table if exists [{name}]")
    db.execute(f"delete from {PROFILE_TABLE} where table_name in ({', '.join('?' * len(names))})", names)


def record_files(
    db: sqlite_utils.Database, sources: list[Source], staged: Staged, tables: dict, previous: Previous
) -> None:
    """The build's own account of itself: one row per source file, shown on the data-quality page."""
    built_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = []
    for source in sources:
        stats = staged.stats.get(source.name, {})
        notes = [p for p in staged.report.problems if p.file == stats.get("file") and p.severity != "error"]
        size, mtime = size_and_mtime(source.path)
        source_file = file_key(source.dataset, source.folder, source.path)
        rows.append(
            {
                "table_name": source.name,
                "dataset": source.dataset,
                "source_file": source_file,
                "built_at": built_at,
                "size_bytes": size,
                "mtime_ns": mtime,
                "sha256": previous.hash_of(source.path, source_file),
                "rows_read": stats.get("rows_read"),
                "rows_published": tables.get(source.name, {}).get("rows"),
                "rows_rejected": stats.get("rows_rejected", 0),
                # messages quote what files hold (a header, a value): published redacted, as the data is, and
                # no longer than a cell may be (the site reads no value over sql_guard.VALUE_BYTES)
                "conversions": redact(bounded("\n".join(p.message for p in notes if p.severity == "info"))),
                "warnings": redact(bounded("\n".join(p.message for p in notes if p.severity == "warning"))),
            }
        )
    db[FILES_TABLE].insert_all(rows, pk="table_name", replace=True, alter=True)


def record_sql(db: sqlite_utils.Database, rebuilt: set[str], scripts: list[dict]) -> None:
    """The SQL each derived table and view is computed with, one row per file (a page of the site
    a derived table's description can link to)."""
    names = [s["name"] for s in scripts]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two datasets have an SQL file of the same name ({', '.join(twice)}.sql): rename one")
    table = db[SQL_TABLE]
    if not table.exists():
        table.create({"name": str, "dataset": str, "source_file": str, "creates": str, "sql": str}, pk="name")
    table.delete_where(f"dataset in ({', '.join('?' * len(rebuilt))})", sorted(rebuilt))
    table.insert_all(scripts, replace=True)


def bounded(text: str) -> str:
    return text if len(text) <= MAX_CELL_CHARACTERS else text[:MAX_CELL_CHARACTERS] + "\n…"


def publish_source(db: sqlite_utils.Database, source: Source, staged: Staged) -> tuple[int, Changes | None]:
    """The rows published, and what changed when the source is updated in place."""
    if not source.adapter:
        return copy_staged(db, source), None
    if source.name in staged.updated_in_place:
        return adapter(source.adapter).update(db, source, staged)
    return adapter(source.adapter).publish(db, source, staged), None


def kept_tables(db: sqlite_utils.Database, catalog: Catalog, staged: Staged) -> dict[str, set[str]]:
    """{dataset: its tables that sources updated in place keep}."""
    kept: dict[str, set[str]] = {}
    for source in catalog.sources:
        if source.name in staged.updated_in_place:
            kept.setdefault(source.dataset, set()).update(adapter(source.adapter).kept_tables(db, source))
    return kept


def index_sources(db: sqlite_utils.Database, sources: list[Source], facets: dict) -> None:
    """Indexes on the foreign-key, facet and sort columns, unless an index (of a dataset's SQL)
    already starts with the column."""
    for source in sources:
        fk_columns = [fk["fields"][0] for fk in source.published_schema.get("foreignKeys", [])]
        index_columns(db, source.name, fk_columns + facets.get(source.name, []))


def index_columns(db: sqlite_utils.Database, table: str, columns) -> None:
    """An index on each column, unless the primary key or an index already starts with it."""
    leading = leading_columns(db, table)
    for column in dict.fromkeys(columns):
        if column in db[table].columns_dict and column not in leading:
            db[table].create_index([column], if_not_exists=True)


def publish(
    db_path: Path,
    catalog: Catalog,
    staged: Staged,
    rebuilt: set[str],
    previous: Previous,
    current: dict[str, str],
    timings,
    previous_db: Path | None = None,
) -> dict[str, dict]:
    """Loads the rebuilt datasets into db_path (a copy of the published file, or a new one); `timings`
    (build.Timings) is told each step as it ends; each table is compared with previous_db's (the
    published file) in build_changes."""
    db = sqlite_utils.Database(db_path)
    register(db.conn)
    db.execute("pragma foreign_keys = off")
    # The file is renamed over the published one only when complete: no rollback journal needed.
    db.execute("pragma journal_mode = off")
    db.execute("pragma synchronous = off")
    kept = kept_tables(db, catalog, staged)
    # a dataset with a table updated in place keeps its derived tables: its SQL files apply the delta
    derived = set(kept)
    for name in derived:
        kept[name] |= derived_sql.kept_tables(db.conn, name)
    for dataset in rebuilt:
        if PROFILE_TABLE in names_in(db):
            drop_dataset_tables(db, [t for t in previous.tables.get(dataset, []) if t not in kept.get(dataset, ())])
    db.attach(STAGING, staged.db_path)
    facets = facet_columns(site_metadata(catalog))
    tables, created = {}, {name: set(kept.get(name, ())) for name in rebuilt}
    sources = [s for s in catalog.sources if s.dataset in rebuilt]
    for source in sources:
        started = time.perf_counter()
        before = names_in(db)
        rows, changed = publish_source(db, source, staged)
        created[source.dataset] |= names_in(db) - before
        tables[source.name] = {
            "rows": rows,
            "seconds": time.perf_counter() - started + staged.stats.get(source.name, {}).get("seconds", 0),
        }
        if changed is not None:
            tables[source.name]["changes"] = changed
            derived_sql.keep_changed_keys(db.conn, source.name)
    db.conn.commit()
    db.execute(f"detach {STAGING}")
    timings.step("publish")
    # The tables an adapter published as staged are read for their profiles (one pass each, seconds
    # for a large table) by a thread, from the staging file, while this connection writes the
    # derived tables and indexes (the other tables are read afterwards, from the published file).
    # The published file stays without a journal: in WAL mode, so that the thread could read it,
    # every page of the derived tables and indexes was written twice. A table the datasets' SQL
    # writes to is read again afterwards.
    written: set[str] = set()

    def note_writes(action, table, altered, *_):
        if action in WRITES:
            written.add(altered if action == sqlite3.SQLITE_ALTER_TABLE else table)
        return sqlite3.SQLITE_OK

    db.conn.set_authorizer(note_writes)
    with ThreadPoolExecutor(1, thread_name_prefix="profiles") as pool:
        read = read_aggregates(
            staged.db_path,
            [
                table
                for table in profiled_tables(db, sorted(set().union(*created.values())))
                if table in staged.as_published
            ],
            pool,
        )
        if staged.profile_views and previous_db is not None:
            read |= read_view_aggregates(previous_db, staged.db_path, staged.profile_views, STAGING, pool)
        scripts = []
        for dataset in catalog.datasets_in_order:
            if dataset.name in rebuilt and dataset.sql_files:
                own = [s for s in sources if s.dataset == dataset.name]
                derived_sql.prepare(db.conn, own, staged.updated_in_place, previous_db)
                then = derived_sql.previous_creates(db.conn, dataset.name) if dataset.name in derived else {}
                for sql_file, text, made in derived_sql.run(db.conn, dataset, lambda: names_in(db)):
                    made |= set(then.get(sql_file.stem, ()))  # kept tables it changed by the delta
                    created[dataset.name] |= made
                    scripts.append(
                        {
                            "name": sql_file.stem,
                            "dataset": dataset.name,
                            "source_file": file_key(dataset.name, dataset.folder, sql_file),
                            "creates": json.dumps(sorted(made)),
                            "sql": text,
                        }
                    )
                derived_sql.finish(db.conn, own)
        timings.step("derived SQL")
        index_sources(db, sources, facets)
        db.conn.commit()
        db.conn.set_authorizer(None)
        timings.step("indexes")
        record_files(db, sources, staged, tables, previous)
        record_sql(db, rebuilt, scripts)
        record_profiles(
            db,
            [t for names in created.values() for t in sorted(names)],
            {table: future for table, future in read.items() if table not in written},
        )
    timings.step("profiles")
    record_changes(
        db,
        previous_db,
        {source.name: source.dataset for source in sources},
        {name: t["changes"] for name, t in tables.items() if "changes" in t},
    )
    timings.step("what changed")
    state = [
        {"dataset": name, "fingerprint": current[name], "tables": json.dumps(sorted(created[name]))} for name in rebuilt
    ]
    state.append({"dataset": SITE_KEY, "fingerprint": current[SITE_KEY], "tables": "[]"})
    db[STATE_TABLE].insert_all(state, pk="dataset", replace=True)
    db.conn.commit()
    db.execute("pragma analysis_limit = 1000")  # statistics for the query planner from a sample of each index
    for table in tables:
        db.execute(f"analyze [{table}]")
    db.conn.commit()
    db.close()
    timings.step("analyze")
    for work in staged.deferred:
        work.complete(db_path)
    timings.step("search index (rest)")
    return tables
