"""How the build starts its helper processes (staging workers, the search index, the hashing of files,
the copy of the published file), and how they end with it."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading

PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_AT = "OPENBANGKOK_STOP_AT"  # for tests: the checkpoint() where the build stops itself


def process_context():
    """fork when this process runs no other thread: the child starts at once with what this process
    has imported and built; forkserver otherwise, as a fork copies locks another thread may hold."""
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")


def die_with_parent() -> bool:
    """Called first in a helper process: the kernel kills it when its parent dies, so a killed build
    leaves no worker behind (a worker once held the build's lock for ever). Linux only; False elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() == 1:  # the parent died before the request was made
        os._exit(1)
    return True


def checkpoint(point: str) -> None:
    """A named moment of the build (the end of a step of build.Timings, a piece staged by workers).
    When OPENBANGKOK_STOP_AT names it, the process stops itself (SIGSTOP) there, for a test to kill it
    at that moment instead of after a guessed delay (tests/test_robust.py). Unset, it does nothing."""
    if os.environ.get(STOP_AT) == point:
        os.kill(os.getpid(), signal.SIGSTOP)


class BackgroundCall:
    """function(*args) run by a child process while the build goes on (the function and its arguments
    must survive the context's start: a module's function). result() waits for what it returned and
    raises what it raised (an OSError as it was, so a full disk is reported as one; anything else as a
    RuntimeError naming it); close() stops it if it still runs (the build stopped early)."""

    def __init__(self, function, *args, name: str, context=None):
        context = context or process_context()
        self._answer, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_call_and_send, args=(function, args, sender), name=name, daemon=True)
        self._process.start()
        sender.close()
        self.name = name

    def result(self):
        try:
            ok, value = self._answer.recv()
        except EOFError:
            ok, value = False, RuntimeError(f"the process of the {self.name} stopped without an answer")
        self._process.join()
        if not ok:
            raise value
        return value

    def close(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._answer.close()


def _call_and_send(function, args, sender) -> None:
    die_with_parent()
    try:
        sender.send((True, function(*args)))
    except Exception as e:  # noqa: BLE001 - raised by BackgroundCall.result()
        sender.send((False, e if isinstance(e, OSError) else RuntimeError(f"{type(e).__name__}: {e}")))
