"""Shared fixtures: the real datasets built once per session, Datasette in-process, a live server."""

from __future__ import annotations

import functools
import importlib.util
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from openbangkok.model.catalog import DEFAULT_DATASETS, PROJECT_ROOT, load_catalog
from openbangkok.pipeline.build import build
from openbangkok.site.app import make_datasette

DATA = Path(__file__).parent / "data"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
GENERATOR = PROJECT_ROOT / "benchmarks" / "generate_traffy.py"


@functools.cache
def _generator():
    spec = importlib.util.spec_from_file_location("generate_traffy", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def with_synthetic_complaints(datasets: Path, rows: int = 3000, seed: int = 2024) -> Path:
    """The complaints of `datasets` (a copy) made synthetic tickets in the dump's format, read by
    the dump adapter (benchmarks/generate_traffy.py --dataset); the CSV's path."""
    return _generator().use_in(datasets, rows, seed)


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """The project's real datasets, built once for the whole session."""
    out = tmp_path_factory.mktemp("site") / "openbangkok.db"
    result = build(load_catalog(DEFAULT_DATASETS), out)
    assert result.ok, "\n".join(p.line() for p in result.report.errors)
    return out


@pytest.fixture(scope="session")
def ds(built_db):
    return make_datasette(built_db)


@pytest.fixture(scope="session")
def synthetic_db(tmp_path_factory) -> Path:
    """The project's datasets with 3,000 synthetic tickets (and their known dirt) in place of the
    real complaints, built once for the whole session."""
    root = tmp_path_factory.mktemp("synthetic")
    shutil.copytree(DEFAULT_DATASETS, root / "datasets")
    with_synthetic_complaints(root / "datasets")
    out = root / "openbangkok.db"
    result = build(load_catalog(root / "datasets"), out)
    assert result.ok, "\n".join(p.line() for p in result.report.errors)
    return out


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


@pytest.fixture(scope="session")
def built_conn(built_db):
    """A read-only sqlite3 connection to the built database, rows as sqlite3.Row."""
    conn = sqlite3.connect(f"file:{built_db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {deadline} s")


def start_server(db: Path, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "openbangkok", "serve", "--db", str(db), "--port", str(port), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    wait_for_port(port, process)
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def live_server(built_db):
    """`openbkk serve` on a free loopback port; yields its base URL."""
    process, url = start_server(built_db)
    yield url
    process.terminate()
    process.wait(timeout=10)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright; skipped only where no Chromium could be installed.

    One per test, not per session: while open, Playwright's sync API leaves its event loop marked as
    running in this thread, and every async test after it would fail ("Cannot run the event loop
    while another loop is running").
    """
    if CHROMIUM is None:
        pytest.skip("no system Chromium (./build.sh test installs it with apt-get where it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh page; its screenshot is kept under test-artifacts/ as evidence."""
    context = browser.new_context(locale="th-TH", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
