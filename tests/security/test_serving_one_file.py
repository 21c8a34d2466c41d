"""A server answers from one file until it is restarted (openbangkok.site.pinned_file), whatever a build
does to the path meanwhile; the ETag of /openbangkok.db is the hash of the bytes it sends; the file's
place on the server is not published; memos keyed on what requests say stay bounded."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import signal

import httpx
import pytest

from benchmarks.helpers import stop
from openbangkok.model.catalog import load_catalog
from openbangkok.model.site_metadata import DATABASE
from openbangkok.pipeline.build import build
from openbangkok.site import pinned_file
from openbangkok.site.app import make_datasette
from openbangkok.site.serving import rewrites as sql_rewrites
from openbangkok.site.serving import tie_breaker

from ..conftest import DATA
from .conftest import serve, sql_url

pytestmark = pytest.mark.slow  # server processes started, killed and started again


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def sample(tmp_path):
    datasets = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", datasets)
    out = tmp_path / "site" / "openbangkok.db"
    assert build(load_catalog(datasets), out).ok
    return datasets, out


def test_a_rebuild_does_not_change_what_a_running_server_answers(sample, tmp_path):
    datasets, out = sample
    before = out.read_bytes()
    process, url = serve(out, tmp_path / "server.log", "--datasets", str(datasets))
    try:
        count = sql_url("select count(*) as n from kinds")
        assert httpx.get(url + count).json() == [{"n": 2}]  # one SQL thread has opened the file
        with (datasets / "sample" / "kinds.csv").open("a", encoding="utf-8") as f:
            f.write("temple,วัด\n")
        assert build(load_catalog(datasets), out).ok and out.read_bytes() != before

        async def many():
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                return await asyncio.gather(*(client.get(count) for _ in range(40)))

        assert {str(r.json()) for r in asyncio.run(many())} == {"[{'n': 2}]"}, "threads answered from two files"
        download = httpx.get(url + f"/{DATABASE}.db")
        assert download.content == before
        first_tag = download.headers["etag"]  # of the build (openbangkok.site.serving.http_cache): from the bytes' hash
        assert (
            httpx.get(url + f"/{DATABASE}.db", headers={"if-none-match": download.headers["etag"]}).status_code == 304
        )
        listed = httpx.get(url + "/-/databases.json").json()
        assert listed[0]["hash"] == sha256(before) and "path" not in listed[0]
        page = httpx.get(url + "/-/databases")
        assert page.status_code == 200 and "openbangkok" in page.text and str(tmp_path) not in page.text
    finally:
        stop(process)
    assert [p.name for p in out.parent.iterdir() if pinned_file.MARK in p.name] == [], "the link outlived the server"
    process, url = serve(out, tmp_path / "server2.log", "--datasets", str(datasets))  # told to reload: restarted
    try:
        assert httpx.get(url + sql_url("select count(*) as n from kinds")).json() == [{"n": 3}]
        download = httpx.get(url + f"/{DATABASE}.db")
        assert download.content == out.read_bytes() and download.headers["etag"] != first_tag
        assert httpx.get(url + "/-/databases.json").json()[0]["hash"] == sha256(download.content)
    finally:
        stop(process)


def test_a_killed_servers_link_is_removed_by_the_next_server(sample, tmp_path):
    datasets, out = sample
    process, _ = serve(out, tmp_path / "server.log", "--datasets", str(datasets))
    process.send_signal(signal.SIGKILL)
    process.wait()
    left = [p for p in out.parent.iterdir() if pinned_file.MARK in p.name]
    assert len(left) == 1
    pinned = pinned_file.pin(out)
    assert not left[0].exists() and pinned.read_bytes() == out.read_bytes() and pinned.name == out.name
    shutil.rmtree(pinned.parent)


def test_a_folder_that_cannot_hold_the_link_serves_the_path(sample, monkeypatch, capsys):
    _, out = sample

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(pinned_file.os, "link", refuse)
    assert pinned_file.pin(out) == out.resolve()
    assert "cannot pin" in capsys.readouterr().err
    assert [p.name for p in out.parent.iterdir() if pinned_file.MARK in p.name] == []


def test_an_inspect_file_of_another_build_is_refused(sample):
    datasets, out = sample
    with pytest.raises(ValueError, match="another build"):
        make_datasette(out, datasets, inspect_data={DATABASE: {"hash": "0" * 64, "size": 1, "tables": {}}})


async def test_memos_keyed_on_sql_stay_bounded():
    """tie_breaker remembered every table name a query named (45 MB per 1,500 requests)."""

    class Database:
        is_mutable = False

        async def table_exists(self, table):
            return False

        async def execute(self, sql, params=None, **kwargs):
            return sql

    db = tie_breaker.installed(Database())
    for n in range(tie_breaker.KNOWN_TABLES + 500):
        await db.execute(f"select * from no_such_table_{n} order by x limit 10")
    assert len(db.execute.known) == tie_breaker.KNOWN_TABLES
    walks = sql_rewrites.Precomputed("complaints", 0).walks
    for n in range(sql_rewrites.WALKS_KEPT + 500):
        walks[("timestamp", "", f"_where text {n}")] = True
    assert len(walks) == sql_rewrites.WALKS_KEPT
