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
import fcntl
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from generate_traffy import point_complaints_at_dump  # benchmarks/ is on sys.path: run as a script

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
if (VENV_BIN / "python").exists() and Path(sys.executable).parent != VENV_BIN and "VIRTUAL_ENV" not in os.environ:
    os.execv(str(VENV_BIN / "python"), [str(VENV_BIN / "python"), *sys.argv])  # the project's tools

WORK = ROOT / "benchmarks" / "work"
RESULTS = ROOT / "benchmarks" / "results" / "build.md"
GENERATOR = ROOT / "benchmarks" / "generate_traffy.py"
TIMING_LOCK = WORK / ".timing.lock"
SMALL_DATASET = "policies"  # changed for the incremental check (nothing points at it)
LOAD_STEPS = ("validate and stage", "publish")
# Levers that can be switched off at run time (the others are measured in benchmarks/README.md).
LEVERS = {
    "no worker process (the file parsed in the build's own process)": {"OPENBANGKOK_BUILD_WORKERS": "0"},
    "one worker process (the default is one per core)": {"OPENBANGKOK_BUILD_WORKERS": "1"},
}
FLOOR_RUNS = 3  # the floor is the fastest of these runs
TARGET_LOAD_X_FLOOR = 3.0
TARGET_SPEEDUP = 3.0
TARGET_PEAK_MB = 400
TARGET_NO_CHANGE_S = 2.0
FLAT_TOLERANCE = 1.15  # peak at 2M rows within 15 % of the peak at 1M: "flat"


# ---------------------------------------------------------------- measuring one command


@dataclass
class Run:
    label: str
    command: list[str]
    seconds: float | None = None
    cpu_seconds: float | None = None  # user + system time of the process tree
    peak_pss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    returncode: int | None = None
    output: str = ""
    note: str = ""
    detail: str = ""  # shown beside the seconds, e.g. the runs a fastest run was taken from

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.seconds is not None


def tree(pid: int) -> list[int]:
    """pid and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    parent = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def memory_kib(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in KiB; (0, 0) once it is gone."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def sample_memory(pid: int, run: Run, done: threading.Event) -> None:
    while not done.is_set():
        sizes = [memory_kib(p) for p in tree(pid)]
        run.peak_pss_mb = max(run.peak_pss_mb, sum(s[0] for s in sizes) / 1024)
        run.peak_rss_mb = max(run.peak_rss_mb, max((s[1] for s in sizes), default=0) / 1024)
        done.wait(0.05)


def measure(label: str, command: list[str], timeout: float, cwd: Path | None = None, env: dict | None = None) -> Run:
    """Runs the command in its own process group, holding the timing lock; killed after `timeout`."""
    run = Run(label, command)
    print(f"-- {label}: {' '.join(command)}", file=sys.stderr, flush=True)
    WORK.mkdir(parents=True, exist_ok=True)
    with TIMING_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.perf_counter()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        done = threading.Event()
        sampler = threading.Thread(target=sample_memory, args=(process.pid, run, done), daemon=True)
        sampler.start()
        try:
            run.output, _ = process.communicate(timeout=timeout)
            run.seconds = time.perf_counter() - started
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            run.output, _ = process.communicate()
            run.note = f"stopped after {timeout:.0f} s (--timeout)"
        finally:
            done.set()
            sampler.join()
        run.returncode = process.returncode
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        run.cpu_seconds = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if run.seconds is not None:
        print(
            f"   {run.seconds:.1f} s ({run.cpu_seconds:.1f} s CPU), peak {run.peak_pss_mb:.0f} MB (tree PSS), "
            f"exit {run.returncode}",
            file=sys.stderr,
            flush=True,
        )
    return run


# ---------------------------------------------------------------- the file and the datasets


def generator_digest() -> str:
    return hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:16]


def dump(rows: int, seed: int, timeout: float) -> Path:
    """The generated file, reused while rows, seed and generator are the same."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"traffy_{rows}.csv" if seed == 2024 else WORK / f"traffy_{rows}_seed{seed}.csv"
    stamp = path.with_suffix(".json")
    wanted = {"rows": rows, "seed": seed, "generator": generator_digest()}
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return path
    if path.exists() and not stamp.exists():  # made before stamps: keep it if it has the rows
        with path.open("rb") as f:
            head = f.read(1 << 16)
        if head.startswith(b"ticket_id,") and path.stat().st_size > rows * 300:
            stamp.write_text(json.dumps(wanted))
            return path
    print(f"generating {rows:,} tickets -> {path}", file=sys.stderr, flush=True)
    partial = path.with_suffix(".partial")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--rows", str(rows), "--seed", str(seed), "--out", str(partial)],
        check=True,
        timeout=timeout,
    )
    partial.rename(path)
    stamp.write_text(json.dumps(wanted))
    return path


def datasets_with(source: Path, rows: int) -> Path:
    """A fresh copy of datasets/ with the generated file as the complaints (a hard link)."""
    target = WORK / f"build_datasets_{rows}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(
        ROOT / "datasets", target, ignore=lambda d, names: ["traffy_fondue.csv"] if Path(d).name == "complaints" else []
    )
    complaints = target / "complaints" / "traffy_fondue.csv"
    try:
        os.link(source, complaints)
    except OSError:
        complaints.symlink_to(source)
    point_complaints_at_dump(target)  # the published site's complaints are the API's pages
    return target


# ---------------------------------------------------------------- the runs


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


def tool(name: str) -> str:
    return str(VENV_BIN / name) if (VENV_BIN / name).exists() else name


def steps_of(output: str) -> dict[str, tuple[float, float]]:
    """{step: (seconds, CPU seconds)} from `openbkk build --timings`."""
    return {
        m.group(1).strip(): (float(m.group(2)), float(m.group(3)))
        for m in re.finditer(r"^step: (.+?)\s+([\d.]+) s\s+\(CPU\s+([\d.]+) s\)$", output, re.MULTILINE)
    }


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


# ---------------------------------------------------------------- the report


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**not met**")


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
