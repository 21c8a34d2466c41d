"""HTTP made for a CDN and replicas: validators, cache lifetimes and compression, in one ASGI layer
(plugins/openbangkok.py puts it outside every wrapper but the security headers).

The database is immutable and the code that renders it changes only with a deploy, so an answer
to a GET is fixed by the build, the code and the request: its ETag is computed from those, never
from the body, and a streamed 800 MB CSV needs no buffering for one.

- Build: the database's SHA-256 (Datasette's `db.hash`: read from inspect-data.json when the site
  was started with it, computed once otherwise), together with a digest of what renders it
  (the plugins, this package, the descriptors, Datasette's metadata and settings, the versions of
  Datasette and its plugins). Replicas serving the same file with the same code agree.
- ETag (strong, on every cacheable 200): `"<build 12>-<digest>"`, the digest of the build, the
  scheme, host, path and query string, and the content coding sent (gzip or identity). HEAD is
  answered as GET (RFC 9110: the same header fields), so it carries the same ETag.
- Last-Modified: when the database was built (build_files.built_at; the file's time otherwise).
- 304 when If-None-Match names the ETag, or (without If-None-Match) If-Modified-Since is not
  older than Last-Modified; only where the answer would have been 200 (RFC 9110 13.2.1), so the
  app runs and a streamed body is stopped at its first block. The app never sees the conditional
  headers: this layer is the one place that answers 304, the .db download included.
- Cache-Control (the one place it is set): a 200 is `public, max-age=<default_cache_ttl>` (300 s,
  Datasette's setting) and HTML `public, max-age=60`; a redirect or 4xx `public, max-age=60`; a 5xx,
  429 or 503 `no-store`; `?_ttl=N` (Datasette's documented override) sets N, `?_ttl=0` `no-cache`.
  An answer the app marks private or no-store (Datasette does when a request carries a cookie or
  credentials, /-/health always) stays so and gets no ETag.
- gzip for text, JSON, GeoJSON, JSON-LD, NDJSON, CSV, XML, JavaScript and SVG when the client
  accepts it and the body is at least MIN_GZIP_BYTES (`Vary: Accept-Encoding` on every answer of
  such a type); not for what is compressed already (xlsx is a zip) nor the .db. A streamed answer is
  compressed as it streams, block by block; large blocks are compressed in a worker thread so the
  event loop keeps serving. No brotli: no brotli library is installed and none is worth a C
  dependency here (gzip already shrinks a large JSON page about eightfold).
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import os
import sqlite3
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as dist_metadata
from pathlib import Path

from datasette.database import QueryInterrupted

from openbangkok.model.catalog import DEFAULT_DATASETS, PACKAGE
from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import internals

HTML_TTL = 60  # seconds: pages change look with a deploy; data only with a build
SHORT_TTL = 60  # redirects and 4xx: a CDN absorbs repeats, a fix shows within a minute
NO_STORE = b"no-store"
MIN_GZIP_BYTES = 1024  # below this gzip saves too little to be worth a round of CPU
GZIP_LEVEL = 3  # whole bodies; 6 costs about 2.3x the CPU for a quarter fewer bytes
STREAM_GZIP_LEVEL = 1  # streamed exports: CPU, not bytes, limits them
THREAD_BYTES = 256 * 1024  # blocks at least this large are compressed off the event loop
FLUSH_BYTES = 64 * 1024  # a streamed answer reaches the client at least every this many bytes
COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/geo+json",
    "application/ld+json",
    "application/x-ndjson",
    "application/xml",
    "application/javascript",
    "application/schema+json",
    "image/svg+xml",
)
CONDITIONAL = {b"if-none-match", b"if-modified-since"}
HOP_BY_HOP = {b"transfer-encoding", b"connection", b"keep-alive"}  # the server frames the body
NOT_ON_304 = {b"content-length", b"content-type", b"content-encoding", b"transfer-encoding", b"content-disposition"}
CODE_SUFFIXES = {".py", ".html", ".js", ".css", ".json", ".yaml", ".yml", ".sql", ".md", ".svg"}
IDENTITY_ATTRIBUTE = "_openbangkok_http_identity"
HEALTH_PATH = "/-/health"
HEALTH_LIMIT_MS = 1000
UNREADABLE = (sqlite3.Error, QueryInterrupted, OSError)


@dataclass(frozen=True)
class Identity:
    """What every answer of this process is fixed by."""

    build: str  # hex digest of the database and the code that renders it
    last_modified: int  # the build's time, seconds since the epoch

    @property
    def last_modified_http(self) -> bytes:
        return email.utils.formatdate(self.last_modified, usegmt=True).encode()


def code_digest(datasette, folders: list[Path]) -> str:
    """The digest of what renders the data: files of these folders (by relative path and content),
    Datasette's metadata and settings, and the versions of Datasette and its plugins."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(
            p
            for p in Path(folder).rglob("*")
            if p.is_file() and p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts
        ):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update(
        json.dumps([internals.metadata(datasette), datasette.settings_dict()], sort_keys=True, default=str).encode()
    )
    plugins = {(ep.dist.name, ep.dist.version) for ep in dist_metadata.entry_points(group="datasette") if ep.dist}
    for name, version in sorted(plugins | {("datasette", dist_metadata.version("datasette"))}):
        digest.update(f"{name}=={version}\0".encode())
    return digest.hexdigest()


