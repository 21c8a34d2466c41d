"""Read-only: only GET, HEAD and OPTIONS reach the site; every other method is refused with 405.

Datasette 0.65 has no write API, and the database is opened immutable; this closes the remaining
POST endpoints too (canned write queries, /-/messages, /-/permissions, /-/logout), so nothing
sent to the site can change anything.
"""

from datasette import hookimpl

ALLOWED = {"GET", "HEAD", "OPTIONS"}


@hookimpl
def asgi_wrapper():
    def wrap(app):
        async def read_only(scope, receive, send):
            if scope.get("type") == "http" and scope.get("method", "GET").upper() not in ALLOWED:
                body = "Method not allowed: this site is read-only / เว็บไซต์นี้อ่านได้อย่างเดียว\n".encode("utf-8")
                await send({"type": "http.response.start", "status": 405, "headers": [
                    [b"content-type", b"text/plain; charset=utf-8"], [b"allow", b"GET, HEAD, OPTIONS"],
                    [b"content-length", str(len(body)).encode()]]})
                await send({"type": "http.response.body", "body": body})
                return
            await app(scope, receive, send)

        return read_only

    return wrap
