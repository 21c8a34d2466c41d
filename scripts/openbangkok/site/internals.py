"""The one door to Datasette's private or undocumented API: every use of it in the package goes
through this module, so that a new Datasette breaks one file, which says what it expects.
tests/test_structure.py refuses such a use anywhere else; internals_check.py checks at startup
that each is still as expected (and tests/test_internals.py fails when one is not).

What the site takes from Datasette 0.65 beyond its documented plugin hooks and internals:
- the SQL its table view and facets write (views/table.py, facets.py), read by regular expressions:
  the SQL rewrites (serving/rewrites.py: a search's count and page, filters, a column facet) and the
  tie breaker of sorted first pages (serving/tie_breaker.py) recognise it to answer it faster;
- Database.execute wrapped on a database (wrap_execute: the rewrites and the tie breaker, composed
  in the order they are installed), which works because the table view calls the instance's execute;
- ColumnFacet and ArrayFacet, subclassed by serving/serving.py (the Facet API is not stable) and
  swapped in through register_facet_classes;
- Datasette._table_permission_allows and _metadata_local (serving/table_permissions.py memoises the
  one, keyed on the other), CustomRow.__iter__ (serving.iterate_rows_in_c replaces it), Filters and
  ureg with the filters_from_request hooks (serving.filter_sql: the filters of a page as the table
  view reads them), DatasetteError, Base400, add_cors_headers and app_css_hash (security/errors.py
  renders Datasette's error page), Datasette.metadata() (metadata(): 0.65's accessor, replaced in
  Datasette 1.0);
- undocumented helpers of datasette.utils (HELPERS: escape_sqlite, path_with_added_args, ...) and
  datasette.cli's inspect_ (package.py: the counts `datasette inspect` writes);
- datasette-cluster-map's own module: location_columns_from_columns (which columns the map reads:
  the GeoJSON export, the row page's map and the API pages find the same ones) and TILE_LAYER (its
  default tiles, allowed by the Content-Security-Policy).
- core templates copied whole in plugins/templates (each says why in its first line): base.html,
  index.html, database.html, query.html, row.html, table.html (their changes lie in the one content
  block that is the whole page, or outside any block), and the partials without blocks
  _close_open_menus.html, _codemirror_foot.html, _description_source_license.html, _footer.html,
  _table.html, _crumbs.html, _facet_results.html; error.html extends Datasette's.
"""

from __future__ import annotations

import re

from datasette.facets import ArrayFacet, ColumnFacet  # noqa: F401  (serving/serving.py subclasses them)
from datasette.utils import (  # noqa: F401  (HELPERS)
    InvalidSql,  # noqa: F401  (validate_sql_select's refusal)
    add_cors_headers,
    escape_sqlite,
    path_with_added_args,
    path_with_removed_args,
    sqlite_timelimit,
    to_css_class,
    validate_sql_select,
)
from datasette.utils.asgi import Base400  # noqa: F401  (security/errors.py: Datasette's 400s)
from datasette.views.base import DatasetteError  # noqa: F401  (security/errors.py)
from datasette_cluster_map import TILE_LAYER, location_columns_from_columns  # noqa: F401  (HELPERS)

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
    filters, ureg = filters_api()
    return filters(args, units, ureg).build_where_clauses(table)


def filters_api():
    """Datasette's Filters class and the unit registry its table view passes it."""
    from datasette.filters import Filters
    from datasette.views.base import ureg

    return Filters, ureg


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


def facet_rows(rows: list, columns: tuple[str, ...] = ("value", "count")):
    """Rows a facet computed itself, as the Results its execute() would have given."""
    from datasette.database import Results

    return Results(rows, False, [(c,) for c in columns])


def escape_fts(query: str) -> str:
    """Datasette's own escape_fts(): thai/search.py follows its rule for text without Thai
    (tests/test_internals.py checks they agree)."""
    from datasette.utils import escape_fts as datasettes

    return datasettes(query)


async def inspect_file(path: str) -> dict:
    """What `datasette inspect` writes for a database file (datasette.cli.inspect_ is not public)."""
    from datasette.cli import inspect_

    return await inspect_([path], None)


# --- Database.execute, wrapped ----------------------------------------------------------------------

EXECUTE_WRAPPERS = "_openbangkok_execute_wrappers"  # the names wrapped around a database's execute


def wrap_execute(db, name: str, wrapper) -> bool:
    """Compose `wrapper(execute) -> execute` around `db.execute`, once per `name` and database: the
    table view calls the instance's execute, so its SQL passes every wrapper, the last installed
    first. Returns False when `name` was already there."""
    names = db.__dict__.setdefault(EXECUTE_WRAPPERS, [])
    if name in names:
        return False
    db.execute = wrapper(db.execute)
    names.append(name)
    return True


def execute_wrappers(db) -> list[str]:
    return list(db.__dict__.get(EXECUTE_WRAPPERS, ()))


# --- what internals_check.py compares with Datasette as installed -----------------------------------

# Database.execute's parameters, which every wrapper passes through
EXECUTE_PARAMETERS = ["sql", "params", "truncate", "custom_time_limit", "page_size", "log_sql_errors"]
# the Facet API serving/serving.py builds on: constructor, and the methods it calls or overrides
FACET_PARAMETERS = ["ds", "request", "database", "sql", "table", "params", "metadata", "row_count"]
FACET_METHODS = ("facet_results", "get_configs", "get_facet_size", "get_querystring_pairs")
# the undocumented helpers, with the leading parameters the site passes
HELPERS = {
    "escape_sqlite": ["s"],
    "path_with_added_args": ["request", "args"],
    "path_with_removed_args": ["request", "args"],
    "sqlite_timelimit": ["conn", "ms"],
    "to_css_class": ["s"],
    "validate_sql_select": ["sql"],
    "add_cors_headers": ["headers"],
    "location_columns_from_columns": ["columns"],
}
