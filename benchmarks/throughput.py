"""Requests per second per core (issue 25): the site with one worker process and with one per core,
at concurrency 1, 8 and 32, against raw SQLite running the same queries, in one run.

    python benchmarks/throughput.py --rows 1000000            (the database serve.py builds)
    python benchmarks/throughput.py --db build/openbangkok.db --seconds 5    (a quick look)

Endpoints: the table page (HTML, newest first, facets), a filtered page (one district), a Thai
search (ไฟ), a row page, and the CKAN action `datastore_search` (one district, newest first, as a
GET). Each cell is `--seconds` of closed-loop clients (benchmarks/serve.py's load(): each client
sends its next request when the last is answered in full), after one unmeasured request. The floor
is the same SQL on one SQLite connection in this process, one query at a time (serve.py's floor();
for the CKAN call, the district page's SQL). requests/s per core = requests/s / cores used (the
workers, at most the machine's cores). The load average is reported before each server's runs.
Holds benchmarks/work/.timing.lock while it measures. Report: benchmarks/results/throughput.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sqlite3
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

from helpers import rerun_in_project_venv  # imports nothing of the project

try:
    import httpx  # noqa: F401

    import openbangkok  # noqa: F401
except ImportError as error:  # `python benchmarks/throughput.py` outside the project's virtualenv
    rerun_in_project_venv(error)

from serve_endpoints import Endpoint, columns_of, search_where, table_request  # noqa: E402
from serve_load import Server, floor, load  # noqa: E402
from serve_setup import DB, ROOT, SEARCHES, TABLE, prepare_database, sample, timing  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "throughput.md"
CONCURRENCY = (1, 8, 32)
TARGET_WORKER_MB = 400


def chosen(db: Path) -> list[Endpoint]:
    s = sample(db)
    cols = columns_of(db)
    d = lambda i: s.districts[i % len(s.districts)]  # noqa: E731
    t = lambda i: s.tickets[i % len(s.tickets)]  # noqa: E731
    table = f"/{DB}/{TABLE}"
    where, params = search_where(SEARCHES[0])
    district_page = lambda i: table_request(cols, "district_code = :d", {"d": d(i)})  # noqa: E731

    def ckan(i):
        query = {
            "resource_id": TABLE,
            "filters": json.dumps({"district_code": d(i)}),
            "sort": "timestamp desc",
            "limit": 50,
        }
        return "/api/action/datastore_search?" + urlencode(query)

    return [
        Endpoint("table page (HTML)", lambda i: table, lambda i: table_request(cols)),
        Endpoint("filtered page: one district (HTML)", lambda i: f"{table}?district_code={d(i)}", district_page),
        Endpoint(
            f"Thai search {SEARCHES[0]} (HTML)",
            lambda i: f"{table}?_search={quote(SEARCHES[0])}",
            lambda i: table_request(cols, where, params),
        ),
        Endpoint(
            "row page (HTML)",
            lambda i: f"{table}/{t(i)}",
            lambda i: [(f"select {cols} from {TABLE} where ticket_id = :t", {"t": t(i)})],
            kind="row",
        ),
        Endpoint("CKAN datastore_search, one district", ckan, district_page, kind="query"),
    ]


def worker_memory_mb(server: Server) -> tuple[float, float]:
    """The largest resident set and the largest anonymous memory among the server's processes
    (workers and supervisor), MB (measuring.memory_kib says why both)."""
    from measuring import memory_kib, tree

    sizes = [memory_kib(pid) for pid in tree(server.process.pid)]
    return max((s[1] for s in sizes), default=0) / 1024, max((s[2] for s in sizes), default=0) / 1024


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--db", type=Path, help="A database built already (instead of --rows).")
    parser.add_argument("--seconds", type=float, default=10.0, help="Seconds per endpoint and concurrency.")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, os.cpu_count() or 1])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    db = args.db.resolve() if args.db else prepare_database(args.rows, args.seed)
    endpoints = chosen(db)
    cores = os.cpu_count() or 1
    floors = {}
    with timing():
        for ep in endpoints:
            stats = floor(db, ep.floor, 10**9, args.seconds)
            floors[ep.name] = stats.rate
            print(f"  floor {ep.name:40} {stats.rate:8.1f}/s", file=sys.stderr)
    rates: dict[int, dict[str, dict[int, tuple[float, int]]]] = {}
    loads, memory = {}, {}
    for workers in args.workers:
        loads[workers] = os.getloadavg()[0]
        server = Server(
            [sys.executable, "-m", "openbangkok", "serve", "--db", str(db), "--workers", str(workers)], deadline=300
        )
        try:
            rates[workers] = {}
            with timing():
                for ep in endpoints:
                    rates[workers][ep.name] = {}
                    asyncio.run(load(server.base, [(ep, ep.site)], 1, 2, 120, True, timeout=120))
                    for concurrency in CONCURRENCY:
                        stats = asyncio.run(
                            load(server.base, [(ep, ep.site)], concurrency, 10**9, args.seconds, True, timeout=120)
                        )
                        rates[workers][ep.name][concurrency] = (stats.rate, sum(stats.errors.values()))
                        print(
                            f"  {workers} worker(s) {ep.name:40} c{concurrency}: {stats.rate:7.1f}/s "
                            f"errors {stats.errors or 0}",
                            file=sys.stderr,
                        )
            memory[workers] = worker_memory_mb(server)
        finally:
            server.stop()

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    complaints = conn.execute(f"select count(*) from {TABLE}").fetchone()[0]
    conn.close()
    lines = [
        f"# Requests per core: {complaints:,} complaints",
        "",
        f"`python benchmarks/throughput.py {'--db ' + db.name if args.db else f'--rows {args.rows}'} "
        f"--seconds {args.seconds:g}`, {dt.datetime.now().astimezone().isoformat(timespec='minutes')}; "
        f"{cores} cores; database {db.stat().st_size / 1e6:,.0f} MB; load average before each server: "
        + ", ".join(f"{w} worker(s) {load:.2f}" for w, load in loads.items())
        + ".",
        "",
        "requests/s (errors in brackets when any); per core = requests/s / min(workers, cores); "
        "floor: the same SQL on one SQLite connection, one query at a time.",
        "",
        "| endpoint | floor /s | "
        + " | ".join(f"{w} worker(s) c{c} /s (per core)" for w in rates for c in CONCURRENCY)
        + " |",
        "|---|---:|" + "---:|" * (len(rates) * len(CONCURRENCY)),
    ]
    for ep in endpoints:
        cells = []
        for workers, by_endpoint in rates.items():
            for concurrency in CONCURRENCY:
                rate, errors = by_endpoint[ep.name][concurrency]
                cells.append(f"{rate:.1f} ({rate / min(workers, cores):.1f})" + (f" [{errors}]" if errors else ""))
        lines.append(f"| {ep.name} | {floors[ep.name]:.0f} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| server | largest process resident set, MB (with the database pages it maps) "
        "| largest process's own (anonymous) memory, MB (target < 400 per worker) |",
        "|---|---:|---:|",
    ]
    lines += [f"| {w} worker(s) | {rss:,.0f} | {anonymous:,.0f} |" for w, (rss, anonymous) in memory.items()]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
