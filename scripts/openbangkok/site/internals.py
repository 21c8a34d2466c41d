"""The one door to Datasette's private or undocumented API: every use of it in the package goes
through this module, so that a new Datasette breaks one file, which says what it expects.

What the site takes from Datasette 0.65 beyond its documented plugin hooks:
- the SQL its table view and facets write (views/table.py, facets.py), read by regular expressions:
  the SQL rewrites (serving/rewrites.py: a search's count and page, filters, a column facet) and the
  tie breaker of sorted first pages (serving/tie_breaker.py) recognise it to answer it faster;
- Datasette._table_permission_allows and _metadata_local (serving/table_permissions.py memoises the
  one, keyed on the other), CustomRow.__iter__ (serving.iterate_rows_in_c replaces it), Filters and
  ureg with the filters_from_request hooks (serving.filter_sql: the filters of a page as the table
  view reads them), DatasetteError and app_css_hash (security/errors.py renders Datasette's error
  page), Datasette.metadata() (metadata(): 0.65's accessor, replaced in Datasette 1.0).

self_check() runs once per process at startup (hooks/serving.py), before any of these is used: it
starts a Datasette of its own on a probe table, records the SQL Datasette really writes for a search,
a filter, a facet and sorted pages, and matches each regular expression with it; and it checks each
attribute it patches exists with the signature the code expects. A mismatch is logged as a warning
naming what to fix, and the serving lever that depends on it is switched off (levers.lever_on), so
the site answers with Datasette's own SQL and code. tests/test_internals.py fails on any mismatch.
"""

from __future__ import annotations

import inspect
import logging
import re
import tempfile
from collections import OrderedDict
from pathlib import Path

from datasette.views.base import DatasetteError  # noqa: F401  (security/errors.py)

from openbangkok.site.levers import DISABLED

log = logging.getLogger(__name__)

# --- Datasette's SQL, as its table view and facets write it ---------------------------------------

# the where clause of a search: the page's filters first, then the search (filters_from_request)
SEARCH_WHERE = re.compile(
    r"where (?:(?P<filters>.+) and )?(?P<clause>rowid in \(select rowid from (?P<fts>\S+) where (?P<lhs>\S+) "
    r"match (?P<match>escape_fts\(:\w+\)|:\w+)\)) $",
    re.S,
)
COUNT_SQL = re.compile(r"select count\(\*\) from (?P<table>\S+) (?P<where>where .*)?$", re.S)
PAGE_SQL = re.compile(
    r"select (?P<columns>.+?) from (?P<table>\S+) (?P<where>where .+ )"
    r"order by (?P<order>\S+)(?P<direction> desc)? limit \d+$",
    re.S,
)
COLUMN_FACET_SQL = re.compile(
    r"\s*select (?P<column>\S+) as value, count\(\*\) as count from \(\s*(?P<sql>.*?)\s*\)\s*"
    r"where (?P=column) is not null\s*group by (?P=column) order by count desc, value "
    r"limit (?P<limit>\d+)\s*$",
    re.S,
)
# One of Datasette's filters (?col=, __not, __gt, __like, __in, __notin, __isnull, ...) as its table
# view writes it, the column quoted or not; parts joined by " and ". `?col__arraycontains=` is
# written `:p0 in (select value from json_each("table"."col"))` (groups item, array_column).
IDENTIFIER = r'"[^"]+"|\[[^\]]+\]|\w+'
FILTER_PART = re.compile(
    rf"(?P<column>{IDENTIFIER}) "
    r"(?:(?P<op>=|!=|<|<=|>|>=|like|not like|glob) :(?P<param>p\d+)|is null|is not null"
    r"|(?:not )?in \(:p\d+(?:, :p\d+)*\))"
    rf"|:(?P<item>p\d+) in \(select value from json_each\((?:{IDENTIFIER})\.(?P<array_column>{IDENTIFIER})\)\)"
)
# a table page sorted on one column, before any `_next` (views/table.py): a list of columns (no
# DISTINCT, no expression: a query someone wrote keeps its own order)
NAME = r'(?:\[[^\]]+\]|"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)'
FIRST_PAGE_SQL = re.compile(
    rf"select (?P<columns>(?:rowid, )?\*|{NAME}(?:, {NAME})*) from (?P<table>{NAME}) (?P<where>where .+ )?"
    rf"order by (?P<order>{NAME})(?P<direction> desc)? limit (?P<limit>\d+)",
    re.S,
)

# --- private attributes ------------------------------------------------------------------------------

TABLE_PERMISSIONS_METHOD = "_table_permission_allows"


def metadata(
    datasette, key: str | None = None, database: str | None = None, table: str | None = None, fallback: bool = True
):
    """Datasette.metadata() of 0.65 (get_instance_metadata and friends in 1.0)."""
    return datasette.metadata(key, database=database, table=table, fallback=fallback)


def table_metadata(datasette, database: str, table: str) -> dict:
    return datasette.table_metadata(database, table)


def local_metadata(datasette):
    """The metadata object given to Datasette's constructor: replaced, never changed in place."""
    return datasette._metadata_local


def metadata_hooks() -> list:
    """The plugins that supply metadata at run time (then nothing may be memoised on metadata)."""
    from datasette.plugins import pm

    return pm.hook.get_metadata.get_hookimpls()


def filters_from_request_hooks(**arguments) -> list:
    from datasette.plugins import pm

    return pm.hook.filters_from_request(**arguments)


