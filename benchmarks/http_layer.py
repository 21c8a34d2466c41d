"""What the HTTP layer (openbangkok.site.serving.http_cache: ETag, Last-Modified, Cache-Control, 304, gzip) costs
per request, against the same site without it, in one run.

    python benchmarks/http_layer.py                       (the project's datasets, built here)
    python benchmarks/http_layer.py --db FILE --requests 60

Two `openbkk serve` processes on loopback on the same database: one as deployed, one with the layer
switched off (OPENBANGKOK_SERVING_OFF=http_cache). For each endpoint, requests go round-robin to
four variants, one client, one request at a time, the raw body read to its end and not decoded:

- off: the site without the layer (no ETag, no gzip);
- identity: the layer, `Accept-Encoding: identity` (validators and Cache-Control only);
- gzip: the layer, `Accept-Encoding: gzip`;
- 304: the layer, a repeat with the ETag in If-None-Match.

Reports median and p95 in ms, their ratio to "off", and the bytes on the wire. Writes Markdown to
benchmarks/results/http_layer.md (or --out) and prints it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpx
from serve import (  # the serving benchmark's tools
    ROOT,
    WORK,
    load_average,
    site_server,
    timing,
)

RESULTS = ROOT / "benchmarks" / "results" / "http_layer.md"
ENDPOINTS = [
    ("JSON page (default size)", "/openbangkok/complaints.json"),
    ("JSON 1,000 rows, objects", "/openbangkok/complaints.json?_size=max&_shape=objects"),
    ("HTML table page", "/openbangkok/complaints"),
    ("JSON one row", "/openbangkok/districts/1001.json"),
    ("CSV stream, every row", "/openbangkok/complaints.csv?_stream=on"),
]
VARIANTS = ("off", "identity", "gzip", "304")


def fetch(client: httpx.Client, url: str, headers: dict) -> tuple[float, int, httpx.Headers]:
    started = time.perf_counter()
    with client.stream("GET", url, headers=headers) as answer:
        size = sum(len(chunk) for chunk in answer.iter_raw())
    return time.perf_counter() - started, size, answer.headers


def measure(off: str, on: str, path: str, requests: int) -> dict[str, dict]:
    with httpx.Client(timeout=120) as client:
        tag = fetch(client, on + path, {"accept-encoding": "gzip"})[2]["etag"]
        plan = {
            "off": (off, {"accept-encoding": "identity"}),
            "identity": (on, {"accept-encoding": "identity"}),
            "gzip": (on, {"accept-encoding": "gzip"}),
            "304": (on, {"accept-encoding": "gzip", "if-none-match": tag}),
        }
        for base, headers in plan.values():  # warm: caches, facet memo, first-request start-up
            fetch(client, base + path, headers)
        times = {v: [] for v in VARIANTS}
        sizes = {}
        for _ in range(requests):
            for variant in VARIANTS:
                seconds, size, _ = fetch(client, plan[variant][0] + path, plan[variant][1])
                times[variant].append(seconds * 1000)
                sizes[variant] = size
    return {
        v: {"p50": statistics.median(times[v]), "p95": statistics.quantiles(times[v], n=20)[18], "bytes": sizes[v]}
        for v in VARIANTS
    }


def prepare_database() -> Path:
    db = WORK / "http_layer.db"
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "openbangkok", "build", "--out", str(db)], check=True, stdout=subprocess.DEVNULL
    )
    return db


def report(db: Path, requests: int, results: dict, load_before: str, load_after: str) -> str:
    setting = (
        f"Database {db.name}; {requests} requests per variant, round-robin, one client on loopback; "
        f"load average before {load_before}, after {load_after}. Ratios are to the site without the layer."
    )
    lines = [
        f"# HTTP layer: cost per request ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        setting,
        "",
        "| endpoint | variant | p50 ms | p95 ms | p50 ratio | bytes |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        base = rows["off"]["p50"]
        for variant, row in rows.items():
            lines.append(
                f"| {name} | {variant} | {row['p50']:.1f} | {row['p95']:.1f} | "
                f"{row['p50'] / base:.2f} | {row['bytes']:,} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="A built database (default: build the project's datasets).")
    parser.add_argument("--requests", type=int, default=40, help="Requests per endpoint and variant.")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    db = args.db or prepare_database()
    on, off = site_server(db), site_server(db, {"OPENBANGKOK_SERVING_OFF": "http_cache"})
    try:
        load_before = load_average()
        with timing():
            results = {name: measure(off.base, on.base, path, args.requests) for name, path in ENDPOINTS}
        text = report(db, args.requests, results, load_before, load_average())
    finally:
        on.stop()
        off.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
