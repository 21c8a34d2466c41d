"""How long a worker of `openbkk serve --workers N` takes to start, with and without the inspect data
the serving process works out once and hands to every worker (openbangkok.site.workers), in one run.

    python benchmarks/worker_start.py --rows 1000000          (the database serve.py builds)
    python benchmarks/worker_start.py --db build/openbangkok.db --runs 3     (a quick look)

The serving process's part is done once here as `openbkk serve` does it: the site made on the file
(pinned), its startup run (which hashes the file), then site.workers.worker_environment() (the
tables counted, the inspect data written). Then, alternately with and without INSPECT_ENV in its
environment, a worker is started `--runs` times as uvicorn starts one (a new process calling
site.workers.app()), and timed until it has answered its first table page (its startup hooks run on
the first request; the ETag needs the build digest) and the database page (its table counts). Each
run in its own process holding the timing lock (measuring.measure: wall and CPU seconds, peak
memory); the median is reported. Report: benchmarks/results/worker_start.md (or --out).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

from measuring import ROOT, Run, fmt, measure

RESULTS = ROOT / "benchmarks" / "results" / "worker_start.md"
FIRST_REQUESTS = ("/openbangkok/complaints.json?_size=1", "/openbangkok.json")


def be_a_worker() -> None:
    """What a worker does until it has answered its first requests (run as `--worker`)."""
    import httpx

    from openbangkok.site import workers

    app = workers.app()

    async def first_answers():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=600) as client:
            for path in FIRST_REQUESTS:
                answer = await client.get(path)
                if answer.status_code != 200:
                    raise SystemExit(f"{path}: {answer.status_code}")

    asyncio.run(first_answers())


def serving_process(db: Path, datasets: Path) -> tuple[dict[str, str], float, float]:
    """(the workers' environment, seconds of the site's startup, seconds of worker_environment())."""
    from openbangkok.site.app import make_datasette
    from openbangkok.site.workers import worker_environment

    started = time.perf_counter()
    ds = make_datasette(db, datasets)
    asyncio.run(ds.invoke_startup())
    startup = time.perf_counter() - started
    started = time.perf_counter()
    environment = asyncio.run(worker_environment(ds, datasets))
    return environment, startup, time.perf_counter() - started


def markdown(db: Path, runs: dict[str, list[Run]], startup: float, handing: float, args) -> str:
    def median(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    lines = [
        f"# Worker start: {db.name}, {db.stat().st_size / 1e6:,.0f} MB",
        "",
        f"`python benchmarks/worker_start.py {'--db ' + str(args.db) if args.db else f'--rows {args.rows}'} "
        f"--runs {args.runs}`, {dt.datetime.now().astimezone().isoformat(timespec='minutes')}; "
        f"{os.cpu_count()} cores; load average at the end {os.getloadavg()[0]:.2f}.",
        "",
        f"The serving process, once: its site's startup (the file hashed) {fmt(startup, 2)} s, then the "
        f"inspect data worked out and written for the workers (the tables counted) {fmt(handing, 2)} s.",
        "",
        "| a worker, from its process start to its first table page and database page | seconds (median) | "
        "CPU seconds (median) | peak memory, MB (median) | runs |",
        "|---|---:|---:|---:|---|",
    ]
    for label, done in runs.items():
        lines.append(
            f"| {label} | {fmt(median(r.seconds for r in done), 2)} | {fmt(median(r.cpu_seconds for r in done), 2)} | "
            f"{fmt(median(r.peak_pss_mb for r in done), 0)} | "
            + ", ".join(fmt(r.seconds, 2) if r.ok else "failed" for r in done)
            + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--db", type=Path, help="A database built already (instead of --rows).")
    parser.add_argument("--datasets", type=Path, help="Its datasets (with --db; default: the project's).")
    parser.add_argument("--runs", type=int, default=5, help="Worker starts of each kind.")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # the timed process
    args = parser.parse_args(argv)
    if args.worker:
        be_a_worker()
        return
    from serve_setup import WORK, prepare_database

    from openbangkok.model.catalog import DEFAULT_DATASETS
    from openbangkok.site.workers import INSPECT_ENV

    if args.db:
        db, datasets = args.db.resolve(), (args.datasets or DEFAULT_DATASETS).resolve()
    else:
        db, datasets = prepare_database(args.rows, args.seed), WORK / f"serve_datasets_{args.rows}"
    environment, startup, handing = serving_process(db, datasets)
    without = {key: value for key, value in environment.items() if key != INSPECT_ENV}
    kinds = {
        "with the inspect data handed over (now)": environment,
        "working it out itself (before: hashing the file, counting rows)": without,
    }
    runs: dict[str, list[Run]] = {label: [] for label in kinds}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    for number in range(args.runs):
        for label, env in kinds.items():
            runs[label].append(measure(f"worker {number + 1}, {label}", command, args.timeout, env=env))
    text = markdown(db, runs, startup, handing, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
