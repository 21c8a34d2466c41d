"""Canned query forms read Buddhist-era years and Thai digits, and refuse what they cannot read
(openbangkok.site.pages.query_forms): the query's `param_kinds` in metadata say which kind each value is."""

from urllib.parse import parse_qsl, urlencode

from datasette.utils.asgi import Request

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import internals
from openbangkok.site.pages.query_forms import read
from openbangkok.site.security.errors import render


def _param_kinds(datasette, path: str) -> dict:
    """{parameter: kind} of the canned query at `path` (any format), {} for any other page."""
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[0] != DATABASE:
        return {}
    query = (internals.metadata(datasette, "queries", database=DATABASE) or {}).get(parts[1].rsplit(".", 1)[0]) or {}
    return query.get("param_kinds") or {}


def wrapper(datasette):
    def wrap(app):
        async def reading_params(scope, receive, send):
            kinds = _param_kinds(datasette, scope.get("path", "")) if scope.get("type") == "http" else {}
            if not kinds:
                return await app(scope, receive, send)
            pairs = parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True)
            try:
                pairs = [(k, read(k, kinds[k], v) if k in kinds else v) for k, v in pairs]
            except ValueError as error:  # Datasette's 400 page or JSON, with its CORS headers
                response = await render(datasette, Request(scope, receive), 400, str(error))
                return await response.asgi_send(send)
            await app({**scope, "query_string": urlencode(pairs).encode()}, receive, send)

        return reading_params

    return wrap
