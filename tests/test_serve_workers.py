"""`openbkk serve --workers N`: N worker processes answer from the one file the server pinned, with
the inspect data the server worked out from it once (hash, size, row counts), and the same ETag
whichever answers; the pin and the handed file go when the server ends."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from openbangkok.model.catalog import DEFAULT_DATASETS
from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import workers as site_workers

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


def environment_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item]
    return {key.decode(): value.decode() for key, value in pairs}


def real_inspect_data(db: Path) -> dict:
    """What a worker would work out from the file itself: its SHA-256, size and every table's count."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")]
        counts = {name: {"count": conn.execute(f"select count(*) from [{name}]").fetchone()[0]} for name in tables}
    finally:
        conn.close()
    return {"hash": hashlib.sha256(db.read_bytes()).hexdigest(), "size": db.stat().st_size, "tables": counts}


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
        # every worker was handed the one inspect data the server worked out: the file's own hash,
        # size and counts, so none of them hashed the file or counted rows again
        handed = {environment_of(pid)[site_workers.INSPECT_ENV] for pid in workers}
        assert len(handed) == 1
        handed_file = Path(handed.pop())
        given = json.loads(handed_file.read_text(encoding="utf-8"))[DATABASE]
        assert {key: given[key] for key in ("hash", "size", "tables")} == real_inspect_data(built_db)
        assert given["file"] == str(pins[0] / built_db.name)
        listed = httpx.get(f"{url}/-/databases.json", timeout=STARTUP_S).json()
        assert [db["hash"] for db in listed if db["name"] == DATABASE] == [given["hash"]]
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert not list(built_db.parent.glob(f".{built_db.name}.serving-{process.pid}-*"))
    assert not handed_file.exists()
    assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")]


async def test_a_worker_serves_the_inspect_data_it_is_handed(built_db, tmp_path, monkeypatch):
    """A worker takes the hash and counts it is handed (it does not hash the file or count rows
    itself): a hash that no file has shows in its /-/databases.json, and a count on its index page."""
    handed = real_inspect_data(built_db)
    handed["hash"] = "0" * 64
    handed["tables"]["complaints"]["count"] = 123_456_789
    path = tmp_path / "inspect-data.json"
    path.write_text(json.dumps({DATABASE: {**handed, "file": str(built_db)}}), encoding="utf-8")
    for key, value in {
        site_workers.DB_ENV: str(built_db),
        site_workers.DATASETS_ENV: str(DEFAULT_DATASETS),
        site_workers.INSPECT_ENV: str(path),
    }.items():
        monkeypatch.setenv(key, value)
    app = site_workers.app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client:
        listed = (await client.get("/-/databases.json")).json()
        assert [db["hash"] for db in listed if db["name"] == DATABASE] == ["0" * 64]
        tables = (await client.get(f"/{DATABASE}.json")).json()["tables"]
        assert [t["count"] for t in tables if t["name"] == "complaints"] == [123_456_789]
