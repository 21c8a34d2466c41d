"""Download file names that say what the file holds: the table (or query), its filter and the day,
`complaints_district_code-1006_2026-12-07.xlsx`. The plain name keeps safe ASCII characters only
(letters, digits, . _ -); the full name, Thai included, goes in filename* (RFC 6266, RFC 5987).

Parameters that only shape the answer (_size, _stream, _dl, _bom, _labels, _shape, _nl, _facet, ...)
are not part of the name; _search, _where and a query's parameters are.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qsl, quote, unquote

from openbangkok.thai.conversions import THAI_TIME

NAMED_SPECIALS = {"_search": "search", "_where": "where"}
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
UNSAFE_UNICODE = re.compile(r"[\\/:*?\"<>|\x00-\x1f\x7f]+|\s+")
MAX_STEM = 120  # characters of the name before its date and extension


def today() -> dt.date:
    """The day in Bangkok, which names the download."""
    return dt.datetime.now(THAI_TIME).date()


def stem(path: str, query_string: str) -> str:
    """'/openbangkok/complaints.xlsx', 'district_code=1006' -> 'complaints_district_code-1006'."""
    last = unquote(path.rstrip("/").rsplit("/", 1)[-1]).rsplit(".", 1)[0] or "openbangkok"
    parts = [last]
    for key, value in parse_qsl(query_string, keep_blank_values=False):
        if key == "sql":
            parts.append("sql")
            continue
        if key.startswith("_") and key not in NAMED_SPECIALS:
            continue
        parts.append(f"{NAMED_SPECIALS.get(key, key).replace('__', '-')}-{value}")
    name = "_".join(dict.fromkeys(parts))
    return name[:MAX_STEM]


def filename(path: str, query_string: str, extension: str, day: dt.date | None = None) -> str:
    """The full name (Thai kept), e.g. 'complaints_type-ถนน_2026-12-07.csv'."""
    base = UNSAFE_UNICODE.sub("_", stem(path, query_string)).strip("._") or "openbangkok"
    return f"{base}_{(day or today()).isoformat()}.{extension}"


def ascii_filename(name: str) -> str:
    """Safe characters only: 'complaints_type-ถนน_2026-12-07.csv' -> 'complaints_type-_2026-12-07.csv'."""
    return re.sub("_{2,}", "_", UNSAFE.sub("_", name)).strip("_") or "download"


def disposition(path: str, query_string: str, extension: str, day: dt.date | None = None) -> str:
    """The Content-Disposition of a download of `path?query_string`."""
    full = filename(path, query_string, extension, day)
    plain = ascii_filename(full)
    header = f'attachment; filename="{plain}"'
    return header if plain == full else f"{header}; filename*=UTF-8''{quote(full, safe='')}"


EXTENSIONS = ("csv", "xlsx", "geojson", "ndjson")
TRUE = {"1", "on", "true", "yes"}


def _downloaded(query_string: str) -> bool:
    return any(k == "_dl" and v.lower() in TRUE for k, v in parse_qsl(query_string))


def named_downloads(app):
    """ASGI: a download's Content-Disposition (Datasette's CSV with _dl, the workbook, .geojson and
    .ndjson with _dl) names what it holds; other answers pass untouched."""

    async def naming(scope, receive, send):
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        extension = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
        if extension not in EXTENSIONS:
            return await app(scope, receive, send)
        query_string = scope.get("query_string", b"").decode("utf-8", "replace")
        asked = _downloaded(query_string)

        async def send_named(message):
            if message["type"] == "http.response.start" and message.get("status") == 200:
                headers = list(message.get("headers", []))
                if asked or any(k.lower() == b"content-disposition" for k, _ in headers):
                    name = disposition(path, query_string, extension).encode("latin-1")
                    headers = [[k, v] for k, v in headers if k.lower() != b"content-disposition"]
                    message = {**message, "headers": [*headers, [b"content-disposition", name]]}
            await send(message)

        await app(scope, receive, send_named)

    return naming
