"""What benchmarks/build.py found (Report) and the Markdown it is written as: each run beside the
floor, the build's own steps, and each target beside its measured figure.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
from dataclasses import dataclass, field

from measuring import Run, fmt, verdict

SMALL_DATASET = "policies"  # changed for the incremental check (nothing points at it)
LOAD_STEPS = ("validate and stage", "publish")
TARGET_LOAD_X_FLOOR = 3.0
TARGET_SPEEDUP = 3.0
TARGET_PEAK_MB = 400
TARGET_NO_CHANGE_S = 2.0
FLAT_TOLERANCE = 1.15  # peak at 2M rows within 15 % of the peak at 1M: "flat"


@dataclass
class Report:
    rows: int
    file_mb: float
    runs: dict[str, Run] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)
    rebuilt_after_small_change: str = ""
    levers: dict[str, Run] = field(default_factory=dict)
    memory_check: dict[int, Run] = field(default_factory=dict)
    sqlite3_missing: bool = False


def markdown(report: Report, args) -> str:
    runs = report.runs
    floor = runs.get("floor")
    build = runs.get("build")
    load = sum(report.steps.get(s, (0.0, 0.0))[0] for s in LOAD_STEPS) if report.steps else None
    baselines = {}
    if "frictionless" in runs and runs["frictionless"].seconds is not None:
        for key, label in (("sqlite_utils", "types detected"), ("sqlite_utils_text", "--no-detect-types")):
            if runs.get(key) and runs[key].seconds is not None:
                baselines[label] = runs["frictionless"].seconds + runs[key].seconds

    def x_floor(seconds):
        return fmt(seconds / floor.seconds) + "×" if floor and floor.seconds and seconds else "-"

    lines = [
        f"# Build benchmark: {report.rows:,} Traffy Fondue rows",
        "",
        f"`python benchmarks/build.py --rows {report.rows}"
        + (f" --memory-check {' '.join(map(str, args.memory_check))}" if args.memory_check else "")
        + (" --levers" if args.levers else "")
        + "`, "
        f"{dt.datetime.now().astimezone().isoformat(timespec='minutes')}; {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}; file {report.file_mb:,.0f} MB (benchmarks/generate_traffy.py, seed {args.seed}); "
        f"load average at start {os.getloadavg()[0]:.2f}.",
        "",
        "| run | seconds | CPU seconds | × floor | peak memory, MB (tree PSS / largest RSS) |",
        "|---|---:|---:|---:|---:|",
    ]
    order = [
        ("floor", "`sqlite3` shell `.import --csv` (no checks: the floor)"),
        ("frictionless", "`frictionless validate` (raw file, every error)"),
        ("sqlite_utils", "`sqlite-utils insert --csv` (types detected)"),
        ("sqlite_utils_text", "`sqlite-utils insert --csv --no-detect-types`"),
    ]
    for key, label in order:
        run = runs.get(key)
        if run:
            lines.append(
                f"| {label} | {fmt(run.seconds)} {run.note or run.detail} | {fmt(run.cpu_seconds)} | "
                f"{x_floor(run.seconds)} | {run.peak_pss_mb:,.0f} / {run.peak_rss_mb:,.0f} |"
            )
    for label, seconds in baselines.items():
        lines.append(
            f"| frictionless validate + sqlite-utils insert ({label}) | {fmt(seconds)} | | {x_floor(seconds)} | |"
        )
    if build:
        load_cpu = sum(report.steps.get(s, (0.0, 0.0))[1] for s in LOAD_STEPS) if report.steps else None
        lines.append(
            f"| **`openbkk build --full`**: validation, normalisation, redaction, load "
            f"({' + '.join(LOAD_STEPS)}) | {fmt(load)} | {fmt(load_cpu)} | {x_floor(load)} | |"
        )
        lines.append(
            f"| **`openbkk build --full`**: whole build (indexes, search index, statistics, profiles) | "
            f"{fmt(build.seconds)} {build.note} | {fmt(build.cpu_seconds)} | {x_floor(build.seconds)} | "
            f"{build.peak_pss_mb:,.0f} / {build.peak_rss_mb:,.0f} |"
        )
    for key, label in (
        ("no_change", "`openbkk build`, nothing changed"),
        (
            "small_change",
            (
                f"`openbkk build`, a small dataset changed ({SMALL_DATASET}; rebuilt: "
                f"{report.rebuilt_after_small_change})"
            ),
        ),
    ):
        run = runs.get(key)
        if run:
            lines.append(
                f"| {label} | {fmt(run.seconds, 2)} | {fmt(run.cpu_seconds, 2)} | | "
                f"{run.peak_pss_mb:,.0f} / {run.peak_rss_mb:,.0f} |"
            )
    for rows, run in report.memory_check.items():
        lines.append(
            f"| `openbkk build --full`, {rows:,} rows (memory check) | {fmt(run.seconds)} {run.note} | "
            f"{fmt(run.cpu_seconds)} | | {run.peak_pss_mb:,.0f} / {run.peak_rss_mb:,.0f} |"
        )
    if report.sqlite3_missing:
        lines += ["", "The sqlite3 shell is not installed, so the floor is missing: `apt-get install sqlite3`."]

    if report.levers and build and build.seconds:
        lines += [
            "",
            "| `openbkk build --full` with a lever changed | seconds | CPU seconds | vs as above |",
            "|---|---:|---:|---:|",
        ]
        for label, run in report.levers.items():
            ratio = f"{run.seconds / build.seconds:.2f}×" if run.seconds else "-"
            lines.append(f"| {label} | {fmt(run.seconds)} {run.note} | {fmt(run.cpu_seconds)} | {ratio} |")
    if report.steps:
        lines += [
            "",
            "Steps of `openbkk build --full` (its own timings). The search index is built by a process",
            "of its own while the rows are staged; its CPU time counts in the step that waits for it",
            'at the end ("search index (rest)"):',
            "",
            "| step | seconds | CPU seconds (all processes and threads) |",
            "|---|---:|---:|",
        ]
        lines += [f"| {step} | {seconds:.2f} | {cpu:.2f} |" for step, (seconds, cpu) in report.steps.items()]

    targets = []
    if build:
        targets.append(
            (
                f"validation + normalisation + redaction + load ≤ {TARGET_LOAD_X_FLOOR:g}× the floor",
                f"{fmt(load)} s = {x_floor(load)}",
                None if not (floor and floor.seconds and load) else load <= TARGET_LOAD_X_FLOOR * floor.seconds,
            )
        )
        for label, seconds in baselines.items():
            speedup = seconds / build.seconds if build.seconds else None
            targets.append(
                (
                    f"whole build ≥ {TARGET_SPEEDUP:g}× faster than frictionless + sqlite-utils ({label})",
                    f"{fmt(speedup)}× ({fmt(seconds)} s / {fmt(build.seconds)} s)",
                    None if speedup is None else speedup >= TARGET_SPEEDUP,
                )
            )
        targets.append(
            (f"peak memory < {TARGET_PEAK_MB} MB", f"{build.peak_pss_mb:,.0f} MB", build.peak_pss_mb < TARGET_PEAK_MB)
        )
        for rows, run in report.memory_check.items():
            ratio = run.peak_pss_mb / build.peak_pss_mb if build.peak_pss_mb else None
            targets.append(
                (
                    (
                        f"memory flat from {report.rows:,} to {rows:,} rows (within {FLAT_TOLERANCE:.0%} "
                        f"and < {TARGET_PEAK_MB} MB)"
                    ),
                    f"{build.peak_pss_mb:,.0f} → {run.peak_pss_mb:,.0f} MB",
                    None if ratio is None else ratio <= FLAT_TOLERANCE and run.peak_pss_mb < TARGET_PEAK_MB,
                )
            )
    if "no_change" in runs:
        targets.append(
            (
                f"rebuild with nothing changed < {TARGET_NO_CHANGE_S:g} s",
                f"{fmt(runs['no_change'].seconds, 2)} s",
                runs["no_change"].ok and runs["no_change"].seconds < TARGET_NO_CHANGE_S,
            )
        )
    if "small_change" in runs:
        targets.append(
            (
                "a small dataset changed: complaints not loaded again",
                f"rebuilt: {report.rebuilt_after_small_change}",
                runs["small_change"].ok and "complaints" not in report.rebuilt_after_small_change,
            )
        )
    if targets:
        lines += ["", "| target | measured | |", "|---|---|---|"]
        lines += [f"| {t} | {m} | {verdict(ok)} |" for t, m, ok in targets]
    failed = [
        r.label
        for r in list(runs.values()) + list(report.memory_check.values())
        if r.returncode not in (0, None) or r.note
    ]
    if failed:
        lines += ["", f"Runs that failed or were stopped: {', '.join(failed)}."]
    return "\n".join(lines) + "\n"
