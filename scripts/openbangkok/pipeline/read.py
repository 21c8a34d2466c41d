"""Agency files as delivered -> clean UTF-8 CSV, converted once on input.

Accepted and converted (reported as information): UTF-8 with or without BOM, Windows-874 / TIS-620
(detected), CRLF, LF or mixed line ends, trailing blank lines, spaces around cells, Thai digits and
thousands separators in number fields, Buddhist-era and Thai-month dates in date fields, text in NFC
without zero-width characters. Workbooks (.xlsx, .xls) are converted with csvkit's in2csv.

Refused with a clear problem: files that are not text (NUL bytes, a workbook or web page saved as
.csv), unknown encodings (encoding.py), other column separators, unclosed quotes, giant cells,
empty files; and, unread, what is no regular file inside the datasets folder (unreadable_files:
named pipes, devices, links leading out). Rows and columns are kept as they are, so row numbers stay
those of the agency's file.
"""

from __future__ import annotations

import csv
import io
import re
import stat
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from openbangkok.model.catalog import Catalog, Source, display_path
from openbangkok.model.problems import Problem, Refused, Report
from openbangkok.pipeline import workbooks
from openbangkok.pipeline.csv_rules import MAX_CELL_CHARACTERS, MAX_COLUMNS, check_header
from openbangkok.pipeline.encoding import UTF8_BOM, decode
from openbangkok.thai import conversions as thai
from openbangkok.thai.redact import KINDS, Redactor, find_personal_data_in_code

csv.field_size_limit(sys.maxsize)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
WORKBOOK_SUFFIXES = {".xlsx", ".xls"}
NUMBER_TYPES = {"integer", "number", "year"}
DATE_TYPES = {"date"}
YEAR_MONTH_TYPES = {"yearmonth"}
MAX_FILE_BYTES = 100 << 20  # read whole, then checked in memory


@dataclass
class Prepared:
    path: Path  # clean UTF-8 CSV
    encoding: str = ""
    conversions: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)


FILE_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)", "ไปป์"),
    (stat.S_ISCHR, "a device", "อุปกรณ์"),
    (stat.S_ISBLK, "a device", "อุปกรณ์"),
    (stat.S_ISSOCK, "a socket", "ซ็อกเก็ต"),
    (stat.S_ISDIR, "a folder", "โฟลเดอร์"),
)


def unreadable_file(catalog: Catalog, path: Path, display: str) -> Problem | None:
    """Why `path` is not read, or None: a file the build reads must be a regular file inside the datasets
    folder. A named pipe or a device (a link to /dev/zero) held the build for ever; a link to a file
    elsewhere (/etc/passwd) was read and its lines quoted in the problems. Nothing of it is read here."""
    root = Path(catalog.root).resolve()
    try:
        inside = path.resolve().is_relative_to(root)
        mode = path.stat().st_mode
    except (OSError, RuntimeError):
        return None  # a missing file, or a loop of links: reading it reports that
    if not inside:
        return Problem(
            display,
            None,
            None,
            "scheme-error",
            "the file (or the link it is) leads outside the datasets folder: copy the file itself in",
            "ไฟล์นี้ (หรือลิงก์) ชี้ออกไปนอกโฟลเดอร์ datasets กรุณาคัดลอกไฟล์จริงมาไว้แทน",
        )
    for test, kind, kind_th in FILE_KINDS:
        if test(mode):
            return Problem(
                display,
                None,
                None,
                "scheme-error",
                f"this is {kind}, not a file: deliver the file itself",
                f"นี่คือ{kind_th} ไม่ใช่ไฟล์ กรุณาส่งไฟล์จริง",
            )
    return None


def unreadable_folder(catalog: Catalog, folder: Path, display: str) -> Problem | None:
    """unreadable_file() of a folder an adapter reads (the Traffy API's pages): the folder itself,
    then each entry of it that is not hidden (the first that cannot be read)."""
    try:
        if not folder.resolve().is_relative_to(Path(catalog.root).resolve()):
            return unreadable_file(catalog, folder, display)
    except (OSError, RuntimeError):
        return None
    for entry in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in entry.relative_to(folder).parts) or (
            entry.is_dir() and not entry.is_symlink()
        ):
            continue
        problem = unreadable_file(catalog, entry, f"{display}/{entry.relative_to(folder)}")
        if problem:
            return problem
    return None


