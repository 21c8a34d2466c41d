"""The published file copied for an incremental build by a child process while the build stages
its input, and written to disk there (fsync), so that the fsync before the rename writes only the
pages the update changed.

Why a copy at all: the published file is served as immutable (no locks, no change detection) and
may be open in running servers, so the update cannot be written into it; a new file renamed over
it is what keeps "a kill at any moment leaves the old file". A reflink (a copy sharing the blocks
until written) would make the copy free, but ext4 has none; SQLite's backup API copies every page
too. So the copy stays, off the build's path: staging (CPU in the workers) and the copy (disk)
overlap.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from openbangkok.pipeline.processes import die_with_parent, process_context


class BackgroundCopy:
    """`source` copied to `target` and synced by a child process; result() waits for it (raising
    what the copy raised: a full disk is an OSError as the build reports it)."""

    def __init__(self, source: Path, target: Path):
        context = process_context()
        self._answer, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_copy, args=(source, target, sender), name="copy of the published file", daemon=True
        )
        self._process.start()
        sender.close()

    def result(self) -> None:
        try:
            answer = self._answer.recv()
        except EOFError:
            answer = RuntimeError("the process copying the published database stopped without an answer")
        self._process.join()
        if answer is not None:
            raise answer

    def close(self) -> None:
        """Stops the copy if it still runs (the build stopped early)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._answer.close()


def _copy(source: Path, target: Path, sender) -> None:
    die_with_parent()
    try:
        shutil.copyfile(source, target)
        with target.open("rb+") as f:
            os.fsync(f.fileno())
        sender.send(None)
    except Exception as e:  # noqa: BLE001 - raised by BackgroundCopy.result()
        sender.send(e if isinstance(e, OSError) else RuntimeError(f"{type(e).__name__}: {e}"))
