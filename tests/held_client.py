"""ASGI clients for the tests of bounded exports: requests sent through the site's whole ASGI stack
(every wrapper, as a server would), answered to a client that stops reading."""

from __future__ import annotations

import asyncio
import contextlib


def asgi_get(path: str, headers: dict[str, str] | None = None) -> dict:
    path, _, query = path.partition("?")
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"localhost"), *((k.encode(), v.encode()) for k, v in (headers or {}).items())],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }


class HeldClient:
    """An ASGI client that takes the answer's first block of a streamed body (more_body) and then
    does not read on, as a slow connection would: the export it asked for stays in progress until
    release(). An answer sent in one block (a 503) is taken whole; empty blocks before the first bytes
    (a compressor's) are passed over."""

    def __init__(self, app, path: str, headers: dict[str, str] | None = None):
        self.messages: list[dict] = []
        self.first_block = asyncio.Event()
        self.released = asyncio.Event()
        self.task = asyncio.create_task(app(asgi_get(path, headers), self.receive, self.send))

    async def receive(self):
        await self.released.wait()
        return {"type": "http.disconnect"}

    async def send(self, message):
        self.messages.append(message)
        body = message["type"] == "http.response.body"
        if body and (message.get("body") or not message.get("more_body")) and not self.first_block.is_set():
            self.first_block.set()
            if message.get("more_body"):
                await self.released.wait()

    async def release(self) -> list[dict]:
        """The client reads on: the whole answer's messages."""
        self.released.set()
        await asyncio.wait_for(self.task, 120)
        return self.messages

    async def close(self) -> list[dict]:
        """The client goes away after what it took, as one that read the first bytes and hung up: the
        answer is not read on. Its messages so far."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        return self.messages
