"""The values typed into a canned query's form, read as the build reads files: Buddhist-era years,
Thai digits and Thai month names understood, and a value that cannot be read refused in words.

A canned query in metadata lists the kind of its parameters (`param_kinds: {month: yearmonth}`);
reading_query_params() rewrites them to what the SQL compares with (2567-01 -> 2024-01) before
Datasette runs the query, and answers 400 for a value that is none of its kind. Without this, a
Buddhist-era month or a mistyped number gave a plausible answer of zero rows, or distances
measured from latitude 0.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode

from datasette.utils.asgi import Request

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import internals
from openbangkok.site.pages.filter_values import may_hold_thai, read_filters
from openbangkok.site.security.errors import render
from openbangkok.thai import conversions as thai

EXAMPLES = {
    "yearmonth": "2567-01 / 2024-01 / ม.ค. 2567",
    "date": "2567-12-31 / 2024-12-31 / 31 ธ.ค. 2567",
    "number": "13.7563",
    "integer": "30 / ๓๐",
    "year_be": "2566",
}
WORDS = {
    "yearmonth": ("เดือน", "a month"),
    "date": ("วันที่", "a date"),
    "number": ("ตัวเลข", "a number"),
    "integer": ("จำนวนเต็ม", "a whole number"),
    "year_be": ("ปี พ.ศ.", "a year"),
}


def _year_month(text: str) -> str | None:
    found = thai.parse_year_month(text)
    return f"{found[0]:04d}-{found[1]:02d}" if found else None


def _date(text: str) -> str | None:
    day = thai.parse_date(text)
    return day.isoformat() if day else None


def _number(text: str) -> str | None:
    try:
        value = float(thai.plain_number(text))
    except ValueError:
        return None
    return repr(value) if math.isfinite(value) else None


def _integer(text: str) -> str | None:
    """A whole number stays one in the form it is shown again in (3, not 3.0); 3.0 is read as 3."""
    value = _number(text)
    return str(int(float(value))) if value is not None and float(value).is_integer() else None


def _year_be(text: str) -> str | None:
    digits = thai.arabic_digits(text).removeprefix("พ.ศ.").strip()
    if not digits.isdigit():
        return None
    year = int(digits)
    year = thai.buddhist_era_year(year) if 1900 <= year < 2400 else year  # a year written in ค.ศ.
    return str(year) if 2400 <= year <= 2700 else None


READERS = {"yearmonth": _year_month, "date": _date, "number": _number, "integer": _integer, "year_be": _year_be}


def read(name: str, kind: str, text: str) -> str:
    """`text` as the query compares it; "" stays "" (the query's default). ValueError: in words."""
    text = text.strip()
    if not text:
        return ""
    try:
        value = READERS[kind](text)
    except ValueError:  # a day or month that does not exist, a two-digit year
        value = None
    if value is None:
        th, en = WORDS[kind]
        raise ValueError(
            f'{name}: อ่าน "{text}" เป็น{th}ไม่ได้ ตัวอย่าง {EXAMPLES[kind]} / '
            f'{name}: "{text}" is not {en}; write it like {EXAMPLES[kind]}'
        )
    return value


def _page_of_database(path: str) -> bool:
    """A table, view or canned query of the database, in any format (not a row page, not /-/)."""
    parts = path.strip("/").split("/")
    return len(parts) == 2 and parts[0] == DATABASE


def _param_kinds(datasette, path: str) -> dict:
    """{parameter: kind} of the canned query at `path` (a page of the database, any format), {} for a table."""
    name = path.strip("/").split("/")[1].rsplit(".", 1)[0]
    query = (internals.metadata(datasette, "queries", database=DATABASE) or {}).get(name) or {}
    return query.get("param_kinds") or {}


def reading_query_params(datasette):
    """ASGI middleware factory: a canned query's parameters read as their kinds say (read()), or a 400;
    a table's filters typed in Thai digits or Thai dates read as the database holds them (filter_values)."""

    def wrap(app):
        async def reading_params(scope, receive, send):
            path, query = scope.get("path", ""), scope.get("query_string", b"")
            if scope.get("type") != "http" or not query or not _page_of_database(path):
                return await app(scope, receive, send)
            kinds = _param_kinds(datasette, path)
            if not kinds and not may_hold_thai(query):  # most table pages: nothing to read
                return await app(scope, receive, send)
            given = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True)
            try:
                pairs = (
                    [(k, read(k, kinds[k], v) if k in kinds else v) for k, v in given] if kinds else read_filters(given)
                )
            except ValueError as error:  # Datasette's 400 page or JSON, with its CORS headers
                response = await render(datasette, Request(scope, receive), 400, str(error))
                return await response.asgi_send(send)
            if pairs == given:  # the query string as sent, byte for byte (its order, its encoding)
                return await app(scope, receive, send)
            await app({**scope, "query_string": urlencode(pairs).encode()}, receive, send)

        return reading_params

    return wrap
