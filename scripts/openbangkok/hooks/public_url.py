"""Every request answered as addressed to the site's public URL, when it has one
(openbangkok.site.security.public_url): links never follow a forged Host header."""

from openbangkok.site.security.public_url import addressed_to


def wrapper(datasette):
    def wrap(app):
        async def as_public(scope, receive, send):
            # read per request: Datasette builds its app (ds.client's) before make_datasette sets it
            public = getattr(datasette, "openbangkok_public_url", None)
            if public is not None and scope.get("type") in ("http", "websocket"):
                scope = addressed_to(scope, *public)
            await app(scope, receive, send)

        return as_public

    return wrap
