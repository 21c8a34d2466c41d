"""How large an address the site reads, and which names of columns it takes (openbangkok/hooks/bad_requests.py
refuses the rest before Datasette does any work): thousands of `_where=1` or hundreds of `_facet=`
in one address froze the site (benchmarks/README.md, Figures behind the code's comments).

Every page of the site needs far less: a table has at most 40 columns (so `_col`, `_nocol`, filters
and sorts stay under REPEATS), a page has a few facets, and a SQL query typed into the form is a few
kilobytes. The search box's words are bounded too: each word is a term the search index looks up.

A table page's parameters that name a column (filters, `_facet`, `_sort`, `_col`...) must name one of
its columns (unknown_column()): a facet of no column ran the page's queries before failing.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl, unquote_to_bytes

from datasette.utils import tilde_decode
from datasette.utils.asgi import Request

from openbangkok.site.exports.pages import RETRY_AFTER_SECONDS, export_slots
from openbangkok.site.internals import filter_operators
from openbangkok.site.memo import Memo
from openbangkok.site.security.errors import refused

QUERY_BYTES = 8192  # the query string, as sent (percent-encoded)
PATH_BYTES = 2048
PARAMETERS = 100
REPEATS = 50  # one parameter name, e.g. _col of every column
FACET_REPEATS = 10  # each facet is a query over the table
FEW = {"_facet": FACET_REPEATS, "_facet_array": FACET_REPEATS, "_facet_date": FACET_REPEATS, "_where": 10}
SEARCH_CHARACTERS = 200  # ?_search= and ?_search_<column>=


def refusal(scope: dict) -> tuple[int, str, str] | None:
    """(status, message, title) for an address the site does not read, None for any other."""
    query = scope.get("query_string", b"")
    path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    if len(query) > QUERY_BYTES or len(path) > PATH_BYTES:
        return (
            414,
            (
                f"ที่อยู่ยาวเกินไป / The address is too long: at most {PATH_BYTES:,} bytes of path and "
                f"{QUERY_BYTES:,} of query string. For long SQL, use the SQLite file (/openbangkok.db)."
            ),
            "URI too long",
        )
    if b"\x00" in unquote_to_bytes(path) or b"%00" in query or b"\x00" in query:
        return 400, "ที่อยู่มีอักขระ NUL / The address holds a NUL character (%00): remove it.", None
    if query.count(b"&") >= PARAMETERS:  # before parsing them
        return 400, f"พารามิเตอร์มากเกินไป / Too many parameters: at most {PARAMETERS} in one address.", None
    pairs = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True)
    if len(pairs) > PARAMETERS:
        return 400, f"พารามิเตอร์มากเกินไป / Too many parameters: at most {PARAMETERS} in one address.", None
    counts: dict[str, int] = {}
    for name, value in pairs:
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > FEW.get(name, REPEATS):
            return (
                400,
                (
                    f"พารามิเตอร์ {name} ซ้ำมากเกินไป / The parameter {name} is repeated too often: "
                    f"at most {FEW.get(name, REPEATS)} times in one address."
                ),
                None,
            )
        if name.startswith("_search") and name != "_searchmode":
            if len(value) > SEARCH_CHARACTERS:
                return (400, f"คำค้นยาวเกินไป / The search is too long: at most {SEARCH_CHARACTERS} characters.", None)
            if value.strip() and not any(c.isalnum() for c in value):
                return 400, no_word_message(value), None
    return None


def no_word_message(typed: str) -> str:
    """A search of punctuation only (a lone quote, `*`) found every row as if there were no search."""
    return (
        f"คำค้น {typed!r} ไม่มีตัวอักษรหรือตัวเลข / The search {typed!r} holds no letter or digit, so it "
        "cannot match anything: type a word or a number (a blank search box shows every row)."
    )


OPERATORS = filter_operators()  # Datasette's own list
NAMING_COLUMNS = ("_facet", "_facet_array", "_facet_date", "_sort", "_sort_desc", "_col", "_nocol")
FORMATS = (".json", ".csv", ".xlsx", ".geojson")
TABLES_KEPT = 256


def sort_message(column: str) -> str:
    return (
        f"ไม่มีคอลัมน์ {column} ให้เรียงลำดับ / There is no column {column!r} to sort by: "
        "_sort and _sort_desc take the name of one of the table's columns."
    )


async def _columns(datasette, database: str, table: str) -> tuple[frozenset, tuple] | None:
    """The columns and primary keys of a table or view of an immutable database (remembered: they
    cannot change), or None for anything else."""
    memo = datasette.__dict__.setdefault("_openbangkok_columns", Memo(TABLES_KEPT))
    if (database, table) not in memo:
        db = datasette.databases.get(database)
        known = None
        if db is not None and not db.is_mutable:
            if await db.table_exists(table):
                known = (
                    frozenset(await db.table_columns(table)) | {"rowid", "oid", "_rowid_"},
                    tuple(await db.primary_keys(table)),
                )
            elif table in await db.view_names():
                known = frozenset(await db.table_columns(table)) | {"rowid", "oid", "_rowid_"}, ()
        memo[(database, table)] = known
    return memo[(database, table)]


def shape_object_refusal(parts: list[str], pairs: list[tuple[str, str]], keyed: bool) -> tuple[int, str, None] | None:
    """Datasette answers ?_shape=object on a view, a query or a table without a primary key with
    200 and {"ok": false}: a client reading the status took it for data."""
    if ("_shape", "object") not in pairs or keyed or not parts[-1].endswith(".json"):
        return None
    return (
        400,
        (
            "_shape=object ใช้ได้เฉพาะตารางที่มีคีย์หลัก / _shape=object keys the rows by their primary key, "
            "and this table, view or query has none: use _shape=objects or _shape=array."
        ),
        None,
    )


def unknown_operator(name: str) -> tuple[int, str, None] | None:
    operator = name.rsplit("__", 1)[1]
    if operator in OPERATORS:
        return None
    return (
        400,
        (
            f"ไม่รู้จักตัวกรอง {operator} / Unknown filter {operator!r} in {name}: use one of "
            f"{', '.join(OPERATORS)} (e.g. district_code__exact=1006)."
        ),
        None,
    )


async def unknown_column(datasette, scope: dict) -> tuple[int, str, None] | None:
    """(400, message, None) when a table page's parameter names no column of the table, or `_through`
    is no JSON object; None for any other address."""
    parts = scope.get("path", "").strip("/").split("/")
    query = scope.get("query_string", b"")
    if len(parts) > 2 or not query:
        return None
    database = tilde_decode(parts[0].removesuffix(".json"))
    if database not in datasette.databases:  # /-/ pages, assets: nothing here to check
        return None
    pairs = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True)
    table = parts[-1]
    for extension in FORMATS:
        table = table.removesuffix(extension)
    known = await _columns(datasette, database, tilde_decode(table)) if len(parts) == 2 else None
    shape = shape_object_refusal(parts, pairs, keyed=bool(known and known[1]))
    if shape or known is None:
        return shape
    columns = known[0]
    for name, value in pairs:
        if name == "_through":
            try:
                through = json.loads(value)
                ok = isinstance(through, dict) and {"table", "column", "value"} <= through.keys()
            except ValueError:
                ok = False
            if not ok:
                return (
                    400,
                    (
                        '_through ต้องเป็น JSON / _through takes {"table": ..., "column": ..., "value": ...}, '
                        "a table that points at this one by foreign key"
                    ),
                    None,
                )
            continue
        column = (
            value
            if name in NAMING_COLUMNS
            else None
            if name.startswith("_") and "__" not in name
            else name.rsplit("__", 1)[0]
            if "__" in name
            else name
        )
        if column is not None and column not in columns:
            if name in ("_sort", "_sort_desc"):
                return 400, sort_message(column), None
            return (
                400,
                (
                    f"ไม่มีคอลัมน์ {column} / There is no column {column!r} in {tilde_decode(table)} ({name}): "
                    f"name one of the table's columns"
                ),
                None,
            )
        if not name.startswith("_") and "__" in name and (operator := unknown_operator(name)):
            return operator
    return None


STREAMS = 4  # whole-view exports at a time in one process (see streams())
BUSY_STREAMS = (
    "ขณะนี้มีการดาวน์โหลดข้อมูลทั้งตารางหลายรายการ โปรดลองใหม่ในอีกครู่ / Several complete downloads "
    f"(?_stream=on) are being sent right now: please try again in {RETRY_AFTER_SECONDS} seconds "
    "(Retry-After), or download the whole database (/openbangkok.db)."
)


def streams(datasette) -> asyncio.Semaphore:
    """A `?_stream=on` export (CSV, GeoJSON, NDJSON) reads page after page on the SQL threads until the
    whole view is sent: fifty at once would hold every thread, and the site would stop for everyone."""
    return export_slots(datasette, "stream", STREAMS)


def is_stream(scope: dict) -> bool:
    query = scope.get("query_string", b"")
    return b"_stream=" in query and any(
        name == "_stream" and value for name, value in parse_qsl(query.decode("utf-8", "replace"))
    )


UNKNOWN_SORT = "Cannot sort table by "


def what_to_change(request, exception: Exception) -> str | None:
    """The reader's words for an address mistake, None for any other error."""
    message = str(exception)
    if message.startswith(UNKNOWN_SORT):
        return sort_message(message.removeprefix(UNKNOWN_SORT))
    if (
        isinstance(exception, ValueError)
        and "_next" in request.args
        and message.startswith("invalid literal for int()")
    ):
        return (
            "_next ต้องเป็นตัวเลข / _next must be a whole number here: the pages of a view are counted "
            "in rows; use the next_url of the page before."
        )
    return None


def refusing_early(datasette):
    """ASGI middleware factory: the refusals above, and at most STREAMS streams at a time."""

    def wrap(app):
        async def refusing(scope, receive, send):
            refusing = refusal(scope) or await unknown_column(datasette, scope) if scope.get("type") == "http" else None
            if refusing is None and scope.get("type") == "http" and is_stream(scope):
                slots = streams(datasette)
                if not slots.locked():
                    async with slots:
                        return await app(scope, receive, send)
                refusing = 503, BUSY_STREAMS, None
            if refusing is None:
                return await app(scope, receive, send)
            response = await refused(datasette, Request(scope, receive), *refusing)
            if refusing[0] == 503:
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            await response.asgi_send(send)

        return refusing

    return wrap
