"""The CKAN Action API's datastore_search beside the same query on Datasette's JSON, in one run.

    python benchmarks/ckan.py                      (the committed datasets, built to benchmarks/work/ckan.db)
    python benchmarks/ckan.py --rows 100000        (generated tickets, built as benchmarks/serve.py builds them)
    python benchmarks/ckan.py --db benchmarks/work/serve_1000000.db --requests 100   (a build already made)

The site (`openbkk serve`) on a loopback port; each pair of requests below asks for the same rows,
sorted the same way, with the total count, once as ckanapi asks it (POST /api/action/..., JSON
body) and once as Datasette's JSON (GET, `_shape=objects`, no facets). The two are asked in turn,
one request at a time, the order swapped every round; p50 and p95 of each and their ratio. The
totals of each pair are checked to be equal first. Holds benchmarks/work/.timing.lock while it
times (as serve.py and build.py do). Writes benchmarks/results/ckan.md (or --out) and prints it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

# benchmarks/serve.py: its timing lock, server and statistics (and httpx, once it has found the venv)
from serve import (
    ROOT,
    WORK,
    Stats,
    fmt,
    httpx,
    load_average,
    prepare_database,
    site_server,
    timing,
)

RESULTS = ROOT / "benchmarks" / "results" / "ckan.md"
PAGE = 50
WORD = "ไฟ"


@dataclass
class Pair:
    name: str
    ckan_action: str
    ckan_params: dict
    datasette_path: str
    # what both answers must agree on: (of the CKAN result, of Datasette's JSON)
    same: tuple[Callable[[dict], object], Callable[[dict], object]]


TOTALS = (lambda r: r["total"], lambda d: d["filtered_table_rows_count"])
TICKETS = (lambda r: [x["ticket_id"] for x in r["records"]], lambda d: [x["ticket_id"] for x in d["rows"]])
SQL_ROWS = (lambda r: r["records"], lambda d: d["rows"])


def pairs(db: Path) -> list[Pair]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    district = conn.execute(
        "select district_code from complaints where district_code is not null group by 1 order by count(*) desc limit 1"
    ).fetchone()[0]
    conn.close()
    sql = "select district_code, count(*) as n from complaints group by district_code order by district_code"
    deep = f"select ticket_id from complaints order by timestamp desc, rowid limit {PAGE} offset 2000"
    common = {"_size": PAGE, "_nofacet": 1, "_shape": "objects"}
    return [
        Pair(
            "one district, newest first",
            "datastore_search",
            {
                "resource_id": "complaints",
                "filters": {"district_code": district},
                "sort": "timestamp desc",
                "limit": PAGE,
            },
            f"/openbangkok/complaints.json?{urlencode({'district_code': district, **common})}",
            TOTALS,
        ),
        Pair(
            f"Thai search {WORD}, newest first",
            "datastore_search",
            {"resource_id": "complaints", "q": WORD, "sort": "timestamp desc", "limit": PAGE},
            f"/openbangkok/complaints.json?{urlencode({'_search': WORD, **common})}",
            TOTALS,
        ),
        Pair(
            "a page at offset 2,000 (Datasette: the same SQL)",
            "datastore_search",
            {
                "resource_id": "complaints",
                "sort": "timestamp desc, _id",
                "limit": PAGE,
                "offset": 2000,
                "fields": ["ticket_id"],
            },
            f"/openbangkok.json?{urlencode({'sql': deep, '_shape': 'objects'})}",
            TICKETS,
        ),
        Pair(
            "SQL: tickets per district",
            "datastore_search_sql",
            {"sql": sql},
            f"/openbangkok.json?{urlencode({'sql': sql, '_shape': 'objects'})}",
            SQL_ROWS,
        ),
    ]


def ckan_call(client: httpx.Client, pair: Pair) -> dict:
    response = client.post(f"/api/action/{pair.ckan_action}", json=pair.ckan_params)
    response.raise_for_status()
    return response.json()["result"]


def check(client: httpx.Client, pair: Pair) -> str:
    """Both answers agree (the same total, or the same rows), or the run stops."""
    ours = pair.same[0](ckan_call(client, pair))
    theirs = pair.same[1](client.get(pair.datasette_path).json())
    if ours != theirs:
        raise SystemExit(f"{pair.name}: the CKAN API answered {ours!r}, Datasette {theirs!r}")
    return "same total" if pair.same is TOTALS else "same rows"


def measure(client: httpx.Client, pair: Pair, requests: int) -> tuple[Stats, Stats]:
    ckan, datasette = Stats(), Stats()
    for i in range(requests):
        order = [("ckan", ckan), ("datasette", datasette)]
        for which, stats in order if i % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            if which == "ckan":
                ckan_call(client, pair)
            else:
                client.get(pair.datasette_path).raise_for_status()
            stats.latencies.append(time.perf_counter() - started)
    return ckan, datasette


def build_committed() -> Path:
    out = WORK / "ckan.db"
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "openbangkok", "build", "--out", str(out)], check=True, stdout=subprocess.DEVNULL
    )
    return out


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--db", type=Path, help="a built database (default: build the committed datasets)")
    parser.add_argument("--rows", type=int, help="generated tickets in place of the committed complaints")
    parser.add_argument("--seed", type=int, default=2024, help="generator seed (generate_traffy.py's default)")
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind per pair")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    db = args.db or (prepare_database(args.rows, args.seed) if args.rows else build_committed())
    rows = sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("select count(*) from complaints").fetchone()[0]
    server = site_server(db)
    lines = []
    try:
        with httpx.Client(base_url=server.base, timeout=60) as client, timing():
            started = dt.datetime.now(dt.UTC)
            for pair in pairs(db):
                checked = check(client, pair)
                for _ in range(5):  # warm both paths
                    ckan_call(client, pair)
                    client.get(pair.datasette_path)
                ckan, datasette = measure(client, pair, args.requests)
                lines.append(
                    f"| {pair.name} | {fmt(ckan.pct(50), 1)} | {fmt(ckan.pct(95), 1)} | "
                    f"{fmt(datasette.pct(50), 1)} | {fmt(datasette.pct(95), 1)} | "
                    f"{ratio(ckan.pct(50), datasette.pct(50))} | {ratio(ckan.pct(95), datasette.pct(95))} "
                    f"| {checked} |"
                )
            finished = dt.datetime.now(dt.UTC)
    finally:
        server.stop()
    report = "\n".join(
        [
            "# CKAN Action API beside Datasette's JSON",
            "",
            (
                f"`python benchmarks/ckan.py{' --db ' + str(args.db) if args.db else ''}"
                f"{f' --rows {args.rows}' if args.rows else ''} --requests {args.requests}`, "
                f"{started:%Y-%m-%d %H:%M}-{finished:%H:%M} UTC, {platform.machine()}, Python {platform.python_version()}, "
                f"SQLite {sqlite3.sqlite_version}, load average at the end {load_average()}; "
                f"{db.name}: {rows:,} complaints."
            ),
            "",
            "One client, one request at a time, the two kinds in turn; milliseconds over HTTP on loopback.",
            "",
            "| request | CKAN p50 | CKAN p95 | Datasette p50 | Datasette p95 | ratio p50 | ratio p95 | answers |",
            "|---|---|---|---|---|---|---|---|",
            *lines,
            "",
        ]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
