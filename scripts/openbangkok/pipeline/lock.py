"""One build of a database at a time, and what a killed build left behind.

A POSIX record lock (lockf) on a file beside the database: the kernel releases it when the build's
process ends, however it ends, and a worker process forked meanwhile does not inherit it. The lock
file names the process that holds it, so the next build can say that an earlier one was killed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import threading
from pathlib import Path

TEMP_MARK = ".tmp-"  # the temporary files of a build: .<db name>.tmp-<pid>[.d]


class BuildLocked(Exception):
    """Another build of the same database is running."""


_held: set[str] = set()  # the locks this process holds: a POSIX lock does not refuse its own process
_held_guard = threading.Lock()


def _pid_in(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def build_lock(out: Path):
    """One build of `out` at a time. A POSIX record lock (lockf): the kernel releases it when the build's
    process ends, however it ends, and a worker process forked meanwhile does not inherit it (the flock()
    used before was shared with the workers, which kept a killed build's lock for ever). The lock file
    names the process that holds it; yields the process id of a build that died holding it, or None."""
    lock_path = out.parent / f".{out.name}.lock"
    with _held_guard:
        if str(lock_path) in _held:
            raise BuildLocked(f"another build of {out} is running in this process; wait for it to finish")
        _held.add(str(lock_path))
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                if e.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
                holder = _pid_in(fd)
                raise BuildLocked(
                    f"another build of {out} is running{f' (process {holder})' if holder else ''}; "
                    f"wait for it to finish and try again"
                ) from e
            dead = _pid_in(fd)  # a build that ended without removing its number: killed
            with contextlib.suppress(OSError):  # the number only informs (a full disk may refuse it)
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            try:
                yield dead if dead != os.getpid() else None
            finally:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)  # a number left in the file: its build was killed
        finally:
            os.close(fd)  # and with it the lock
    finally:
        with _held_guard:
            _held.discard(str(lock_path))


def remove_stale(out: Path) -> None:
    """Temporary files of builds that were killed (we hold the lock, so none is running)."""
    for stale in out.parent.glob(f".{out.name}{TEMP_MARK}*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)
