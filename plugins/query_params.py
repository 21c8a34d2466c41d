"""Canned query forms read Buddhist-era years and Thai digits, and refuse what they cannot read
(openbangkok.query_params): the query's `param_kinds` in metadata say which kind each value is."""

from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response

from openbangkok.query_params import read
from openbangkok.site_metadata import DATABASE


def _query_kinds(datasette, path: str) -> tuple[str, dict] | None:
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[0] != DATABASE:
        return None
    name = parts[1].rsplit(".", 1)[0] if "." in parts[1] else parts[1]
    query = (datasette.metadata("queries", database=DATABASE) or {}).get(name) or {}
    return (name, query["param_kinds"]) if query.get("param_kinds") else None


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def reading_params(scope, receive, send):
            found = _query_kinds(datasette, scope.get("path", "")) if scope.get("type") == "http" else None
            if not found:
                return await app(scope, receive, send)
            pairs = parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True)
            try:
                pairs = [(k, read(k, found[1][k], v) if k in found[1] else v) for k, v in pairs]
            except ValueError as error:
                if scope["path"].endswith(".json"):
                    response = Response.json({"ok": False, "error": str(error), "status": 400}, status=400)
                else:
                    response = Response.html(await datasette.render_template(
                        "error.html", {"error": str(error), "status": 400, "title": None}), status=400)
                return await response.asgi_send(send)
            await app({**scope, "query_string": urlencode(pairs).encode()}, receive, send)

        return reading_params

    return wrap
