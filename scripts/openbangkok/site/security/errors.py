"""Error answers that cost nothing (openbangkok/hooks/bad_requests.py): every exception a request raises is
answered by answer() instead of Datasette's own handler, which prints a traceback with the local
variables of every frame through `rich` on the event loop: a few dozen requests to missing pages
held up every other request (benchmarks/README.md, Figures behind the code's comments; with rich 15
the answers themselves became HTTP 500).

- A client's mistake is a 4xx: Datasette's own 400/403/404, SQL that SQLite refuses (an unknown
  column in ?_facet=, a function the site does not allow), and a value the page could not read in a
  request that carries parameters. A 500 is left for the site's own faults and says nothing of them
  but an id to find the log line by.
- One line per error is logged by a thread (ErrorLog), the traceback only at DEBUG level; when more
  errors come than that thread writes, lines are dropped and counted, never queued without bound.
- The page is Datasette's error page (templates error.html, JSON for .json addresses) with its CORS
  headers, rendered as Datasette renders it; no `rich`, whatever version is installed.
"""

from __future__ import annotations

import logging
import queue
import secrets
import sqlite3
import threading
import traceback

from datasette.utils.asgi import Response
from markupsafe import Markup

from openbangkok.site import internals
from openbangkok.site.internals import Base400, add_cors_headers

LOGGER = logging.getLogger("openbangkok.site.security.errors")
QUEUE_SIZE = 10_000
LINE_CHARACTERS = 300  # of a path or a message in a log line
# Exceptions raised while reading a request's parameters (json.loads of ?_through=, int() of ?_next=...).
READING_ERRORS = (ValueError, LookupError, TypeError, UnicodeError, OverflowError)
SERVER_SIDE_SQL = ("disk i/o error", "database disk image is malformed", "unable to open database", "out of memory")
NOT_FOUND = "ไม่พบหน้านี้ / Not found"
# Datasette's own words for a client's mistake, with the Thai first (its message follows as it is)
THAI_FIRST = {
    "Database not found": "ไม่พบฐานข้อมูล",
    "Table not found": "ไม่พบตาราง",
    "Record not found": "ไม่พบแถวนี้",
    "Row not found": "ไม่พบแถวนี้",
    "Not found": "ไม่พบหน้านี้",
    "Permission denied": "ไม่ได้รับอนุญาต",
    "Forbidden": "ไม่ได้รับอนุญาต",
}
TITLES = {
    400: "คำขอไม่ถูกต้อง / Bad request",
    403: "ไม่ได้รับอนุญาต / Forbidden",
    404: NOT_FOUND,
    405: "ใช้วิธีนี้ไม่ได้ / Method not allowed",
    414: "ที่อยู่ยาวเกินไป / Address too long",
    500: "ข้อผิดพลาดภายในระบบ / Internal error",
}


def thai_first(message: str) -> str:
    """'Table not found: x' -> 'ไม่พบตาราง / Table not found: x'; other words as they are."""
    for english, thai in THAI_FIRST.items():
        if message.startswith(english) and thai not in message:
            return f"{thai} / {message}"
    return message


class ErrorLog:
    """Lines written by a daemon thread, so that a flood of errors costs the event loop one queue put each."""

    def __init__(self, size: int = QUEUE_SIZE):
        self.lines: queue.Queue = queue.Queue(size)
        self.dropped = 0
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def write(self, level: int, line: str, exception: BaseException | None = None) -> None:
        if not LOGGER.isEnabledFor(level):
            return
        if self.thread is None:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._run, name="openbangkok-error-log", daemon=True)
                    self.thread.start()
        try:
            self.lines.put_nowait((level, line, exception if LOGGER.isEnabledFor(logging.DEBUG) else None))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            level, line, exception = self.lines.get()
            if self.dropped:
                dropped, self.dropped = self.dropped, 0
                LOGGER.warning("%d error line(s) not logged: errors came faster than they could be written", dropped)
            LOGGER.log(level, "%s", line)
            if exception is not None:
                LOGGER.debug("%s", "".join(traceback.format_exception(exception)))
            self.lines.task_done()


ERROR_LOG = ErrorLog()


