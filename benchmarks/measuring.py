"""One command timed for the benchmarks: its wall and CPU seconds and the peak memory of its process
tree, while it holds benchmarks/work/.timing.lock (so two benchmarks on this machine do not time each
other); and how the figures are written. Used by build.py, incremental.py and throughput.py.

Memory is sampled every 50 ms as the sum of each process's proportional set size (PSS: shared pages
counted once) and the largest single process's resident set (RSS).
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
if (VENV_BIN / "python").exists() and Path(sys.executable).parent != VENV_BIN and "VIRTUAL_ENV" not in os.environ:
    os.execv(str(VENV_BIN / "python"), [str(VENV_BIN / "python"), *sys.argv])  # the project's tools

WORK = ROOT / "benchmarks" / "work"

from helpers import timing_lock  # noqa: E402  (benchmarks/ is on sys.path: run as a script)


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


def memory_kib(pid: int) -> tuple[int, int, int]:
    """(PSS, RSS, anonymous) of one process in KiB; zeros once it is gone. Anonymous is the memory the
    process allocated itself: RSS less the file pages it maps (a served database's pages are page
    cache, shared by every worker mapping them, and given back under pressure)."""
    pss = rss = anonymous = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Anonymous:"):
                    anonymous = int(line.split()[1])
    except OSError:
        pass
    return pss, rss, anonymous


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
    with timing_lock():
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


def tool(name: str) -> str:
    return str(VENV_BIN / name) if (VENV_BIN / name).exists() else name


def steps_of(output: str) -> dict[str, tuple[float, float]]:
    """{step: (seconds, CPU seconds)} from `openbkk build --timings`."""
    return {
        m.group(1).strip(): (float(m.group(2)), float(m.group(3)))
        for m in re.finditer(r"^step: (.+?)\s+([\d.]+) s\s+\(CPU\s+([\d.]+) s\)$", output, re.MULTILINE)
    }


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**not met**")