def unreadable_source(catalog: Catalog, source: Source) -> Problem | None:
    display = display_path(catalog, source)
    if source.adapter and source.path.is_dir() and not source.path.is_symlink():
        return unreadable_folder(catalog, source.path, display)
    return unreadable_file(catalog, source.path, display)


def unreadable_files(catalog: Catalog) -> dict[str, Problem]:
    """unreadable_file() of every resource (of each file of a folder an adapter reads), by table name,
    and of every dataset's SQL file, by path."""
    found = {s.name: unreadable_source(catalog, s) for s in catalog.sources}
    for dataset in catalog.datasets:
        for sql_file in dataset.sql_files:
            found[str(sql_file)] = unreadable_file(
                catalog, sql_file, str(Path(catalog.root) / dataset.name / sql_file.name)
            )
    return {key: problem for key, problem in found.items() if problem}


def clean_copies(catalog: Catalog, work: Path, report: Report, refused: set[str]) -> dict[str, Path]:
    """{table: its clean UTF-8 copy} of every resource read as a plain file (an adapter reads its own),
    in `work`, the problems of each in `report`; a file that cannot be read (refused already, or by
    prepare()) has no clean copy and its name is added to `refused`."""
    copies = {}
    for source in catalog.sources:
        if source.adapter or source.name in refused:
            continue  # an adapter reads its own file; a file that is no file is not read
        clean = work / "clean" / source.dataset / (Path(source.descriptor["path"]).stem + ".csv")
        prepared = prepare(
            source.path, display_path(catalog, source), source.schema, clean, source.descriptor.get("sheet")
        )
        report.extend(prepared.problems)
        if any(p.severity == "error" for p in prepared.problems):
            refused.add(source.name)
            continue
        copies[source.name] = clean
    return copies


