"""Datasette's internals the site relies on are as it expects (openbangkok.site.internals): the SQL
Datasette really writes for a probe table matches each regular expression, and each patched
attribute has the signature the code expects. This fails when a new Datasette changes one."""

from __future__ import annotations

import logging

from datasette.app import Datasette

from openbangkok.site import internals
from openbangkok.site.app import PLUGINS
from openbangkok.site.levers import DISABLED, lever_on


async def test_datasettes_internals_are_as_the_site_expects():
    # checked at the site's startup, with the site's own hooks registered (they see the probe too)
    site = Datasette([], plugins_dir=str(PLUGINS))
    await site.invoke_startup()
    assert await internals.self_check() == []
    assert not DISABLED


async def test_each_probe_gives_the_sql_its_checks_read():
    found = await internals.probe_sql()
    assert all(found[name] for name in internals.PROBES), "every probe page answered 200 and ran SQL"
    assert internals.sql_problems(found) == []
    assert internals.attribute_problems(Datasette([])) == []


async def test_a_mismatch_is_logged_and_switches_its_lever_off(caplog):
    found = await internals.probe_sql()
    wrong = [("tie_breaker", "sort", lambda sql: sql.startswith("select distinct "), "update FIRST_PAGE_SQL")]
    problems = internals.sql_problems(found, wrong)
    assert problems == [("tie_breaker", f"{internals.PROBES['sort']}: update FIRST_PAGE_SQL")]
    # the regexes as they are do not match another Datasette's SQL
    assert internals.sql_problems({name: ["select 1"] for name in internals.PROBES})
    try:
        with caplog.at_level(logging.WARNING, logger=internals.__name__):
            internals.switch_off(problems)
        assert not lever_on("tie_breaker")
        assert "update FIRST_PAGE_SQL" in caplog.text and "tie_breaker" in caplog.text
    finally:
        DISABLED.discard("tie_breaker")
    assert lever_on("tie_breaker")
