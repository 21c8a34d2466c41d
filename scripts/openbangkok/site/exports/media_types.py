"""Media types Datasette 0.65 gets wrong: CSV is served as `text/plain` (as `text/csv` only with
`?_dl=`), newline-delimited JSON (`.json?_shape=array&_nl=on`) as `text/plain` without a charset.
Both are answered as what they are, `text/csv; charset=utf-8` (RFC 4180, RFC 7111) and
`application/x-ndjson; charset=utf-8`: tables, filters, streams (`_stream=on`), CSV for Excel
(`_bom=on`), SQL and canned queries alike. A CSV's `?_trace=` debug page stays HTML.
"""

from urllib.parse import parse_qsl

CSV = b"text/csv; charset=utf-8"
NDJSON = b"application/x-ndjson; charset=utf-8"


def media_type(path: str, query: bytes) -> bytes | None:
    """What a text/plain answer at this address really is, None when it is plain text."""
    if path.endswith(".csv"):
        return CSV
    if path.endswith(".json"):
        args = dict(parse_qsl(query.decode("latin-1")))
        if args.get("_nl") and args.get("_shape") == "array":
            return NDJSON
    return None


def correct_media_types(datasette):
    """ASGI middleware factory: text/plain answers given their real media type (media_type)."""

    def wrap(app):
        async def media_types(scope, receive, send):
            correct = (
                media_type(scope.get("path", ""), scope.get("query_string", b""))
                if scope.get("type") == "http"
                else None
            )
            if correct is None:
                return await app(scope, receive, send)

            async def send_typed(message):
                if message["type"] == "http.response.start" and message["status"] == 200:
                    headers = message.get("headers", [])
                    if any(k.lower() == b"content-type" and v.startswith(b"text/plain") for k, v in headers):
                        message = {
                            **message,
                            "headers": [[k, correct if k.lower() == b"content-type" else v] for k, v in headers],
                        }
                await send(message)

            await app(scope, receive, send_typed)

        return media_types

    return wrap
