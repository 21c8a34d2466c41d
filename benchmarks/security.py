"""What the security work of issue 19 costs, and what it buys.

    python benchmarks/security.py --texts 'PAGES/*.json' --db build/openbangkok.db

1. Redaction, µs a text: openbangkok.thai.redact against the redaction of a baseline revision (--baseline,
   read with `git show`), in turns, median of 9 passes over the texts: the comments of Traffy Fondue
   share-API pages (--texts, JSON with a `results` list) or, without them, of the committed sample.
2. The guard on SQLite connections, µs a row: every row of complaints fetched with Datasette's row and
   text factories, then through a guarded connection (openbangkok.site.security.sql_guard: the byte count), in turns.
3. Errors: `openbkk serve` on --db; an ordinary request alone, then while 80 bad requests (missing
   pages, refused SQL, 3,000 `_where`, an unknown facet) arrive at once, 5 rounds.

Holds benchmarks/work/.timing.lock while timing. Prints Markdown (and writes --out if given).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import glob
import importlib.util
import json
import sqlite3
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from helpers import rerun_in_project_venv, timing_lock  # noqa: E402  (imports nothing of the project)

try:
    import httpx

    from openbangkok.model.sql_functions import register
    from openbangkok.site.security.sql_guard import guard
    from openbangkok.thai import redact as current
except ImportError as error:  # outside the project's virtualenv
    rerun_in_project_venv(error)

WORK = ROOT / "benchmarks" / "work"
SAMPLE = ROOT / "datasets" / "complaints" / "traffy_fondue.csv"


def texts_of(pattern: str | None) -> tuple[list[str], str]:
    if pattern:
        texts = [
            r.get("comment") or ""
            for path in sorted(glob.glob(pattern))
            for r in json.loads(Path(path).read_text(encoding="utf-8"))["results"]
        ]
        return texts, f"the comments of {len(glob.glob(pattern))} Traffy Fondue share-API pages"
    with SAMPLE.open(encoding="utf-8") as f:
        return [row["comment"] for row in csv.DictReader(f)], "the comments of the committed sample"


REDACT_PATHS = ("scripts/openbangkok/thai/redact.py", "scripts/openbangkok/redact.py")  # now, before issue 21


def baseline_module(revision: str):
    for where in REDACT_PATHS:
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:{where}"], capture_output=True, text=True)
        if shown.returncode == 0:
            break
    shown.check_returncode()
    source = shown.stdout
    path = WORK / f"redact_{revision}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"redact_{revision}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def redaction(texts: list[str], baseline) -> dict[str, float]:
    runs: dict[str, list[float]] = {"baseline": [], "current": []}
    for _ in range(9):
        for name, module in (("baseline", baseline), ("current", current)):
            redactor = module.Redactor()
            started = time.perf_counter()
            for text in texts:
                redactor.redact(text)
            runs[name].append((time.perf_counter() - started) / len(texts) * 1e6)
    return {name: statistics.median(values) for name, values in runs.items()}


def guard_cost(db: Path) -> tuple[dict[str, list[float]], int]:
    runs: dict[str, list[float]] = {"datasette": [], "guarded": []}
    count = 0
    for _ in range(9):
        for name, times in runs.items():
            conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
            register(conn)
            conn.row_factory, conn.text_factory = sqlite3.Row, (lambda x: str(x, "utf-8", "replace"))
            if name == "guarded":
                guard(conn, "openbangkok")
            started = time.perf_counter()
            count = 0
            for offset in range(0, 10**9, 1000):  # pages of 1,000, as a CSV stream reads them
                rows = conn.execute(
                    "select * from complaints where rowid > ? order by rowid limit 1000", [offset]
                ).fetchall()
                count += len(rows)
                if len(rows) < 1000:
                    break
            times.append((time.perf_counter() - started) / max(count, 1) * 1e6)
            conn.close()
    return runs, count


BAD = [
    "/no-such-page",
    "/openbangkok/no_such_table.json",
    "/openbangkok.json?sql=select+fts3_tokenizer(%27simple%27)",
    "/openbangkok/complaints.json?" + "&".join(["_where=1"] * 3000)[:8000],
    "/openbangkok/complaints.json?_facet=nope",
    "/openbangkok/complaints?_facet=%00",
    "/openbangkok/complaints.json?_through=%7B%7D",
    "//evil.example",
]


def errors(db: Path) -> list[dict]:
    # shared with the tests; benchmarks/ is on sys.path: run as a script
    from helpers import serve, stop

    server, url = serve(db, log=WORK / "security_server.log", deadline=120)
    ordinary = "/openbangkok/districts.json?_shape=array"

    async def rounds():
        results = []
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=200)) as client:
            alone = []
            for _ in range(20):
                started = time.perf_counter()
                await client.get(ordinary)
                alone.append(time.perf_counter() - started)
            for _ in range(5):

                async def timed(address):
                    started = time.perf_counter()
                    response = await client.get(url + address)
                    return response.status_code, time.perf_counter() - started

                started = time.perf_counter()
                bad = [asyncio.create_task(timed(BAD[n % len(BAD)])) for n in range(80)]
                await asyncio.wait(bad, return_when=asyncio.FIRST_COMPLETED)  # the flood is being answered
                among = await timed(ordinary)
                answers = await asyncio.gather(*bad)
                results.append(
                    {
                        "alone_ms": statistics.median(alone) * 1000,
                        "ordinary_ms": among[1] * 1000,
                        "all_80_s": time.perf_counter() - started,
                        "statuses": sorted({status for status, _ in answers}),
                    }
                )
        return results

    try:
        return asyncio.run(rounds())
    finally:
        stop(server, timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", help="glob of Traffy Fondue share-API JSON pages (default: the sample's comments)")
    parser.add_argument("--baseline", default="d836d0b", help="revision whose redaction is the baseline")
    parser.add_argument("--db", type=Path, default=ROOT / "build" / "openbangkok.db")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    texts, described = texts_of(args.texts)
    lines = [f"# Security benchmarks ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", ""]
    with timing_lock():
        times = redaction(texts, baseline_module(args.baseline))
        passing = sum(1 for t in texts if current.may_hold_personal_data(t))
        lines += [
            f"Redaction of {len(texts):,} texts ({described}; {passing} pass the quick check), median of 9:",
            "",
            "| | µs a text |",
            "|---|---|",
            f"| baseline ({args.baseline}) | {times['baseline']:.2f} |",
            f"| current | {times['current']:.2f} |",
            f"| ratio | {times['current'] / times['baseline']:.2f} |",
            "",
        ]
        cost, count = guard_cost(args.db)
        median = {name: statistics.median(values) for name, values in cost.items()}
        least = {name: min(values) for name, values in cost.items()}
        lines += [
            f"The {count:,} complaints of {args.db.name} fetched in pages of 1,000, 9 passes in turns:",
            "",
            "| connection | µs a row, median | fastest pass |",
            "|---|---|---|",
            f"| Datasette's factories | {median['datasette']:.2f} | {least['datasette']:.2f} |",
            f"| guarded (sql_guard) | {median['guarded']:.2f} | {least['guarded']:.2f} |",
            f"| ratio | {median['guarded'] / median['datasette']:.2f} | {least['guarded'] / least['datasette']:.2f} |",
            "",
        ]
        rounds = errors(args.db)
        lines += [
            "An ordinary request while 80 bad requests arrive at once (`openbkk serve`, 5 rounds):",
            "",
            (
                "| round | ordinary request alone (median of 20) | ordinary request sent once the first of the 80 "
                "is answered | all answered | statuses of the 80 |"
            ),
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {n} | {r['alone_ms']:.1f} ms | {r['ordinary_ms']:.1f} ms | {r['all_80_s']:.2f} s | "
            f"{', '.join(map(str, r['statuses']))} |"
            for n, r in enumerate(rounds, 1)
        ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