def where_clauses(args: list[tuple[str, str]], units: dict, table: str) -> tuple[list[str], dict]:
    """The where clauses and parameters of a table page's ?column__op=value filters, as its view builds them."""
    from datasette.filters import Filters
    from datasette.views.base import ureg

    return Filters(args, units, ureg).build_where_clauses(table)


def filter_operators() -> tuple[str, ...]:
    """The operators of Datasette's table filters (`column__<operator>=`), in its order: Filters._filters
    is private (tests/test_bad_requests.py checks that each still filters)."""
    from datasette.filters import Filters

    return tuple(f.key for f in Filters._filters)


def custom_row():
    """The class of a row with labels (?_labels=on)."""
    from datasette.utils import CustomRow

    return CustomRow


def app_css_hash(datasette) -> str:
    return datasette.app_css_hash()


# --- the self-check ----------------------------------------------------------------------------------

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
        execute = database.execute

        async def recording(sql, *args, **kwargs):
            seen.append(sql)
            return await execute(sql, *args, **kwargs)

        database.execute = recording
        found = {}
        for name, url in PROBES.items():
            seen.clear()
            response = await probe.client.get(url)
            found[name] = list(seen) if response.status_code == 200 else []
        return found


def _any(statements: list[str], test) -> bool:
    return any(test(sql) for sql in statements)


def _search_where(m) -> bool:
    search = SEARCH_WHERE.fullmatch(m["where"] or "") if m else None
    return bool(search) and search["fts"] == "items_fts" and search["match"].startswith("escape_fts(")


def _filters(where: str | None) -> bool:
    parts = [FILTER_PART.fullmatch(part) for part in (where or "").strip().removeprefix("where ").split(" and ")]
    return None not in parts and {p["column"] or p["array_column"] for p in parts} == {'"kind"', '"tags"'}


# (lever, which probe, the test of one statement, what Datasette's SQL no longer does)
SQL_CHECKS = [
    (
        "search_sql",
        "search",
        lambda sql: _search_where(COUNT_SQL.fullmatch(sql)),
        "a search's count is no longer `select count(*) from t where rowid in (select rowid from t_fts where "
        "t_fts match escape_fts(:search))`: update SEARCH_WHERE and COUNT_SQL",
    ),
    (
        "search_sql",
        "search",
        lambda sql: _search_where(PAGE_SQL.fullmatch(sql)),
        "a search's page is no longer `select ... from t where <search> order by ... limit n`: update PAGE_SQL",
    ),
    (
        "precomputed_facets",
        "filters",
        lambda sql: _filters((COUNT_SQL.fullmatch(sql) or {"where": None})["where"]),
        "a filtered page's count no longer writes its filters as FILTER_PART reads them: update FILTER_PART",
    ),
    (
        "precomputed_facets",
        "filters",
        lambda sql: bool(m := COLUMN_FACET_SQL.fullmatch(sql)) and m["column"] == "kind",
        "a column facet is no longer `select c as value, count(*) as count from (...) where c is not null "
        "group by c order by count desc, value limit n`: update COLUMN_FACET_SQL",
    ),
    (
        "tie_breaker",
        "sort",
        lambda sql: bool(m := FIRST_PAGE_SQL.fullmatch(sql)) and m["order"] == "kind" and not m["direction"],
        "a sorted first page no longer matches FIRST_PAGE_SQL: update it",
    ),
    (
        "tie_breaker",
        "sort_desc",
        lambda sql: bool(m := FIRST_PAGE_SQL.fullmatch(sql)) and m["order"] == "kind" and m["direction"] == " desc",
        "a first page sorted descending no longer matches FIRST_PAGE_SQL: update it",
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
    allows = getattr(type(datasette), TABLE_PERMISSIONS_METHOD, None)
    if allows is None or _parameters(allows) != ["database", "table"]:
        problems.append(
            (
                "permission_memo",
                f"Datasette.{TABLE_PERMISSIONS_METHOD}(database, table) is gone or "
                "changed: update serving/table_permissions.py",
            )
        )
    if not hasattr(datasette, "_metadata_local"):
        problems.append(("permission_memo", "Datasette._metadata_local is gone: update local_metadata()"))
    row = custom_row()
    if not issubclass(row, OrderedDict) or "columns" not in _parameters(row.__init__):
        problems.append(
            ("fast_rows", "CustomRow is no OrderedDict made with `columns`: update serving.iterate_rows_in_c")
        )
    try:
        from datasette.filters import Filters
        from datasette.views.base import ureg  # noqa: F401

        if _parameters(Filters.__init__)[:3] != ["pairs", "units", "ureg"] or _parameters(
            Filters.build_where_clauses
        ) != ["table"]:
            raise TypeError(Filters)
    except (ImportError, TypeError):
        problems.append(
            (
                "next_page_facets",
                "Filters(pairs, units, ureg).build_where_clauses(table) is gone or changed: update where_clauses()",
            )
        )
    return problems


async def self_check() -> list[tuple[str, str]]:
    """What of Datasette's internals is not as the site expects, as (lever, what to fix); each
    such lever is switched off. Checked once per process."""
    global _problems
    if _problems is None:
        from datasette.app import Datasette

        _problems = []  # a second call while the probe runs (its own startup) finds nothing to do
        problems = attribute_problems(Datasette([])) + sql_problems(await probe_sql())
        switch_off(problems)
        _problems = problems
    return _problems


def switch_off(problems: list[tuple[str, str]]) -> None:
    for lever, fix in problems:
        log.warning("Datasette's internals changed: %s; lever %r switched off until then", fix, lever)
        DISABLED.add(lever)  # levers.lever_on(lever) is False from now on
