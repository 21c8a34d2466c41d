"""What the running site publishes, for the publishing plugins (data package, DCAT, API docs, sitemap).

Everything here asks the live Datasette instance, so it covers whatever tables and views the
built database holds, whichever datasets exist.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass, field
from urllib.parse import quote

from datasette.database import QueryInterrupted
from datasette.utils import derive_named_parameters
from datasette.utils.asgi import Response

from openbangkok.model.build_record import FILES_TABLE, PROFILE_TABLE, STATE_TABLE
from openbangkok.model.catalog import DEFAULT_DATASETS, Catalog, load_catalog
from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import internals
from openbangkok.site.exports.xlsx_stream import EXCEL_DATA_ROWS
from openbangkok.site.internals import escape_sqlite, location_columns_from_columns

CACHE_ATTRIBUTE = "_openbangkok_site_info"


def catalog(datasette) -> Catalog:
    """The catalog the site was started with (openbangkok.site.app.make_datasette records its folder)."""
    cache = _cache(datasette)
    if "catalog" not in cache:
        cache["catalog"] = load_catalog(getattr(datasette, "openbangkok_datasets", DEFAULT_DATASETS))
    return cache["catalog"]


def cache(datasette) -> dict:
    """What is computed once per site: the database is immutable while the site runs."""
    return _cache(datasette)


def _cache(datasette) -> dict:
    if not hasattr(datasette, CACHE_ATTRIBUTE):
        setattr(datasette, CACHE_ATTRIBUTE, {})
    return getattr(datasette, CACHE_ATTRIBUTE)


def base_url(datasette, request) -> str:
    """The site's absolute URL as the client reached it, without a trailing slash."""
    prefix = datasette.setting("base_url").rstrip("/")
    return f"{request.scheme}://{request.host}{prefix}"


@dataclass
class ServedTable:
    """A table as the site serves it: its CSV columns, in order, with their SQLite types."""

    name: str
    columns: list[tuple[str, str]]
    descriptions: dict[str, str]


@dataclass
class PublicTable:
    """A table or view of the site, as the API pages and the sitemap list it."""

    name: str
    title: str
    description: str
    is_view: bool
    count: int | None
    # name, sqlite_type, type (Table Schema), label, description, notnull, constraints (Table Schema),
    # blanks (empty or null values in this build, from build_columns; None when not profiled)
    columns: list[dict] = field(default_factory=list)
    primary_keys: list[str] = field(default_factory=list)
    searchable: bool = False  # ?_search= (a full-text index)
    dataset: str | None = None
    licence: str | None = None
    licence_url: str | None = None
    source: str | None = None


async def _view_counts(db, views: list[str], limit_ms: int = 200) -> dict[str, int]:
    """Rows of each view that counts within `limit_ms` (Datasette counts tables only); once per site."""
    counts = {}
    for view in views:
        with contextlib.suppress(QueryInterrupted, sqlite3.DatabaseError):  # a slow view's count is not shown
            counts[view] = (
                await db.execute(f"select count(*) from {escape_sqlite(view)}", custom_time_limit=limit_ms)
            ).rows[0][0]
    return counts


async def _blanks(db) -> dict[tuple[str, str], int]:
    """{(table, column): empty or null values} of this build, from its profile (build_columns)."""
    if PROFILE_TABLE not in await db.table_names():
        return {}
    rows = (await db.execute(f"select table_name, column_name, blanks from {PROFILE_TABLE}")).rows
    return {(table, column): blanks for table, column, blanks in rows}


async def _created_by(db) -> dict[str, str]:
    """{table or view: the dataset whose load made it}, from the build's record (build_datasets)."""
    if STATE_TABLE not in await db.table_names():
        return {}
    rows = (await db.execute(f"select dataset, tables from {STATE_TABLE}")).rows
    return {table: dataset for dataset, tables in rows for table in json.loads(tables or "[]")}


