"""CKAN's datastore_search_sql: one read-only SELECT, the resources named by their ids.

A resource id in the SQL (`SELECT * FROM "<id>"`, as CKAN's users write it) is replaced by its
table's quoted name; table names work too. The statement is checked as Datasette checks the SQL of
its own query pages (validate_sql_select: a SELECT, no pragma that writes) and run by
Database.execute: the site's read-only immutable connection, its time limit and its row cap
(`records_truncated`, as CKAN marks a capped answer). It is refused where the site refuses SQL
(the `execute-sql` permission).
Shape: https://docs.ckan.org/en/2.10/maintaining/datastore.html#ckanext.datastore.logic.action.datastore_search_sql
"""

from __future__ import annotations

import re
import sqlite3

from datasette.database import QueryInterrupted

from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.ckan.actions_catalog import Call, required
from openbangkok.opendata.ckan.envelope import NotAuthorized, ValidationError
from openbangkok.site.internals import InvalidSql, escape_sqlite, validate_sql_select

RESOURCE_ID = re.compile(r'"?\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"?', re.IGNORECASE)
VALUE_TYPES = {int: "int", float: "numeric", str: "text", bytes: "bytea", bool: "bool"}


def with_tables(sql: str, tables_by_id: dict[str, str]) -> str:
    def table(m: re.Match) -> str:
        name = tables_by_id.get(m[1].lower())
        return escape_sqlite(name) if name else m[0]

    return RESOURCE_ID.sub(table, sql)


def value_type(rows: list, index: int) -> str:
    """A result column's type, from its first value that is not NULL (SQLite's types are per value)."""
    value = next((row[index] for row in rows if row[index] is not None), None)
    return VALUE_TYPES.get(type(value), "text")


async def datastore_search_sql(call: Call):
    """Run one read-only SQL SELECT; resources are named by their ids (in double quotes) or their
    tables' names. Parameter: sql."""
    sql = str(required(call.params, "sql"))
    datasette = call.datasette
    if not await datasette.permission_allowed(call.request.actor, "execute-sql", resource=DATABASE, default=True):
        raise NotAuthorized("SQL is not allowed on this site / เว็บไซต์นี้ไม่เปิดให้ใช้ SQL")
    state = await call.published()
    query = with_tables(sql, {r.id: r.table.name for r in state.resources})
    try:
        validate_sql_select(query)
    except InvalidSql as e:
        raise NotAuthorized(f"{e}: this site is read-only / เว็บไซต์นี้อ่านได้อย่างเดียว") from None
    try:
        results = await datasette.get_database(DATABASE).execute(query, truncate=True)
    except QueryInterrupted:
        raise ValidationError({"query": ["Query took too long / ใช้เวลานานเกินกำหนด"]}) from None
    except sqlite3.DatabaseError as e:
        raise ValidationError({"query": [f"{e} / คำสั่ง SQL ไม่ถูกต้อง"]}) from None
    names = [d[0] for d in results.description or []]
    rows = [list(row) for row in results.rows]
    result = {
        "sql": sql,
        "records": [dict(zip(names, row)) for row in rows],
        "fields": [{"id": name, "type": value_type(rows, i)} for i, name in enumerate(names)],
    }
    if results.truncated:
        result["records_truncated"] = True
    return result
