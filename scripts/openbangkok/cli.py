"""openbkk: fetch sources, validate agency files, build the database, serve the site."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path

import click

from openbangkok.model import problems as problem_output
from openbangkok.model.catalog import DEFAULT_DATASETS, DEFAULT_DB, CatalogError, load_catalog
from openbangkok.pipeline.build import build as run_build
from openbangkok.pipeline.check import validate as run_validate
from openbangkok.pipeline.lock import BuildLocked

datasets_option = click.option(
    "--datasets",
    "datasets",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATASETS,
    show_default="datasets/",
    help="Folder with one sub-folder per dataset.",
)
limit_option = click.option(
    "--max-per-type",
    default=20,
    show_default=True,
    help="At most this many problems per file and type are printed (0: all).",
)


def print_problems(report, as_json: bool, max_per_type: int, quiet_info: bool = False) -> None:
    shown = [p for p in report.problems if not (quiet_info and p.severity == "info")]
    if as_json:
        click.echo(problem_output.as_json(shown))
        return
    shown, notes = problem_output.limited(shown, max_per_type)
    for problem in shown:
        prefix = "" if problem.severity == "error" else f"{problem.severity}: "
        click.echo(prefix + problem.line(), err=problem.severity == "error")
    for note in notes:
        click.echo(note, err=True)


class ProgressBars:
    """A progress bar per table for long loads, on a terminal only."""

    MINIMUM = 50_000

    def __init__(self):
        self.bars = {}

    def __call__(self, table: str, done: int, total: int) -> None:
        if total < self.MINIMUM or not sys.stderr.isatty():
            return
        if table not in self.bars:
            self.bars[table] = click.progressbar(length=total, label=f"loading {table}", file=sys.stderr)
            self.bars[table].__enter__()
        bar = self.bars[table]
        bar.update(min(done, total) - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.render_finish()


def open_catalog(datasets: Path):
    try:
        return load_catalog(datasets)
    except CatalogError as e:
        raise click.UsageError(str(e)) from e


@click.group()
@click.version_option(package_name="openbangkok")
def cli():
    """Open Bangkok: agency CSV -> Frictionless validation -> one SQLite database -> Datasette."""


@cli.command()
@datasets_option
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON array.")
@limit_option
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(datasets, as_json, max_per_type, paths):
    """Check every resource (or only the files named) against its Table Schema and rules.

    Each problem is one line FILE:ROW:COLUMN: TYPE: message. Exit 0 valid, 1 invalid, 2 usage error.

    \b
    Examples:
      openbkk validate
      openbkk validate --json datasets/reference/districts.csv
    """
    catalog = open_catalog(datasets)
    only = None
    if paths:
        unknown = [str(p) for p in paths if catalog.find_by_path(p) is None]
        if unknown:
            raise click.UsageError(f"not a resource of {datasets}: {', '.join(unknown)}")
        only = {p.resolve() for p in paths}
    with tempfile.TemporaryDirectory(prefix="openbkk-validate-") as work:
        staged = run_validate(catalog, Path(work), only)
    print_problems(staged.report, as_json, max_per_type)
    if not as_json:
        errors = len(staged.report.errors)
        click.echo(
            f"{errors} problem(s) in {len(catalog.sources)} resource(s)"
            if errors
            else f"valid: {len(catalog.sources)} resource(s)",
            err=bool(errors),
        )
    sys.exit(0 if staged.report.ok else 1)


@cli.command()
@datasets_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default="build/openbangkok.db",
    help="The database to write.",
)
@limit_option
@click.option("--full", is_flag=True, help="Rebuild every dataset, even those that have not changed.")
@click.option("--timings", is_flag=True, help="Print the seconds each step of the build took.")
def build(datasets, out, max_per_type, full, timings):
    """Validate everything, then write the database atomically.

    On any problem nothing is written: an existing OUT stays byte for byte as it was. Only the
    datasets that changed since OUT was built (and those pointing at them) are loaded again.

    \b
    Example:
      openbkk build --datasets datasets --out build/openbangkok.db
    """
    catalog = open_catalog(datasets)
    try:
        progress = ProgressBars()
        result = run_build(catalog, out, full=full, progress=progress)
        progress.close()
    except BuildLocked as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    print_problems(result.report, False, max_per_type)
    if not result.ok:
        click.echo(f"build failed: {len(result.report.errors)} problem(s); {out} was not changed", err=True)
        sys.exit(1)
    if not result.rebuilt:
        click.echo(f"{out} is up to date: no dataset changed since it was built")
        return
    click.echo(f"rebuilt: {', '.join(sorted(result.rebuilt))}")
    for table, stats in result.tables.items():
        click.echo(f"{table:32} {stats['rows']:>9} rows {stats['seconds']:8.2f} s")
    if timings:
        cpu = getattr(result.timings, "cpu", {})
        for step, seconds in result.timings.items():
            click.echo(f"step: {step:30} {seconds:8.2f} s  (CPU {cpu.get(step, 0):7.2f} s)")
    click.echo(f"built {out}")


# uvicorn restarts a worker that does not answer its supervisor within this many seconds (default
# 5): a worker starting on a busy machine (Python, Datasette and the site imported) took longer
WORKER_HEALTHCHECK_S = 60


def _checked_public_url(value: str | None) -> str | None:
    """--public-url refused as it is read, before anything else is opened."""
    from openbangkok.site.security.public_url import read_public_url

    try:
        if value:
            read_public_url(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    return value


@cli.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default="build/openbangkok.db",
)
@datasets_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option(
    "--inspect-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Precomputed table counts (inspect-data.json, written by `openbkk package`).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Worker processes answering requests, all from the same file; 0: one per core.",
)
@click.option(
    "--public-url",
    envvar="OPENBANGKOK_PUBLIC_URL",
    callback=lambda ctx, param, value: _checked_public_url(value),
    help="The address the site is published at (https://host), behind a proxy: links are written from "
    "it, never from a request's Host header.  [env: OPENBANGKOK_PUBLIC_URL]",
)
def serve(db_path, datasets, host, port, inspect_file, workers, public_url):
    """Serve the built database with Datasette, read-only.

    After a new build, restart the server to serve the new data (the running server keeps a link to
    the file it started with and answers from it until then).
    """
    import json

    import uvicorn

    from openbangkok.site.app import (  # Datasette is imported by the commands that serve, not by build
        log_errors,
        make_datasette,
    )

    log_errors()
    try:
        inspect_data = json.loads(inspect_file.read_text()) if inspect_file else None
        ds = make_datasette(db_path, datasets, inspect_data=inspect_data, public_url=public_url)
    except (FileNotFoundError, ValueError) as e:
        raise click.UsageError(str(e)) from e
    asyncio.run(ds.invoke_startup())
    workers = workers or os.cpu_count() or 1  # one by default: N workers start N sites (benchmarks/README.md)
    click.echo(f"Open Bangkok on http://{host}:{port}/" + (f" ({workers} workers)" if workers > 1 else ""))
    # uvicorn stops on SIGTERM, then raises it again: as an exit, so that exit handlers run (the server's
    # link to its database file is removed by one, openbangkok.site.pinned_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if workers == 1:
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
        return
    from openbangkok.site.workers import worker_environment

    # each worker opens the file this process pinned, with what this process worked out from it
    # (site.workers); this process only supervises
    os.environ.update(asyncio.run(worker_environment(ds, datasets, public_url)))
    uvicorn.run(
        "openbangkok.site.workers:app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )


@cli.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default="build/openbangkok.db",
)
@datasets_option
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
def package(db_path, datasets, out):
    """Write a container build context to OUT: Dockerfile, the immutable database, its precomputed
    counts (inspect-data.json), the plugins and the descriptors.

    \b
    Example:
      openbkk package dist/site && docker build -t openbangkok dist/site
      docker run -p 8001:8001 openbangkok
    """
    from openbangkok.site.package import package as write_package

    try:
        write_package(db_path, out, datasets)
    except (ValueError, FileExistsError) as e:
        raise click.UsageError(str(e)) from e
    click.echo(f"wrote {out}: docker build -t openbangkok {out} && docker run -p 8001:8001 openbangkok")


@cli.group()
def fetch():
    """Fetch a source from its publisher into its dataset's folder (then `openbkk build`)."""


