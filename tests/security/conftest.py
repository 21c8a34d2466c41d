"""Helpers of the security tests: a live server whose log goes to a file (a pipe nobody reads fills
up and stops the server's threads), and SQL through the public endpoint."""

from __future__ import annotations

import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from openbangkok.model.site_metadata import DATABASE

from ..conftest import free_port, wait_for_port


def serve(db: Path, log: Path, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "openbangkok", "serve", "--db", str(db), "--port", str(port), *args],
        stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )
    wait_for_port(port, process)
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def own_server(built_db, tmp_path_factory):
    """A server of this module's own on the session's database; yields (url, log file)."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    process, url = serve(built_db, log)
    yield url, log
    stop(process)


def sql_url(sql: str, **params) -> str:
    return f"/{DATABASE}.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "array", **params})
