"""Which encoding a Traffy Fondue file is in, by the project's one rule (prepare.decode): UTF-8 (a
byte order mark dropped) when every byte decodes as UTF-8, else Windows-874 (TIS-620), the other
encoding Thai files come in; a file that is UTF-8 but for some lines is refused, not read as
Windows-874 from end to end (which would publish every Thai text garbled)."""

from __future__ import annotations

import codecs
from pathlib import Path

from openbangkok import prepare
from openbangkok.model.problems import Problem
from openbangkok.validate import Staged


def scan(path: Path) -> tuple[str, int]:
    """(encoding, number of lines) of a large file in one streamed pass, by prepare.decode's rule."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, utf8 = 0, True
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
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


def mixed_encoding(display: str, path: Path, staged: Staged) -> bool:
    """Reports (and says) whether a file that is not UTF-8 is UTF-8 but for some lines."""
    with open(path, "rb") as f:
        line = prepare.utf8_except_at(iter(lambda: f.read(1 << 20), b""))
    if line is None:
        return False
    staged.report.add(Problem(display, *prepare.refuse_mixed_encoding(line).details))
    return True


def decode(display: str, data: bytes, staged: Staged) -> tuple[str | None, str]:
    """(text, encoding name) of a whole small file; (None, "") with the problem reported when it is
    in no encoding the rule reads."""
    try:
        return prepare.decode(data)
    except prepare.Refused as refused:
        staged.report.add(Problem(display, *refused.details))
    except UnicodeDecodeError as e:
        staged.report.add(Problem(display, None, None, "encoding-error",
                                  f"the file is neither UTF-8 nor Windows-874 ({e.reason} at byte {e.start})",
                                  "ไฟล์ไม่ได้เข้ารหัส UTF-8 หรือ Windows-874"))
    return None, ""