@fetch.command("traffy")
@datasets_option
@click.option("--url", help="The API's search address (default: the complaints resource's first source).")
@click.option("--step", default=950, show_default=True, help="Offsets step by this much (pages overlap).")
@click.option("--pause", default=2.0, show_default=True, help="Seconds between pages.")
@click.option("--retries", default=5, show_default=True, help="Tries after the first for a page that fails.")
@click.option("--backoff", default=2.0, show_default=True, help="Seconds before the first retry, doubled each time.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds a page may take.")
@click.option("--max-pages", type=int, help="Stop after this many pages (default: at the last ticket).")
@click.option("--gzip", "gzipped", is_flag=True, help="Write the pages gzipped (.json.gz).")
def fetch_traffy(datasets, url, step, pause, retries, backoff, timeout, max_pages, gzipped):
    """Fetch Traffy Fondue's tickets for the BMA from its public API, page by page, politely.

    Writes each page as delivered into the folder of the resource read by the adapter
    traffy.api_pages; an interrupted fetch resumes where it stopped when run again, and the pages
    already there are replaced only when the last page is in. Exit 0 done, 1 stopped.

    \b
    Examples:
      openbkk fetch traffy && openbkk build
      openbkk fetch traffy --max-pages 10 --gzip
    """
    from openbangkok.adapters.traffy.fetch import FetchError, Politeness, fetch_pages

    catalog = open_catalog(datasets)
    source = next((s for s in catalog.sources if s.adapter == "traffy.api_pages"), None)
    if source is None:
        raise click.UsageError(f"no resource of {datasets} is read by the adapter traffy.api_pages")
    url = url or next((s["path"] for s in source.descriptor.get("sources", []) if s.get("path")), None)
    if not url:
        raise click.UsageError("no --url given and the resource names no address of the API")
    polite = Politeness(step, pause, retries, backoff, timeout, max_pages)
    try:
        fetched = fetch_pages(url, source.path, polite, gzipped, log=lambda line: click.echo(line, err=True))
    except FetchError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    click.echo(
        f"fetched {len(fetched.pages)} pages into {source.path} (the API held {fetched.total} tickets); "
        f"run openbkk build to publish them"
    )
