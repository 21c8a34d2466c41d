"""The build: lock, see what changed, validate and stage, publish into a new file, rename it over
the old one.

    build()  lock.py          one build of a database at a time; a killed build's files removed
             incremental.py   what changed since the published file was built (nothing: done)
             check.py         every changed dataset read, checked and staged (read.py, stage.py)
             publish.py       the new file written from the staging database
             then fsync and an atomic rename over the published file

The published file is only ever replaced by an atomic rename of a complete, checked file in the same
folder. A failed or killed build leaves it byte for byte as it was; a full disk is a problem
(`disk-full`), not a traceback.

Builds are incremental: with nothing changed the build ends at once; otherwise the new file starts
as a copy of the published one and only the changed datasets are validated and loaded again, and
within a dataset a source whose adapter can (the complaints) is updated in place: only the rows
that changed are written, with their search index entries (changes.py). `full=True` rebuilds
everything; OPENBANGKOK_IN_PLACE=0 loads changed sources again whole (a benchmark's baseline). BuildResult.timings has the seconds, and CPU seconds, of each step
(`openbkk build --timings`; benchmarks/build.py).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from openbangkok.adapters import adapter
from openbangkok.model.catalog import Catalog
from openbangkok.model.problems import Problem, Report
from openbangkok.pipeline.check import validate
from openbangkok.pipeline.file_copy import background_copy
from openbangkok.pipeline.in_place import Changes, in_place_sources
from openbangkok.pipeline.incremental import BackgroundFingerprints, Previous, datasets_to_build, fingerprints
from openbangkok.pipeline.lock import TEMP_MARK, build_lock, remove_stale
from openbangkok.pipeline.processes import checkpoint
from openbangkok.pipeline.publish import publish


@dataclass
class BuildResult:
    out: Path
    report: Report
    tables: dict[str, dict] = field(default_factory=dict)
    rebuilt: set[str] = field(default_factory=set)  # datasets loaded again; empty: up to date
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step

    @property
    def changes(self) -> dict[str, Changes]:
        """{table: the keys added, changed, removed} of the sources updated in place."""
        return {name: t["changes"] for name, t in self.tables.items() if "changes" in t}

    @property
    def ok(self) -> bool:
        return self.report.ok


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
        checkpoint(name)


IN_PLACE_ENV = "OPENBANGKOK_IN_PLACE"  # "0": changed sources are loaded again whole


def can_update(source) -> bool:
    """The source's adapter can update its published table in place (pipeline.in_place)."""
    return bool(source.adapter) and hasattr(adapter(source.adapter), "update") and os.environ.get(IN_PLACE_ENV) != "0"


DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
DISK_SQL_ERRORS = ("database or disk is full", "disk i/o error")


def out_of_disk(error: BaseException) -> bool:
    """A write failed for want of disk space (or of a file size limit), directly or in SQLite."""
    if isinstance(error, OSError):
        return error.errno in DISK_ERRNOS
    return any(words in str(error).lower() for words in DISK_SQL_ERRORS)  # also as a worker reports it


def disk_full(out: Path, error: BaseException) -> Problem:
    return Problem(
        str(out.parent),
        None,
        None,
        "disk-full",
        f"the build could not write to {out.parent} ({error}): free disk space there and build again; "
        f"the published database was not changed",
        "เขียนไฟล์ไม่ได้เพราะพื้นที่ดิสก์เต็ม กรุณาเพิ่มพื้นที่แล้วสร้างใหม่ ฐานข้อมูลที่เผยแพร่อยู่ไม่ถูกเปลี่ยน",
    )


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
        result.report.add(
            Problem(
                str(out),
                None,
                None,
                "stale-lock",
                f"an earlier build (process {killed}) was killed before it finished: "
                f"its lock was taken over and its temporary files removed",
                "การสร้างครั้งก่อนถูกหยุดกลางคัน ได้ล้างไฟล์ชั่วคราวแล้ว",
                "info",
            )
        )
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
    # the published file copied (and synced) by a child process while the input is staged
    copying = background_copy(out, tmp_db) if reuse else None
    try:
        in_place = in_place_sources(catalog, out, rebuilt, can_update) if reuse else set()
        staged = validate(
            catalog,
            work,
            datasets=rebuilt,
            previous_db=out if reuse else None,
            progress=progress,
            for_build=True,
            updated_in_place=in_place,
        )
        timings.step("validate and stage")
        result = BuildResult(out, staged.report, rebuilt=rebuilt, timings=timings)
        if not staged.report.ok:
            return result
        if copying:
            copying.result()
            timings.step("copy the published database")
        try:
            current = hashing.result() if hashing else current
            result.tables = publish(
                tmp_db, catalog, staged, rebuilt, previous, current, timings, previous_db=out if out.exists() else None
            )
        except Exception as e:  # a derived-table script or adapter failed: nothing is published
            result.report.add(
                disk_full(out, e)
                if out_of_disk(e)
                else Problem(str(catalog.root), None, None, "build-error", str(e), "การสร้างฐานข้อมูลล้มเหลว")
            )
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
        if copying:
            copying.close()
        for background in staged.deferred if staged else []:
            background.wait()
        shutil.rmtree(work, ignore_errors=True)
        for path in (tmp_db, tmp_db.with_name(f"{tmp_db.name}-wal"), tmp_db.with_name(f"{tmp_db.name}-shm")):
            path.unlink(missing_ok=True)
