"""CKAN's DataStore reads on the published tables: datastore_search and datastore_info.

Every resource is a table of the database, searched where it lies: `_id` is the row's rowid,
`q` is the site's own search (the table's FTS index, through escape_fts, which
openbangkok.thai.search makes Thai-aware on every connection; a table without an index is
searched with LIKE), and every statement runs through Datasette's Database.execute, on its
read-only immutable connections, under the site's SQL time limit. Names in the SQL are only
column names of the table (checked, then quoted); every value is a parameter. A whole-row search
of a table whose FTS rowids are all rows (checked by openbangkok.site.serving.rewrites at startup) is
counted in the index alone, and a common word's sorted page read along the sort's index, as the
site's own search pages are (benchmarks/ckan.py measures both against Datasette's JSON).
Shapes: https://docs.ckan.org/en/2.10/maintaining/datastore.html#ckanext.datastore.logic.action.datastore_search
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from dataclasses import dataclass, field
from urllib.parse import urlencode

from datasette.database import QueryInterrupted

from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.ckan.actions_catalog import Call, required
from openbangkok.opendata.ckan.envelope import (
    NotAuthorized,
    NotFound,
    ValidationError,
    as_bool,
    as_int,
    as_json,
    as_list,
)
from openbangkok.opendata.ckan.published import Resource
from openbangkok.site import internals
from openbangkok.site import tables as site_info
from openbangkok.site.internals import escape_sqlite
from openbangkok.site.serving.rewrites import WALK_FRACTION, info_for
from openbangkok.thai.conversions import typed_value
from openbangkok.thai.search import search_escape

LIMIT_DEFAULT = 100
FORMATS = ("objects", "lists", "csv", "tsv")
# Table Schema types -> CKAN DataStore types; columns the schemas do not declare go by SQLite type
FIELD_TYPES = {
    "integer": "int",
    "year": "int",
    "number": "numeric",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
    "time": "time",
    "array": "json",
    "object": "json",
}
SQLITE_TYPES = {"INTEGER": "int", "REAL": "numeric", "NUMERIC": "numeric", "BLOB": "bytea"}
FTS_KEY = "ckan_fts"


def datastore_fields(resource: Resource) -> list[dict]:
    """The table's columns as CKAN DataStore fields, `_id` first (the rowid)."""
    fields = [{"id": "_id", "type": "int"}]
    for column in resource.table.columns:
        if column["name"] == "rowid":
            continue
        field = {
            "id": column["name"],
            "type": FIELD_TYPES.get(column["type"]) or SQLITE_TYPES.get((column["sqlite_type"] or "").upper(), "text"),
        }
        info = {k: v for k, v in (("label", column["label"]), ("notes", column["description"])) if v}
        if info:
            field["info"] = info
        fields.append(field)
    return fields


def column_sql(name: str) -> str:
    return "rowid" if name == "_id" else escape_sqlite(name)


async def find_resource(call: Call, key) -> Resource:
    resource = (await call.published()).resource(str(key))
    if resource is None:
        raise NotFound(f'Resource "{key}" was not found. / ไม่พบตาราง')
    visible, _ = await call.datasette.check_visibility(
        call.request.actor,
        permissions=[("view-table", (DATABASE, resource.table.name)), ("view-database", DATABASE), "view-instance"],
    )
    if not visible:
        raise NotAuthorized("this table is not public / ตารางนี้ไม่เปิดเผย")
    return resource


async def search_index(call: Call, table: str) -> tuple[str | None, list[str], str]:
    """(the table's FTS table, its columns, the table's column its rowids are), as Datasette finds
    them for ?_search= (metadata fts_table and fts_pk, else an FTS table made for it)."""
    cache = site_info.cache(call.datasette).setdefault(FTS_KEY, {})
    if table not in cache:
        db = call.datasette.get_database(DATABASE)
        meta = internals.table_metadata(call.datasette, DATABASE, table) or {}
        fts = meta.get("fts_table") or await db.fts_table(table)
        cache[table] = (fts, await db.table_columns(fts) if fts else [], meta.get("fts_pk") or "rowid")
    return cache[table]


@dataclass
class Conditions:
    """A search's WHERE conditions and their parameters; `matches`: how to count the rows a whole-row
    search of the FTS index matches from the index alone, where every FTS rowid is a row (as
    openbangkok.site.serving.rewrites checks at startup), and `search`: that search's condition."""

    where: list[str] = field(default_factory=list)
    args: dict = field(default_factory=dict)
    matches: str | None = None
    search: str | None = None


