"""The build: validate, then write one SQLite database and rename it over the old one.

The published file is only ever replaced by an atomic rename of a complete, checked file in the same
folder. A failed or killed build leaves it byte for byte as it was; two builds at once are refused
by a lock; stale temporary files from a killed build are removed by the next one.

Builds are incremental (incremental.py): with nothing changed the build ends at once; otherwise the
new file starts as a copy of the published one and only the changed datasets are validated and
loaded again. `full=True` rebuilds everything.

Order of work in the new file (finish()): each source is published, then each dataset's *.sql
files run (derived tables, and indexes of their own), then the automatic indexes on foreign-key,
facet and sort columns are made where no index starts with the column yet, then build_files and
build_columns, then ANALYZE. The file needs no rollback journal (journal_mode off, synchronous
off): it is renamed into place only when complete. Work an adapter left in the background (the
complaints' search index) is completed last. BuildResult.timings has the seconds, and CPU seconds,
of each step (`openbkk build --timings`; benchmarks/build.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from openbangkok import load
from openbangkok.adapters import adapter
from openbangkok.incremental import (
    SITE_KEY,
    STATE_TABLE,
    BackgroundFingerprints,
    Previous,
    datasets_to_build,
    file_key,
    fingerprints,
    size_and_mtime,
)
from openbangkok.model.catalog import Catalog, Source
from openbangkok.model.problems import Problem, Report
from openbangkok.model.site_metadata import facet_columns, site_metadata
from openbangkok.model.sql_functions import register
from openbangkok.prepare import MAX_CELL_CHARACTERS
from openbangkok.profile import PROFILE_TABLE, profiled_tables, read_aggregates, record_profiles
from openbangkok.thai.redact import redact
from openbangkok.validate import Staged, validate

TEMP_MARK = ".tmp-"
FILES_TABLE = "build_files"
SQL_TABLE = "build_sql"
# what a statement may do to a table that makes its profile read before the statement stale
WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE, sqlite3.SQLITE_ALTER_TABLE,
          sqlite3.SQLITE_DROP_TABLE}


class BuildLocked(Exception):
    """Another build of the same database is running."""


@dataclass
class BuildResult:
    out: Path
    report: Report
    tables: dict[str, dict] = field(default_factory=dict)
    rebuilt: set[str] = field(default_factory=set)   # datasets loaded again; empty: up to date
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step

    @property
    def ok(self) -> bool:
        return self.report.ok


_held: set[str] = set()   # the locks this process holds: a POSIX lock does not refuse its own process
_held_guard = threading.Lock()


def _pid_in(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def build_lock(out: Path):
    """One build of `out` at a time. A POSIX record lock (lockf): the kernel releases it when the build's
    process ends, however it ends, and a worker process forked meanwhile does not inherit it (the flock()
    used before was shared with the workers, which kept a killed build's lock for ever). The lock file
    names the process that holds it; yields the process id of a build that died holding it, or None."""
    lock_path = out.parent / f".{out.name}.lock"
    with _held_guard:
        if str(lock_path) in _held:
            raise BuildLocked(f"another build of {out} is running in this process; wait for it to finish")
        _held.add(str(lock_path))
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                if e.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
                holder = _pid_in(fd)
                raise BuildLocked(f"another build of {out} is running{f' (process {holder})' if holder else ''}; "
                                  f"wait for it to finish and try again") from e
            dead = _pid_in(fd)   # a build that ended without removing its number: killed
            with contextlib.suppress(OSError):   # the number only informs (a full disk may refuse it)
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            try:
                yield dead if dead != os.getpid() else None
            finally:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)   # a number left in the file: its build was killed
        finally:
            os.close(fd)   # and with it the lock
    finally:
        with _held_guard:
            _held.discard(str(lock_path))


def remove_stale(out: Path) -> None:
    """Temporary files of builds that were killed (we hold the lock, so none is running)."""
    for stale in out.parent.glob(f".{out.name}{TEMP_MARK}*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)


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


def record_files(db: sqlite_utils.Database, sources: list[Source], staged: Staged, tables: dict,
                 previous: Previous) -> None:
    """The build's own account of itself: one row per source file, shown on the data-quality page."""
    built_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = []
    for source in sources:
        stats = staged.stats.get(source.name, {})
        notes = [p for p in staged.report.problems if p.file == stats.get("file") and p.severity != "error"]
        size, mtime = size_and_mtime(source.path)
        source_file = file_key(source.dataset, source.folder, source.path)
        rows.append({
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
        })
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


def publish_source(db: sqlite_utils.Database, source: Source, staged: Staged) -> int:
    return adapter(source.adapter).publish(db, source, staged) if source.adapter else load.publish(db, source)


def index_sources(db: sqlite_utils.Database, sources: list[Source], facets: dict) -> None:
    """Indexes on the foreign-key, facet and sort columns, unless an index (of a dataset's SQL)
    already starts with the column."""
    for source in sources:
        fk_columns = [fk["fields"][0] for fk in source.published_schema.get("foreignKeys", [])]
        load.index_columns(db, source.name, fk_columns + facets.get(source.name, []))


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (worker processes), all threads."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class Timings(dict):
    """Seconds per step of a build, in order; `cpu`: the CPU seconds of each step."""

    def __init__(self):
        super().__init__()
        self.cpu: dict[str, float] = {}
        self.last, self.last_cpu = time.perf_counter(), cpu_seconds()

    def step(self, name: str) -> None:
        now, cpu = time.perf_counter(), cpu_seconds()
        self[name] = self.get(name, 0.0) + now - self.last
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu - self.last_cpu
        self.last, self.last_cpu = now, cpu


def finish(db_path: Path, catalog: Catalog, staged: Staged, rebuilt: set[str], previous: Previous,
           current: dict[str, str], timings: Timings) -> dict[str, dict]:
    """Loads the rebuilt datasets into db_path (a copy of the published file, or a new one)."""
    db = sqlite_utils.Database(db_path)
    register(db.conn)
    db.execute("pragma foreign_keys = off")
    # The file is renamed over the published one only when complete: no rollback journal needed.
    db.execute("pragma journal_mode = off")
    db.execute("pragma synchronous = off")
    for dataset in rebuilt:
        drop_dataset_tables(db, previous.tables.get(dataset, [])) if PROFILE_TABLE in names_in(db) else None
    db.attach(load.STAGING, staged.db_path)
    facets = facet_columns(site_metadata(catalog))
    tables, created = {}, {name: set() for name in rebuilt}
    sources = [s for s in catalog.sources if s.dataset in rebuilt]
    for source in sources:
        started = time.perf_counter()
        before = names_in(db)
        rows = publish_source(db, source, staged)
        created[source.dataset] |= names_in(db) - before
        tables[source.name] = {"rows": rows, "seconds": time.perf_counter() - started
                               + staged.stats.get(source.name, {}).get("seconds", 0)}
    db.conn.commit()
    db.execute(f"detach {load.STAGING}")
    timings.step("publish")
    # The tables an adapter published as staged are read for their profiles (one pass each: 5 s for a
    # million complaints) by a thread, from the staging file, while this connection writes the
    # derived tables and indexes (the other tables are read afterwards, from the published file).
    # The published file stays without a journal: in WAL mode, so that the thread could read it,
    # every page of the derived tables and indexes was written twice (1.9 s more for a million
    # complaints). A table the datasets' SQL writes to is read again afterwards.
    written: set[str] = set()

    def note_writes(action, table, altered, *_):
        if action in WRITES:
            written.add(altered if action == sqlite3.SQLITE_ALTER_TABLE else table)
        return sqlite3.SQLITE_OK

    db.conn.set_authorizer(note_writes)
    with ThreadPoolExecutor(1, thread_name_prefix="profiles") as pool:
        read = read_aggregates(staged.db_path, [table for table in profiled_tables(
            db, sorted(set().union(*created.values()))) if table in staged.as_published], pool)
        scripts = []
        for dataset in catalog.datasets_in_order:
            if dataset.name in rebuilt:
                for sql_file in dataset.sql_files:
                    before, text = names_in(db), sql_file.read_text(encoding="utf-8")
                    db.conn.executescript(text)
                    made = names_in(db) - before
                    created[dataset.name] |= made
                    scripts.append({"name": sql_file.stem, "dataset": dataset.name,
                                    "source_file": file_key(dataset.name, dataset.folder, sql_file),
                                    "creates": json.dumps(sorted(made)), "sql": text})
        timings.step("derived SQL")
        index_sources(db, sources, facets)
        db.conn.commit()
        db.conn.set_authorizer(None)
        timings.step("indexes")
        record_files(db, sources, staged, tables, previous)
        record_sql(db, rebuilt, scripts)
        record_profiles(db, [t for names in created.values() for t in sorted(names)],
                        {table: future for table, future in read.items() if table not in written})
    timings.step("profiles")
    state = [{"dataset": name, "fingerprint": current[name], "tables": json.dumps(sorted(created[name]))}
             for name in rebuilt]
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


DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
DISK_SQL_ERRORS = ("database or disk is full", "disk i/o error")


def out_of_disk(error: BaseException) -> bool:
    """A write failed for want of disk space (or of a file size limit), directly or in SQLite."""
    if isinstance(error, OSError):
        return error.errno in DISK_ERRNOS
    return any(words in str(error).lower() for words in DISK_SQL_ERRORS)   # also as a worker reports it


def disk_full(out: Path, error: BaseException) -> Problem:
    return Problem(str(out.parent), None, None, "disk-full",
                   f"the build could not write to {out.parent} ({error}): free disk space there and build again; "
                   f"the published database was not changed",
                   "เขียนไฟล์ไม่ได้เพราะพื้นที่ดิสก์เต็ม กรุณาเพิ่มพื้นที่แล้วสร้างใหม่ ฐานข้อมูลที่เผยแพร่อยู่ไม่ถูกเปลี่ยน")


def build(catalog: Catalog, out: Path, full: bool = False, progress=None) -> BuildResult:
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(out) as killed:
        remove_stale(out)
        try:
            result = _build(catalog, out, full, progress)
        except (OSError, sqlite3.Error) as e:
            if not out_of_disk(e):
                raise
            result = BuildResult(out, Report([disk_full(out, e)]))
    if killed:
        result.report.add(Problem(str(out), None, None, "stale-lock",
                                  f"an earlier build (process {killed}) was killed before it finished: "
                                  f"its lock was taken over and its temporary files removed",
                                  "การสร้างครั้งก่อนถูกหยุดกลางคัน ได้ล้างไฟล์ชั่วคราวแล้ว", "info"))
    return result


def _build(catalog: Catalog, out: Path, full: bool, progress) -> BuildResult:
    """build(), holding the lock."""
    previous = Previous() if full else Previous.read(out)
    # every file is hashed once (Previous.hash_of remembers it for build_files), by a child
    # process while the files are checked when everything is built anyway
    hashing = BackgroundFingerprints.start(catalog, previous)
    current = None if hashing else fingerprints(catalog, previous)
    rebuilt = {d.name for d in catalog.datasets} if hashing else datasets_to_build(catalog, current, previous)
    if not rebuilt:
        return BuildResult(out, Report())
    reuse = bool(previous.fingerprints) and rebuilt != {d.name for d in catalog.datasets}
    work = out.parent / f".{out.name}{TEMP_MARK}{os.getpid()}.d"
    tmp_db = out.parent / f".{out.name}{TEMP_MARK}{os.getpid()}"
    timings = Timings()
    staged = None
    try:
        staged = validate(catalog, work, datasets=rebuilt, previous_db=out if reuse else None,
                          progress=progress, for_build=True)
        timings.step("validate and stage")
        result = BuildResult(out, staged.report, rebuilt=rebuilt, timings=timings)
        if not staged.report.ok:
            return result
        if reuse:
            shutil.copyfile(out, tmp_db)
            timings.step("copy the published database")
        try:
            current = hashing.result() if hashing else current
            result.tables = finish(tmp_db, catalog, staged, rebuilt, previous, current, timings)
        except Exception as e:  # a derived-table script or adapter failed: nothing is published
            result.report.add(disk_full(out, e) if out_of_disk(e) else Problem(
                str(catalog.root), None, None, "build-error", str(e), "การสร้างฐานข้อมูลล้มเหลว"))
            return result
        with tmp_db.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_db, out)
        directory = os.open(out.parent, os.O_RDONLY)
        os.fsync(directory)
        os.close(directory)
        timings.step("write to disk and rename")
        return result
    finally:
        if hashing:
            hashing.close()
        for background in staged.deferred if staged else []:
            background.wait()
        shutil.rmtree(work, ignore_errors=True)
        for path in (tmp_db, tmp_db.with_name(f"{tmp_db.name}-wal"), tmp_db.with_name(f"{tmp_db.name}-shm")):
            path.unlink(missing_ok=True)
