"""The site's public address behind a proxy (`openbkk serve --public-url https://data.example.org`, or
OPENBANGKOK_PUBLIC_URL). Absolute links in pages and JSON (Datasette's next_url, the data package,
DCAT, the CKAN API, the sitemap, the Atom feeds) are written from the request's Host header: a request
with a forged Host got links to another site, which a shared cache keyed without the host would keep
and hand to everyone. With a public URL every request is answered as if it was addressed to it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

ENV = "OPENBANGKOK_PUBLIC_URL"


def read_public_url(text: str) -> tuple[str, str]:
    """(scheme, host[:port]) of `https://host[:port]`; ValueError in words for anything else (a path
    prefix is Datasette's base_url setting, not part of this)."""
    parts = urlsplit(text.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"{text!r} is no public address: give the scheme and host only, e.g. https://data.example.org "
            "(ที่อยู่สาธารณะของเว็บไซต์ต้องมีเพียง scheme และชื่อโฮสต์)"
        )
    return parts.scheme, parts.netloc.lower()


def addressed_to(scope: dict, scheme: str, host: str) -> dict:
    """The ASGI scope as if the request had been sent to scheme://host."""
    headers = [(name, value) for name, value in scope.get("headers", []) if name != b"host"]
    return {**scope, "scheme": scheme, "headers": [(b"host", host.encode("ascii")), *headers]}


def as_public(datasette):
    """ASGI middleware factory: every request addressed to the site's public URL, when it has one."""

    def wrap(app):
        async def addressed(scope, receive, send):
            # read per request: Datasette builds its app (ds.client's) before make_datasette sets it
            public = getattr(datasette, "openbangkok_public_url", None)
            if public is not None and scope.get("type") in ("http", "websocket"):
                scope = addressed_to(scope, *public)
            await app(scope, receive, send)

        return addressed

    return wrap
