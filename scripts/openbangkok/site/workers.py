"""The site in several worker processes (`openbkk serve --workers N`): uvicorn starts each worker
from an import string and calls app() there, so what a worker serves is passed in its environment.

The serving process pins the database once (pinned_file.pin) and every worker opens that link: all
of them answer from the same file (the same inode) whatever a build does to the path, and compute
the same build digest from it, so an answer's ETag (serving.http_cache) is the same whichever
worker sends it. The link goes when the serving process ends.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

DB_ENV = "OPENBANGKOK_SERVE_DB"  # the pinned file every worker answers from
DATASETS_ENV = "OPENBANGKOK_SERVE_DATASETS"
INSPECT_ENV = "OPENBANGKOK_SERVE_INSPECT"  # inspect-data.json, when the server was given one
PUBLIC_URL_ENV = "OPENBANGKOK_SERVE_PUBLIC_URL"


def worker_environment(
    pinned: Path, datasets: Path, inspect_file: Path | None, public_url: str | None = None
) -> dict[str, str]:
    """What app() reads in each worker."""
    environment = {DB_ENV: str(pinned), DATASETS_ENV: str(Path(datasets).resolve())}
    if inspect_file is not None:
        environment[INSPECT_ENV] = str(Path(inspect_file).resolve())
    if public_url:
        environment[PUBLIC_URL_ENV] = public_url
    return environment


def app():
    """uvicorn's app factory, in each worker: the site on the file the serving process pinned (its
    startup hooks run on the first request, as Datasette's app runs them)."""
    from openbangkok.site.app import log_errors, make_datasette

    log_errors()
    inspect = os.environ.get(INSPECT_ENV)
    ds = make_datasette(
        Path(os.environ[DB_ENV]),
        Path(os.environ[DATASETS_ENV]),
        inspect_data=json.loads(Path(inspect).read_text()) if inspect else None,
        pin_file=False,
        public_url=os.environ.get(PUBLIC_URL_ENV),
    )
    return ds.app()
