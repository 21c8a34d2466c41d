"""The start-up self-check of Datasette's internals (internals.py): what of them is not as the site
expects, logged loudly, with the serving lever that depends on it switched off.

self_check() runs once per process at startup (hooks/serving.py), before any of them is used: it
starts a Datasette of its own on a probe table, records the SQL Datasette really writes for a search,
a filter, a facet and sorted pages (through the execute wrapper the levers use, so a table view that
stopped calling Database.execute is caught too), and matches each regular expression with it; and
it checks each attribute and helper it patches or calls has the signature the code expects. A
mismatch is logged as a warning naming what to fix, and the lever that depends on it is switched
off (levers.lever_on), so the site answers with Datasette's own SQL and code (a helper has no lever:
its warning stands alone). tests/test_internals.py fails on any mismatch.
"""

from __future__ import annotations

import inspect
import logging
import tempfile
from collections import OrderedDict
from pathlib import Path

from openbangkok.site import internals
from openbangkok.site.levers import DISABLED

log = logging.getLogger(__name__)

PROBE_ATTRIBUTE = "_openbangkok_probe"
# what the probe asks for, and what the SQL of each answer is used for
PROBES = {
    "search": "/probe/items.json?_search=apple",
    "filters": "/probe/items.json?kind=a&tags__arraycontains=x&_facet=kind",
    "sort": "/probe/items.json?_sort=kind",
    "sort_desc": "/probe/plain.json?_sort_desc=kind",
}
_problems: list[tuple[str, str]] | None = None  # (lever, what to fix), once per process


def is_probe(datasette) -> bool:
    """The self-check's own Datasette: the site's startup hooks leave it alone."""
    return getattr(datasette, PROBE_ATTRIBUTE, False)


async def probe_sql() -> dict[str, list[str]]:
    """The SQL Datasette runs for each of PROBES, on a table of its own."""
    import sqlite_utils
    from datasette.app import Datasette
    from datasette.database import Database

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "probe.db"
        db = sqlite_utils.Database(path)
        db["items"].insert_all(
            [{"id": n, "kind": "ab"[n % 2], "tags": '["x", "y"]', "body": f"apple {n}"} for n in range(20)], pk="id"
        )
        db["items"].enable_fts(["body"])
        db["plain"].insert_all([{"kind": "ab"[n % 2]} for n in range(5)])
        db.close()
        probe = Datasette([], settings={"suggest_facets": False, "num_sql_threads": 1})
        setattr(probe, PROBE_ATTRIBUTE, True)
        database = probe.add_database(Database(probe, path=str(path), is_mutable=False), name="probe")
        seen: list[str] = []

        def recording(execute):
            async def run(sql, *args, **kwargs):
                seen.append(sql)
                return await execute(sql, *args, **kwargs)

            return run

        internals.wrap_execute(database, "probe", recording)
        found = {}
        for name, url in PROBES.items():
            seen.clear()
            response = await probe.client.get(url)
            found[name] = list(seen) if response.status_code == 200 else []
        return found


def _any(statements: list[str], test) -> bool:
    return any(test(sql) for sql in statements)


def _search_where(m) -> bool:
    search = internals.SEARCH_WHERE.fullmatch(m["where"] or "") if m else None
    return bool(search) and search["fts"] == "items_fts" and search["match"].startswith("escape_fts(")


def _filters(where: str | None) -> bool:
    parts = [
        internals.FILTER_PART.fullmatch(part) for part in (where or "").strip().removeprefix("where ").split(" and ")
    ]
    return None not in parts and {p["column"] or p["array_column"] for p in parts} == {'"kind"', '"tags"'}


# (lever, which probe, the test of one statement, what Datasette's SQL no longer does)
SQL_CHECKS = [
    (
        "search_sql",
        "search",
        lambda sql: _search_where(internals.COUNT_SQL.fullmatch(sql)),
        "a search's count is no longer `select count(*) from t where rowid in (select rowid from t_fts where "
        "t_fts match escape_fts(:search))`: update internals.SEARCH_WHERE and COUNT_SQL",
    ),
    (
        "search_sql",
        "search",
        lambda sql: _search_where(internals.PAGE_SQL.fullmatch(sql)),
        "a search's page is no longer `select ... from t where <search> order by ... limit n`: update PAGE_SQL",
    ),
    (
        "precomputed_facets",
        "filters",
        lambda sql: _filters((internals.COUNT_SQL.fullmatch(sql) or {"where": None})["where"]),
        "a filtered page's count no longer writes its filters as internals.FILTER_PART reads them: update FILTER_PART",
    ),
    (
        "precomputed_facets",
        "filters",
        lambda sql: bool(m := internals.COLUMN_FACET_SQL.fullmatch(sql)) and m["column"] == "kind",
        "a column facet is no longer `select c as value, count(*) as count from (...) where c is not null "
        "group by c order by count desc, value limit n`: update COLUMN_FACET_SQL",
    ),
    (
        "tie_breaker",
        "sort",
        lambda sql: bool(m := internals.FIRST_PAGE_SQL.fullmatch(sql)) and m["order"] == "kind" and not m["direction"],
        "a sorted first page no longer matches internals.FIRST_PAGE_SQL: update it",
    ),
    (
        "tie_breaker",
        "sort_desc",
        lambda sql: (
            bool(m := internals.FIRST_PAGE_SQL.fullmatch(sql)) and m["order"] == "kind" and m["direction"] == " desc"
        ),
        "a first page sorted descending no longer matches internals.FIRST_PAGE_SQL: update it",
    ),
]


