"""`.xlsx` downloads: every table, filtered view, row and query also as an Excel workbook.

`/openbangkok/<table>.xlsx?<filters>` holds every row the filtered view has (not only the first
page: the pages are read through Datasette's own JSON, openbangkok.site.exports.pages, so filters, search,
sort and `_col` work as on the page), up to Excel's limit of 1,048,575 rows under the header; a
larger view is cut there, and the About sheet says so and points to the CSV stream. The About sheet
("เกี่ยวกับ About") always states that limit, the rows written, the source, licence and URL. A query
(`/openbangkok.xlsx?sql=...` or a canned query) is run again under the site's SQL time limit. When
rows are illustrative samples (openbangkok.site.pages.illustrative), the workbook opens on a sheet that says so
in Thai and English, and the About sheet says it first.

The workbook streams (openbangkok.site.exports.xlsx_stream): a table's download starts once its first page is
read, and memory holds one page. A query's workbook is written to a temporary file while the query
runs (the SQL time limit must not wait on the network), then sent. At most CONCURRENT_EXPORTS
workbooks are written at a time in each server process; beyond that the answer is 503 with
Retry-After, and the client tries again.

Why not the datasette-xlsx plugin (0.2.2): it forces text to text too, but keeps dates as text,
writes its notes in Swedish, runs SQL exports with its own 30 s limit instead of the site's, and
holds the whole file in memory.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile

from datasette.database import QueryInterrupted
from datasette.utils.asgi import Response

from openbangkok.site import internals
from openbangkok.site.exports.filenames import disposition
from openbangkok.site.exports.pages import RETRY_AFTER_SECONDS, PageError, StreamedResponse, export_slots, pages
from openbangkok.site.exports.xlsx_stream import EXCEL_CELL_CHARS, EXCEL_DATA_ROWS, XlsxStream
from openbangkok.site.internals import sqlite_timelimit
from openbangkok.site.pages.illustrative import MARK, SHEET_TITLE, banner
from openbangkok.site.security.sql_guard import streamed

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ABOUT = "เกี่ยวกับ About"
CONCURRENT_EXPORTS = 2  # per process: the machine has 2 cores and a workbook keeps one busy
CHUNK = 64 * 1024
BUSY = (
    "ขณะนี้มีการส่งออกไฟล์ Excel หลายรายการ โปรดลองใหม่ในอีกครู่ / "
    "Several Excel exports are being written right now: please try again in a moment "
    f"(Retry-After: {RETRY_AFTER_SECONDS} s). The CSV (?_stream=on) has no such limit.\n"
)


def slots(datasette) -> asyncio.Semaphore:
    return export_slots(datasette, "xlsx", CONCURRENT_EXPORTS)


LIMIT = f"Excel holds at most {EXCEL_DATA_ROWS:,} rows under the header; the CSV (?_stream=on) has every row"
INCOMPLETE = (
    f"Excel holds at most {EXCEL_DATA_ROWS:,} rows: this file stops there; download the CSV (?_stream=on) for every row"
)


def notice(writer: XlsxStream) -> tuple[str, list[str]] | None:
    """The first sheet of a workbook that holds illustrative rows."""
    return (SHEET_TITLE, banner(writer.illustrative, writer.rows)) if writer.illustrative else None


def notes(writer: XlsxStream, about: list[tuple[str, str]]) -> list[tuple[str, str]]:
    lines = banner(writer.illustrative, writer.rows)[1:] if writer.illustrative else []
    result = (
        ([(MARK, " ".join(lines))] if lines else [])
        + list(about)
        + [
            ("แถว / Rows", f"{writer.rows:,}"),
            ("ขีดจำกัด / Limit", LIMIT),
            ("ข้อความ / Text", "เก็บเป็นข้อความทั้งหมด ไม่มีสูตร / every text cell is stored as text, never as a formula"),
            (
                "วันที่ / Dates",
                "วันที่เป็นวันที่ของ Excel เวลาเป็นเวลาไทย (UTC+7) ในคอลัมน์ที่หัวตารางระบุ "
                '"(เวลาไทย UTC+7)" / ISO dates are Excel dates; timestamps are Bangkok time '
                "(UTC+7, converted from the database's UTC) in the columns whose header says "
                '"(เวลาไทย UTC+7)"',
            ),
        ]
    )
    if writer.full:
        result.append(("ไม่ครบ / Incomplete", INCOMPLETE))
    if writer.truncated_cells:
        cut = f"{writer.truncated_cells} cells longer than {EXCEL_CELL_CHARS:,} characters were cut (Excel's limit)"
        result.append(("ตัดข้อความ / Cut", cut))
    return result


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


def _query_to_file(db_conn, sql: str, params: dict, writer: XlsxStream, limit_ms: int, file) -> None:
    """The query again, without the page's row limit but under the site's SQL time limit, into `file`."""
    with sqlite_timelimit(db_conn, limit_ms), streamed(db_conn):
        cursor = db_conn.execute(sql, params or {})
        while True:
            rows = cursor.fetchmany(1000)
            more = bool(rows) and writer.write(rows)
            file.write(writer.take())
            if not more:
                return


class XlsxExport:
    """One workbook: what it holds, written when its answer is sent (inside an export slot)."""

    def __init__(self, datasette, request, database, table, sql, query_name, columns, rows, view_name, data):
        self.datasette, self.request, self.database, self.table = datasette, request, database, table
        self.sql, self.view_name, self.data, self.rows = sql, view_name, data, rows
        self.name = table or query_name or database
        self.labelled = set()
        if view_name == "table":
            for expanded in data.get("expanded_columns") or []:  # column names, or (fk, label column) pairs
                self.labelled.add(expanded if isinstance(expanded, str) else expanded[0]["column"])
        self.columns = list(columns)
        self.header = []
        for column in columns:
            self.header.append(column)
            if column in self.labelled:
                self.header.append(f"{column}_label")

    def about(self) -> list[tuple[str, str]]:
        datasette, database, table = self.datasette, self.database, self.table

        def meta(key):
            return internals.metadata(datasette, key, database=database, table=table) or ""

        title = (
            ((internals.metadata(datasette, "tables", database=database) or {}).get(table) or {}).get("title")
            if table
            else None
        )
        result = [
            ("ชุดข้อมูล / Data", title or self.name),
            ("ที่อยู่ / URL", self.request.url.replace(".xlsx", "", 1)),
            ("สัญญาอนุญาต / Licence", " ".join(x for x in (meta("license"), meta("license_url")) if x)),
            (
                "แหล่งที่มา / Source",
                "; ".join(" ".join(x for x in (s["title"], s["url"]) if x) for s in meta("sources"))
                or " ".join(x for x in (meta("source"), meta("source_url")) if x),
            ),
        ]
        if self.sql and self.view_name != "table":
            result.append(("SQL", self.sql))
        return result

    async def write_table(self, write) -> None:
        writer = None
        async for page in pages(self.datasette, self.request, ".xlsx"):
            if writer is None:
                writer = XlsxStream(self.name, self.header, ABOUT)
            rows = [_expand(row, self.columns, self.labelled) for row in page["rows"]]
            more = await asyncio.to_thread(writer.write, rows)
            await write(writer.take())
            if not more:
                break
        await asyncio.to_thread(writer.finish, notes(writer, self.about()), notice(writer))
        await write(writer.take())

    async def write_rows(self, write) -> None:
        writer = XlsxStream(self.name, self.header, ABOUT)
        await asyncio.to_thread(
            writer.write, [[r[c] for c in self.columns] if isinstance(r, dict) else list(r) for r in self.rows]
        )
        await asyncio.to_thread(writer.finish, notes(writer, self.about()), notice(writer))
        await write(writer.take())

    async def write_query(self, write) -> None:
        writer = XlsxStream(self.name, self.header, ABOUT)
        params = (self.data.get("query") or {}).get("params") or {}
        limit_ms = self.datasette.setting("sql_time_limit_ms")
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as file:
            try:
                await self.datasette.get_database(self.database).execute_fn(
                    lambda conn: _query_to_file(conn, self.sql, params, writer, limit_ms, file)
                )
            except (sqlite3.OperationalError, QueryInterrupted) as e:
                raise PageError(
                    400,
                    f"The query took longer than {limit_ms:,} ms or failed ({e}): "
                    "export it as CSV, or narrow it / คำสั่งใช้เวลานานเกินไป",
                ) from e
            await asyncio.to_thread(writer.finish, notes(writer, self.about()), notice(writer))
            file.write(writer.take())
            file.seek(0)
            while block := await asyncio.to_thread(file.read, CHUNK):
                await write(block)

    async def produce(self, write) -> None:
        if self.view_name == "row":
            await self.write_rows(write)
        elif self.table and self.view_name == "table":
            await self.write_table(write)
        else:
            await self.write_query(write)


class XlsxResponse(StreamedResponse):
    """Streams the workbook while holding one of the process's export slots, or answers 503."""

    def __init__(self, export: XlsxExport):
        super().__init__(
            export.produce,
            CONTENT_TYPE,
            {"content-disposition": disposition(export.request.path, export.request.query_string, "xlsx")},
            slots=slots(export.datasette),
            busy_message=BUSY,
        )
        self.export = export


def can_render(view_name):
    return view_name in ("table", "database", "query", "row")


async def render_xlsx(datasette, request, database, table, sql, query_name, columns, rows, view_name, data):
    if query_name:
        canned = await datasette.get_canned_query(database, query_name, request.actor)
        if canned and canned.get("write"):
            return Response.text("A query that writes cannot be exported / ส่งออกคำสั่งที่เขียนข้อมูลไม่ได้", status=400)
    return XlsxResponse(
        XlsxExport(datasette, request, database, table, sql, query_name, columns, rows, view_name, data)
    )
