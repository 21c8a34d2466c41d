"""What each serving lever is worth (benchmarks/serve.py --levers): the site again with each lever
off in turn (OPENBANGKOK_SERVING_OFF), or on a copy without the serving indexes, against all on."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from serve_endpoints import endpoints
from serve_load import Export, Stats, errors_text, export, fmt, load, next_page, site_server
from serve_setup import DB, TABLE, WORK, Sample, canned_sql, timing

LEVER_ENDPOINTS = {
    "mmap": ["filtered: state รอรับเรื่อง (JSON)", "search ไฟ", "map data (cluster map's request)"],
    "fast_array_facet": ["filtered: one district", "filtered: state รอรับเรื่อง (JSON)", "search ไฟ"],
    "facet_memo": ["table, first page", "table, first page (JSON)", "map data (cluster map's request)"],
    "next_page_facets": ["next page"],
    "gc": ["table, first page", "filtered: one district", "map data (cluster map's request)"],
    "serving_indexes": [
        "filtered: one district",
        "filtered: state รอรับเรื่อง (JSON)",
        "next page",
        "canned query: district league",
    ],
    "search_sql": ["search ไฟ", "search ขยะ"],
    "precomputed_facets": ["search ไฟ", "filtered: one district (JSON)", "filtered: state รอรับเรื่อง (JSON)"],
    "permission_memo": ["filtered: one district", "filtered: one district (JSON)", "row page"],
    "fast_rows": ["map data (cluster map's request)"],
}
LEVER_NOTES = {
    "mmap": "SQLite reads the file through mmap (pragma mmap_size)",
    "fast_array_facet": "types facet: group by the array, then split each distinct array once (Datasette: DISTINCT over every column of every row)",
    "facet_memo": "whole-table facets of the immutable file computed once at startup",
    "next_page_facets": "page 2 shows page 1's facets (Datasette: recounted over the rows after the page)",
    "gc": "gc.freeze() after startup and young collections every 10,000 allocations (700)",
    "stream_csv": "CSV streams: 1,000 rows a query (Datasette dropped its own _size=max: 50), primary-key order, 64 KB blocks",
    "serving_indexes": "datasets/complaints/serving_indexes.sql; without: the single-column indexes the build makes",
    "search_sql": "a search's count from the FTS index alone; its page read newest first along complaints_newest, stopping after a page of matches (when 1 row in 200 or more matches)",
    "precomputed_facets": "facets (and the count) of a search or of equality filters from serving_precomputed.sql: one value's facets read as they are, other filters and searches summed per (district, state, types) combination, one query for all three",
    "permission_memo": "view-table permission answered from memory (Datasette 0.65.5 deep-copies the whole metadata for each check, twice a page)",
    "fast_rows": "rows with labels (CustomRow) iterated by the dictionary's C lookup instead of a Python generator",
}
ENV_LEVERS = [
    "mmap",
    "fast_array_facet",
    "facet_memo",
    "next_page_facets",
    "gc",
    "stream_csv",
    "search_sql",
    "precomputed_facets",
    "permission_memo",
    "fast_rows",
]
SERVING_INDEXES = [
    "complaints_newest",
    "complaints_district_newest",
    "complaints_state_newest",
    "complaints_month_district",
]
# what the build and complaints_statistics.sql index without them: the facet, sort and foreign-key columns, the month
BUILD_INDEXES = ["timestamp", "district_code", "state", "reported_month"]


def without_serving_indexes(db: Path) -> Path:
    """A copy of the database with the indexes of datasets/complaints/serving_indexes.sql replaced by
    the single-column indexes the build makes from the metadata's facets and sort order."""
    copy = WORK / f"{db.stem}_without_serving_indexes.db"
    print(f"  copying {db} without its serving indexes", file=sys.stderr)
    shutil.copyfile(db, copy)
    conn = sqlite3.connect(copy)
    for name in SERVING_INDEXES:
        conn.execute(f"drop index if exists {name}")
    for column in BUILD_INDEXES:
        conn.execute(f"create index if not exists idx_{TABLE}_{column} on {TABLE} ({column})")
    conn.execute(f"create index if not exists idx_{TABLE}_types on {TABLE} (types)")
    conn.execute(f"analyze {TABLE}")
    conn.commit()
    conn.close()
    return copy


@dataclass
class LeverRow:
    lever: str
    endpoint: str
    with_lever: Stats | Export
    without: Stats | Export


def measure_levers(args, db: Path, s: Sample) -> list[LeverRow]:
    """Each lever off in turn (OPENBANGKOK_SERVING_OFF, or the database without the serving indexes),
    at concurrency 1, against everything on."""
    league_sql = canned_sql("complaints_district_league")
    rows: list[LeverRow] = []
    baseline: dict[str, Stats | Export] = {}
    variants = [("all on", None, db), *[(lever, lever, db) for lever in ENV_LEVERS], ("serving_indexes", None, None)]
    for label, off, variant_db in variants:
        if variant_db is None:
            variant_db = without_serving_indexes(db)
        server = site_server(variant_db, {"OPENBANGKOK_SERVING_OFF": off} if off else None)
        try:
            token, last = next_page(server.base, f"/{DB}/{TABLE}")
            next_token = {"token": token, "timestamp": last.get("timestamp"), "ticket_id": last.get("ticket_id")}
            eps = {ep.name: ep for ep in endpoints(variant_db, s, db.stem, league_sql, next_token)}
            names = (
                sorted({n for ns in LEVER_ENDPOINTS.values() for n in ns})
                if label == "all on"
                else LEVER_ENDPOINTS.get(label, [])
            )
            for name in names:
                ep = eps[name]
                with timing():
                    asyncio.run(load(server.base, [(ep, ep.site)], 1, 1, 120, True, timeout=120))
                    stats = asyncio.run(
                        load(
                            server.base, [(ep, ep.site)], 1, max(5, args.requests // 2), args.seconds, True, timeout=120
                        )
                    )
                if label == "all on":
                    baseline[name] = stats
                else:
                    rows.append(LeverRow(label, name, baseline[name], stats))
                print(f"  {label:16} {name:40} p50 {fmt(stats.pct(50))} ms {errors_text(stats)}", file=sys.stderr)
            if label in ("all on", "stream_csv", "serving_indexes"):
                timeout = args.export_timeout if label == "all on" else min(args.export_timeout, 60)
                with timing():
                    result = asyncio.run(export(server.base, f"/{DB}/{TABLE}.csv?_stream=on", s.count, timeout))
                if label == "all on":
                    baseline["CSV export"] = result
                else:
                    rows.append(LeverRow(label, "CSV export", baseline["CSV export"], result))
                print(f"  {label:16} CSV export {result}", file=sys.stderr)
        finally:
            server.stop()
            if label == "serving_indexes":
                variant_db.unlink(missing_ok=True)
    return rows