async def public_tables(datasette) -> list[PublicTable]:
    """Every table and view that is not hidden, with its metadata, served columns and row count."""
    cache = _cache(datasette)
    if "tables" in cache:
        return cache["tables"]
    db = datasette.get_database(DATABASE)
    hidden = set(await db.hidden_table_names())
    views = await db.view_names()
    names = [t for t in await db.table_names() if t not in hidden] + list(views)
    counts = dict(db.cached_table_counts or {})
    if not counts:
        try:
            counts = await db.table_counts(limit=1000)
        except Exception:  # a count that times out is simply not shown
            counts = {}
    counts.update(await _view_counts(db, views))
    sources = {s.name: s for s in catalog(datasette).sources}
    created_by = await _created_by(db)
    blanks = await _blanks(db)
    result = []
    for name in names:
        meta = internals.metadata(datasette, database=DATABASE, table=name, fallback=False) or {}
        response = await datasette.client.get(
            f"/{DATABASE}/{quote(name)}.json?_size=0&_nocount=1&_nofacet=1&_nosuggest=1"
        )
        served = response.json().get("columns", []) if response.status_code == 200 else []
        details = {c.name: c for c in await db.table_column_details(name)}
        declared = {}
        if name in sources:
            declared = {f["name"]: f for f in sources[name].published_schema.get("fields", [])}
        columns = []
        for column in served:
            detail = details.get(column)
            field_ = declared.get(column, {})
            columns.append(
                {
                    "name": column,
                    "sqlite_type": "INTEGER" if column == "rowid" else (detail.type if detail else ""),
                    "type": field_.get("type"),
                    "label": field_.get("title") or "",
                    "description": field_.get("description") or (meta.get("columns") or {}).get(column, ""),
                    "notnull": bool(detail and detail.notnull) or column == "rowid",
                    "constraints": field_.get("constraints") or {},
                    "blanks": blanks.get((name, column)),
                }
            )
        result.append(
            PublicTable(
                name=name,
                title=meta.get("title") or name,
                description=(meta.get("description") or "").strip(),
                is_view=name in views,
                count=counts.get(name),
                columns=columns,
                primary_keys=[] if name in views else (await db.primary_keys(name) or ["rowid"]),
                searchable=bool(meta.get("fts_table") or (name not in views and await db.fts_table(name))),
                dataset=sources[name].dataset if name in sources else created_by.get(name),
                licence=meta.get("license") or internals.metadata(datasette, "license"),
                licence_url=meta.get("license_url") or internals.metadata(datasette, "license_url"),
                source=meta.get("source") or internals.metadata(datasette, "source"),
            )
        )
    cache["tables"] = result
    return result


def location_columns(table: PublicTable) -> tuple[str, str] | None:
    """The table's latitude and longitude columns, found as datasette-cluster-map finds them (a map,
    a .geojson), or None."""
    found = location_columns_from_columns([c["name"] for c in table.columns])
    return (found[0], found[1]) if found else None


def downloads(table: PublicTable) -> list[str]:
    """The complete downloads of a table (keys of opendata.DOWNLOADS): the streams, and the
    workbook when every row fits in Excel."""
    formats = ["CSV", "JSON"] + (["GeoJSON"] if location_columns(table) else [])
    return formats + (["XLSX"] if table.count is not None and table.count <= EXCEL_DATA_ROWS else [])


@dataclass
class CannedQuery:
    """A canned query of the site, as the API documents it."""

    name: str
    title: str
    description: str
    params: list[str]
    kinds: dict[str, str]  # param_kinds: how a parameter is read (openbangkok.site.pages.query_forms)


async def canned_queries(datasette) -> list[CannedQuery]:
    """The site's read-only canned queries, with their parameters."""
    db = datasette.get_database(DATABASE)
    result = []
    for name, query in (await datasette.get_canned_queries(DATABASE, None)).items():
        if query.get("write"):
            continue
        params = query.get("params") or await derive_named_parameters(db, query["sql"])
        result.append(
            CannedQuery(
                name,
                query.get("title") or name,
                (query.get("description") or "").strip(),
                list(dict.fromkeys(params)),
                query.get("param_kinds") or {},
            )
        )
    return result


async def served_tables(datasette) -> dict[str, ServedTable]:
    return {
        t.name: ServedTable(
            t.name, [(c["name"], c["sqlite_type"]) for c in t.columns], {c["name"]: c["description"] for c in t.columns}
        )
        for t in await public_tables(datasette)
        if not t.is_view
    }


async def built_at(datasette) -> str | None:
    """When the database was built (UTC, ISO 8601), from the build's own record."""
    db = datasette.get_database(DATABASE)
    if FILES_TABLE not in await db.table_names():
        return None
    return (await db.execute(f"select max(built_at) from {FILES_TABLE}")).first()[0]


async def databases_page(datasette, request):
    """Datasette's /-/databases.json without `path`: where the file lies on the server is nobody's business."""
    listed = [
        {
            "name": name,
            "route": db.route,
            "size": db.size,
            "is_mutable": db.is_mutable,
            "is_memory": db.is_memory,
            "hash": db.hash,
        }
        for name, db in datasette.databases.items()
        if name != "_internal"
    ]
    if request.url_vars.get("format") == "json":
        return Response.json(listed)
    return Response.html(
        await datasette.render_template(
            "show_json.html", {"filename": "databases.json", "data_json": json.dumps(listed, indent=4)}, request=request
        )
    )
