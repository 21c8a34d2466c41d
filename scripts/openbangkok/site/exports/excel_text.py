"""Text that Excel would run as a formula, made to stay text in the "CSV for Excel" download.

Excel reads a CSV cell that starts with =, +, -, @, a tab or a carriage return as a formula
(`=HYPERLINK(...)`, `@SUM(...)`; 43 published complaints start so). Such a cell gets a leading `'`,
as OWASP advises for CSV injection, unless it is a plain number such as -12.5. The plain CSV is
left exactly as it is: it is the API. FormulaGuard rewrites a CSV stream chunk by chunk.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from urllib.parse import parse_qs

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def as_text(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell) else cell


def complete_records(text: str) -> int:
    """Where the last complete record of `text` (which starts at a record) ends: after the last newline
    with an even number of quotes before it, i.e. outside a quoted cell."""
    end = text.rfind("\n")
    while end >= 0 and text.count('"', 0, end) % 2:
        end = text.rfind("\n", 0, end)
    return end + 1


class FormulaGuard:
    """feed() the CSV's bytes as they come, then finish(): the same CSV with as_text() cells."""

    def __init__(self):
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.pending = ""

    def _rewrite(self, text: str) -> bytes:
        if not text:
            return b""
        out = io.StringIO()
        writer = csv.writer(out)  # Datasette's dialect: excel, \r\n
        writer.writerows([as_text(cell) for cell in row] for row in csv.reader(io.StringIO(text, newline="")))
        return out.getvalue().encode("utf-8")

    def feed(self, chunk: bytes) -> bytes:
        self.pending += self.decoder.decode(chunk)
        end = complete_records(self.pending)
        done, self.pending = self.pending[:end], self.pending[end:]
        return self._rewrite(done)

    def finish(self) -> bytes:
        rest, self.pending = self.pending + self.decoder.decode(b"", final=True), ""
        return self._rewrite(rest)


BOM = "\ufeff".encode("utf-8")
TRUE = {"1", "on", "true", "yes"}


def wants_bom(scope) -> bool:
    if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
        return False
    args = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return any(v.lower() in TRUE for v in args.get("_bom", []))


def excel_csv_middleware(datasette):
    """ASGI middleware factory: a CSV asked for with ?_bom=on gets a BOM and its formulas guarded."""

    def wrap(app):
        async def excel_csv(scope, receive, send):
            if not wants_bom(scope):
                return await app(scope, receive, send)
            state = {"ok": False, "sent_bom": False}
            guard = FormulaGuard()

            async def send_with_bom(message):
                if message["type"] == "http.response.start":
                    state["ok"] = message["status"] == 200
                    if state["ok"]:  # cells may grow: no content-length (chunked); the type: media_types.py
                        headers = [
                            [key, value]
                            for key, value in message.get("headers", [])
                            if key.lower() != b"content-length"
                        ]
                        message = {**message, "headers": headers}
                elif message["type"] == "http.response.body" and state["ok"]:
                    more = message.get("more_body", False)
                    body = guard.feed(message.get("body", b"")) + (b"" if more else guard.finish())
                    if not state["sent_bom"]:
                        state["sent_bom"] = True
                        body = BOM + body
                    message = {**message, "body": body}
                await send(message)

            await app(scope, receive, send_with_bom)

        return excel_csv

    return wrap
