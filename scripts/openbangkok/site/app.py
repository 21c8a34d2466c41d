"""The public site: Datasette on the built database, read-only, with settings fit for the internet."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from datasette.app import Datasette
from datasette.database import Database

from openbangkok.model.catalog import DEFAULT_DATASETS, DEFAULT_DB, PROJECT_ROOT, load_catalog
from openbangkok.model.site_metadata import DATABASE, site_metadata
from openbangkok.site.pinned_file import pin
from openbangkok.site.security.public_url import read_public_url

PLUGINS = PROJECT_ROOT / "plugins"
LOG_LEVEL_ENV = "OPENBANGKOK_LOG_LEVEL"  # INFO: a line per error answer (default); DEBUG: with its traceback

# Public-site settings; each is a Datasette --setting.
SETTINGS = {
    "sql_time_limit_ms": 3000,  # arbitrary SQL is allowed, but bounded
    "facet_time_limit_ms": 1500,
    "max_returned_rows": 1000,
    "allow_csv_stream": True,  # ?_stream=on exports whole tables
    "max_csv_mb": 0,  # ... with no size cap, so exports are never cut short
    "allow_download": True,  # the whole .db file downloads
    "suggest_facets": False,  # suggestions cost seconds on large tables
    "default_cache_ttl": 300,
    "num_sql_threads": 4,
    "truncate_cells_html": 400,
}


def make_datasette(
    db_path: Path = DEFAULT_DB,
    datasets: Path = DEFAULT_DATASETS,
    settings: dict | None = None,
    inspect_data: dict | None = None,
    pin_file: bool = True,
    public_url: str | None = None,
) -> Datasette:
    """The site on db_path; pin_file=False when db_path is a link pinned already (site.workers);
    public_url: the address the site is published at, links written from it, not the Host header."""
    db_path = Path(db_path)
    if not db_path.exists():
        raise FileNotFoundError(f"{db_path}: no database; run `openbkk build` first")
    static = PLUGINS / "static"
    templates = PLUGINS / "templates"
    ds = Datasette(
        [],
        metadata=site_metadata(load_catalog(datasets)),
        plugins_dir=str(PLUGINS),
        template_dir=str(templates) if templates.is_dir() else None,
        static_mounts=[("assets", str(static))] if static.is_dir() else [],
        settings={**SETTINGS, **(settings or {})},
        cors=True,
        inspect_data=inspect_data,  # precomputed counts (datasette inspect; openbkk package)
    )
    ds.openbangkok_datasets = Path(datasets)  # the publishing plugins read the same catalog
    ds.openbangkok_public_url = read_public_url(public_url) if public_url else None
    if inspect_data and inspect_data.get(DATABASE, {}).get("size") not in (None, db_path.stat().st_size):
        raise ValueError(
            f"{db_path}: the inspect file describes another build (its size differs): "
            f"write it again with `openbkk package`"
        )
    # every SQL thread and download reads the file as it was now, whatever a build does to the path
    served = pin(db_path) if pin_file else db_path
    ds.add_database(Database(ds, path=str(served), is_mutable=False), name=DATABASE)
    ds.remove_database("_memory")  # Datasette([]) adds an empty in-memory database: not ours to publish
    return ds


def log_errors() -> None:
    """The site's own log lines (openbangkok.site.security.errors) on standard error, at the level of OPENBANGKOK_LOG_LEVEL."""
    logger = logging.getLogger("openbangkok")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(os.environ.get(LOG_LEVEL_ENV, "INFO").upper())
