"""Excel workbooks (.xlsx, .xls) as CSV, by csvkit's in2csv, within bounds.

A workbook is a zip of XML (.xlsx) or a binary file (.xls) that in2csv reads whole: a small
workbook can unpack to gigabytes, or keep in2csv busy for minutes. So a
workbook is refused before it is opened when it is larger than WORKBOOK_BYTES or unpacks to more
than UNPACKED_BYTES, and in2csv runs in a process of its own with at most MEMORY_BYTES of memory
and SECONDS of time; each refusal says what to do instead (save the sheet as CSV UTF-8, which has
no such limits but the CSV's own).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

WORKBOOK_BYTES = 20 << 20
UNPACKED_BYTES = 100 << 20
MEMORY_BYTES = 1 << 30
SECONDS = 60
SAVE_AS_CSV = "save the sheet as 'CSV UTF-8' in Excel and deliver that instead"
SAVE_AS_CSV_TH = "กรุณาบันทึกแผ่นงานเป็น 'CSV UTF-8' แล้วส่งไฟล์นั้นแทน"


class WorkbookRefused(Exception):
    """The workbook is not converted; the message says why and what to do, in English and Thai."""

    def __init__(self, message: str, message_th: str):
        super().__init__(message)
        self.message_th = message_th


def check_size(path: Path) -> None:
    """Refuses a workbook too large to convert, from its size and, for .xlsx, its zip directory."""
    size = path.stat().st_size
    if size > WORKBOOK_BYTES:
        raise WorkbookRefused(
            f"the workbook is {size / (1 << 20):.1f} MB; workbooks of up to "
            f"{WORKBOOK_BYTES >> 20} MB are converted: {SAVE_AS_CSV}",
            f"ไฟล์ Excel ใหญ่เกิน {WORKBOOK_BYTES >> 20} MB {SAVE_AS_CSV_TH}",
        )
    if path.suffix.lower() != ".xlsx":
        return
    try:
        with zipfile.ZipFile(path) as workbook:
            unpacked = sum(member.file_size for member in workbook.infolist())
    except (zipfile.BadZipFile, OSError) as e:
        raise WorkbookRefused(
            f"this is not a readable .xlsx workbook ({e}): {SAVE_AS_CSV}", f"เปิดไฟล์ Excel ไม่ได้ {SAVE_AS_CSV_TH}"
        ) from e
    if unpacked > UNPACKED_BYTES:
        raise WorkbookRefused(
            f"the workbook unpacks to {unpacked / (1 << 20):,.0f} MB of sheets; at most "
            f"{UNPACKED_BYTES >> 20} MB are converted (empty rows or columns formatted to the "
            f"end of the sheet make it so): {SAVE_AS_CSV}",
            f"ไฟล์ Excel มีข้อมูลเมื่อคลายออกเกิน {UNPACKED_BYTES >> 20} MB {SAVE_AS_CSV_TH}",
        )


# The child bounds its own memory, then becomes in2csv (a preexec_fn is unsafe in a process with threads).
BOUNDED = (
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({0}, {0})); os.execv(sys.argv[1], sys.argv[1:])"
)


def to_csv(path: Path, sheet: str | None) -> bytes:
    """csvkit's in2csv: the agency's workbook (one sheet) -> CSV bytes."""
    check_size(path)
    in2csv = Path(sys.executable).with_name("in2csv")
    command = [
        sys.executable,
        "-c",
        BOUNDED.format(MEMORY_BYTES),
        str(in2csv) if in2csv.exists() else shutil.which("in2csv") or "in2csv",
        "--no-inference",
    ]
    if sheet:
        command += ["--sheet", sheet]
    try:
        result = subprocess.run([*command, str(path)], capture_output=True, check=False, timeout=SECONDS)
    except subprocess.TimeoutExpired as e:
        raise WorkbookRefused(
            f"converting the workbook took more than {SECONDS} s: {SAVE_AS_CSV}",
            f"แปลงไฟล์ Excel นานเกิน {SECONDS} วินาที {SAVE_AS_CSV_TH}",
        ) from e
    if result.returncode != 0:
        errors = result.stderr.decode("utf-8", "replace")
        if "MemoryError" in errors:
            raise WorkbookRefused(
                f"converting the workbook needs more than {MEMORY_BYTES >> 20} MB of memory: {SAVE_AS_CSV}",
                f"ไฟล์ Excel ใหญ่เกินกว่าจะแปลงได้ {SAVE_AS_CSV_TH}",
            )
        last = errors.strip().splitlines()[-1:] or ["in2csv failed"]
        raise WorkbookRefused(
            f"cannot read the workbook: {last[0][:200]}", "เปิดไฟล์ Excel ไม่ได้ กรุณาตรวจสอบไฟล์และชื่อแผ่นงาน"
        )
    return result.stdout