def _epoch(iso: str | None) -> int | None:
    try:
        when = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())


async def identity(datasette) -> Identity:
    """The site's Identity, computed on the first request (off the event loop) and kept."""
    found = getattr(datasette, IDENTITY_ATTRIBUTE, None)
    if found is None:
        from openbangkok.site import app as serve
        from openbangkok.site import tables as site_info

        folders = [serve.PLUGINS, PACKAGE, getattr(datasette, "openbangkok_datasets", DEFAULT_DATASETS)]
        code = await asyncio.to_thread(code_digest, datasette, folders)
        db = datasette.get_database(DATABASE)
        database_hash = await asyncio.to_thread(lambda: db.hash)  # sha256 of the file, or inspect-data's
        built = _epoch(await site_info.built_at(datasette)) or int(os.stat(db.path).st_mtime)
        found = Identity(hashlib.sha256(f"{database_hash}\0{code}".encode()).hexdigest(), built)
        setattr(datasette, IDENTITY_ATTRIBUTE, found)
    return found


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether Accept-Encoding allows gzip (RFC 9110 12.5.3: a q of 0 refuses; `*` stands for it)."""
    allowed = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name:
            allowed[name.strip()] = quality
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", 0.0))) > 0


def entity_tag(build: str, scope: dict, host: bytes, coding: str) -> bytes:
    request = b"\0".join(
        [
            build.encode(),
            scope.get("scheme", "http").encode(),
            host,
            scope.get("raw_path") or scope.get("path", "").encode(),
            scope.get("query_string", b""),
            coding.encode(),
        ]
    )
    return f'"{build[:12]}-{hashlib.sha256(request).hexdigest()[:24]}"'.encode()


def matches(if_none_match: bytes, tag: bytes) -> bool:
    """If-None-Match's weak comparison: W/ is ignored, `*` matches any representation."""
    candidates = [t.strip() for t in if_none_match.split(b",")]
    return b"*" in candidates or tag in {c[2:] if c.startswith(b"W/") else c for c in candidates}


def not_modified(request_headers: dict, tag: bytes | None, last_modified: int) -> bool:
    if tag is None:
        return False
    if b"if-none-match" in request_headers:
        return matches(request_headers[b"if-none-match"], tag)
    since = request_headers.get(b"if-modified-since")
    if since:
        try:
            when = email.utils.parsedate_to_datetime(since.decode("latin-1"))
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return last_modified <= when.timestamp()
    return False


