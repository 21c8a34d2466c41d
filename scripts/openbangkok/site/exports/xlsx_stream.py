"""An Excel workbook (.xlsx) written as a stream: the bytes of the zip come out as rows go in, so a
download starts with the first page of rows and memory holds one page, however many rows follow.

The parts known before any row (content types, relationships, workbook, styles) are written first,
then the data sheet row by row into a zip entry of unknown length (a data descriptor follows it;
ZIP64, since a sheet of a million rows of text can pass 4 GiB), then the About sheet, then the
zip's directory. Text is written inline in each cell (`t="inlineStr"`), not in a shared-strings
part that would have to hold every distinct text until the end.

Cells: numbers stay numbers; text that is exactly an ISO date or timestamp becomes an Excel date
(a timestamp with its zone, as the database writes them in UTC, becomes Bangkok time, and its
column's header says so: `timestamp (เวลาไทย UTC+7)`; Excel has no time zones); every other text is a
text cell, so `=HYPERLINK(...)`, `+1`, `-1` or `@x` is shown as written and never runs as a formula.
Integers beyond Excel's 15 exact digits, and infinities, are written as text. A sheet holds at most
EXCEL_DATA_ROWS rows under its header; `write` says when it is full.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from openbangkok.site.pages.illustrative import flag_positions, flagged
from openbangkok.thai.conversions import THAI_TIME

EXCEL_DATA_ROWS = 1_048_575  # rows per sheet, less the header row
EXCEL_CELL_CHARS = 32_767
EXCEL_EXACT_INT = 10**15  # larger integers lose digits in Excel: written as text
ZIP_LEVEL = 3  # deflate: XML shrinks about tenfold already at the fast levels
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")
ZONED = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
THAI_TIME_HEADER = "{} (เวลาไทย UTC+7)"  # a column of timestamps with a zone, written in Bangkok time
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# cellXfs of STYLES, by position
BOLD, DATE, DATETIME = 1, 2, 3
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""


def sheet_title(name: str) -> str:
    return (re.sub(r"[\[\]:*?/\\]", "_", name or "data").strip("'") or "data")[:31]


def date_or_datetime(text: str):
    try:
        if ISO_DATE.match(text):
            value = dt.date.fromisoformat(text)
        elif ISO_DATETIME.match(text):
            value = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
            value = (value.astimezone(THAI_TIME) if value.tzinfo else value).replace(tzinfo=None)
        else:
            return None
    except ValueError:
        return None
    return value if value.year >= 1900 else None  # Excel has no dates before 1900


def _package(sheets: list[tuple[int, str]]) -> dict[str, str]:
    """The workbook's parts naming its sheets: (number of the sheet's part, title), in tab order."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return {
        "[Content_Types].xml": head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>' for i, _ in sheets)
        + "</Types>",
        "_rels/.rels": head + f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
        f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": head
        + f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
        + "".join(f'<sheet name={quoteattr(t)} sheetId="{i}" r:id="rId{i}"/>' for i, t in sheets)
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": head
        + f'<Relationships xmlns="{PACKAGE_RELS}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i, _ in sheets
        )
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{RELS}/styles" Target="styles.xml"/></Relationships>',
    }


