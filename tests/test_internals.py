"""Datasette's internals the site relies on are as it expects (openbangkok.site.internals, checked by
internals_check): the SQL Datasette really writes for a probe table matches each regular expression,
its table view calls Database.execute, and each patched attribute, facet class and helper has the
signature the code expects. This fails when a new Datasette changes one."""

from __future__ import annotations

import logging

from datasette.app import Datasette

from openbangkok.site import internals, internals_check
from openbangkok.site.app import PLUGINS
from openbangkok.site.levers import DISABLED, lever_on


async def test_datasettes_internals_are_as_the_site_expects():
    # checked at the site's startup, with the site's own hooks registered (they see the probe too)
    site = Datasette([], plugins_dir=str(PLUGINS))
    await site.invoke_startup()
    assert await internals_check.self_check() == []
    assert not DISABLED


async def test_each_probe_gives_the_sql_its_checks_read():
    found = await internals_check.probe_sql()
    assert all(found[name] for name in internals_check.PROBES), "every probe page answered 200 and ran SQL"
    assert internals_check.sql_problems(found) == []
    assert internals_check.attribute_problems(Datasette([])) == []
    assert internals_check.execute_problems(found) == []
    assert internals_check.facet_problems() == []
    assert internals_check.helper_problems() == []


async def test_a_mismatch_is_logged_and_switches_its_lever_off(caplog):
    found = await internals_check.probe_sql()
    wrong = [("tie_breaker", "sort", lambda sql: sql.startswith("select distinct "), "update FIRST_PAGE_SQL")]
    problems = internals_check.sql_problems(found, wrong)
    assert problems == [("tie_breaker", f"{internals_check.PROBES['sort']}: update FIRST_PAGE_SQL")]
    # the regexes as they are do not match another Datasette's SQL
    assert internals_check.sql_problems({name: ["select 1"] for name in internals_check.PROBES})
    try:
        with caplog.at_level(logging.WARNING, logger=internals_check.__name__):
            internals_check.switch_off(problems)
        assert not lever_on("tie_breaker")
        assert "update FIRST_PAGE_SQL" in caplog.text and "tie_breaker" in caplog.text
    finally:
        DISABLED.discard("tie_breaker")
    assert lever_on("tie_breaker")


async def test_a_table_view_that_skips_execute_switches_the_execute_levers_off():
    found = {name: [] for name in internals_check.PROBES}
    problems = internals_check.execute_problems(found)
    assert {lever for lever, _ in problems} == set(internals_check.EXECUTE_LEVERS)
    assert all("wrap_execute" in fix for _, fix in problems)


def test_wrappers_compose_around_execute_once_each():
    class Database:  # a plain object: wrap_execute only sets the instance's attribute
        async def execute(self, sql, params=None):
            return [sql]

    db = Database()
    tagged = lambda tag: lambda execute: lambda sql, params=None: execute(sql + tag, params)  # noqa: E731
    assert internals.wrap_execute(db, "first", tagged(" /*1*/"))
    assert internals.wrap_execute(db, "second", tagged(" /*2*/"))
    assert not internals.wrap_execute(db, "first", tagged(" /*again*/"))
    assert internals.execute_wrappers(db) == ["first", "second"]
    import asyncio

    assert asyncio.run(db.execute("select 1")) == ["select 1 /*2*/ /*1*/"]  # the last installed runs first


def test_the_site_installs_its_execute_wrappers_through_the_one_door(tmp_path):
    import sqlite_utils
    from datasette.database import Database

    from openbangkok.site.serving import tie_breaker

    path = tmp_path / "t.db"
    sqlite_utils.Database(path)["t"].insert({"id": 1, "kind": "a"}, pk="id")
    db = Database(Datasette([]), path=str(path), is_mutable=False)
    tie_breaker.installed(db)
    tie_breaker.installed(db)  # a second startup of the same database wraps nothing twice
    assert internals.execute_wrappers(db) == ["tie_breaker"]


def test_a_changed_facet_class_or_helper_is_named(monkeypatch):
    monkeypatch.setattr(internals, "FACET_METHODS", internals.FACET_METHODS + ("gone_in_a_new_datasette",))
    assert [lever for lever, _ in internals_check.facet_problems()] == ["site_facets", "site_facets"]
    monkeypatch.setitem(internals.HELPERS, "escape_sqlite", ["name"])
    assert internals_check.helper_problems() == [
        (None, "datasette.utils.escape_sqlite(name, ...) is gone or changed: update its callers")
    ]


def test_the_site_escapes_plain_searches_as_datasette_does():
    from openbangkok.thai.search import plain_escape

    for query in ("fire", 'fire "road works" light', 'unbalanced "quote', '""', "  two   spaces  "):
        assert plain_escape(query) == internals.escape_fts(query)
