"""The one file a server answers from, whatever a build does to the path meanwhile.

A build renames a new database over the published path. Datasette opens the path again for each SQL
thread and for each download, so after a rebuild some threads answered from the new file and some
from the old (two different counts for one question), and /openbangkok.db sent the new bytes under
the old file's ETag. pin() gives the server a hard link of its own to the file as it was at start,
in a hidden folder beside it: every connection and every download reads that file (the same inode)
until the server is restarted, which is how it is told to serve a new build. The link goes when the
server ends; a link left by a server that was killed is removed by the next server that starts.

Where no link can be made (a read-only folder, as in the container image, where nothing builds),
the path itself is served and a warning says so.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

MARK = ".serving-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_dead_pins(db: Path) -> None:
    """The folders of servers that are no longer running (killed before they could remove them)."""
    for folder in db.parent.glob(f".{db.name}{MARK}*"):
        pid = folder.name.removeprefix(f".{db.name}{MARK}").split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _unpinned(db: Path, error: OSError) -> Path:
    print(
        f"warning: cannot pin {db.name} ({error.strerror}): a build to this path while the server runs "
        f"changes what it answers; restart the server after a build",
        file=sys.stderr,
    )
    return db


def pin(db: Path) -> Path:
    """A hard link to `db`, with the same file name, that this process alone uses; `db` itself where
    no link can be made."""
    db = Path(db).resolve()
    remove_dead_pins(db)
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{db.name}{MARK}{os.getpid()}-", dir=db.parent))
    except OSError as e:
        return _unpinned(db, e)
    pinned = folder / db.name
    try:
        os.link(db, pinned)
    except OSError as e:
        shutil.rmtree(folder, ignore_errors=True)
        return _unpinned(db, e)
    atexit.register(shutil.rmtree, folder, True)
    return pinned
