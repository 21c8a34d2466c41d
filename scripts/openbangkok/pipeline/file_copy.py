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

from openbangkok.pipeline.processes import BackgroundCall


def background_copy(source: Path, target: Path) -> BackgroundCall:
    """`source` copied to `target` and synced by a child process; its result() waits for it (raising
    what the copy raised: a full disk is an OSError as the build reports it)."""
    return BackgroundCall(_copy, source, target, name="copy of the published file")


def _copy(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    with target.open("rb+") as f:
        os.fsync(f.fileno())
