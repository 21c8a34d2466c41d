"""Table permission checks answered from memory (openbangkok.site.serving.table_permissions) give Datasette's own
answers, and an `allow` block on a table still refuses whoever it does not allow."""

from __future__ import annotations

import sqlite3

from datasette.app import Datasette

from openbangkok.site.app import PLUGINS
from openbangkok.site.serving import table_permissions


async def test_every_table_gets_datasettes_own_answer(ds):
    await ds.invoke_startup()
    allows = ds._table_permission_allows
    assert getattr(allows, "memoised", False), "the site answers table permissions from memory"
    for name, db in ds.databases.items():
        for table in await db.table_names():
            assert allows(name, table) == allows.original(name, table)
            assert allows(name, table) == allows.original(name, table)  # the second time from memory


async def test_an_allow_block_still_refuses(tmp_path):
    path = tmp_path / "private.db"
    conn = sqlite3.connect(path)
    conn.execute("create table secret (id integer primary key, note text)")
    conn.execute("create table open (id integer primary key, note text)")
    conn.commit()
    conn.close()
    site = Datasette(
        [str(path)],
        plugins_dir=str(PLUGINS),
        metadata={"databases": {"private": {"tables": {"secret": {"allow": {"id": "editor"}}}}}},
    )
    await site.invoke_startup()
    assert getattr(site._table_permission_allows, "memoised", False)
    for _ in range(2):
        assert (await site.client.get("/private/secret.json")).status_code == 403
        assert (await site.client.get("/private/open.json")).status_code == 200
    cookie = {"ds_actor": site.sign({"a": {"id": "editor"}}, "actor")}
    assert (await site.client.get("/private/secret.json", cookies=cookie)).status_code == 200
    # replaced metadata is read again, not answered from memory
    site._metadata_local = {"databases": {"private": {"tables": {"open": {"allow": {"id": "editor"}}}}}}
    assert (await site.client.get("/private/open.json")).status_code == 403
    assert (await site.client.get("/private/secret.json")).status_code == 200


def test_memoising_twice_changes_nothing(tmp_path):
    site = Datasette([], plugins_dir=str(PLUGINS))
    first = table_permissions.memoise(site)
    assert first is True and table_permissions.memoise(site) is False
