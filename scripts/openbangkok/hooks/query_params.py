"""Canned query forms read Buddhist-era years and Thai digits, and refuse what they cannot read
(openbangkok.site.pages.query_forms): the query's `param_kinds` in metadata say which kind each value is.
A table's filters typed in Thai digits or with Thai dates are read too (openbangkok.site.pages.filter_values)."""

from urllib.parse import parse_qsl, urlencode

from datasette.utils.asgi import Request

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import internals
from openbangkok.site.pages.filter_values import read_filters
from openbangkok.site.pages.query_forms import read
from openbangkok.site.security.errors import render


def _page_of_database(path: str) -> bool:
    """A table, view or canned query of the database, in any format (not a row page, not /-/)."""
    parts = path.strip("/").split("/")
    return len(parts) == 2 and parts[0] == DATABASE


def _param_kinds(datasette, path: str) -> dict:
    """{parameter: kind} of the canned query at `path` (a page of the database, any format), {} for a table."""
    name = path.strip("/").split("/")[1].rsplit(".", 1)[0]
    query = (internals.metadata(datasette, "queries", database=DATABASE) or {}).get(name) or {}
    return query.get("param_kinds") or {}


def wrapper(datasette):
    def wrap(app):
        async def reading_params(scope, receive, send):
            path, query = scope.get("path", ""), scope.get("query_string", b"")
            if scope.get("type") != "http" or not query or not _page_of_database(path):
                return await app(scope, receive, send)
            given = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True)
            kinds = _param_kinds(datasette, path)
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