class _Sink:
    """Where the zip writes: bytes kept until taken. Not seekable, so zipfile streams its entries."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self):
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


ByteSink = _Sink  # the dataset zip (dataset_zip.py) streams its entries the same way


class XlsxStream:
    """A workbook of a data sheet and an About sheet. write() rows, finish() the About notes, and
    take() the bytes produced so far after each (write and finish may run in a worker thread)."""

    def __init__(self, title: str, columns: list[str], about_title: str):
        self.sink = _Sink()
        self.zip = zipfile.ZipFile(self.sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL)
        self.zip.writestr("xl/styles.xml", STYLES)
        # the parts that name the sheets come last (a zip is read from its directory): only then is it
        # known whether an illustrative notice goes first
        self.titles = (sheet_title(title), about_title)
        self.letters = [get_column_letter(i + 1) for i in range(max(len(columns), 2))]
        self.flags = flag_positions(columns)
        self.illustrative = 0  # rows that are illustrative samples
        self.rows = 0
        self.truncated_cells = 0
        self.full = False
        self.sheet = self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self.sheet.write(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'.encode()
        )
        self.columns = [str(c) for c in columns]
        self.header_written = False

    def _header(self, rows) -> None:
        """The header row, once the first rows show which columns hold zoned timestamps."""
        zoned = {
            i
            for row in rows
            for i, v in enumerate(row)
            if isinstance(v, str) and len(v) <= 32 and ISO_DATETIME.match(v) and ZONED.search(v)
        }
        names = [THAI_TIME_HEADER.format(c) if i in zoned else c for i, c in enumerate(self.columns)]
        self.sheet.write(self._row(1, [self._text(name, BOLD) for name in names]))
        self.header_written = True

    def take(self) -> bytes:
        return self.sink.take()

    def _text(self, value: str, style: int = 0) -> str:
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > EXCEL_CELL_CHARS:
            value = value[: EXCEL_CELL_CHARS - 1] + "…"
            self.truncated_cells += 1
        styled = f' s="{style}"' if style else ""
        return f'{styled} t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'

    def _cell(self, value) -> str | None:
        """A cell's attributes and content after `<c r="..."`; None for an empty cell."""
        if value is None:
            return None
        if isinstance(value, bool):
            return f' t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int):
            return f"><v>{value}</v></c>" if abs(value) < EXCEL_EXACT_INT else self._text(str(value))
        if isinstance(value, float):
            return f"><v>{value!r}</v></c>" if math.isfinite(value) else self._text(str(value))
        if isinstance(value, dict) and "value" in value:  # a foreign key with its label
            return self._cell(value.get("value"))
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self._text(f"<binary, {len(value)} bytes>")
        text = str(value)
        if len(text) <= 32:
            when = date_or_datetime(text)
            if when is not None:
                return f' s="{DATETIME if isinstance(when, dt.datetime) else DATE}"><v>{to_excel(when)!r}</v></c>'
        return self._text(text)

    def _row(self, number: int, cells) -> bytes:
        parts = [f'<row r="{number}">']
        for letter, cell in zip(self.letters, cells):
            if cell is not None:
                parts.append(f'<c r="{letter}{number}"{cell}')
        parts.append("</row>")
        return "".join(parts).encode("utf-8")

    def write(self, rows) -> bool:
        """Appends rows; False once Excel's row limit is reached (the rest is not written)."""
        if not self.header_written:
            rows = list(rows)
            self._header(rows)
        if len(self.letters) < max((len(r) for r in rows), default=0):
            self.letters = [get_column_letter(i + 1) for i in range(max(len(r) for r in rows))]
        for row in rows:
            if self.rows >= EXCEL_DATA_ROWS:
                self.full = True
                return False
            self.rows += 1
            self.sheet.write(self._row(self.rows + 1, [self._cell(v) for v in row]))
            if self.flags and flagged(row, self.flags):
                self.illustrative += 1
        return True

    def _notes_sheet(self, number: int, widths: list[int], rows: list[list[str]], style: int = 0) -> None:
        with self.zip.open(f"xl/worksheets/sheet{number}.xml", "w") as sheet:
            columns = "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1)
            )
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
                f"<cols>{columns}</cols><sheetData>".encode()
            )
            for row_number, cells in enumerate(rows, start=1):
                sheet.write(self._row(row_number, [self._text(text or "", style) for text in cells]))
            sheet.write(b"</sheetData></worksheet>")

    def finish(self, notes: list[tuple[str, str]], notice: tuple[str, list[str]] | None = None) -> None:
        """Closes the data sheet and writes the About sheet (`notes`: pairs of label and text) and,
        given a `notice` (title, lines), a first sheet that shows its lines in bold (the notice that
        rows are illustrative samples)."""
        if not self.header_written:
            self._header([])
        self.sheet.write(b"</sheetData></worksheet>")
        self.sheet.close()
        self._notes_sheet(2, [24, 100], [[key, value] for key, value in notes])
        sheets = [(1, self.titles[0]), (2, self.titles[1])]
        if notice:
            title, lines = notice
            self._notes_sheet(3, [120], [[line] for line in lines], BOLD)
            sheets.insert(0, (3, sheet_title(title)))
        for name, text in _package(sheets).items():
            self.zip.writestr(name, text)
        self.zip.close()
