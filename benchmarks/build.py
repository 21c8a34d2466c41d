"""How fast `openbkk build` turns a large Traffy Fondue dump into the site's database, next to the
obvious tools on the same file, in one run.

    python benchmarks/build.py --rows 1000000
    python benchmarks/build.py --rows 1000000 --memory-check 2000000   (memory at 2M rows too)
    python benchmarks/build.py --rows 2000000                          (everything at 2M rows)
    python benchmarks/build.py --rows 200000 --out /tmp/build.md       (a quick look)
    python benchmarks/build.py --rows 1000000 --levers                 (also with run-time levers off)

1. The file: benchmarks/generate_traffy.py writes N tickets in the dump's format (seeded), kept in
   benchmarks/work/ (gitignored) and reused while the generator is unchanged. The project's
   datasets are copied to benchmarks/work/build_datasets_N/ with that file as the complaints.
2. Timed, one after the other, each in its own process, bounded by --timeout:
   - `sqlite3 FILE ".import --csv ..."`: Debian's sqlite3 shell, no checks at all: the floor, the
     fastest of three runs (apt-get install sqlite3; without it the floor is left out and the
     report says so);
   - `frictionless validate` of the raw file (schema inferred, every error collected);
   - `sqlite-utils insert --csv`, with type detection (the default) and with --no-detect-types;
   - `openbkk build --full --timings`: validation, normalisation, PDPA redaction, load, indexes,
     Thai search index, statistics, column profiles; its own steps are reported too;
   - `openbkk build` again with nothing changed, and after a change to a small dataset
     (policies/metadata.yml): the complaints must not be loaded again.
3. Memory: the peak of the whole process tree (workers included), sampled every 50 ms as the sum
   of each process's proportional set size (PSS: shared pages counted once), and the largest
   single process's resident set (RSS).

While a run is timed it holds benchmarks/work/.timing.lock (benchmarks/serve.py may take it too),
so two benchmarks on this machine do not time each other. The report is Markdown, printed and
written to benchmarks/results/build.md (or --out). Not part of the test run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import sys
from pathlib import Path

from build_report import SMALL_DATASET, Report, markdown
from measuring import ROOT, WORK, Run, fmt, measure, steps_of, tool
from work_files import datasets_with, dump

RESULTS = ROOT / "benchmarks" / "results" / "build.md"
# Levers that can be switched off at run time (the others are measured in benchmarks/README.md).
LEVERS = {
    "no worker process (the file parsed in the build's own process)": {"OPENBANGKOK_BUILD_WORKERS": "0"},
    "one worker process (the default is one per core)": {"OPENBANGKOK_BUILD_WORKERS": "1"},
}
FLOOR_RUNS = 3  # the floor is the fastest of these runs


def fastest_floor(sqlite3_shell: str, db: Path, source: Path, timeout: float) -> tuple[Run, list[Run]]:
    """The floor, timed FLOOR_RUNS times: (the fastest run, the runs that failed or were stopped).
    One run of it took 5.9, 6.8 and 8.2 s on three runs of this benchmark in one day, and a slow
    floor would make the load look better."""
    runs = []
    for number in range(1, FLOOR_RUNS + 1):
        db.unlink(missing_ok=True)
        runs.append(
            measure(
                f"sqlite3 .import --csv (floor, run {number})",
                [sqlite3_shell, str(db), f".import --csv {source} traffy"],
                timeout,
            )
        )
    timed = [run for run in runs if run.ok]
    fastest = min(timed, key=lambda run: run.seconds) if timed else runs[0]
    fastest.detail = (
        "(fastest of "
        + ", ".join(fmt(run.seconds) if run.ok else ("stopped" if run.note else "failed") for run in runs)
        + ")"
    )
    return fastest, [run for run in runs if not run.ok and run is not fastest]


def run_all(args) -> Report:
    source = dump(args.rows, args.seed, args.timeout)
    report = Report(args.rows, source.stat().st_size / 1e6)
    scratch = WORK / f"build_scratch_{args.rows}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)

    if not args.skip_baselines:
        sqlite3_shell = shutil.which("sqlite3")
        if sqlite3_shell:
            report.runs["floor"], failed = fastest_floor(sqlite3_shell, scratch / "floor.db", source, args.timeout)
            report.runs.update((f"floor_failed_{number}", run) for number, run in enumerate(failed))  # listed as failed
        else:
            report.sqlite3_missing = True
            print(
                "sqlite3 shell not found: the floor is left out. Install it: apt-get install sqlite3", file=sys.stderr
            )
        report.runs["frictionless"] = measure(
            "frictionless validate",
            [tool("frictionless"), "validate", "--limit-errors", "100000000", source.name],
            args.timeout,
            cwd=source.parent,
        )
        report.runs["frictionless"].returncode = (
            0 if report.runs["frictionless"].seconds else None
        )  # exit 1: invalid rows
        report.runs["sqlite_utils"] = measure(
            "sqlite-utils insert --csv",
            [tool("sqlite-utils"), "insert", str(scratch / "su.db"), "traffy", str(source), "--csv"],
            args.timeout,
        )
        report.runs["sqlite_utils_text"] = measure(
            "sqlite-utils insert --csv --no-detect-types",
            [
                tool("sqlite-utils"),
                "insert",
                str(scratch / "su_text.db"),
                "traffy",
                str(source),
                "--csv",
                "--no-detect-types",
            ],
            args.timeout,
        )
        for name in ("floor.db", "su.db", "su_text.db"):
            (scratch / name).unlink(missing_ok=True)

    datasets = datasets_with(source, args.rows)
    out = scratch / "openbangkok.db"
    build = [tool("openbkk"), "build", "--datasets", str(datasets), "--out", str(out)]
    full = report.runs["build"] = measure("openbkk build --full", [*build, "--full", "--timings"], args.timeout)
    report.steps = steps_of(full.output)
    if full.ok:
        report.runs["no_change"] = measure("openbkk build, nothing changed", build, args.timeout)
        metadata = datasets / SMALL_DATASET / "metadata.yml"
        with metadata.open("a", encoding="utf-8") as f:
            f.write(f"\n# changed by benchmarks/build.py at {dt.datetime.now().isoformat()}\n")
        small = report.runs["small_change"] = measure(
            f"openbkk build, {SMALL_DATASET} changed", [*build, "--timings"], args.timeout
        )
        rebuilt = re.search(r"^rebuilt: (.+)$", small.output, re.MULTILINE)
        report.rebuilt_after_small_change = rebuilt.group(1) if rebuilt else "(nothing)"
    else:
        print(full.output[-3000:], file=sys.stderr)

    if args.levers and full.ok:
        for label, env in LEVERS.items():
            report.levers[label] = measure(
                f"openbkk build --full, {label}", [*build, "--full", "--timings"], args.timeout, env=env
            )
    for rows in args.memory_check:
        check_source = dump(rows, args.seed, args.timeout)
        check_datasets = datasets_with(check_source, rows)
        check_out = scratch / f"openbangkok_{rows}.db"
        report.memory_check[rows] = measure(
            f"openbkk build --full, {rows:,} rows",
            [
                tool("openbkk"),
                "build",
                "--datasets",
                str(check_datasets),
                "--out",
                str(check_out),
                "--full",
                "--timings",
            ],
            args.timeout,
        )
        check_out.unlink(missing_ok=True)
        shutil.rmtree(check_datasets, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(datasets, ignore_errors=True)
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--memory-check",
        type=int,
        nargs="*",
        default=[],
        metavar="ROWS",
        help="Also build files of these sizes and report their peak memory.",
    )
    parser.add_argument("--timeout", type=float, default=1200, help="Seconds any one run may take.")
    parser.add_argument("--skip-baselines", action="store_true", help="Time openbkk build only.")
    parser.add_argument("--keep", action="store_true", help="Keep the built database in benchmarks/work/.")
    parser.add_argument("--levers", action="store_true", help="Also build with each run-time lever off.")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Where to write the Markdown report.")
    args = parser.parse_args(argv)
    report = run_all(args)
    text = markdown(report, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