def ttl_argument(query: bytes) -> int | None:
    """?_ttl=N (Datasette's documented per-request cache lifetime), when it is a number."""
    for part in query.split(b"&"):
        key, _, value = part.partition(b"=")
        if key == b"_ttl" and value.isdigit():
            return int(value)
    return None


def cache_control(status: int, content_type: bytes, ttl: int | None, data_ttl: int) -> bytes:
    if status >= 500 or status == 429:
        return NO_STORE
    if status >= 300:
        return f"public, max-age={SHORT_TTL}".encode()
    if ttl is not None:
        return f"public, max-age={ttl}".encode() if ttl else b"no-cache"
    html = content_type.startswith(b"text/html")
    return f"public, max-age={HTML_TTL if html else data_ttl}".encode()


def compressible(content_type: bytes) -> bool:
    return content_type.decode("latin-1").lower().startswith(COMPRESSIBLE)


class Gzip:
    """A gzip member written as the body arrives: whole bodies at GZIP_LEVEL, streams at
    STREAM_GZIP_LEVEL, flushed so that no block waits behind the next one for long."""

    def __init__(self, streamed: bool):
        self.compressor = zlib.compressobj(STREAM_GZIP_LEVEL if streamed else GZIP_LEVEL, zlib.DEFLATED, 31)
        self.unflushed = 0
        self.started = False

    def _step(self, body: bytes, last: bool) -> bytes:
        out = self.compressor.compress(body)
        self.unflushed += len(body)
        if last:
            return out + self.compressor.flush(zlib.Z_FINISH)
        if self.unflushed >= FLUSH_BYTES or not self.started:  # the first block at once
            self.started, self.unflushed = True, 0
            return out + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        return out

    async def feed(self, body: bytes, last: bool) -> bytes:
        if len(body) >= THREAD_BYTES:  # zlib lets go of the GIL: the loop serves others meanwhile
            return await asyncio.to_thread(self._step, body, last)
        return self._step(body, last)


class _Answered(BaseException):
    """Stops the app once its answer is complete (a 304, or a HEAD's headers). A BaseException, so
    that no `except Exception` on the way (Datasette's streaming CSV has one) takes it for an error."""


