"""Every row of a table's (or view's) filtered view, page after page, for the exports that hold every
row: the GeoJSON and NDJSON streams and the Excel workbook.

The pages are read through Datasette's own JSON (`datasette.client`), so filters, search, sort,
`_col`/`_nocol` and `_labels` work as on the page, by its `next` token (keyset pages on a table,
offsets on a view): one page in memory at a time, however large the table. A stream that names no
sort order comes in primary-key order (openbangkok.site.serving.serving rewrites its address, as for the CSV).
"""

from __future__ import annotations

import asyncio
import base64
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable

from datasette.utils.asgi import Response

# the page's own paging, shape and extras: the export sets its own
FORWARDED_AWAY = {
    "_next",
    "_size",
    "_shape",
    "_format",
    "_extra",
    "_nocount",
    "_nofacet",
    "_stream",
    "_dl",
    "_bom",
    "_ttl",
    "_nl",
    "_json",
    "_trace",
}
INTERNAL = {"accept-encoding": "identity"}  # Datasette talking to itself: no gzip to undo


class PageError(Exception):
    """A page of the export could not be read (status and Datasette's message)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def wants_stream(request) -> bool:
    """`?_stream=` with any value, as Datasette reads it for the CSV."""
    return bool(request.args.get("_stream"))


def json_value(value):
    """A cell as JSON holds it: a BLOB as base64 text (JSON has no bytes)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def json_path(datasette, request, extension: str) -> str:
    """The address of the same view as JSON, without the base_url (datasette.client adds it)."""
    path = request.path[: -len(extension)] + ".json"
    prefix = datasette.setting("base_url").rstrip("/")
    return path[len(prefix) :] if prefix and path.startswith(prefix) else path


async def pages(datasette, request, extension: str) -> AsyncIterator[dict]:
    """The JSON pages of the view `request` names (with `extension` in place of .json), from the
    first row, each a dict with `columns` and `rows` (objects)."""
    path = json_path(datasette, request, extension)
    args = [
        (k, v)
        for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)
        if k not in FORWARDED_AWAY
    ]
    args += [("_size", "max"), ("_shape", "objects"), ("_nocount", "1"), ("_nofacet", "1")]
    next_token = None
    while True:
        query = args + ([("_next", next_token)] if next_token else [])
        response = await datasette.client.get(path + "?" + urllib.parse.urlencode(query), headers=INTERNAL)
        if response.status_code != 200:
            try:
                message = response.json().get("error") or response.text
            except ValueError:
                message = response.text
            raise PageError(response.status_code, str(message)[:500])
        data = response.json()
        yield data
        next_token = data.get("next")
        if not next_token:
            return


RETRY_AFTER_SECONDS = 30  # a busy export's 503 asks the client to come back after this long


def export_slots(datasette, kind: str, size: int) -> asyncio.Semaphore:
    """The slots of one kind of long export (workbooks, zips, streams) in this process: at most `size`
    are written at a time, and a request that finds none free is answered 503 (busy())."""
    return datasette.__dict__.setdefault(f"_openbangkok_{kind}_slots", asyncio.Semaphore(size))


def busy(message: str) -> Response:
    return Response.text(message, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class StreamedResponse(Response):
    """An answer written as it is produced: `produce(write)` calls `await write(bytes)` block by block.

    The first block is awaited before the headers go out, so a mistake found while reading the first
    page (a filter on a column that does not exist) is still answered with its own status."""

    def __init__(
        self,
        produce: Callable[[Callable[[bytes], Awaitable[None]]], Awaitable[None]],
        content_type: str,
        headers: dict | None = None,
        slots: asyncio.Semaphore | None = None,
        busy_message: str = "",
    ):
        super().__init__(body=None, status=200, headers=headers or {}, content_type=content_type)
        self.produce = produce
        self.slots, self.busy_message = slots, busy_message

    async def asgi_send(self, send):
        """Sent while holding one of `slots` (export_slots()) when given; 503 when none is free."""
        if self.slots is None:
            return await self.send_stream(send)
        if self.slots.locked():
            return await busy(self.busy_message).asgi_send(send)
        async with self.slots:
            await self.send_stream(send)

    async def send_stream(self, send):
        pending: list[bytes] = []
        started = False

        async def start():
            nonlocal started
            started = True
            headers = {k: v for k, v in self.headers.items() if k.lower() != "content-type"}
            headers["content-type"] = self.content_type
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status,
                    "headers": [[k.encode("latin-1"), str(v).encode("latin-1")] for k, v in headers.items()],
                }
            )

        async def write(block: bytes):
            if not started:
                await start()
            if block:
                await send({"type": "http.response.body", "body": block, "more_body": True})

        try:
            await self.produce(write)
        except PageError as e:
            if started:  # the headers are out: say so where a reader of the file will see it
                await send({"type": "http.response.body", "body": f"\n{e}\n".encode(), "more_body": True})
            else:
                pending.append(f"{e}\n".encode())
                self.status, self.content_type = e.status, "text/plain; charset=utf-8"
                await start()
        await send({"type": "http.response.body", "body": b"".join(pending)})
