"""A day's change to a large complaints dump, applied incrementally (issue 25), against a full build
of the same new dump, in one run.

    python benchmarks/incremental.py --rows 1000000                 (5,000 changed, 5,000 new)
    python benchmarks/incremental.py --rows 200000 --out /tmp/incremental.md    (a quick look)

1. The files: benchmarks/generate_traffy.py writes rows + new tickets (real-length text, seeded,
   kept in benchmarks/work/ as build.py keeps it). The old dump is the first `rows` records; the new
   one is the old with `changed` tickets changed as a day changes them (state finished, a later
   last activity, a photo after) followed by the `new` tickets.
2. Timed, one after the other, each in its own process holding the timing lock (measuring.measure):
   - `openbkk build --full` of the old dump (the published file the day starts from; not compared);
   - `openbkk build` of the new dump on a copy of it: the changed rows applied in place
     (pipeline.in_place);
   - the same with OPENBANGKOK_IN_PLACE=0: the complaints dataset loaded again whole (the build
     before issue 25), on another copy (left out with --no-reload);
   - `openbkk build --full` of the new dump: the full build the goal is measured against.
   Each with `--timings` (its own steps) and the load average before it.

The report is Markdown, printed and written to benchmarks/results/incremental.md (or --out). Not
part of the test run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import shutil
import sqlite3
import sys
from pathlib import Path

from measuring import ROOT, WORK, Run, fmt, measure, steps_of, tool, verdict
from work_files import datasets_with, dump

RESULTS = ROOT / "benchmarks" / "results" / "incremental.md"
TARGET_SHARE = 0.10  # the incremental build at most 10 % of the full build's time
STATE_FINISHED = "เสร็จสิ้น"


def day_later(source: Path, rows: int, changed: int, new: int, old_out: Path, new_out: Path) -> int:
    """Writes the old dump (the first `rows` records) and the new one (the old with `changed`
    tickets changed, then `new` more); the number of tickets changed."""
    step = max(1, rows // changed)
    seen: set[str] = set()
    done = 0
    with (
        source.open(encoding="utf-8", newline="") as f,
        old_out.open("w", encoding="utf-8", newline="") as old,
        new_out.open("w", encoding="utf-8", newline="") as later,
    ):
        reader = csv.reader(f)
        old_writer, new_writer = csv.writer(old, lineterminator="\n"), csv.writer(later, lineterminator="\n")
        header = next(reader)
        old_writer.writerow(header)
        new_writer.writerow(header)
        for number, record in enumerate(reader):
            if number >= rows + new:
                break
            if number < rows:
                old_writer.writerow(record)
                first = record[0] not in seen  # a duplicate's later copies are rejected: not changed
                seen.add(record[0])
                if first and number % step == 0 and done < changed and len(record) == len(header):
                    record = list(record)
                    record[header.index("state")] = (
                        STATE_FINISHED if record[header.index("state")] != STATE_FINISHED else "กำลังดำเนินการ"
                    )
                    record[header.index("last_activity")] = "2025-02-01 09:00:00.000001+00"
                    record[header.index("photo_after")] = (
                        "https://storage.googleapis.com/traffy_public_bucket/attachment/2025-02/changedbybenchmark.jpg"
                    )
                    done += 1
            new_writer.writerow(record)
    return done


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=5000)
    parser.add_argument("--new", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--timeout", type=float, default=1200, help="Seconds any one run may take.")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Where to write the Markdown report.")
    parser.add_argument(
        "--no-reload",
        action="store_true",
        help="Leave out the OPENBANGKOK_IN_PLACE=0 run (on a busy machine: a full build's time less).",
    )
    args = parser.parse_args(argv)

    source = dump(args.rows + args.new, args.seed, args.timeout)
    scratch = WORK / f"incremental_{args.rows}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    old_file, new_file = scratch / "old.csv", scratch / "new.csv"
    changed = day_later(source, args.rows, args.changed, args.new, old_file, new_file)
    datasets = datasets_with(old_file, args.rows)
    complaints = datasets / "complaints" / "traffy_fondue.csv"
    base = scratch / "base.db"
    command = [tool("openbkk"), "build", "--datasets", str(datasets), "--timings"]
    runs: dict[str, tuple[Run, float]] = {}

    def timed(key: str, label: str, out: Path, *extra: str, env: dict | None = None) -> Run:
        load = os.getloadavg()[0]
        run = measure(label, [*command, "--out", str(out), *extra], args.timeout, env=env)
        runs[key] = (run, load)
        if not run.ok:
            print(run.output[-3000:], file=sys.stderr)
        return run

    timed("old", "openbkk build --full, the old dump", base, "--full")
    complaints.unlink()
    os.link(new_file, complaints)
    in_place, reload = scratch / "in_place.db", scratch / "reload.db"
    shutil.copyfile(base, in_place)
    timed("in_place", "openbkk build, the new dump (changes applied in place)", in_place)
    if not args.no_reload:
        shutil.copyfile(base, reload)
        timed(
            "reload",
            "openbkk build, the new dump, OPENBANGKOK_IN_PLACE=0 (complaints loaded again)",
            reload,
            env={"OPENBANGKOK_IN_PLACE": "0"},
        )
    timed("full", "openbkk build --full, the new dump", scratch / "full.db", "--full")
    counts = {}
    for key, path in (("in_place", in_place), ("full", scratch / "full.db")):
        if path.exists():
            conn = sqlite3.connect(path)
            counts[key] = conn.execute("select count(*) from complaints").fetchone()[0]
            conn.close()

    full = runs["full"][0]
    lines = [
        f"# Incremental build: {args.rows:,} tickets, {changed:,} changed and {args.new:,} new",
        "",
        f"`python benchmarks/incremental.py --rows {args.rows} --changed {args.changed} --new {args.new}"
        f"{' --no-reload' if args.no_reload else ''}`, "
        f"{dt.datetime.now().astimezone().isoformat(timespec='minutes')}; {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}; benchmarks/generate_traffy.py (real-length text, `--text real`), seed {args.seed}; "
        f"new dump {new_file.stat().st_size / 1e6:,.0f} MB; complaints published: {counts}.",
        "",
        "| run | seconds | CPU seconds | share of the full build | load average before |",
        "|---|---:|---:|---:|---:|",
    ]
    for run, load in runs.values():
        share = f"{run.seconds / full.seconds:.0%}" if run.seconds and full.seconds else "-"
        lines.append(f"| {run.label} | {fmt(run.seconds)} {run.note} | {fmt(run.cpu_seconds)} | {share} | {load:.2f} |")
    if full.ok and runs["in_place"][0].ok:
        share = runs["in_place"][0].seconds / full.seconds
        lines += [
            "",
            "| target | measured | |",
            "|---|---|---|",
            f"| incremental build ≤ {TARGET_SHARE:.0%} of the full build | {share:.0%} "
            f"({fmt(runs['in_place'][0].seconds)} s / {fmt(full.seconds)} s) | {verdict(share <= TARGET_SHARE)} |",
        ]
    for key in [k for k in ("in_place", "reload", "full") if k in runs]:
        run = runs[key][0]
        steps = steps_of(run.output)
        if steps:
            lines += ["", f"Steps of {run.label}:", "", "| step | seconds | CPU seconds |", "|---|---:|---:|"]
            lines += [f"| {step} | {seconds:.2f} | {cpu:.2f} |" for step, (seconds, cpu) in steps.items()]
    text = "\n".join(lines) + "\n"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(datasets, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
