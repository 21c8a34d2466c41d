"""How a page is laid out for a reader, from the plugin configuration `openbangkok-layout` in metadata
(a table's `plugins:`), never from code:

    column_order: [comment, district_code, timestamp, state]   the columns a table page shows first
                                                               (the table itself is unchanged)
    thumbnails: [photo, photo_after]     URL cells shown as a small lazy image (cells.py)
    chips: [types]                       JSON lists shown as labels (cells.py)

and the canned queries' own keys: `years_with_data:` (SQL listing the years a year parameter can
take; an empty answer then says which years have data). `?_embed=1` gives any page without its
header and footer, for an <iframe> (the site allows framing); page_vars() gives the snippet.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qsl, urlencode

from datasette.database import QueryInterrupted

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import internals
from openbangkok.site import tables as site_info

PLUGIN = "openbangkok-layout"
EMBED = "_embed"
TRUE = {"1", "on", "true", "yes"}


def config(datasette, table: str | None) -> dict:
    """The table's layout settings (cached: render_cell asks for every cell)."""
    cache = site_info.cache(datasette).setdefault("layout", {})
    if table not in cache:
        cache[table] = datasette.plugin_config(PLUGIN, database=DATABASE, table=table) or {} if table else {}
    return cache[table]


def ordered(items, order: list[str], name=lambda item: item):
    """`items` with those named in `order` first, in that order, the others after as they were."""
    rank = {column: i for i, column in enumerate(order or ())}
    return sorted(items, key=lambda item: rank.get(name(item), len(rank)))


def embedded(request) -> bool:
    return request is not None and (request.args.get(EMBED) or "").lower() in TRUE


def embed_url(request) -> str:
    """This page's address with ?_embed=1, for the <iframe> snippet."""
    pairs = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k != EMBED]
    return f"{request.path}?{urlencode([*pairs, (EMBED, '1')])}"


def page_vars(datasette, request, table: str | None) -> dict:
    result = {"embed": embedded(request), "column_order": config(datasette, table).get("column_order") or []}
    if request is not None:
        result["embed_url"] = embed_url(request)
        result["embed_base_url"] = f"{request.scheme}://{request.host}"
    if table:
        result["row_map_tiles"] = map_tiles(datasette)
    return result


def canned_query_name(request) -> str | None:
    """The canned query a /openbangkok/<query> page shows, else None."""
    if request is None:
        return None
    parts = request.path.strip("/").split("/")
    return parts[1].rsplit(".", 1)[0] if len(parts) == 2 and parts[0] == DATABASE else None


def query_params(datasette, query: str) -> list[str]:
    meta = (internals.metadata(datasette, "queries", database=DATABASE) or {}).get(query) or {}
    return list(meta.get("params") or [])


async def years_with_data(datasette, request, query: str) -> dict | None:
    """{"param", "asked", "years"} when the query's year parameter asks for a year not in its
    `years_with_data`, else None."""
    meta = (internals.metadata(datasette, "queries", database=DATABASE) or {}).get(query) or {}
    sql = meta.get("years_with_data")
    year_params = [p for p, kind in (meta.get("param_kinds") or {}).items() if kind == "year_be"]
    asked = [(p, request.args.get(p).strip()) for p in year_params if (request.args.get(p) or "").strip()]
    if not sql or not asked:
        return None
    try:
        rows = (await datasette.get_database(DATABASE).execute(sql, custom_time_limit=500)).rows
    except (QueryInterrupted, sqlite3.DatabaseError):
        return None
    years = [str(row[0]) for row in rows if row[0] is not None]
    param, value = asked[0]
    return None if value in years else {"param": param, "asked": value, "years": years}


def ordered_columns(columns, order):
    return ordered(columns, order, lambda column: column["name"])


def ordered_cells(cells, order):
    return ordered(cells, order, lambda cell: cell["column"])


def location_columns(columns) -> tuple[str, str] | None:
    """(latitude, longitude) columns among `columns`, found as datasette-cluster-map finds them."""
    found = internals.location_columns_from_columns(list(columns or []))
    return (found[0], found[1]) if found else None


def map_tiles(datasette) -> str:
    """The tile layer the maps use (datasette-cluster-map's setting, else OpenStreetMap)."""
    return (datasette.plugin_config("datasette-cluster-map") or {}).get("tile_layer") or internals.TILE_LAYER
