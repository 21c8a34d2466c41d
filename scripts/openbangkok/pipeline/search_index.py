"""A full-text (FTS5) index built in the background, by a process of its own in a database file of
its own, while the rows are staged, then copied into the published database.

SQLite lets one connection at a time write a database file. A large search index (making Thai
search text, tokenising and merging: the longest step of the build) would otherwise be built
after the rows are loaded, and hold up everything the build writes after it. So an adapter starts
a SearchIndex when it starts staging: a process that builds the FTS table in `<work>/<fts>.db`
from the staged rows, reading them as they are committed (the staging database is in WAL mode so
it can read while the adapter writes) whenever add() says how far staging got. It writes the
index in one transaction, so FTS5 writes a segment only when its 32 MiB hash is full, and merges
segments only at the end (automerge 0, crisismerge 64): one 'optimize' then writes the index as a
single b-tree, as one bulk insert followed by 'optimize' would. Those settings are not copied.
The 'optimize' is worth its CPU: with the segments left unmerged, search pages took longer (a page
is read newest first with a MATCH for each candidate row, and such a lookup searches every segment;
benchmarks/README.md, Build: one optimize at the end).

The adapter's publish() creates the same FTS table, empty, in the published database; the build
calls complete() once the rest is written: it waits for the process and fills the published
table's shadow tables (FTS5 keeps an index in ordinary tables: %_data, %_idx, %_docsize,
%_config) with the built ones, on a connection that has not used the FTS table (so FTS5 has
cached nothing of the empty index).
"""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import time
from pathlib import Path

from openbangkok.model.sql_functions import register
from openbangkok.pipeline.processes import die_with_parent, process_context

BUILD_SETTINGS = {"automerge": 0, "crisismerge": 64, "hashsize": 32 << 20}
READ_ROWS = 5000  # rows read from staging at a time
# Lower priority than staging while the rows are staged: the index takes the CPU staging leaves.
# Once every row is staged it is back at the build's priority: what is left of it (its merge is
# one thread) would otherwise wait for the derived tables, indexes and profiles (several threads)
# and be built alone at the end.
NICE = 10


def build(
    path: Path, staging: Path, fts: str, create_sql: str, read_sql: str, insert_sql: str, staged_rows, results
) -> None:
    """The index process: indexes the staged rows up to each number it is told, until None."""
    die_with_parent()
    started = time.perf_counter()
    os.nice(NICE)
    try:
        path.unlink(missing_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
        register(conn)
        conn.execute("pragma journal_mode = off")
        conn.execute("pragma synchronous = off")
        conn.execute(create_sql)
        for name, value in BUILD_SETTINGS.items():
            conn.execute(f"insert into [{fts}] ([{fts}], rank) values (?, ?)", (name, value))
        # read in short transactions of its own (staging is in WAL mode), so that each read sees
        # what was staged since, while the index is written in one transaction
        source = sqlite3.connect(f"file:{staging}?mode=ro", uri=True, isolation_level=None)
        conn.execute("begin")
        done = 0
        while (upto := staged_rows.get()) is not None:
            while done < upto:
                rows = source.execute(read_sql, (done, min(upto, done + READ_ROWS))).fetchall()
                conn.executemany(insert_sql, rows)
                done = min(upto, done + READ_ROWS)
        source.close()
        conn.execute(f"insert into [{fts}] ([{fts}]) values ('optimize')")
        conn.execute(
            f"delete from [{fts}_config] where k in ({', '.join('?' * len(BUILD_SETTINGS))})", list(BUILD_SETTINGS)
        )
        conn.execute("commit")
        conn.close()
    except Exception as e:  # noqa: BLE001 - reported by SearchIndex.complete()
        results.put(f"{type(e).__name__}: {e}")
        return
    results.put(time.perf_counter() - started)


class SearchIndex:
    """Builds FTS table `fts` (declared by create_sql) in `path`, in a process of its own, from the
    rows staged in `staging` (in WAL mode), as add() announces them: read_sql selects the rows with
    rowids in (?, ?], insert_sql inserts one. A process, not a thread: making the search text is
    Python, which would hold the interpreter lock the staging needs."""

    def __init__(self, path: Path, staging: Path, fts: str, create_sql: str, read_sql: str, insert_sql: str):
        self.path, self.fts = path, fts
        context = process_context()
        self.staged_rows = context.Queue()
        self.results = context.Queue()
        self.process = context.Process(
            target=build,
            args=(path, staging, fts, create_sql, read_sql, insert_sql, self.staged_rows, self.results),
            name=f"search index {fts}",
            daemon=True,
        )
        self.process.start()
        self.seconds: float | None = None

    def add(self, rows: int) -> None:
        """The rows with rowids up to `rows` are staged (committed)."""
        self.staged_rows.put(rows)

    def finish_input(self) -> None:
        """Every row is staged: finish and optimize the index, at the build's priority."""
        self.staged_rows.put(None)
        with contextlib.suppress(OSError):  # lowering a nice value may need privileges
            os.setpriority(os.PRIO_PROCESS, self.process.pid, os.getpriority(os.PRIO_PROCESS, 0))

    def wait(self) -> None:
        """Stops building the index if it still runs (the build stopped early)."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.staged_rows.cancel_join_thread()

    def complete(self, db_path: Path) -> None:
        """Waits for the index and copies it into the (empty) FTS table of the same name in db_path."""
        try:
            result = self.results.get(timeout=3600)
        except queue.Empty:
            result = "no answer from the index process"
        self.process.join()
        failure = result if isinstance(result, str) else None
        if failure:
            raise RuntimeError(f"building the search index {self.fts} failed: {failure}")
        self.seconds = result
        conn = sqlite3.connect(db_path, isolation_level=None)
        try:
            conn.execute("attach ? as search", (str(self.path),))
            shadows = [
                name
                for (name,) in conn.execute(
                    "select name from pragma_table_list where schema = 'search' and type = 'shadow' and name like ?",
                    (f"{self.fts}_%",),
                )
            ]
            conn.execute("begin")
            for shadow in shadows:
                conn.execute(f"delete from main.[{shadow}]")
                conn.execute(f"insert into main.[{shadow}] select * from search.[{shadow}]")
            conn.execute("commit")
            conn.execute("detach search")
        finally:
            conn.close()
        self.path.unlink(missing_ok=True)
