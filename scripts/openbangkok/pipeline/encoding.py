"""Which encoding an agency's file is in: the project's one rule, for files read whole (read.py)
and for large files read as a stream (the Traffy adapters).

UTF-8 (a byte order mark dropped) when every byte decodes as UTF-8; else Windows-874 (TIS-620), the
other encoding Thai files come in. A file that is UTF-8 but for some lines (more Thai letters in
UTF-8 than bytes that are not: rows from two exports pasted together) is refused, not read as
Windows-874 from end to end, which would publish every Thai text garbled.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from openbangkok.model.problems import Problem, Refused, Report

UTF8_BOM = b"\xef\xbb\xbf"
BLOCK = 1 << 20
# A Thai letter in UTF-8 (three bytes); in a Windows-874 file these bytes are a rare spelling.
THAI_IN_UTF8 = re.compile(rb"\xe0[\xb8\xb9][\x80-\xbf]")


def blocks(path: Path):
    """The bytes of a file, a block at a time."""
    with open(path, "rb") as f:
        yield from iter(lambda: f.read(BLOCK), b"")


def utf8_except_at(blocks) -> int | None:
    """The line of the first byte that is not UTF-8 in a file that is otherwise UTF-8 (see the
    module's text); None for a file in one encoding. `blocks`: the file's bytes, in order."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    lines = thai_letters = bad = 0
    first = None
    for block in [*blocks, None]:
        text = decoder.decode(block or b"", final=block is None)
        here = text.count("\ufffd")
        if here and first is None:
            first = lines + text[: text.index("\ufffd")].count("\n") + 1
        bad += here
        lines += text.count("\n")
        thai_letters += len(THAI_IN_UTF8.findall(block or b""))
    return first if bad and thai_letters > bad else None


def refuse_mixed_encoding(line: int) -> Refused:
    return Refused(
        line,
        None,
        "encoding-error",
        f"the file is UTF-8 except in line {line}, which was saved in another encoding (Windows-874?): "
        f"the rows may come from two exports; save the whole file again as 'CSV UTF-8'",
        f"ไฟล์เป็น UTF-8 ยกเว้นบรรทัดที่ {line} ซึ่งบันทึกด้วยการเข้ารหัสอื่น กรุณาบันทึกทั้งไฟล์ใหม่เป็น 'CSV UTF-8'",
    )


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding name) of a file read whole. Raises UnicodeDecodeError when neither UTF-8 nor
    Windows-874 fits, Refused when the file is UTF-8 but for some lines (utf8_except_at)."""
    bom = raw.startswith(UTF8_BOM)
    try:
        return (raw[len(UTF8_BOM) :].decode("utf-8"), "UTF-8 with BOM") if bom else (raw.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError:
        if bom:
            raise
        line = utf8_except_at([raw])
        if line is not None:
            raise refuse_mixed_encoding(line) from None
        return raw.decode("cp874"), "Windows-874 (TIS-620)"


def scan(path: Path) -> tuple[str, int]:
    """(encoding as Python names it, number of lines) of a large file in one streamed pass, by the
    rule decode() applies to a file read whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, utf8 = 0, True
    for block in blocks(path):
        lines += block.count(b"\n")
        if utf8:
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return ("utf-8-sig" if utf8 else "cp874"), lines


def mixed_encoding(display: str, path: Path, report: Report) -> bool:
    """Reports (and says) whether a file that is not UTF-8 is UTF-8 but for some lines."""
    line = utf8_except_at(blocks(path))
    if line is None:
        return False
    report.add(Problem(display, *refuse_mixed_encoding(line).details))
    return True


def decode_reported(display: str, data: bytes, report: Report) -> tuple[str | None, str]:
    """decode() of a whole small file; (None, "") with the problem reported when it is in no
    encoding the rule reads."""
    try:
        return decode(data)
    except Refused as refused:
        report.add(Problem(display, *refused.details))
    except UnicodeDecodeError as e:
        report.add(
            Problem(
                display,
                None,
                None,
                "encoding-error",
                f"the file is neither UTF-8 nor Windows-874 ({e.reason} at byte {e.start})",
                "ไฟล์ไม่ได้เข้ารหัส UTF-8 หรือ Windows-874",
            )
        )
    return None, ""
