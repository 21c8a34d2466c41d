"""Security headers on every response: a Content-Security-Policy that allows only the site's own
assets, X-Content-Type-Options and Referrer-Policy.

Scripts: `script-src 'self'` plus the SHA-256 hash of each inline script a page really carries.
The templates in plugins/templates pass every inline script through `csp_script(...)` (the
Datasette-provided ones were moved to files under /assets/publishing/; the ones plugins inject
with extra_body_script, such as datasette-cluster-map's settings, stay inline and are hashed).
A page is rendered completely before its headers are sent, so the hashes collected while
rendering go into that response's header: an injected <script> has no hash and does not run.

Styles allow 'unsafe-inline': Datasette's templates and Leaflet popups use style attributes,
which hashes cannot cover. Images allow the map tile servers (datasette-cluster-map's tile_layer,
OpenStreetMap by default). Referrer-Policy is strict-origin-when-cross-origin rather than
Datasette's no-referrer, because OpenStreetMap's tile servers refuse requests without a Referer.
"""

import base64
import hashlib
from urllib.parse import urlsplit

from openbangkok.site import internals
from openbangkok.site.pages.cells import image_hosts

SCOPE_KEY = "openbangkok.csp_script_hashes"
DEFAULT_TILES = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
REPLACED = {b"content-security-policy", b"x-content-type-options", b"referrer-policy"}


def tile_hosts(datasette) -> list[str]:
    """Hosts of every map tile layer configured anywhere in the metadata, plus the default."""
    found = {DEFAULT_TILES}

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "tile_layer" and isinstance(item, str):
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(internals.metadata(datasette) or {})
    hosts = set()
    for url in found:
        parts = urlsplit(url.replace("{s}", "a"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        if "{s}" in url:  # a.tile..., b.tile...: the wildcard, and the bare host some layers use
            parent = parts.hostname.split(".", 1)[1]
            hosts |= {f"{parts.scheme}://*.{parent}", f"{parts.scheme}://{parent}"}
        else:
            hosts.add(f"{parts.scheme}://{parts.hostname}")
    return sorted(hosts)


def policy(script_hashes, tiles) -> str:
    scripts = " ".join(f"'sha256-{h}'" for h in dict.fromkeys(script_hashes))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self'{' ' + scripts if scripts else ''}",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: {' '.join(tiles)}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        ]
    )


def script_hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def csp_script_marker(request):
    def csp_script(script):
        """Marks an inline script as the page's own: its hash goes into the page's policy."""
        if request is not None and isinstance(request.scope.get(SCOPE_KEY), list):
            request.scope[SCOPE_KEY].append(script_hash(str(script)))
        return script

    return csp_script


def secure_headers(datasette):
    """ASGI middleware factory: the policy and the two other headers on every answer."""

    def wrap(app):
        tiles = []

        async def secure(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            if not tiles:  # and the photo hosts of the layout settings (thumbnails)
                tiles.extend(tile_hosts(datasette) + [f"https://{h}" for h in sorted(image_hosts(datasette))])
            hashes = []
            scope = {**scope, SCOPE_KEY: hashes}

            async def send_with_headers(message):
                if message["type"] == "http.response.start":
                    headers = [[k, v] for k, v in message.get("headers", []) if k.lower() not in REPLACED]
                    headers += [
                        [b"content-security-policy", policy(hashes, tiles).encode()],
                        [b"x-content-type-options", b"nosniff"],
                        [b"referrer-policy", b"strict-origin-when-cross-origin"],
                    ]
                    message = {**message, "headers": headers}
                await send(message)

            await app(scope, receive, send_with_headers)

        return secure

    return wrap
