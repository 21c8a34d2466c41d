"""How fast a reader's error pages answer (issue 23: "error pages answered fast"), against a plain
table page of the same server in the same run.

    python benchmarks/error_pages.py --db build/openbangkok.db [--requests 60] [--out FILE]

`openbkk serve` on --db; one client sends, in turns, a plain table page (/openbangkok/districts) and
each kind of error page a reader meets (a missing page, table, row, dataset page, original file, a
canned query value it cannot read), one request at a time, --requests of each, after 5 of each to
warm up. Reports the median and 95th percentile in ms, the ratio of each median to the table page's,
and the lines the server logged (a plain 404 logs one line, no traceback). Holds
benchmarks/work/.timing.lock while timing. Prints Markdown (and writes --out if given).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from helpers import rerun_in_project_venv, timing_lock  # noqa: E402  (imports nothing of the project)

try:
    import httpx
except ImportError as error:  # outside the project's virtualenv
    rerun_in_project_venv(error)

WORK = ROOT / "benchmarks" / "work"
TABLE = ("table page", "/openbangkok/districts", 200)
ERRORS = [
    ("missing page", "/no-such-page", 404),
    ("missing table", "/openbangkok/no_such_table", 404),
    ("missing row", "/openbangkok/districts/9999", 404),
    ("missing dataset page", "/-/datasets/no-such-dataset", 404),
    ("missing original file", "/-/datasets/clinics/files/no-such-file.csv", 404),
    ("unreadable query value", "/openbangkok/ita_ranking?fiscal_year_be=abc", 400),
]


def measure(url: str, requests: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name, _, _ in [TABLE, *ERRORS]}
    with httpx.Client(base_url=url, timeout=60) as client:
        for turn in range(requests + 5):
            for name, path, status in [TABLE, *ERRORS]:
                started = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - started
                if response.status_code != status:
                    raise SystemExit(f"{path}: {response.status_code}, expected {status}")
                if turn >= 5:
                    timings[name].append(elapsed * 1000)
    return timings


def report(timings: dict[str, list[float]], log: str, load: str) -> str:
    base = statistics.median(timings[TABLE[0]])
    lines = [
        "| page | path | median ms | p95 ms | median / table page |",
        "|---|---|---|---|---|",
    ]
    for name, path, _ in [TABLE, *ERRORS]:
        values = sorted(timings[name])
        median = statistics.median(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        lines.append(f"| {name} | `{path}` | {median:.1f} | {p95:.1f} | {median / base:.2f} |")
    logged = [line for line in log.splitlines() if line.strip()]
    lines.append("")
    lines.append(
        f"{len(timings[TABLE[0]])} requests of each, one at a time; load average before: {load}. "
        f"Server log: {len(logged)} lines, {sum('Traceback' in line for line in logged)} with a traceback."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=ROOT / "build" / "openbangkok.db")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    log = WORK / "error_pages_server.log"
    with timing_lock():
        from helpers import serve, stop  # shared with the tests; benchmarks/ is on sys.path: run as a script

        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
        server, url = serve(args.db, log=log, deadline=120)
        try:
            timings = measure(url, args.requests)
        finally:
            stop(server, timeout=30)
    text = report(timings, log.read_text(errors="replace"), load)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
