"""The serving benchmark's database and settings (benchmarks/serve.py): the generated complaints
built with `openbkk build`, the values the requests rotate through, the targets, and the lock that
keeps two benchmarks from timing at once."""

from __future__ import annotations

import filecmp
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from generate_traffy import point_complaints_at_dump  # benchmarks/ is on sys.path: run as a script
from helpers import timing_lock as timing  # noqa: F401 (the serve benchmarks' name)

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work"
RESULTS = ROOT / "benchmarks" / "results" / "serve.md"
DB = "openbangkok"
TABLE = "complaints"
PAGE = 50  # complaints' page size (datasets/complaints/metadata.yml)
MAX_ROWS = 1000  # max_returned_rows, the map's _size=max
FACETS = ("district_code", "state", "types")
SEARCHES = ("ไฟ", "ขยะ")
STATE = "รอรับเรื่อง"
# types a reader clicks in the types facet, each on about 3 % of the generated tickets
TYPES = ("ถนน", "ความสะอาด", "ทางเท้า", "แสงสว่าง", "น้ำท่วม")
MAP_QUERY = "_size=max&_labels=on&_extra=count&_extra=next_url&_shape=objects"  # datasette-cluster-map 0.18
TARGET_P95_MS = 100
TARGET_SEARCH_P95_MS = 300
TARGET_RATIO = 1.5
TARGET_CSV_MBS = 20
# The site's cheapest answer (no SQL of the table): what any page costs on top of its SQL, through the same
# server, ASGI wrappers and HTTP client. Reported beside the floor; the targets are judged on the floor alone.
MINIMAL = "/-/versions.json"
MINIMAL_STATS: dict = {}


def prepare_database(rows: int, seed: int) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    source = WORK / f"serve_traffy_{rows}.csv"
    if not source.exists():
        print(f"generating {rows:,} tickets -> {source}", file=sys.stderr)
        partial = source.with_suffix(".partial")
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "generate_traffy.py"),
                "--rows",
                str(rows),
                "--seed",
                str(seed),
                "--out",
                str(partial),
            ],
            check=True,
        )
        partial.rename(source)
    datasets = WORK / f"serve_datasets_{rows}"
    mirror(ROOT / "datasets", datasets, skip={Path("complaints") / "traffy_fondue.csv"})
    complaints = datasets / "complaints" / "traffy_fondue.csv"
    if not complaints.exists() or not os.path.samefile(source, complaints):
        complaints.unlink(missing_ok=True)
        os.link(source, complaints)
    point_complaints_at_dump(datasets)  # the published site's complaints are the API's pages
    db = WORK / f"serve_{rows}.db"
    print(f"building {db} (only what changed since the last run)", file=sys.stderr)
    started = time.perf_counter()
    with timing():  # not timed here, but it would load the CPUs under someone else's timing
        subprocess.run(
            [sys.executable, "-m", "openbangkok", "build", "--datasets", str(datasets), "--out", str(db)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"  {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return db


def mirror(source: Path, target: Path, skip: set[Path]) -> None:
    """target becomes a copy of source; files with the same bytes are left alone (the build is incremental)."""
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file()} - skip
    for relative in sorted(wanted):
        src, dst = source / relative, target / relative
        if not dst.exists() or not filecmp.cmp(src, dst, shallow=False):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    for path in target.rglob("*"):
        if path.is_file() and path.relative_to(target) not in wanted | skip:
            path.unlink()


@dataclass
class Sample:
    """Values the requests rotate through, read from the database once."""

    count: int
    districts: list[str]
    tickets: list[str]
    month: str
    size_mb: float


def sample(db: Path) -> Sample:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    count = conn.execute(f"select count(*) from {TABLE}").fetchone()[0]
    districts = [
        r[0]
        for r in conn.execute(
            f"select district_code from {TABLE} where district_code is not null group by 1 order by 1 limit 10"
        )
    ]
    step = max(1, count // 200)
    tickets = [r[0] for r in conn.execute(f"select ticket_id from {TABLE} where rowid % ? = 0 limit 200", (step,))]
    month = conn.execute(f"select max(reported_month) from {TABLE}").fetchone()[0]
    conn.close()
    return Sample(count, districts, tickets, month, db.stat().st_size / 1e6)


def canned_sql(name: str) -> str:
    import yaml

    metadata = yaml.safe_load((ROOT / "datasets" / "complaints" / "metadata.yml").read_text(encoding="utf-8"))
    return metadata["queries"][name]["sql"]
