"""`.xlsx` downloads: every table, filtered view, row and query also as an Excel workbook.

`/openbangkok/<table>.xlsx?<filters>` holds every row the filtered view has (not only the first
page: the pages are read through Datasette's own JSON, so filters, search, sort and `_col` work
as on the page), up to Excel's 1,048,575 rows; a query (`/openbangkok.xlsx?sql=...` or a canned
query) is run again under the site's SQL time limit.

Cells: numbers stay numbers; text that is exactly an ISO date or timestamp becomes an Excel date
(timestamps keep the wall-clock time written in the database, which is UTC); every other text cell
is stored as text (cell type `s`), so a value such as `=HYPERLINK(...)`, `+1`, `-1` or `@x` is shown
as written and never runs as a formula. Codes such as `1001` are text in the database and stay text.
A second sheet, "เกี่ยวกับ / About", carries the source, licence and URL of the download.

Why not the datasette-xlsx plugin (0.2.2): it forces text to text too, but keeps dates as text,
writes its notes in Swedish, runs SQL exports with its own 30 s limit instead of the site's, and
holds the whole file in memory. The workbook is written here in openpyxl's write-only mode, page
by page in a worker thread, and sent from a temporary file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import tempfile
import urllib.parse

from datasette import hookimpl
from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from openbangkok.sql_guard import streamed

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_DATA_ROWS = 1_048_575          # rows per sheet, less the header row
EXCEL_CELL_CHARS = 32_767
EXCEL_EXACT_INT = 10**15             # larger integers lose digits in Excel: written as text
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
CHUNK = 64 * 1024
FORWARDED_AWAY = {"_next", "_size", "_shape", "_format", "_extra", "_nocount", "_nofacet"}


class XlsxWriter:
    """One write-only workbook: a data sheet, then an About sheet."""

    def __init__(self, title: str, columns: list[str]):
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(_sheet_title(title))
        self.sheet.freeze_panes = "A2"
        self.columns = columns
        self.rows = 0
        self.truncated_cells = 0
        self.full = False
        bold = Font(bold=True)
        header = []
        for name in columns:
            cell = self._text(str(name))
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)

    def _text(self, value: str) -> WriteOnlyCell:
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > EXCEL_CELL_CHARS:
            value = value[: EXCEL_CELL_CHARS - 1] + "…"
            self.truncated_cells += 1
        cell = WriteOnlyCell(self.sheet, value=value)
        cell.data_type = "s"   # text, whatever it starts with: never a formula
        return cell

    def cell(self, value):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value if abs(value) < EXCEL_EXACT_INT else self._text(str(value))
        if isinstance(value, float):
            return value
        if isinstance(value, dict) and "value" in value:   # a foreign key with its label
            return self.cell(value.get("value"))
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self._text(f"<binary, {len(value)} bytes>")
        text = str(value)
        if len(text) <= 32:
            when = _date_or_datetime(text)
            if when is not None:
                cell = WriteOnlyCell(self.sheet, value=when)
                cell.number_format = DATETIME_FORMAT if isinstance(when, dt.datetime) else DATE_FORMAT
                return cell
        return self._text(text)

    def write(self, rows) -> bool:
        """Appends rows; False once Excel's row limit is reached."""
        for row in rows:
            if self.rows >= EXCEL_DATA_ROWS:
                self.full = True
                return False
            self.sheet.append([self.cell(v) for v in row])
            self.rows += 1
        return True

    def finish(self, about: list[tuple[str, str]]):
        notes = list(about) + [
            ("แถว / Rows", str(self.rows)),
            ("ข้อความ / Text", "เก็บเป็นข้อความทั้งหมด ไม่มีสูตร / every text cell is stored as text, never as a formula"),
            ("วันที่ / Dates", "ISO dates are Excel dates; timestamps are the wall-clock time in the database (UTC)"),
        ]
        if self.full:
            notes.append(("ไม่ครบ / Incomplete", f"Excel holds at most {EXCEL_DATA_ROWS:,} rows: "
                                                 "download the CSV (?_stream=on) for every row"))
        if self.truncated_cells:
            notes.append(("ตัดข้อความ / Cut", f"{self.truncated_cells} cells longer than {EXCEL_CELL_CHARS:,} "
                                              "characters were cut (Excel's limit)"))
        sheet = self.workbook.create_sheet("เกี่ยวกับ About")
        sheet.column_dimensions["A"].width = 24
        sheet.column_dimensions["B"].width = 100
        for key, value in notes:
            sheet.append([self._text(key), self._text(value or "")])
        file = tempfile.TemporaryFile()
        self.workbook.save(file)
        size = file.tell()
        file.seek(0)
        return file, size


def _date_or_datetime(text: str):
    try:
        if ISO_DATE.match(text):
            value = dt.date.fromisoformat(text)
        elif ISO_DATETIME.match(text):
            value = dt.datetime.fromisoformat(text.replace(" ", "T", 1)).replace(tzinfo=None)
        else:
            return None
    except ValueError:
        return None
    return value if value.year >= 1900 else None   # Excel has no dates before 1900