def sql_problems(found: dict[str, list[str]], checks=SQL_CHECKS) -> list[tuple[str, str]]:
    return [
        (lever, f"{PROBES[probe]}: {fix}") for lever, probe, test, fix in checks if not _any(found.get(probe, []), test)
    ]


def _parameters(function) -> list[str]:
    return [p for p in inspect.signature(function).parameters if p != "self"]


def attribute_problems(datasette) -> list[tuple[str, str]]:
    """The private attributes the serving levers patch or read, with the signatures the code expects."""
    problems = []
    allows = getattr(type(datasette), internals.TABLE_PERMISSIONS_METHOD, None)
    if allows is None or _parameters(allows) != ["database", "table"]:
        problems.append(
            (
                "permission_memo",
                f"Datasette.{internals.TABLE_PERMISSIONS_METHOD}(database, table) is gone or "
                "changed: update serving/table_permissions.py",
            )
        )
    if not hasattr(datasette, "_metadata_local"):
        problems.append(("permission_memo", "Datasette._metadata_local is gone: update local_metadata()"))
    row = internals.custom_row()
    if not issubclass(row, OrderedDict) or "columns" not in _parameters(row.__init__):
        problems.append(
            ("fast_rows", "CustomRow is no OrderedDict made with `columns`: update serving.iterate_rows_in_c")
        )
    try:
        filters, _ = internals.filters_api()
        if _parameters(filters.__init__)[:3] != ["pairs", "units", "ureg"] or _parameters(
            filters.build_where_clauses
        ) != ["table"]:
            raise TypeError(filters)
    except (ImportError, TypeError):
        problems.append(
            (
                "next_page_facets",
                "Filters(pairs, units, ureg).build_where_clauses(table) is gone or changed: update where_clauses()",
            )
        )
    return problems


# the levers that wrap Database.execute (internals.wrap_execute)
EXECUTE_LEVERS = ("search_sql", "precomputed_facets", "tie_breaker")


def execute_problems(found: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Database.execute has the parameters the wrappers pass on, and the table view calls it on the
    database (each probe page's SQL passed the probe's own wrapper)."""
    from datasette.database import Database

    fixes = []
    if _parameters(Database.execute) != internals.EXECUTE_PARAMETERS:
        fixes.append(
            f"Database.execute{inspect.signature(Database.execute)} is not (sql, {', '.join(internals.EXECUTE_PARAMETERS[1:])})"
        )
    silent = [name for name in PROBES if not found.get(name)]
    if silent:
        fixes.append(f"the table view ran no SQL through Database.execute for {', '.join(PROBES[p] for p in silent)}")
    return [(lever, f"{fix}: update internals.wrap_execute") for fix in fixes for lever in EXECUTE_LEVERS]


def facet_problems() -> list[tuple[str, str]]:
    """ColumnFacet and ArrayFacet take the arguments and have the methods serving.py's subclasses use."""
    problems = []
    for base, kind in ((internals.ColumnFacet, "column"), (internals.ArrayFacet, "array")):
        missing = [m for m in internals.FACET_METHODS if not callable(getattr(base, m, None))]
        if _parameters(base.__init__) != internals.FACET_PARAMETERS or missing or base.type != kind:
            problems.append(
                (
                    "site_facets",
                    f"{base.__name__}({', '.join(internals.FACET_PARAMETERS)}) with {', '.join(internals.FACET_METHODS)}"
                    f" and type {kind!r} is gone or changed: update serving.SiteColumnFacet and SiteArrayFacet",
                )
            )
    return problems


def _module_of(name: str) -> str:
    return getattr(getattr(internals, name), "__module__", "datasette.utils")


def helper_problems() -> list[tuple[str, str]]:
    """Datasette's undocumented helpers take the parameters the site passes (no lever: a warning)."""
    return [
        (None, f"{_module_of(name)}.{name}({', '.join(expected)}, ...) is gone or changed: update its callers")
        for name, expected in internals.HELPERS.items()
        if _parameters(getattr(internals, name))[: len(expected)] != expected
    ]


async def self_check() -> list[tuple[str, str]]:
    """What of Datasette's internals is not as the site expects, as (lever, what to fix); each
    such lever is switched off. Checked once per process."""
    global _problems
    if _problems is None:
        from datasette.app import Datasette

        _problems = []  # a second call while the probe runs (its own startup) finds nothing to do
        found = await probe_sql()
        problems = (
            attribute_problems(Datasette([]))
            + execute_problems(found)
            + facet_problems()
            + helper_problems()
            + sql_problems(found)
        )
        switch_off(problems)
        _problems = problems
    return _problems


def switch_off(problems: list[tuple[str | None, str]]) -> None:
    for lever, fix in problems:
        if lever is None:
            log.warning("Datasette's internals changed: %s", fix)
            continue
        log.warning("Datasette's internals changed: %s; lever %r switched off until then", fix, lever)
        DISABLED.add(lever)  # levers.lever_on(lever) is False from now on
