"""/-/datasets/<name>.zip: each table of a data package as its full CSV, plus the package's
datapackage.json (opendata.dga.data_package, with each resource's path the CSV in the zip), streamed.

The zip is written into a sink that cannot seek (xlsx_stream.ByteSink), so zipfile streams each entry
with a data descriptor and memory holds one block of rows. The rows are read by a connection of
their own (read-only, the pinned file the site serves), a block at a time in a worker thread: a
download of a million rows holds none of Datasette's SQL threads. The CSV is what the table's CSV
stream serves (the same columns, `rowid` for a table without a primary key). At most
CONCURRENT_ZIPS are written at a time per process; beyond that: 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import zipfile

from openbangkok.site.exports.pages import RETRY_AFTER_SECONDS, StreamedResponse, export_slots
from openbangkok.site.exports.xlsx_stream import ZIP_LEVEL, ByteSink

CONCURRENT_ZIPS = 2
BLOCK_ROWS = 2000
BUSY = (
    "ขณะนี้มีการดาวน์โหลดไฟล์ zip หลายรายการ โปรดลองใหม่ในอีกครู่ / Several zip downloads are being "
    f"written right now: please try again in a moment (Retry-After: {RETRY_AFTER_SECONDS} s).\n"
)


def _slots(datasette) -> asyncio.Semaphore:
    return export_slots(datasette, "zip", CONCURRENT_ZIPS)


def _cell(value):
    return value.hex() if isinstance(value, bytes) else value


class _Writer:
    """The zip, one CSV entry at a time; each call returns the bytes written since the last one."""

    def __init__(self, db_path: str):
        self.sink = ByteSink()
        self.zip = zipfile.ZipFile(self.sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL)
        self.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self.text = io.StringIO()
        self.csv = csv.writer(self.text, lineterminator="\r\n")

    def _flush_text(self, entry) -> None:
        entry.write(self.text.getvalue().encode("utf-8"))
        self.text.seek(0)
        self.text.truncate()

    def start_table(self, table: str, columns: list[str]):
        entry = self.zip.open(f"{table}.csv", "w", force_zip64=True)
        listed = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        cursor = self.conn.execute(f'select {listed} from "{table.replace(chr(34), chr(34) * 2)}"')
        self.csv.writerow(columns)
        self._flush_text(entry)
        return entry, cursor

    def block(self, entry, cursor) -> tuple[bytes, bool]:
        rows = cursor.fetchmany(BLOCK_ROWS)
        self.csv.writerows([_cell(v) for v in row] for row in rows)
        self._flush_text(entry)
        if not rows:
            entry.close()
        return self.sink.take(), bool(rows)

    def finish(self, package: dict) -> bytes:
        self.zip.writestr("datapackage.json", json.dumps(package, ensure_ascii=False, indent=2))
        self.zip.close()
        self.conn.close()
        return self.sink.take()


class DatasetZip(StreamedResponse):
    """The zip of `tables` ({table: its CSV's columns}) and `package`, or 503 when the slots are taken."""

    def __init__(self, datasette, db_path: str, name: str, tables: dict[str, list[str]], package: dict):
        super().__init__(
            self.produce,
            "application/zip",
            {"content-disposition": f'attachment; filename="{name}.zip"'},
            slots=_slots(datasette),
            busy_message=BUSY,
        )
        self.datasette, self.db_path, self.tables, self.package = datasette, db_path, tables, package

    async def produce(self, write) -> None:
        writer = await asyncio.to_thread(_Writer, self.db_path)
        try:
            for table, columns in self.tables.items():
                entry, cursor = await asyncio.to_thread(writer.start_table, table, columns)
                more = True
                while more:
                    data, more = await asyncio.to_thread(writer.block, entry, cursor)
                    await write(data)
            await write(await asyncio.to_thread(writer.finish, self.package))
        finally:  # a client gone mid-download leaves no open connection behind
            writer.conn.close()