def _sheet_title(name: str) -> str:
    return (re.sub(r"[\[\]:*?/\\]", "_", name or "data").strip("'") or "data")[:31]


class TempFileResponse(Response):
    """Sends a (temporary) file in chunks and closes it."""

    def __init__(self, file, size: int, headers: dict):
        super().__init__(body=None, status=200, headers=headers, content_type=CONTENT_TYPE)
        self.file = file
        self.size = size

    async def asgi_send(self, send):
        headers = {k: v for k, v in self.headers.items() if k.lower() != "content-type"}
        headers["content-type"] = self.content_type
        headers["content-length"] = str(self.size)
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [[k.encode("latin-1"), str(v).encode("latin-1")] for k, v in headers.items()]})
        try:
            while chunk := await asyncio.to_thread(self.file.read, CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            self.file.close()


def _disposition(name: str) -> str:
    filename = re.sub(r'[\\/:*?"<>|\r\n]+', "_", name) + ".xlsx"
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(filename)}"


async def _table_pages(datasette, request, writer: XlsxWriter, columns: list[str], labelled: set[str]):
    """Every page of the filtered table, read through Datasette's own JSON."""
    path = request.path[: -len(".xlsx")] + ".json"
    prefix = datasette.setting("base_url").rstrip("/")
    if prefix and path.startswith(prefix):
        path = path[len(prefix):]
    args = [(k, v) for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)
            if k not in FORWARDED_AWAY]
    args += [("_size", "max"), ("_shape", "objects"), ("_nocount", "1"), ("_nofacet", "1")]
    next_token = None
    while True:
        query = args + ([("_next", next_token)] if next_token else [])
        response = await datasette.client.get(path + "?" + urllib.parse.urlencode(query))
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
        data = response.json()
        rows = [_expand(row, columns, labelled) for row in data.get("rows", [])]
        if not await asyncio.to_thread(writer.write, rows):
            return
        next_token = data.get("next")
        if not next_token:
            return


def _expand(row: dict, columns: list[str], labelled: set[str]) -> list:
    values = []
    for column in columns:
        value = row.get(column)
        if column in labelled:
            is_pair = isinstance(value, dict)
            values.append(value.get("value") if is_pair else value)
            values.append(value.get("label") if is_pair else None)
        else:
            values.append(value)
    return values


async def _query_rows(datasette, database: str, sql: str, params: dict, writer: XlsxWriter):
    """The query again, without the page's row limit but under the site's SQL time limit."""
    limit_ms = datasette.setting("sql_time_limit_ms")

    def run(conn):
        with sqlite_timelimit(conn, limit_ms), streamed(conn):
            cursor = conn.execute(sql, params or {})
            while True:
                rows = cursor.fetchmany(1000)
                if not rows or not writer.write(rows):
                    return

    await datasette.get_database(database).execute_fn(run)


def can_render(view_name):
    return view_name in ("table", "database", "query", "row")


async def render_xlsx(datasette, request, database, table, sql, query_name, columns, rows, view_name, data):
    if query_name:
        canned = await datasette.get_canned_query(database, query_name, request.actor)
        if canned and canned.get("write"):
            return Response.text("A query that writes cannot be exported / ส่งออกคำสั่งที่เขียนข้อมูลไม่ได้", status=400)
    labelled = set()
    if view_name == "table":
        for expanded in data.get("expanded_columns") or []:   # column names, or (fk, label column) pairs
            labelled.add(expanded if isinstance(expanded, str) else expanded[0]["column"])
    header = []
    for column in columns:
        header.append(column)
        if column in labelled:
            header.append(f"{column}_label")
    name = table or query_name or database
    writer = XlsxWriter(name, header)
    if view_name == "row":
        await asyncio.to_thread(writer.write, [[r[c] for c in columns] if isinstance(r, dict) else list(r)
                                               for r in rows])
    elif table and view_name == "table":
        await _table_pages(datasette, request, writer, list(columns), labelled)
    else:
        await _query_rows(datasette, database, sql, (data.get("query") or {}).get("params") or {}, writer)
    def meta(key):
        return datasette.metadata(key, database=database, table=table) or ""

    title = ((datasette.metadata("tables", database=database) or {}).get(table) or {}).get("title") if table else None
    about = [
        ("ชุดข้อมูล / Data", title or name),
        ("ที่อยู่ / URL", request.url.replace(".xlsx", "", 1)),
        ("สัญญาอนุญาต / Licence", " ".join(x for x in (meta("license"), meta("license_url")) if x)),
        ("แหล่งที่มา / Source", "; ".join(" ".join(x for x in (s["title"], s["url"]) if x) for s in meta("sources"))
         or " ".join(x for x in (meta("source"), meta("source_url")) if x)),
    ]
    if sql and view_name != "table":
        about.append(("SQL", sql))
    file, size = await asyncio.to_thread(writer.finish, about)
    return TempFileResponse(file, size, {"content-disposition": _disposition(name)})


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "xlsx", "render": render_xlsx, "can_render": can_render}
