"""Codes that refer to reference data, named: a district code shows as "เขตพระนคร (1001)", linked to
the district's row, on row pages, table cells, query results and the line saying what a table is
filtered by.
Datasette 0.65 shows a row page's foreign-key cells as bare codes, and views have no foreign keys.

Which columns are named comes from the plugin configuration `openbangkok-row-labels` in metadata.yml,
never from code:

    tables: [policies, ...]            every declared foreign key of these tables is named
    references: [districts, agencies]  on every table, a column whose declared foreign key points at
                                       one of these tables is named; so is, in a view (which declares
                                       none), a column of the same name as such a table's key

In a query's results (a canned query or the SQL page: Datasette names no table there) a column named
like the single key of one of `references` is named too.

The labels are the referenced table's label column (Datasette's label_column_for_table). The
database is immutable, so references and labels are read once per Datasette instance: a reference
table of at most PRELOAD_ROWS rows whole (a cell then costs a dict lookup, whatever a query asks
for), a larger one row by row, remembering only codes that name a row.
"""

from __future__ import annotations

import weakref

from datasette.utils import tilde_encode
from markupsafe import Markup

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.internals import escape_sqlite
from openbangkok.site.plugin_config import plugin_config

CONFIG = "openbangkok-row-labels"
PRELOAD_ROWS = 5_000  # districts 50, agencies 67, dimensions 9: reference tables are small
_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cache(datasette) -> dict:
    return _caches.setdefault(datasette, {"refs": {}, "labels": {}, "whole": {}, "query": None})


def configured(datasette, table: str | None) -> bool:
    """Whether cells of `table` may be named at all (a cheap test for every cell)."""
    config = plugin_config(datasette, CONFIG)
    return bool(table) and (table in config.get("tables", ()) or bool(config.get("references")))


def known_plain(datasette, table: str, column: str) -> bool:
    """True when the column is already known to be no reference (render_cell then answers at once)."""
    known = _cache(datasette)["refs"].get(table)
    return known is not None and column not in known


async def references(datasette, table: str) -> dict[str, tuple[str, str, str]]:
    """{column: (other table, other column, its label column)} of the columns of `table` to name."""
    known = _cache(datasette)["refs"]
    if table in known:
        return known[table]
    config = plugin_config(datasette, CONFIG)
    wanted = set(config.get("references") or ())
    db = datasette.get_database(DATABASE)
    found: dict[str, tuple[str, str, str]] = {}
    every_key = table in config.get("tables", ())
    for fk in await db.foreign_keys_for_table(table):
        if every_key or fk["other_table"] in wanted:
            found[fk["column"]] = (fk["other_table"], fk["other_column"])
    if table in await db.view_names():
        columns = set(await db.table_columns(table))
        for other in wanted:
            keys = await db.primary_keys(other)
            if len(keys) == 1 and keys[0] in columns and other != table:
                found.setdefault(keys[0], (other, keys[0]))
    result = {}
    for column, (other_table, other_column) in found.items():
        label_column = await db.label_column_for_table(other_table)
        if label_column and other_table != table:
            result[column] = (other_table, other_column, label_column)
    known[table] = result
    return result


async def _whole_table(datasette, reference: tuple[str, str, str]) -> dict[str, str] | None:
    """{code: label} of a reference table of at most PRELOAD_ROWS rows, None for a larger one."""
    whole = _cache(datasette)["whole"]
    if reference not in whole:
        other_table, other_column, label_column = reference
        rows = await datasette.get_database(DATABASE).execute(
            f"select {escape_sqlite(other_column)}, {escape_sqlite(label_column)} "
            f"from {escape_sqlite(other_table)} limit {PRELOAD_ROWS + 1}"
        )
        whole[reference] = None if len(rows) > PRELOAD_ROWS else {str(code): text for code, text in rows}
    return whole[reference]


async def label(datasette, reference: tuple[str, str, str], value) -> str | None:
    """The label of the row `value` refers to, None when there is none."""
    whole = await _whole_table(datasette, reference)
    if whole is not None:
        return whole.get(str(value))
    other_table, other_column, label_column = reference
    labels = _cache(datasette)["labels"]
    key = (other_table, str(value))
    if key not in labels:
        row = (
            await datasette.get_database(DATABASE).execute(
                f"select {escape_sqlite(label_column)} from {escape_sqlite(other_table)} "
                f"where {escape_sqlite(other_column)} = ?",
                [value],
            )
        ).first()
        if row is None:  # not remembered: a filter's value comes from the address, any string at all
            return None
        labels[key] = row[0]  # at most one per row of the referenced tables
    return labels[key]


async def query_references(datasette) -> dict[str, tuple[str, str, str]]:
    """{column: reference} for a query's results: the single key of each of `references` whose table
    is small enough to read whole (a query's cell then never costs a query of its own)."""
    cache = _cache(datasette)
    if cache["query"] is None:
        db = datasette.get_database(DATABASE)
        found = {}
        for other in plugin_config(datasette, CONFIG).get("references") or ():
            keys = await db.primary_keys(other)
            label_column = await db.label_column_for_table(other)
            if len(keys) == 1 and label_column:
                reference = (other, keys[0], label_column)
                if await _whole_table(datasette, reference) is not None:
                    found.setdefault(keys[0], reference)
        cache["query"] = found
    return cache["query"]


def _link(datasette, reference: tuple[str, str, str], text: str, value) -> Markup:
    href = datasette.urls.row(DATABASE, reference[0], tilde_encode(str(value)))
    return Markup('<a href="{}">{}</a>&nbsp;<em>{}</em>').format(href, text, value)


async def linked_label(datasette, table: str, column: str, value) -> Markup | None:
    """`<a href="the referenced row">label</a> <em>code</em>`, or None when the cell is no reference."""
    if value is None or isinstance(value, dict) or not configured(datasette, table):
        return None
    reference = (await references(datasette, table)).get(column)
    if reference is None:
        return None
    text = await label(datasette, reference, value)
    return None if text is None else _link(datasette, reference, text, value)


async def linked_query_label(datasette, column: str, value) -> Markup | None:
    """linked_label for a cell of a query's results."""
    reference = (await query_references(datasette)).get(column)
    text = await label(datasette, reference, value) if reference else None
    return None if text is None else _link(datasette, reference, text, value)


async def named_value(datasette, table: str, column: str, value) -> str:
    """A filter's value as a reader knows it: "เขตพระนคร (1001)" for a reference, else the value."""
    reference = (await references(datasette, table)).get(column) if configured(datasette, table) else None
    text = await label(datasette, reference, value) if reference else None
    return f"{text} ({value})" if text else str(value)


def labelled_cell(value, column, table, database, datasette):
    """render_cell's answer for a cell that refers to reference data, or None to leave it to others.
    Table pages pass expanded keys as {"value", "label"}, which are left to Datasette."""
    if database != DATABASE or value is None or isinstance(value, (dict, bytes)):
        return None
    if table is None:  # a query's results
        known = _cache(datasette)["query"]
        if known is not None and column not in known:
            return None

        async def in_query():
            return await linked_query_label(datasette, column, value)

        return in_query
    if not configured(datasette, table) or known_plain(datasette, table, column):
        return None

    async def inner():
        return await linked_label(datasette, table, column, value)

    return inner
