"""The site in several worker processes (`openbkk serve --workers N`): uvicorn starts each worker
from an import string and calls app() there, so what a worker serves is passed in its environment.

The serving process pins the database once (pinned_file.pin) and every worker opens that link: all
of them answer from the same file (the same inode) whatever a build does to the path. What every
worker would otherwise work out alike from that file is worked out once, by the serving process
after its own startup, and handed to each as Datasette's inspect data (`inspect_data=`, the shape
`datasette inspect` writes): the file's SHA-256 (the build digest of serving.http_cache, so an
answer's ETag is the same whichever worker sends it), its size and every table's row count (the
same counts on every worker, none cut short by a worker's count time limit). A worker then neither
reads the whole file to hash it nor counts rows. The link and the handed file go when the serving
process ends.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from datasette.database import QueryInterrupted

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.internals import escape_sqlite

DB_ENV = "OPENBANGKOK_SERVE_DB"  # the pinned file every worker answers from
DATASETS_ENV = "OPENBANGKOK_SERVE_DATASETS"
INSPECT_ENV = "OPENBANGKOK_SERVE_INSPECT"  # the inspect data of that file (inspected() below)
PUBLIC_URL_ENV = "OPENBANGKOK_SERVE_PUBLIC_URL"
COUNT_LIMIT_MS = 60_000  # a table's count, once at start (the counts a worker's pages make stop at 10 ms)


async def inspected(datasette) -> dict:
    """The inspect data of the served database, from the serving process's site once it has started
    (its startup hashed the file, or read the hash from --inspect-file): hash, size, file and the row
    count of every table, as `datasette inspect` writes them."""
    db = datasette.get_database(DATABASE)
    tables = {}
    for table in await db.table_names():
        try:
            count = await db.execute(f"select count(*) from {escape_sqlite(table)}", custom_time_limit=COUNT_LIMIT_MS)
            tables[table] = {"count": count.single_value()}
        except (QueryInterrupted, sqlite3.DatabaseError):  # no count, as Datasette's own table_counts records it
            tables[table] = {"count": None}
    return {DATABASE: {"hash": db.hash, "size": db.size, "file": db.path, "tables": tables}}


def handed_file(data: dict) -> Path:
    """`data` written to a file of a folder of its own, removed when this process ends."""
    folder = Path(tempfile.mkdtemp(prefix="openbangkok-serve-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "inspect-data.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


async def worker_environment(datasette, datasets: Path, public_url: str | None = None) -> dict[str, str]:
    """What app() reads in each worker: the pinned file of the serving process's site, the datasets,
    the inspect data worked out once (inspected()) and the public URL."""
    environment = {
        DB_ENV: datasette.get_database(DATABASE).path,
        DATASETS_ENV: str(Path(datasets).resolve()),
        INSPECT_ENV: str(handed_file(await inspected(datasette))),
    }
    if public_url:
        environment[PUBLIC_URL_ENV] = public_url
    return environment


def app():
    """uvicorn's app factory, in each worker: the site on the file the serving process pinned, with
    the inspect data it handed over (its startup hooks run on the first request, as Datasette's app
    runs them)."""
    from openbangkok.site.app import log_errors, make_datasette

    log_errors()
    inspect = os.environ.get(INSPECT_ENV)
    ds = make_datasette(
        Path(os.environ[DB_ENV]),
        Path(os.environ[DATASETS_ENV]),
        inspect_data=json.loads(Path(inspect).read_text(encoding="utf-8")) if inspect else None,
        pin_file=False,
        public_url=os.environ.get(PUBLIC_URL_ENV),
    )
    return ds.app()
