"""Agency files as delivered -> clean UTF-8 CSV, converted once on input.

Accepted: UTF-8 with or without BOM, Windows-874 / TIS-620 (detected), CRLF or LF, Thai digits and
thousands separators in number fields, Buddhist-era and Thai-month dates in date fields, text in NFC
without zero-width characters. Workbooks (.xlsx, .xls) are converted with csvkit's in2csv. What was
converted is reported as information; the row and column structure is kept, so row numbers stay
those of the agency's file.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import thai
from .problems import Problem

csv.field_size_limit(sys.maxsize)

UTF8_BOM = b"\xef\xbb\xbf"
WORKBOOK_SUFFIXES = {".xlsx", ".xls"}
NUMBER_TYPES = {"integer", "number", "year"}
DATE_TYPES = {"date"}


@dataclass
class Prepared:
    path: Path                       # clean UTF-8 CSV
    encoding: str
    conversions: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding name). Raises UnicodeDecodeError when neither UTF-8 nor Windows-874 fits."""
    if raw.startswith(UTF8_BOM):
        return raw[len(UTF8_BOM):].decode("utf-8"), "UTF-8 with BOM"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return raw.decode("cp874"), "Windows-874 (TIS-620)"


def workbook_to_csv(path: Path, sheet: str | None) -> bytes:
    """csvkit's in2csv, as the agency's workbook -> CSV bytes."""
    in2csv = Path(sys.executable).with_name("in2csv")
    command = [str(in2csv) if in2csv.exists() else "in2csv", "--no-inference"]
    if sheet:
        command += ["--sheet", sheet]
    result = subprocess.run([*command, str(path)], capture_output=True, check=False)
    if result.returncode != 0:
        raise ValueError(result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["in2csv failed"])
    return result.stdout


def convert_cell(value: str, field_type: str, counts: Counter, column: str) -> str:
    if not value:
        return value
    if field_type in NUMBER_TYPES:
        converted = thai.plain_number(value)
        if converted != value.strip():
            counts[f"{column}: Thai digits or thousands separators -> plain number"] += 1
        return converted
    if field_type in DATE_TYPES:
        try:
            day = thai.parse_date(value)
        except ValueError:
            return value  # a date that does not exist: validation reports it
        if day is not None and day.isoformat() != value:
            counts[f"{column}: date written {describe_date(value)} -> ISO 8601"] += 1
            return day.isoformat()
    return value


def describe_date(value: str) -> str:
    text = thai.arabic_digits(value)
    if any("\u0e00" <= ch <= "\u0e7f" for ch in text):
        return "with a Thai month name"
    return "in the Buddhist era or day/month/year"


def prepare(source_path: Path, display: str, schema: dict, out: Path, sheet: str | None = None) -> Prepared:
    """Writes the clean CSV to `out`; problems name `display`, the file as the agency knows it."""
    try:
        raw = source_path.read_bytes()
    except OSError as e:
        return Prepared(out, "", problems=[Problem(display, None, None, "scheme-error",
                                                   f"cannot read the file: {e.strerror}",
                                                   "อ่านไฟล์ไม่ได้")])
    if source_path.suffix.lower() in WORKBOOK_SUFFIXES:
        try:
            raw = workbook_to_csv(source_path, sheet)
        except ValueError as e:
            return Prepared(out, "", problems=[Problem(display, None, None, "format-error",
                                                       f"cannot read the workbook: {e}",
                                                       "เปิดไฟล์ Excel ไม่ได้")])
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        return Prepared(out, "", problems=[Problem(
            display, line, None, "encoding-error",
            "the file contains a NUL byte, so it is not a text CSV: export it again as CSV UTF-8",
            "ไฟล์มีอักขระ NUL จึงไม่ใช่ไฟล์ CSV แบบข้อความ กรุณาบันทึกใหม่เป็น CSV UTF-8")])
    try:
        text, encoding = decode(raw)
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return Prepared(out, "", problems=[Problem(
            display, line, None, "encoding-error",
            "the file is neither UTF-8 nor Windows-874 (Thai): save it as 'CSV UTF-8' in Excel",
            "ไฟล์ไม่ได้เข้ารหัสเป็น UTF-8 หรือ Windows-874 กรุณาบันทึกเป็น 'CSV UTF-8' ใน Excel")])
    prepared = Prepared(out, encoding)
    if encoding != "UTF-8":
        prepared.conversions[f"file read as {encoding} and written as UTF-8"] += 1
    cleaned = thai.clean_text(text)
    if cleaned != text:
        prepared.conversions["text normalised to NFC, zero-width characters removed"] += 1
    types = {f["name"]: f.get("type", "string") for f in schema.get("fields", [])}
    reader = csv.reader(io.StringIO(cleaned, newline=""))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        header = None
        for row in reader:
            if header is None:
                header = [h.strip() for h in row]
                writer.writerow(header)
                continue
            writer.writerow([
                convert_cell(value, types.get(name, "string"), prepared.conversions, name)
                for name, value in zip(header, row)
            ] + row[len(header):])
    for what, count in prepared.conversions.items():
        prepared.problems.append(Problem(display, None, None, "conversion", f"{what} ({count}×)",
                                         f"แปลงข้อมูลแล้ว: {what} ({count} ครั้ง)", "info"))
    return prepared