async def text_search(call: Call, resource: Resource, q, names: list[str], found: Conditions) -> None:
    """WHERE conditions of `q`: a string searches the whole row, {column: text} those columns."""
    args = found.args
    fts, fts_columns, fts_pk = await search_index(call, resource.table.name)
    table_fts = escape_sqlite(fts) if fts else None
    texts = [c["id"] for c in datastore_fields(resource) if c["type"] == "text"]
    if isinstance(q, str):
        q = {None: q}
    if not isinstance(q, dict):
        raise ValidationError({"q": ["Must be a string or an object of column: text / ต้องเป็นข้อความหรือออบเจกต์"]})
    conditions = found.where
    info = info_for(call.datasette, DATABASE, escape_sqlite(resource.table.name))
    for i, (column, text) in enumerate(q.items()):
        if column is not None and column not in names:
            raise ValidationError({"q": [f'field "{column}" not in table / ไม่มีคอลัมน์ {column}']})
        if not any(c.isalnum() for c in str(text)):
            continue  # no letter or digit is no search, as on the site's pages (openbangkok/hooks/thai_search.py)
        key = f"q{i}"
        if fts and (column is None or column in fts_columns):
            args[key] = str(text) if column is None else f"{{{column}}} : ({search_escape(str(text))})"
            match = "escape_fts(:" + key + ")" if column is None else ":" + key
            conditions.append(
                f"{escape_sqlite(fts_pk)} in (select rowid from {table_fts} where {table_fts} match {match})"
            )
            if column is None and info is not None and info.fts == fts:
                found.matches = f"select count(*) from {table_fts} where {table_fts} match {match}"
                found.search = conditions[-1]
        else:
            args[key] = "%" + str(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            columns = texts if column is None else [column]
            conditions.append(
                "(" + " or ".join(f"{column_sql(c)} like :{key} escape '\\'" for c in columns) + ")" if columns else "0"
            )


def filter_conditions(filters, names: list[str], found: Conditions) -> None:
    if not isinstance(filters, dict):
        raise ValidationError({"filters": ["Not a json object / ต้องเป็นออบเจกต์ JSON"]})
    conditions, args = found.where, found.args
    for i, (column, value) in enumerate(filters.items()):
        if column not in names:
            raise ValidationError({"filters": [f'field "{column}" not in table / ไม่มีคอลัมน์ {column}']})
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, (dict, list)) for v in values):
            raise ValidationError({"filters": [f'"{column}": a value or a list of values / ต้องเป็นค่าหรือรายการค่า']})
        values = [typed_value(v) if isinstance(v, str) else v for v in values]  # '๑๐๐๑' is 1001, as on the site
        keys = [f"f{i}_{j}" for j in range(len(values))]
        args.update(zip(keys, values))
        conditions.append(f"{column_sql(column)} in ({', '.join(':' + k for k in keys)})" if keys else "0")


def order_by(sort, names: list[str]) -> list[str]:
    if sort is not None and not isinstance(sort, (str, list)):
        raise ValidationError({"sort": ['"column desc, column2": a string or a list / ต้องเป็นข้อความหรือรายการ']})
    clauses = []
    for part in sort.split(",") if isinstance(sort, str) else sort or []:
        words = str(part).strip().rsplit(" ", 1)
        direction = words[1].lower() if len(words) == 2 and words[1].lower() in ("asc", "desc") else "asc"
        column = words[0] if len(words) == 2 and words[1].lower() in ("asc", "desc") else str(part).strip()
        column = column.strip().strip('"')
        if column not in names:
            raise ValidationError({"sort": [f'field "{column}" not in table / ไม่มีคอลัมน์ {column}']})
        clauses.append(f"{column_sql(column)} {direction}")
    return clauses


def typed(value, kind: str):
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind == "json" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def records_as(rows: list[list], names: list[str], records_format: str):
    if records_format == "objects":
        return [dict(zip(names, row)) for row in rows]
    if records_format == "lists":
        return rows
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if records_format == "tsv" else ",", lineterminator="\n")
    writer.writerows(
        [[json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v for v in row] for row in rows]
    )
    return out.getvalue()


def links(call: Call, limit: int, offset: int) -> dict:
    """The same call by GET, from its start and from the next page, as CKAN's `_links`."""
    args = {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
        for k, v in call.params.items()
        if k != "offset"
    }
    path = call.request.path
    return {"start": f"{path}?{urlencode(args)}", "next": f"{path}?{urlencode({**args, 'offset': offset + limit})}"}


async def run(call: Call, sql: str, args: dict):
    try:
        return await call.datasette.get_database(DATABASE).execute(sql, args)
    except QueryInterrupted:
        raise ValidationError({"query": ["Search took too long / ใช้เวลาค้นหานานเกินกำหนด"]}) from None
    except sqlite3.DatabaseError as e:
        raise ValidationError({"query": [f"Invalid query / คำค้นไม่ถูกต้อง: {e}"]}) from None


