"""Incremental builds: what changed since the database was last built.

A dataset's fingerprint covers every file in its folder (data, descriptors, schemas, SQL, metadata);
the site's covers metadata.yml and this package's code. A dataset is rebuilt when its fingerprint
changed or when it points (by foreign key) at a table of a dataset that is rebuilt; any change to
the site's fingerprint rebuilds everything. Large files are hashed again only when their size or
modification time changed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from openbangkok.model.build_record import SITE_KEY, STATE_TABLE, file_key, folder_files
from openbangkok.model.catalog import PACKAGE, Catalog, Dataset
from openbangkok.model.site_metadata import METADATA_FILE
from openbangkok.pipeline.processes import BackgroundCall, process_context

BACKGROUND_MIN_BYTES = 32 << 20  # smaller datasets are hashed before the build starts


def file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass
class Previous:
    """What the published database says about the build that made it."""

    fingerprints: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[str]] = field(default_factory=dict)
    file_hashes: dict[tuple[str, int, int], str] = field(default_factory=dict)  # (source_file, size, mtime) -> sha256

    @classmethod
    def read(cls, db_path: Path) -> Previous:
        if not db_path.exists():
            return cls()
        try:
            conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            rows = conn.execute(f"select dataset, fingerprint, tables from {STATE_TABLE}").fetchall()
            files = conn.execute("select source_file, size_bytes, mtime_ns, sha256 from build_files").fetchall()
            conn.close()
        except sqlite3.Error:
            return cls()  # an older or foreign database: build everything
        return cls(
            {name: fp for name, fp, _ in rows},
            {name: json.loads(tables) for name, _, tables in rows},
            {(path, size, mtime): sha for path, size, mtime, sha in files},
        )

    def hash_of(self, path: Path, key: str) -> str:
        """sha256 of a file, taken from the last build (or an earlier call) when its size and
        modification time are the same: a file is read for it once per build. Of a folder (a
        source read as a folder of files): the sha256 of its files' names and digests."""
        if path.is_dir():
            digest = hashlib.sha256()
            for file in folder_files(path):
                name = file.relative_to(path).as_posix()
                digest.update(name.encode() + self.hash_of(file, f"{key}/{name}").encode())
            return digest.hexdigest()
        stat = path.stat()
        known = (key, stat.st_size, stat.st_mtime_ns)
        digest = self.file_hashes.get(known)
        if digest is None:
            digest = self.file_hashes[known] = file_digest(path)
        return digest


def size_and_mtime(path: Path) -> tuple[int, int]:
    """(bytes, modification time in ns) of a file, or of a folder's files (their sum, the latest)."""
    stats = [p.stat() for p in folder_files(path)] if path.is_dir() else [path.stat()]
    return sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)


def site_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")) + [METADATA_FILE]:
        if path.exists():
            digest.update(path.name.encode() + file_digest(path).encode())
    return digest.hexdigest()


def dataset_fingerprint(dataset: Dataset, previous: Previous) -> str:
    digest = hashlib.sha256()
    for path in folder_files(dataset.folder):
        key = file_key(dataset.name, dataset.folder, path)
        digest.update(key.encode() + previous.hash_of(path, key).encode())
    return digest.hexdigest()


def fingerprints(catalog: Catalog, previous: Previous) -> dict[str, str]:
    result = {d.name: dataset_fingerprint(d, previous) for d in catalog.datasets}
    result[SITE_KEY] = site_fingerprint()
    return result


class BackgroundFingerprints:
    """fingerprints() worked out by a child process while the build checks the files.

    Only for a build that loads every dataset whatever the fingerprints say (nothing built before)
    and only when the files are large (hashing them then takes a noticeable part of a second, on
    the core the start of the build leaves idle). A process, not a thread, and only where it can be forked
    (processes.process_context): the build forks its workers only when it runs no other thread.
    result() gives the fingerprints and tells `previous` the files' digests, so that they are not
    hashed again for build_files.
    """

    def __init__(self, catalog: Catalog, previous: Previous, context):
        self._call = BackgroundCall(_fingerprints_and_hashes, catalog, previous, name="fingerprints", context=context)
        self._previous = previous

    @classmethod
    def start(cls, catalog: Catalog, previous: Previous) -> BackgroundFingerprints | None:
        """One, when it is worth it and safe to fork; else None (call fingerprints() then)."""
        context = process_context()
        if previous.fingerprints or context.get_start_method() != "fork":
            return None
        size = sum(p.stat().st_size for d in catalog.datasets for p in d.folder.rglob("*") if p.is_file())
        return cls(catalog, previous, context) if size >= BACKGROUND_MIN_BYTES else None

    def result(self) -> dict[str, str]:
        try:
            current, file_hashes = self._call.result()
        except Exception as e:
            raise RuntimeError(f"fingerprinting the datasets' files failed: {e}") from e
        self._previous.file_hashes.update(file_hashes)
        return current

    def close(self) -> None:
        self._call.close()


def _fingerprints_and_hashes(catalog: Catalog, previous: Previous) -> tuple[dict[str, str], dict]:
    return fingerprints(catalog, previous), previous.file_hashes


def datasets_to_build(catalog: Catalog, current: dict[str, str], previous: Previous) -> set[str]:
    """The datasets whose tables must be loaded again; all of them when the site changed."""
    everything = {d.name for d in catalog.datasets}
    if current.get(SITE_KEY) != previous.fingerprints.get(SITE_KEY):
        return everything
    changed = {name for name in everything if current[name] != previous.fingerprints.get(name)}
    owner = {s.name: s.dataset for s in catalog.sources}
    grew = True
    while grew:
        grew = False
        for source in catalog.sources:
            if source.dataset not in changed and any(owner.get(t) in changed for t in source.referenced_tables):
                changed.add(source.dataset)
                grew = True
    return changed
