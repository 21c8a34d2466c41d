"""The complaints dataset's derived SQL, statement by statement, on a built database (issue 25).

    python benchmarks/derived_sql.py --db benchmarks/work/incremental_100000/full.db
    python benchmarks/derived_sql.py --db site.db --sql-dir datasets/complaints --repeat 2

A copy of the database (in the same folder) has the dataset's derived tables and the indexes its
SQL files make dropped, then each statement of each SQL file (file-name order, as the build runs
them) is run alone on the build's own settings (no journal, no sync, the build's SQL functions) and
timed: seconds and CPU seconds of this process. Prints a Markdown table, slowest first within the
whole, and the total. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path

from openbangkok.model.sql_functions import register

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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="A database built with the complaints dataset.")
    parser.add_argument("--sql-dir", type=Path, default=ROOT / "datasets" / "complaints")
    parser.add_argument("--repeat", type=int, default=1, help="Runs of the whole script (the fastest is shown).")
    args = parser.parse_args(argv)
    files = sorted(args.sql_dir.glob("*.sql"))
    scripts = [(f.stem, statements(f.read_text(encoding="utf-8"))) for f in files]
    made = {kind_name for _, found in scripts for s in found for kind_name in CREATED.findall(s)}
    best: dict[tuple[str, int], tuple[float, float, str]] = {}
    for _ in range(args.repeat):
        copy = args.db.with_name(f".derived_sql_{os.getpid()}.db")
        shutil.copyfile(args.db, copy)
        try:
            conn = sqlite3.connect(copy, isolation_level=None)
            register(conn)
            conn.execute("pragma journal_mode = off")
            conn.execute("pragma synchronous = off")
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
                    if key not in best or seconds < best[key][0]:
                        best[key] = (seconds, cpu_seconds, first[:110])
            conn.close()
        finally:
            copy.unlink(missing_ok=True)
    rows = (conn_count := sqlite3.connect(args.db)).execute("select count(*) from complaints").fetchone()[0]
    conn_count.close()
    total = sum(s for s, _, _ in best.values())
    total_cpu = sum(c for _, c, _ in best.values())
    print(f"{rows:,} complaints; load average {os.getloadavg()[0]:.2f}; fastest of {args.repeat}\n")
    print("| file | # | statement | seconds | CPU seconds |\n|---|---:|---|---:|---:|")
    for (stem, number), (seconds, cpu_seconds, text) in sorted(best.items(), key=lambda kv: -kv[1][0]):
        print(f"| {stem} | {number} | `{text}` | {seconds:.3f} | {cpu_seconds:.3f} |")
    print(f"| total | | | {total:.2f} | {total_cpu:.2f} |")


if __name__ == "__main__":
    main()
