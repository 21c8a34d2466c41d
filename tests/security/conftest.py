"""Helpers of the security tests: a live server whose log the tests read (benchmarks/helpers.py
writes it to a file), and SQL through the public endpoint."""

from __future__ import annotations

import subprocess
import urllib.parse
from pathlib import Path

import pytest

from benchmarks import helpers
from benchmarks.helpers import stop
from openbangkok.model.site_metadata import DATABASE


def serve(db: Path, log: Path, *args: str) -> tuple[subprocess.Popen, str]:
    return helpers.serve(db, *args, log=log)


@pytest.fixture(scope="module")
def own_server(built_db, tmp_path_factory):
    """A server of this module's own on the session's database; yields (url, log file)."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    process, url = serve(built_db, log)
    yield url, log
    stop(process)


def sql_url(sql: str, **params) -> str:
    return f"/{DATABASE}.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "array", **params})
