"""The build: validate everything, then write one SQLite database and rename it over the old one.

The published file is only ever replaced by an atomic rename of a complete, checked file in the same
folder. A failed or killed build leaves it byte for byte as it was; two builds at once are refused
by a lock; stale temporary files from a killed build are removed by the next one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import importlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from . import load
from .profile import record_profiles
from .catalog import Catalog
from .problems import Problem, Report
from .site_metadata import facet_columns, site_metadata
from .sql_functions import register
from .validate import Staged, validate

TEMP_MARK = ".tmp-"


class BuildLocked(Exception):
    """Another build of the same database is running."""


@dataclass
class BuildResult:
    out: Path
    report: Report
    tables: dict[str, dict] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.report.ok


@contextlib.contextmanager
def build_lock(out: Path):
    lock_path = out.parent / f".{out.name}.lock"
    with lock_path.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise BuildLocked(f"another build of {out} is running; wait for it to finish and try again") from e
        yield


def remove_stale(out: Path) -> None:
    """Temporary files of builds that were killed (we hold the lock, so none is running)."""
    for stale in out.parent.glob(f".{out.name}{TEMP_MARK}*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record_build(db: sqlite_utils.Database, catalog: Catalog, staged: Staged, tables: dict) -> None:
    """The build's own account of itself: one row per source file, shown on the data-quality page."""
    built_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    rows = []
    for source in catalog.sources:
        stats = staged.stats.get(source.name, {})
        info = [p for p in staged.report.problems if p.file == stats.get("file") and p.severity != "error"]
        rows.append({
            "table_name": source.name,
            "dataset": source.dataset,
            "source_file": f"{source.dataset}/{source.descriptor['path']}",
            "built_at": built_at,
            "size_bytes": source.path.stat().st_size,
            "sha256": sha256(source.path),
            "rows_read": stats.get("rows_read"),
            "rows_published": tables.get(source.name, {}).get("rows"),
            "rows_rejected": stats.get("rows_rejected", 0),
            "conversions": "\n".join(p.message for p in info if p.severity == "info"),
            "warnings": "\n".join(p.message for p in info if p.severity == "warning"),
        })
    db["build_files"].insert_all(rows, pk="table_name", replace=True)


def finish(db_path: Path, catalog: Catalog, staged: Staged) -> dict[str, dict]:
    db = sqlite_utils.Database(db_path)
    register(db.conn)
    db.execute("pragma foreign_keys = off")
    db.attach(load.STAGING, staged.db_path)
    metadata = site_metadata(catalog)
    facets = facet_columns(metadata)
    tables = {}
    for source in catalog.sources:
        started = time.perf_counter()
        adapter = source.adapter and importlib.import_module(f"openbangkok.adapters.{source.adapter}")
        rows = adapter.publish(db, source, staged) if adapter else load.publish(db, source)
        fk_columns = [fk["fields"][0] for fk in source.published_schema.get("foreignKeys", [])]
        load.index_columns(db, source.name, fk_columns + facets.get(source.name, []))
        tables[source.name] = {"rows": rows, "seconds": time.perf_counter() - started
                               + staged.stats.get(source.name, {}).get("seconds", 0)}
    db.conn.commit()
    db.execute(f"detach {load.STAGING}")
    for dataset in catalog.datasets:
        for sql_file in dataset.sql_files:
            db.conn.executescript(sql_file.read_text(encoding="utf-8"))
    record_build(db, catalog, staged, tables)
    record_profiles(db, tables)
    db.conn.commit()
    db.execute("analyze")
    db.conn.commit()
    db.close()
    return tables


def build(catalog: Catalog, out: Path) -> BuildResult:
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(out):
        remove_stale(out)
        work = out.parent / f".{out.name}{TEMP_MARK}{os.getpid()}.d"
        tmp_db = out.parent / f".{out.name}{TEMP_MARK}{os.getpid()}"
        try:
            staged = validate(catalog, work)
            result = BuildResult(out, staged.report)
            if not staged.report.ok:
                return result
            try:
                result.tables = finish(tmp_db, catalog, staged)
            except Exception as e:  # a derived-table script or adapter failed: nothing is published
                result.report.add(Problem(str(catalog.root), None, None, "build-error", str(e),
                                          "การสร้างฐานข้อมูลล้มเหลว"))
                return result
            with tmp_db.open("rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp_db, out)
            directory = os.open(out.parent, os.O_RDONLY)
            os.fsync(directory)
            os.close(directory)
            return result
        finally:
            shutil.rmtree(work, ignore_errors=True)
            tmp_db.unlink(missing_ok=True)