def _printable(text: str) -> str:
    """One line of at most LINE_CHARACTERS, control characters escaped (no forged log lines)."""
    text = text if len(text) <= LINE_CHARACTERS else text[:LINE_CHARACTERS] + "…"
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def sql_cause(exception: BaseException) -> sqlite3.Error | None:
    """The SQLite error behind `exception` (Datasette wraps some in its own DatasetteError)."""
    seen = 0
    while exception is not None and seen < 5:
        if isinstance(exception, sqlite3.Error):
            return exception
        exception, seen = exception.__cause__ or exception.__context__, seen + 1
    return None


def classify(request, exception: BaseException) -> tuple[int, str | Markup, str | None]:
    """(status, message, title) of the answer to `exception`."""
    if isinstance(exception, Base400):
        return exception.status, thai_first(str(exception.args[0])) if exception.args else NOT_FOUND, None
    sql = sql_cause(exception)
    client_sql = sql is not None and not any(words in str(sql).lower() for words in SERVER_SIDE_SQL)
    if isinstance(exception, internals.DatasetteError):  # Datasette's own words; its 500s are also for a parameter it
        # could not use ("Invalid _through - could not find corresponding foreign key")
        status = exception.status if exception.status < 500 or not (client_sql or request.query_string) else 400
        message = Markup(exception.message) if exception.message_is_html else exception.message
        return status, message, exception.title
    if client_sql:
        return 400, f"SQLite refused the query: {sql} / คำสั่ง SQL ใช้ไม่ได้", "Invalid SQL"
    if isinstance(exception, MemoryError) and request.query_string:  # SQLite's memory limit (sql_guard)
        return (
            400,
            (
                "the query needs more memory than the site gives one query: narrow it down "
                "/ คำสั่งนี้ใช้หน่วยความจำเกินกว่าที่กำหนด กรุณาจำกัดให้แคบลง"
            ),
            "Invalid SQL",
        )
    if isinstance(exception, READING_ERRORS) and request.query_string:
        names = ", ".join(sorted(set(request.args)))[:200]
        return (
            400,
            (
                f"the parameters of this address could not be read ({names}): check their values "
                f"/ อ่านค่าพารามิเตอร์ของที่อยู่นี้ไม่ได้ กรุณาตรวจสอบ"
            ),
            None,
        )
    return 500, "", None


async def render(datasette, request, status: int, message, title: str | None = None) -> Response:
    """Datasette's error page or JSON, as its own handler renders them, with its CORS headers."""
    info = {"ok": False, "error": message, "status": status, "title": title}
    if not title and not request.path.split("?")[0].endswith(".json"):  # the page's heading, Thai first
        info["title"] = TITLES.get(status)
    headers = {}
    if datasette.cors:
        add_cors_headers(headers)
    if request.path.split("?")[0].endswith(".json"):
        return Response.json(info, status=status, headers=headers)
    template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
    html = await template.render_async(
        dict(info, urls=datasette.urls, app_css_hash=internals.app_css_hash(datasette), menu_links=list)
    )
    return Response.html(html, status=status, headers=headers)


def _where(request) -> str:
    return _printable(f"{request.method} {request.path}" + (f"?{request.query_string}" if request.query_string else ""))


async def refused(datasette, request, status: int, message: str, title: str | None = None) -> Response:
    """The answer to an address refused before Datasette read it (openbangkok.site.security.limits), logged."""
    ERROR_LOG.write(logging.INFO, f"{_where(request)} -> {status} refused: {_printable(message)}")
    return await render(datasette, request, status, message, title)


async def answer(datasette, request, exception: BaseException, message: str | None = None) -> Response:
    """The answer to an exception raised while serving `request`, logged in one line. `message`: the
    reader's words for it where a plugin knows better than classify()."""
    status, said, title = (400, message, None) if message else classify(request, exception)
    where = _where(request)
    if status >= 500:
        reference = secrets.token_hex(4)
        said = (
            f"เกิดข้อผิดพลาดภายในระบบ / Internal error {reference}: the site logged it; "
            f"please report the address and this number (SECURITY.md)"
        )
        ERROR_LOG.write(
            logging.ERROR,
            f"{where} -> {status} [{reference}] {type(exception).__name__}: {_printable(str(exception))}",
            exception,
        )
    else:
        ERROR_LOG.write(
            logging.INFO, f"{where} -> {status} {type(exception).__name__}: {_printable(str(exception))}", exception
        )
    return await render(datasette, request, status, said, title)
