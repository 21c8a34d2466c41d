"""`openbkk serve --workers N`: N worker processes answer from the one file the server pinned, with
the same ETag whichever answers; the pin goes when the server ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from openbangkok.model.site_metadata import DATABASE

from .conftest import free_port, wait_for_port

STARTUP_S = 120  # the server and its workers starting on a busy 2-core machine


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    parent = int(f.read().rsplit(b")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    command = f.read()
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid and b"spawn_main" in command:
                found.append(int(entry))
    return found


def open_databases(pid: int, name: str) -> set[str]:
    paths = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if Path(target).name == name:
            paths.add(target)
    return paths


def test_workers_answer_from_one_pinned_file_with_one_etag(built_db):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openbangkok",
            "serve",
            "--db",
            str(built_db),
            "--port",
            str(port),
            "--workers",
            "2",
            "--public-url",
            "https://data.example.org",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, process, deadline=STARTUP_S)
        deadline = time.monotonic() + STARTUP_S
        while len(workers := children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) == 2
        page = f"{url}/{DATABASE}/complaints.json?_size=5&district_code=1005"
        tags, counts = set(), set()
        for _ in range(40):  # a new connection each: the kernel hands them to either worker
            answer = httpx.get(page, timeout=STARTUP_S, headers={"host": "attacker.example"})
            assert answer.status_code == 200
            # every worker writes links from the public URL it was given, never from the Host header
            assert answer.json()["next_url"].startswith(f"https://data.example.org/{DATABASE}/")
            tags.add(answer.headers["etag"])
            counts.add(answer.json()["filtered_table_rows_count"])
        assert len(tags) == 1 and len(counts) == 1
        pins = [p for p in built_db.parent.glob(f".{built_db.name}.serving-{process.pid}-*")]
        assert len(pins) == 1  # the server's own pin, none per worker
        opened = set().union(*(open_databases(pid, built_db.name) for pid in workers))
        assert opened == {str(pins[0] / built_db.name)}
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert not list(built_db.parent.glob(f".{built_db.name}.serving-{process.pid}-*"))
    assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")]