def _header(headers: list, name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class HttpCache:
    """The ASGI layer. GET and HEAD only: every other method passes through untouched."""

    def __init__(self, app, datasette):
        self.app, self.datasette = app, datasette

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        if scope.get("path") == HEALTH_PATH:
            return await send_health(self.datasette, scope, send)
        if DATABASE not in self.datasette.databases:  # not this site's (a test's own Datasette)
            return await self.app(scope, receive, send)
        try:
            site = await identity(self.datasette)
        except UNREADABLE:  # no validators for what cannot be read; the app answers as it can
            return await self.app(scope, receive, send)
        request_headers = {k.lower(): v for k, v in scope.get("headers", [])}
        exchange = _Exchange(self, site, scope, request_headers, send)
        inner = {
            **scope,
            "method": "GET",
            "headers": [(k, v) for k, v in scope.get("headers", []) if k.lower() not in CONDITIONAL],
        }
        try:
            await self.app(inner, receive, exchange.send)
            await exchange.finish()
        except _Answered:
            pass


class _Exchange:
    """One request's answer on its way out: its headers wait for the first block of the body, which
    decides whether it is compressed (and so which ETag it has)."""

    def __init__(self, layer: HttpCache, site: Identity, scope: dict, request_headers: dict, send):
        self.layer, self.site, self.scope, self.request_headers, self.downstream = (
            layer,
            site,
            scope,
            request_headers,
            send,
        )
        self.head = scope.get("method") == "HEAD"
        self.start: dict | None = None
        self.gzip: Gzip | None = None
        self.done = False

    async def send(self, message):
        if self.done:
            if message["type"] == "http.response.body" and message.get("more_body", False):
                raise _Answered  # the rest of a stream nobody will read
            return
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body":
            return await self.downstream(message)
        body, more = message.get("body", b""), message.get("more_body", False)
        if self.start is not None:
            return await self._first_block(body, more)
        if self.gzip is not None:
            body = await self.gzip.feed(body, not more)
            if not body and more:
                return
        await self.downstream({"type": "http.response.body", "body": body, "more_body": more})

    async def finish(self):
        """An app that sent its headers and no body (none of ours does) still gets them sent."""
        if self.start is not None and not self.done:
            await self._first_block(b"", False)

    async def _first_block(self, body: bytes, more: bool):
        status, headers, tag = self._headers(body, more)
        if not_modified(self.request_headers, tag, self.site.last_modified):
            status, body = 304, b""
            headers = [(k, v) for k, v in headers if k.lower() not in NOT_ON_304]
        else:
            if self.gzip is not None:
                body = await self.gzip.feed(body, not more)
            if not more:
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
        self.done = status == 304 or self.head
        await self.downstream({"type": "http.response.start", "status": status, "headers": headers})
        await self.downstream(
            {"type": "http.response.body", "body": b"" if self.done else body, "more_body": more and not self.done}
        )
        if self.done and more:
            raise _Answered

    def _headers(self, first_body: bytes, more: bool) -> tuple[int, list, bytes | None]:
        """The answer's status, headers and ETag (None when it is not cacheable)."""
        start, self.start = self.start, None
        status = start["status"]
        headers = [
            (k, v)
            for k, v in start.get("headers", [])
            if k.lower() not in HOP_BY_HOP and k.lower() not in (b"etag", b"last-modified")
        ]
        content_type = _header(headers, b"content-type") or b""
        their_policy = (_header(headers, b"cache-control") or b"").lower()
        compress = compressible(content_type) and status not in (204, 304)
        if compress:
            vary = [v.strip() for v in (_header(headers, b"vary") or b"").split(b",") if v.strip()]
            if b"accept-encoding" not in {v.lower() for v in vary}:
                headers = [(k, v) for k, v in headers if k.lower() != b"vary"]
                headers.append((b"vary", b", ".join(vary + [b"Accept-Encoding"])))
        if (
            compress
            and _header(headers, b"content-encoding") is None
            and (more or len(first_body) >= MIN_GZIP_BYTES)
            and accepts_gzip(self.request_headers.get(b"accept-encoding", b"").decode("latin-1"))
        ):
            self.gzip = Gzip(streamed=more)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]  # of the plain body
            headers.append((b"content-encoding", b"gzip"))
        if b"private" in their_policy or b"no-store" in their_policy:
            return status, headers, None
        headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
        ttl = ttl_argument(self.scope.get("query_string", b""))
        headers.append(
            (
                b"cache-control",
                cache_control(status, content_type, ttl, self.layer.datasette.setting("default_cache_ttl")),
            )
        )
        if status != 200:
            return status, headers, None
        tag = entity_tag(
            self.site.build, self.scope, self.request_headers.get(b"host", b""), "gzip" if self.gzip else "identity"
        )
        return status, headers + [(b"etag", tag), (b"last-modified", self.site.last_modified_http)], tag


async def health(datasette) -> tuple[int, dict]:
    """(status, answer) of /-/health: 200 when the database opens and answers a query, 503 otherwise."""
    try:
        db = datasette.get_database(DATABASE)
        tables = (await db.execute("select count(*) from sqlite_master", custom_time_limit=HEALTH_LIMIT_MS)).first()[0]
    except (KeyError, *UNREADABLE) as e:
        return 503, {"ok": False, "database": DATABASE, "error": f"{type(e).__name__}: {e}"}
    site = getattr(datasette, IDENTITY_ATTRIBUTE, None)  # known once a page has been asked for
    return 200, {"ok": True, "database": DATABASE, "tables": tables, **({"build": site.build[:12]} if site else {})}


async def send_health(datasette, scope, send) -> None:
    """/-/health, answered here, outside Datasette: a load balancer learns that the database cannot be
    read (503) even where Datasette's own start-up fails on it. Never cached."""
    status, answer = await health(datasette)
    body = json.dumps(answer).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"cache-control", NO_STORE),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})