def excel_column(number: int) -> str:
    """1 -> A, 27 -> AA: the column letter a spreadsheet shows."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def check_bytes(raw: bytes) -> None:
    if not raw.strip():
        raise Refused(
            None, None, "source-error", "the file is empty: export the table again", "ไฟล์ว่างเปล่า กรุณาส่งออกตารางอีกครั้ง"
        )
    if raw.startswith((ZIP_MAGIC, OLE_MAGIC)):
        raise Refused(
            None,
            None,
            "format-error",
            "this is an Excel workbook with a .csv name: save it as 'CSV UTF-8' or deliver the .xlsx",
            "ไฟล์นี้เป็นไฟล์ Excel ที่ตั้งชื่อเป็น .csv กรุณาบันทึกเป็น 'CSV UTF-8'",
        )
    if raw.lstrip(UTF8_BOM).lstrip()[:1] == b"<":
        raise Refused(
            1,
            None,
            "format-error",
            "this looks like a web page (HTML), not a CSV table: download the CSV itself",
            "ไฟล์นี้เป็นหน้าเว็บ (HTML) ไม่ใช่ตาราง CSV",
        )
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise Refused(
            line,
            None,
            "encoding-error",
            "the file contains NUL bytes, so it is not a UTF-8 text CSV (UTF-16?): save it as 'CSV UTF-8' in Excel",
            "ไฟล์มีอักขระ NUL จึงไม่ใช่ไฟล์ CSV แบบ UTF-8 กรุณาบันทึกเป็น 'CSV UTF-8'",
        )


def field_kind(field: dict, keys: set[str]) -> str:
    """How a cell of this field is converted on input: number, date, yearmonth, code or text.

    Codes (fields with a pattern, or key fields) get Thai digits as Arabic digits (a pattern of
    months such as 20[0-9]{2}-(0[1-9]|1[0-2]) makes a month field: is_month_pattern); free text keeps
    its Thai digits and has personal data (phone numbers, national IDs, e-mails) replaced by a
    marker (PDPA), except in fields marked `pdpa: public-contact` (an office's published number). Dates take two-digit Buddhist-era years only where the field says
    `twoDigitYear: buddhist-era`.
    """
    field_type = field.get("type", "string")
    if field_type in NUMBER_TYPES:
        return "number"
    if field_type in DATE_TYPES | YEAR_MONTH_TYPES:
        return field_type + ("-2" if field.get("twoDigitYear") == "buddhist-era" else "")
    pattern = field.get("constraints", {}).get("pattern")
    if field_type == "string" and pattern and is_month_pattern(pattern):
        return "yearmonth" + ("-2" if field.get("twoDigitYear") == "buddhist-era" else "")
    if pattern or field["name"] in keys:
        return "code"
    return "contact" if field.get("pdpa") == "public-contact" else "text"


def is_month_pattern(pattern: str) -> bool:
    """A text field whose pattern takes months as 2023-09 (and not other text) holds months: they
    are converted like a yearmonth field's (2566-09, ก.ย. 2566, 9/2566 -> 2023-09)."""
    try:
        return all(
            bool(re.fullmatch(pattern, text)) == want
            for text, want in (("2023-09", True), ("2023-13", False), ("2023-09-01", False), ("x", False))
        )
    except re.error:
        return False


def field_kinds(schema: dict) -> dict[str, str]:
    keys = set(schema.get("primaryKey") or [])
    for foreign_key in schema.get("foreignKeys", []):
        keys |= set(foreign_key["fields"])
    return {f["name"]: field_kind(f, keys) for f in schema.get("fields", [])}


def convert_cell(value: str, kind: str, counts: Counter, column: str) -> str:
    stripped = value.strip()
    if stripped != value:
        counts[f"{column}: spaces around the value removed"] += 1
    if kind == "text" and stripped:
        redactor = Redactor()
        redacted = redactor.redact(stripped)
        for what, count in redactor.counts.items():
            counts[f"{column}: {what.replace('_', ' ')} replaced by {KINDS[what]} (PDPA)"] += count
        return redacted
    if not stripped or kind in ("text", "contact"):
        return stripped
    if kind == "number":
        converted = thai.plain_number(stripped)
        if converted != stripped:
            counts[f"{column}: Thai digits or thousands separators -> plain number"] += 1
        return converted
    if kind == "code":
        converted = thai.arabic_digits(stripped)
        if converted != stripped:
            counts[f"{column}: Thai digits -> Arabic digits"] += 1
        return converted
    two_digit_years = kind.endswith("-2")
    try:
        if kind.startswith("date"):
            day = thai.parse_date(stripped, two_digit_years)
            converted = day.isoformat() if day else stripped
        else:
            year_month = thai.parse_year_month(stripped, two_digit_years)
            converted = f"{year_month[0]:04d}-{year_month[1]:02d}" if year_month else stripped
    except ValueError:
        return stripped  # a date that does not exist, or a year that is not allowed: validation reports it
    if converted != stripped:
        what = "date" if kind.startswith("date") else "month"
        counts[f"{column}: {what} written {describe_date(stripped)} -> ISO 8601"] += 1
    return converted


def describe_date(value: str) -> str:
    if any("\u0e00" <= ch <= "\u0e7f" for ch in thai.arabic_digits(value)):
        return "with a Thai month name"
    return "in the Buddhist era or day/month/year"


def read_records(text: str):
    """CSV records with their row numbers (header = 1); unclosed quotes are refused."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    row_number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise Refused(
                row_number + 1,
                None,
                "format-error",
                f"a quoted cell that starts in this row is never closed ({e}): check the quote marks",
                'มีเครื่องหมายคำพูด (") ที่เปิดแต่ไม่ปิดในแถวนี้ กรุณาตรวจสอบ',
            ) from e
        row_number += 1
        if len(record) > MAX_COLUMNS:
            raise Refused(
                row_number,
                None,
                "format-error",
                f"this row has {len(record):,} cells; at most {MAX_COLUMNS} are read: delete the empty "
                f"columns at the right of the sheet (Excel saves them as commas at the end of each line)",
                f"แถวนี้มี {len(record):,} ช่อง เกิน {MAX_COLUMNS} ช่อง กรุณาลบคอลัมน์ว่างทางขวาของแผ่นงาน",
            )
        yield row_number, record


def refuse_personal_data(row_number: int, column: str, value: str, kind: str = "code") -> None:
    """A code, link or number (published as it is: a marker would change a key, break a link or be no
    number) must hold no personal data (PDPA): count_reopen=0678901234 was published as 678901234."""
    found = find_personal_data_in_code(value)
    if found:
        what = ", ".join(dict.fromkeys(kind.replace("_", " ") for kind in found))
        holds, holds_th = ("numbers", "ตัวเลข") if kind == "number" else ("codes or links", "รหัสหรือลิงก์")
        raise Refused(
            row_number,
            column,
            "personal-data",
            f"this cell looks like it holds personal data ({what}); the column holds {holds}, "
            f"which are published as they are: remove it from the file (an office's published phone "
            f"number: mark the column `pdpa: public-contact` in its schema)",
            f"ช่องนี้ดูเหมือนมีข้อมูลส่วนบุคคล (เบอร์โทรศัพท์ เลขบัตรประชาชน หรืออีเมล) ในคอลัมน์{holds_th} "
            "ซึ่งเผยแพร่ตามที่เขียน กรุณาลบออกจากไฟล์",
        )


def write_clean(text: str, schema: dict, out: Path, prepared: Prepared, letters: bool) -> None:
    kinds = field_kinds(schema)
    public = {f["name"] for f in schema.get("fields", []) if f.get("pdpa") == "public-contact"}
    records = list(read_records(text))
    while records and not any(records[-1][1]):
        records.pop()
        prepared.conversions["trailing blank line removed"] += 1
    header = [h.strip() for h in records[0][1]] if records else []
    check_header(header, schema)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for row_number, record in records[1:]:
            for index, value in enumerate(record):
                if len(value) > MAX_CELL_CHARACTERS:
                    column = header[index] if index < len(header) else None
                    where = f" (column {excel_column(index + 1)} in Excel)" if letters else ""
                    raise Refused(
                        row_number,
                        column,
                        "constraint-error",
                        f"this cell holds {len(value):,} characters{where}; the most a cell may hold is "
                        f"{MAX_CELL_CHARACTERS:,}: check for a broken export or pasted file",
                        f"ช่องนี้มี {len(value):,} ตัวอักษร เกินกว่าที่รับได้ ({MAX_CELL_CHARACTERS:,})",
                    )
            cells = [
                convert_cell(value, kinds.get(name, "text"), prepared.conversions, name)
                for name, value in zip(header, record)
            ]
            for name, value in zip(header, cells):
                if kinds.get(name) in ("code", "number") and value and name not in public:
                    refuse_personal_data(row_number, name, value, kinds[name])
            writer.writerow(cells + record[len(header) :])


def prepare(source_path: Path, display: str, schema: dict, out: Path, sheet: str | None = None) -> Prepared:
    """Writes the clean CSV to `out`; problems name `display`, the file as the agency knows it."""
    prepared = Prepared(out)
    workbook = source_path.suffix.lower() in WORKBOOK_SUFFIXES
    try:
        try:
            size = source_path.stat().st_size
            if size > MAX_FILE_BYTES and not workbook:
                raise Refused(
                    None,
                    None,
                    "source-error",
                    f"the file is {size / (1 << 20):,.0f} MB; files of up to {MAX_FILE_BYTES >> 20} MB are "
                    f"read (a larger one needs an adapter that streams it, as the complaints have)",
                    f"ไฟล์ใหญ่เกิน {MAX_FILE_BYTES >> 20} MB",
                )
            raw = b"" if workbook else source_path.read_bytes()
        except OSError as e:
            raise Refused(None, None, "scheme-error", f"cannot read the file: {e.strerror}", "อ่านไฟล์ไม่ได้") from e
        if workbook:
            try:
                raw = workbooks.to_csv(source_path, sheet)
            except workbooks.WorkbookRefused as e:
                raise Refused(None, None, "format-error", str(e), e.message_th) from e
            prepared.conversions[f"workbook sheet {sheet or '1'} converted to CSV with in2csv"] += 1
        check_bytes(raw)
        try:
            text, prepared.encoding = decode(raw)
        except UnicodeDecodeError as e:
            raise Refused(
                raw[: e.start].count(b"\n") + 1,
                None,
                "encoding-error",
                "the file is neither UTF-8 nor Windows-874 (Thai): save it as 'CSV UTF-8' in Excel",
                "ไฟล์ไม่ได้เข้ารหัสเป็น UTF-8 หรือ Windows-874 กรุณาบันทึกเป็น 'CSV UTF-8' ใน Excel",
            ) from e
        if prepared.encoding != "UTF-8" and not workbook:
            prepared.conversions[f"file read as {prepared.encoding} and written as UTF-8"] += 1
        cleaned = thai.clean_text(text)
        if cleaned != text:
            prepared.conversions["text normalised to NFC, zero-width characters removed"] += 1
        if "\r\n" in cleaned:
            prepared.conversions["Windows line ends (CRLF) read"] += 1
        write_clean(cleaned, schema, out, prepared, workbook)
    except Refused as refused:
        prepared.problems.append(Problem(display, *refused.details))
        return prepared
    for what, count in prepared.conversions.items():
        prepared.problems.append(
            Problem(
                display, None, None, "conversion", f"{what} ({count}×)", f"แปลงข้อมูลแล้ว: {what} ({count} ครั้ง)", "info"
            )
        )
    return prepared
