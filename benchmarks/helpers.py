"""What the benchmarks and the tests both need: a free loopback port, a condition polled until a
deadline, and `openbkk serve` started on a port of its own and waited for.

Imports nothing of the project or of the other benchmark scripts, so both can import it: the
benchmark scripts as `helpers` (their folder is on sys.path when they run), the tests as
`benchmarks.helpers`. The Traffy tickets both generate come from generate_traffy.py, likewise shared.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
VENV_PYTHON = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "python"
TIMING_LOCK = Path(__file__).resolve().parent / "work" / ".timing.lock"


@contextlib.contextmanager
def timing_lock():
    """Held while a benchmark times something, so two benchmarks on this machine never time each other
    (the lock goes with the file's closing, also when the benchmark is killed)."""
    TIMING_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with TIMING_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def rerun_in_project_venv(error: ImportError) -> None:
    """Where a benchmark's imports failed because it was started with another Python: run it again
    with the project's virtualenv, or raise the error when that is the Python already."""
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
    raise error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(condition: Callable[[], T], deadline: float, what: str, interval: float = 0.05) -> T:
    """The first true value of condition(), asked every `interval` seconds; TimeoutError naming
    `what` when none came within `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= end:
            raise TimeoutError(f"{what} after {deadline} s")
        time.sleep(interval)


def wait_for_port(port: int, process: subprocess.Popen, deadline: float = 30.0) -> None:
    """Returns once something listens on 127.0.0.1:port; RuntimeError as soon as `process` exits."""

    def listening() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{' '.join(map(str, process.args[:4]))} exited with {process.returncode}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    poll(listening, deadline, f"nothing listening on 127.0.0.1:{port}")


def serve(
    db: Path, *args: str, log: Path | None = None, env: dict | None = None, deadline: float = 60.0
) -> tuple[subprocess.Popen, str]:
    """`openbkk serve --db DB ARGS` on a free loopback port; (process, base URL) once it listens.

    Its log goes to `log`, or to a temporary file quoted when it fails to start: never to a pipe,
    which nobody reads, fills up and stops the server. A port another process took between
    free_port() and the server's bind (tests run in parallel) is tried again with another one."""
    attempts = 0
    while True:
        attempts += 1
        port = free_port()
        with open(log, "w+") if log else tempfile.TemporaryFile("w+") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "openbangkok", "serve", "--db", str(db), "--port", str(port), *args],
                stdout=subprocess.DEVNULL,
                stderr=out,
                env={**os.environ, **(env or {})},
            )
            try:
                wait_for_port(port, process, deadline)
                if process.poll() is None:  # it is this server that listens, not another one
                    return process, f"http://127.0.0.1:{port}"
            except TimeoutError:
                stop(process)
                raise
            except RuntimeError:
                pass
            out.seek(0)
            told = out.read()
        if attempts == 3 or "address already in use" not in told.lower():
            raise RuntimeError(f"openbkk serve --db {db} exited with {process.returncode}:\n{told[-3000:]}")


def stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Ends a server (SIGTERM, then SIGKILL if it has not ended within `timeout` seconds)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
