"""Read-only: only GET, HEAD and OPTIONS reach the site; every other method is refused with 405.

Datasette 0.65 has no write API, and the database is opened immutable; this closes the remaining
POST endpoints too (canned write queries, /-/messages, /-/permissions, /-/logout), so nothing
sent to the site can change anything. The one exception is POST to the CKAN Action API's paths
(`/api/3/action/<name>`, `/api/action/<name>`), because ckanapi posts its calls: those actions
only read (openbangkok.opendata.ckan answers every write action with 403).
"""

from openbangkok.opendata.ckan.actions import is_action_path

ALLOWED = {"GET", "HEAD", "OPTIONS"}


def allowed(scope, base_url: str) -> bool:
    method = scope.get("method", "GET").upper()
    return method in ALLOWED or (method == "POST" and is_action_path(scope.get("path", ""), base_url))


def wrapper(datasette):
    def wrap(app):
        async def read_only(scope, receive, send):
            if scope.get("type") == "http" and not allowed(scope, datasette.setting("base_url")):
                body = "Method not allowed: this site is read-only / เว็บไซต์นี้อ่านได้อย่างเดียว\n".encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 405,
                        "headers": [
                            [b"content-type", b"text/plain; charset=utf-8"],
                            [b"allow", b"GET, HEAD, OPTIONS"],
                            [b"content-length", str(len(body)).encode()],
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            await app(scope, receive, send)

        return read_only

    return wrap