async def walk_or_sort(call: Call, sql: str, args: dict, found: Conditions, matches: int | None, table: str) -> str:
    """A search for a common word in a sorted page: read the rows along the sort's index and keep
    those that match (`+rowid in`), rather than sort every match, when SQLite can walk that index
    (as the site's own search pages do, openbangkok.site.serving.rewrites)."""
    info = info_for(call.datasette, DATABASE, table)
    if matches is None or info is None or matches * WALK_FRACTION < info.rows or " order by rowid" in sql:
        return sql
    walking = sql.replace(found.search, "+" + found.search, 1)
    plan = " ".join(str(r[-1]) for r in (await run(call, f"explain query plan {walking}", args)).rows)
    return walking if "INDEX" in plan and "TEMP B-TREE" not in plan else sql


async def datastore_search(call: Call):
    """Search a resource's rows. Parameters: resource_id (its id or table name), filters, q, fields,
    sort, limit (default 100, at most the site's max_returned_rows), offset, include_total,
    distinct, records_format (objects, lists, csv, tsv)."""
    params = call.params
    resource = await find_resource(call, required(params, "resource_id"))
    all_fields = datastore_fields(resource)
    names = [f["id"] for f in all_fields]
    found = Conditions()
    filter_conditions(as_json(params, "filters") or {}, names, found)
    q = as_json(params, "q")
    if q not in (None, "", {}):
        await text_search(call, resource, q, names, found)
    where, args = found.where, found.args
    wanted = as_list(params, "fields") or names
    unknown = [f for f in wanted if f not in names]
    if unknown:
        raise ValidationError({"fields": [f'field "{unknown[0]}" not in table / ไม่มีคอลัมน์ {unknown[0]}']})
    fields = [next(f for f in all_fields if f["id"] == name) for name in wanted]
    distinct = as_bool(params, "distinct", False)
    sort = order_by(params.get("sort"), names) or ([] if distinct else ["rowid asc"])
    limit = min(as_int(params, "limit", LIMIT_DEFAULT), call.datasette.setting("max_returned_rows"))
    offset = as_int(params, "offset", 0)
    records_format = params.get("records_format") or "objects"
    if records_format not in FORMATS:
        raise ValidationError({"records_format": [f"one of {', '.join(FORMATS)} / เลือกได้จากรายการนี้"]})
    table = escape_sqlite(resource.table.name)
    columns = ", ".join(f"{column_sql(f['id'])} as {escape_sqlite(f['id'])}" for f in fields)
    where_sql = f" where {' and '.join(where)}" if where else ""
    select = f"select {'distinct ' if distinct else ''}{columns} from {table}{where_sql}"
    order_sql = f" order by {', '.join(sort)}" if sort else ""
    matches = (await run(call, found.matches, args)).rows[0][0] if found.matches else None
    page_args = {**args, "_limit": limit, "_offset": offset}
    page_sql = await walk_or_sort(
        call, f"{select}{order_sql} limit :_limit offset :_offset", page_args, found, matches, table
    )
    rows = (await run(call, page_sql, page_args)).rows
    kinds = [f["type"] for f in fields]
    rows = [[typed(v, k) for v, k in zip(row, kinds)] for row in rows]
    result = {"include_total": as_bool(params, "include_total", True), "limit": limit}
    # the parameters given, as read (CKAN answers with its validated data_dict)
    given = {
        "q": q,
        "filters": as_json(params, "filters"),
        "sort": params.get("sort"),
        "offset": offset,
        "distinct": distinct,
    }
    result.update({k: v for k, v in given.items() if k in params})
    result.update(
        {
            "records_format": records_format,
            "resource_id": resource.id,
            "total_estimation_threshold": None,
            "records": records_as(rows, wanted, records_format),
            "fields": fields,
            "_links": links(call, limit, offset),
        }
    )
    if result["include_total"]:
        count_sql = f"select count(*) from ({select})" if distinct else f"select count(*) from {table}{where_sql}"
        alone = matches is not None and where == [found.search] and not distinct
        result["total"] = matches if alone else (await run(call, count_sql, args)).rows[0][0]
        result["total_was_estimated"] = False
    return result


async def datastore_info(call: Call):
    """The columns and row count of a resource. Parameter: id (or resource_id)."""
    resource = await find_resource(call, call.params.get("id") or required(call.params, "resource_id"))
    count = (await run(call, f"select count(*) from {escape_sqlite(resource.table.name)}", {})).rows[0][0]
    fields = [f for f in datastore_fields(resource) if f["id"] != "_id"]
    return {
        "meta": {"aliases": [resource.table.name], "count": count, "id": resource.id, "table_type": "BASE TABLE"},
        "fields": fields,
    }
