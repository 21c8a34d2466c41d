"""The complaints dataset's derived SQL, statement by statement, on a built database (issue 25).

    python benchmarks/derived_sql.py --db benchmarks/work/incremental_100000/full.db
    python benchmarks/derived_sql.py --db site.db --sql-dir datasets/complaints --repeat 2
    python benchmarks/derived_sql.py --db site.db --baseline-sql-dir /tmp/old_sql --repeat 3

A copy of the database (in the same folder) has the dataset's derived tables and the indexes its
SQL files make dropped, then each statement of each SQL file (file-name order, as the build runs
them) is run alone on the build's own settings (no journal, no sync, the build's SQL functions) and
timed: seconds and CPU seconds of this process (with --repeat, the least of each). Prints a
Markdown table, slowest first within the whole, and the total.

With --baseline-sql-dir (the SQL files as they were, e.g. `git show REV:datasets/complaints/...`),
both sets of files run on copies of the same database, turn by turn (baseline first in each
repeat), their totals are printed side by side, and every table either set creates is compared row
for row in rowid order (every column, types included): the run fails (exit status 1) naming the
first table that differs. With --update N, N tickets of the result are then changed and N added and
the SQL files applied as an update in place applies them (pipeline.derived_sql: the delta of the
old and new versions against the kept derived tables), timed as a whole. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from openbangkok.model.sql_functions import register
from openbangkok.pipeline.derived_sql import KEYS_SUFFIX, MMAP_BYTES, every_row, finish, prepare, run

ROOT = Path(__file__).resolve().parents[1]
CREATED = re.compile(r"create\s+(?:temp\s+)?(table|index)\s+(?:if\s+not\s+exists\s+)?(?:\w+\.)?(\w+)", re.I)


def statements(text: str) -> list[str]:
    """The statements of an SQL script, each complete (sqlite3.complete_statement), comments kept."""
    found, current = [], ""
    for line in text.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip() and not all(
                part.strip().startswith("--") or not part.strip() for part in current.splitlines()
            ):
                found.append(current.strip())
            current = ""
    return found


def cpu() -> float:
    times = os.times()
    return times.user + times.system


def scripts_of(sql_dir: Path) -> list[tuple[str, list[str]]]:
    return [(f.stem, statements(f.read_text(encoding="utf-8"))) for f in sorted(sql_dir.glob("*.sql"))]


def made_by(*script_sets) -> set[tuple[str, str]]:
    return {
        kind_name for scripts in script_sets for _, found in scripts for s in found for kind_name in CREATED.findall(s)
    }


def run_once(db: Path, scripts, made, best: dict, keep: Path | None = None, mmap: bool = True) -> None:
    """The scripts run on a copy of db (made's tables and indexes dropped first); each statement's
    fastest time kept in best; the copy kept as `keep` when given (for the comparison)."""
    copy = db.with_name(f".derived_sql_{os.getpid()}.db")
    shutil.copyfile(db, copy)
    try:
        conn = sqlite3.connect(copy, isolation_level=None)
        register(conn)
        conn.execute("pragma journal_mode = off")
        conn.execute("pragma synchronous = off")
        conn.execute(f"pragma mmap_size = {MMAP_BYTES if mmap else 0}")  # as the build's runner reads
        every_row(conn, "complaints")  # temp.complaints_delta of a full build
        # no planner statistics, as in a full build (ANALYZE runs after the SQL): with the copied ones
        # SQLite 3.40 read the 1M-row table itself for complaints_facet_rows instead of an index
        if conn.execute("select 1 from sqlite_master where name = 'sqlite_stat1'").fetchone():
            conn.execute("delete from sqlite_stat1")
            conn.execute("analyze sqlite_schema")  # the planner reloads the (now empty) statistics
        for kind, name in sorted(made):
            if kind.lower() == "index":
                conn.execute(f"drop index if exists [{name}]")
        for kind, name in sorted(made):
            if kind.lower() == "table":
                conn.execute(f"drop table if exists [{name}]")
        for stem, found in scripts:
            for number, statement in enumerate(found, 1):
                started, started_cpu = time.perf_counter(), cpu()
                conn.execute(statement)
                seconds, cpu_seconds = time.perf_counter() - started, cpu() - started_cpu
                first = " ".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
                key = (stem, number)
                if key in best:  # the least of each, on a shared machine
                    seconds, cpu_seconds = min(seconds, best[key][0]), min(cpu_seconds, best[key][1])
                best[key] = (seconds, cpu_seconds, first[:110])
        conn.close()
        if keep:
            copy.replace(keep)
    finally:
        copy.unlink(missing_ok=True)


def update(built: Path, previous: Path, sql_dir: Path, count: int) -> tuple[float, float]:
    """An update in place of `count` changed and `count` new tickets, as the build applies one:
    `built` (the SQL files already run on it in full) changed, `previous` (the same file before)
    attached as the published one, the SQL files run on the delta. Seconds and CPU seconds."""
    conn = sqlite3.connect(built, isolation_level=None)
    register(conn)
    conn.execute("pragma journal_mode = off")
    conn.execute(f"create table temp.complaints{KEYS_SUFFIX} (key primary key, kind text not null) without rowid")
    step = max(1, conn.execute("select count(*) from complaints").fetchone()[0] // count)
    picked = f"from complaints where rowid % {step} = {{}} limit {count}"
    conn.execute(f"insert into temp.complaints{KEYS_SUFFIX} select ticket_id, 'changed' " + picked.format(0))
    conn.execute(f"insert into temp.complaints{KEYS_SUFFIX} select 'N' || ticket_id, 'added' " + picked.format(1))
    columns = [row[1] for row in conn.execute("pragma table_info(complaints)")]
    conn.execute(
        "update complaints set state = iif(state = 'เสร็จสิ้น', 'กำลังดำเนินการ', 'เสร็จสิ้น'), reported_month = '2025-02', "
        "days_to_last_activity = coalesce(days_to_last_activity, 0) + 30 "
        f"where ticket_id in (select key from temp.complaints{KEYS_SUFFIX} where kind = 'changed')"
    )
    values = ", ".join("'N' || ticket_id" if c == "ticket_id" else c for c in columns)
    conn.execute(f"insert into complaints ({', '.join(columns)}) select {values} " + picked.format(1))
    source = SimpleNamespace(name="complaints", published_schema={"primaryKey": ["ticket_id"]})
    started, started_cpu = time.perf_counter(), cpu()
    prepare(conn, [source], {"complaints"}, previous)
    run(conn, SimpleNamespace(sql_files=sorted(sql_dir.glob("*.sql"))), set)
    finish(conn, [source])
    result = time.perf_counter() - started, cpu() - started_cpu
    conn.close()
    return result


def first_difference(one: Path, other: Path, tables: list[str]) -> str | None:
    """The first table whose rows (rowid order, every column) differ between the two files."""
    a, b = sqlite3.connect(one), sqlite3.connect(other)
    try:
        for table in tables:
            query = f"select * from [{table}] order by rowid"
            left, right = a.execute(query), b.execute(query)
            while True:
                x, y = left.fetchmany(10_000), right.fetchmany(10_000)
                if [tuple((type(v).__name__, v) for v in r) for r in x] != [
                    tuple((type(v).__name__, v) for v in r) for r in y
                ]:
                    return table
                if not x:
                    break
        return None
    finally:
        a.close()
        b.close()


def published(db: Path) -> set[str]:
    """The tables of the file (temp tables are gone with the connection that made them)."""
    conn = sqlite3.connect(db)
    try:
        return {name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")}
    finally:
        conn.close()


def table_of(best: dict, title: str) -> str:
    lines = [f"{title}\n", "| file | # | statement | seconds | CPU seconds |", "|---|---:|---|---:|---:|"]
    for (stem, number), (seconds, cpu_seconds, text) in sorted(best.items(), key=lambda kv: -kv[1][0]):
        lines.append(f"| {stem} | {number} | `{text}` | {seconds:.3f} | {cpu_seconds:.3f} |")
    lines.append(f"| total | | | {total(best, 0):.2f} | {total(best, 1):.2f} |")
    return "\n".join(lines)


def total(best: dict, index: int) -> float:
    return sum(v[index] for v in best.values())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="A database built with the complaints dataset.")
    parser.add_argument("--sql-dir", type=Path, default=ROOT / "datasets" / "complaints")
    parser.add_argument("--baseline-sql-dir", type=Path, help="The SQL files to compare with (timed and checked).")
    parser.add_argument(
        "--update", type=int, default=0, help="Then N tickets changed and N added, applied by the delta (timed)."
    )
    parser.add_argument(
        "--baseline-mmap", action="store_true", help="Run the baseline with the memory map too (default: without)."
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="Runs of the whole script (each statement's least seconds and CPU shown)."
    )
    args = parser.parse_args(argv)
    scripts = scripts_of(args.sql_dir)
    baseline = scripts_of(args.baseline_sql_dir) if args.baseline_sql_dir else None
    made = made_by(scripts, baseline or [])
    best: dict = {}
    best_baseline: dict = {}
    kept = [args.db.with_name(f".derived_sql_{name}_{os.getpid()}.db") for name in ("baseline", "now")]
    try:
        for turn in range(args.repeat):
            last = turn == args.repeat - 1 and (baseline is not None or args.update > 0)
            if baseline is not None:
                run_once(args.db, baseline, made, best_baseline, kept[0] if last else None, args.baseline_mmap)
            run_once(args.db, scripts, made, best, kept[1] if last else None)
        conn = sqlite3.connect(args.db)
        rows = conn.execute("select count(*) from complaints").fetchone()[0]
        conn.close()
        print(f"{rows:,} complaints; load average {os.getloadavg()[0]:.2f}; least of {args.repeat} runs\n")
        print(table_of(best, f"SQL files of {args.sql_dir}"))
        if args.update:
            before = kept[1].with_name(f".derived_sql_before_{os.getpid()}.db")
            kept.append(before)
            shutil.copyfile(kept[1], before)
            seconds, cpu_seconds = update(kept[1], before, args.sql_dir, args.update)
            print(
                f"\nan update in place of {args.update:,} changed and {args.update:,} new tickets: {seconds:.2f} s, "
                f"{cpu_seconds:.2f} CPU-s (the SQL files in full: {total(best, 0):.2f} s, {total(best, 1):.2f} CPU-s)"
            )
        if baseline is None:
            return
        print()
        print(table_of(best_baseline, f"Baseline: SQL files of {args.baseline_sql_dir}"))
        tables = sorted(name for kind, name in made if kind.lower() == "table" and name in published(kept[0]))
        differs = first_difference(kept[0], kept[1], tables)
        print(
            f"\nbaseline {total(best_baseline, 0):.2f} s ({total(best_baseline, 1):.2f} CPU-s), "
            f"now {total(best, 0):.2f} s ({total(best, 1):.2f} CPU-s); "
            + (f"tables differ: {differs}" if differs else f"every derived table identical ({', '.join(tables)})")
        )
        if differs:
            sys.exit(1)
    finally:
        for path in kept:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
