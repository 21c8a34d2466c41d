"""Shared fixtures: the real datasets built once per test run (whatever the number of xdist workers),
Datasette in-process, a live server, one Chromium for the browser tests; the markers of the suite.

The suite runs in parallel (`./build.sh test` runs `pytest -n`, --dist loadgroup, see pyproject.toml):
a test that shares a module-scoped fixture with others runs on the worker that runs them, and the
browser tests all run on one worker, one after the other, with one Chromium.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.generate_traffy import use_in
from benchmarks.helpers import free_port, poll, serve, stop, wait_for_port  # noqa: F401 (the tests' names)
from openbangkok.model.catalog import DEFAULT_DATASETS, PROJECT_ROOT, load_catalog
from openbangkok.pipeline.build import build
from openbangkok.pipeline.processes import STOP_AT
from openbangkok.site.app import make_datasette

DATA = Path(__file__).parent / "data"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
GENERATOR = PROJECT_ROOT / "benchmarks" / "generate_traffy.py"
SERVERS = {"live_server", "logged_live_server"}  # fixtures that start a server process: the tests are slow


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Marks what a test is by what it uses (browser, security, slow: see pyproject.toml), and groups
    for `--dist loadgroup`: the browser tests together, a module's tests that share a module-scoped
    fixture together (set up once, on one worker). Before xdist reads the groups (tryfirst)."""
    for item in items:
        names = set(item.fixturenames)
        if "browser" in names:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))
        elif any(defs[-1].scope in ("module", "class") for defs in item._fixtureinfo.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
        if item.path.parent.name == "security":
            item.add_marker(pytest.mark.security)
        if names & SERVERS:
            item.add_marker(pytest.mark.slow)


def with_synthetic_complaints(datasets: Path, rows: int = 3000, seed: int = 2024) -> Path:
    """The complaints of `datasets` (a copy) made synthetic tickets in the dump's format, read by
    the dump adapter (benchmarks/generate_traffy.py --dataset); the CSV's path."""
    return use_in(datasets, rows, seed)


def made_once(tmp_path_factory, name: str, make: Callable[[Path], Path]) -> Path:
    """make(folder)'s file, made once per test run: under xdist each worker is a process with a
    temporary folder of its own, inside one folder of the run; the first worker to ask makes the file
    there, under a lock, and the others wait for it and read the same file."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, made = root / f"made-once-{name}", root / f"made-once-{name}.path"
    with (root / f"made-once-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            made.write_text(str(make(folder)))
    return Path(made.read_text())


def checked_build(datasets: Path, out: Path) -> Path:
    result = build(load_catalog(datasets), out)
    assert result.ok, "\n".join(p.line() for p in result.report.errors)
    return out


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """The project's real datasets, built once for the whole run. Read it, never write it."""
    return made_once(
        tmp_path_factory, "site", lambda folder: checked_build(DEFAULT_DATASETS, folder / "openbangkok.db")
    )


@pytest.fixture(scope="session")
def ds(built_db):
    return make_datasette(built_db)


@pytest.fixture(scope="session")
def openapi_document(ds) -> dict:
    """/-/openapi.json, checked against the OpenAPI 3.0 specification once (the check takes seconds):
    the tests read it and never change it."""
    from openapi_spec_validator import validate

    async def fetch():
        return (await ds.client.get("/-/openapi.json")).json()

    document = asyncio.run(fetch())
    validate(document)
    return document


def synthetic_build(root: Path) -> Path:
    shutil.copytree(DEFAULT_DATASETS, root / "datasets")
    with_synthetic_complaints(root / "datasets")
    return checked_build(root / "datasets", root / "openbangkok.db")


@pytest.fixture(scope="session")
def synthetic_db(tmp_path_factory) -> Path:
    """The project's datasets with 3,000 synthetic tickets (and their known dirt) in place of the
    real complaints, built once for the whole run."""
    return made_once(tmp_path_factory, "synthetic", synthetic_build)


@pytest.fixture(scope="session")
def synthetic_ds(synthetic_db):
    return make_datasette(synthetic_db)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def datasets_copy(tmp_path) -> Path:
    """A writable copy of the project's datasets folder."""
    copy = tmp_path / "datasets"
    shutil.copytree(DEFAULT_DATASETS, copy)
    return copy


def copy_datasets(tmp_path: Path, *names: str) -> Path:
    """A writable copy of only these datasets (a dataset's rule tests need no others: faster)."""
    copy = tmp_path / "datasets"
    for name in names:
        shutil.copytree(DEFAULT_DATASETS / name, copy / name)
    return copy


def read_only(db: Path):
    """A read-only sqlite3 connection to `db`, rows as sqlite3.Row, closed at the end."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def built_conn(built_db):
    """A read-only sqlite3 connection to the built database, rows as sqlite3.Row."""
    yield from read_only(built_db)


@pytest.fixture(scope="session")
def synthetic_conn(synthetic_db):
    """The same for the synthetic build: its 3,000 tickets are more than two pages of max_returned_rows,
    so a whole-table export of them proves what one of the 9,508 real tickets would, in a third of the rows."""
    yield from read_only(synthetic_db)


def start_server(db: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """`openbkk serve` of `db` on a free loopback port (benchmarks/helpers.py): (process, base URL)."""
    return serve(db, *args)


@pytest.fixture(scope="session")
def logged_live_server(built_db, tmp_path_factory):
    """`openbkk serve` of the session's database on a free loopback port, one per worker, shared by every
    test that only reads from it (each start imports Datasette and runs the startup hooks); yields
    (base URL, its log file). A test that changes a server's state (files, permissions) starts its own."""
    log = tmp_path_factory.mktemp("live-server") / "server.log"
    process, url = serve(built_db, log=log)
    yield url, log
    stop(process)


@pytest.fixture(scope="session")
def live_server(logged_live_server) -> str:
    """The shared server's base URL (logged_live_server)."""
    return logged_live_server[0]


def build_stopped_at(
    point: str, command: list[str], env: dict | None = None, deadline: float = 120.0
) -> subprocess.Popen:
    """The build `command` started (with `env` added to the environment), returned once it has
    stopped itself at `point` (openbangkok.pipeline.processes.checkpoint): kill it there, or let it
    go on with SIGCONT."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {}), STOP_AT: point}
    )

    def stopped() -> bool:
        pid, status = os.waitpid(process.pid, os.WUNTRACED | os.WNOHANG)
        if pid and not os.WIFSTOPPED(status):
            process.returncode = os.waitstatus_to_exitcode(status)
            raise AssertionError(f"the build ended ({process.returncode}) before it reached {point!r}")
        return bool(pid)

    try:
        poll(stopped, deadline, f"the build has not reached {point!r}")
    except BaseException:
        process.kill()
        raise
    return process


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class SharedChromium:
    """Debian's Chromium driven by Playwright's sync API, launched once for the browser tests that run
    one after the other, and closed before any other test: while it is open, Playwright leaves its
    event loop marked as running in this thread, and an async test (or asyncio.run) would fail
    ("Cannot run the event loop while another loop is running")."""

    def __init__(self):
        self.playwright = self.browser = None

    def open(self):
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
        return self.browser

    def close(self):
        if self.browser is not None:
            browser, playwright, self.browser, self.playwright = self.browser, self.playwright, None, None
            try:
                browser.close()
            finally:
                playwright.stop()


chromium = SharedChromium()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if "browser" not in item.fixturenames:
        chromium.close()


def pytest_sessionfinish(session):
    chromium.close()


@pytest.fixture
def browser():
    """The shared Chromium (SharedChromium); skipped only where no Chromium could be installed."""
    if CHROMIUM is None:
        pytest.skip("no system Chromium (./build.sh test installs it with apt-get where it can)")
    return chromium.open()


@pytest.fixture
def page(browser, request):
    """A fresh page in a context of its own; its screenshot is kept under test-artifacts/ as evidence,
    named after the test's module and name (unique, whichever worker ran it)."""
    context = browser.new_context(locale="th-TH", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.\-\[\]]+", "_", f"{request.node.path.stem}.{request.node.name}")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
