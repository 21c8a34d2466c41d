"""Helpers of the security tests: a server of a test's own whose log it reads (benchmarks/helpers.py
writes it to a file), and SQL through the public endpoint. Tests that only read from a server use the
session's (live_server, tests/conftest.py)."""

from __future__ import annotations

import subprocess
import urllib.parse
from pathlib import Path

from benchmarks import helpers
from openbangkok.model.site_metadata import DATABASE


def serve(db: Path, log: Path, *args: str) -> tuple[subprocess.Popen, str]:
    return helpers.serve(db, *args, log=log)


def sql_url(sql: str, **params) -> str:
    return f"/{DATABASE}.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "array", **params})
