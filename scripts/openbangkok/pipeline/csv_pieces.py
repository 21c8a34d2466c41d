"""A large CSV file cut into pieces that each end where a CSV record ends, so that worker
processes can parse the pieces in parallel and give exactly the records one pass would give.

A record may span lines (a quoted cell with newlines), so a piece cannot simply end at any
newline. record_end() cuts after the last newline that has an even number of double quotes before
it (a newline inside quotes has an odd number: quotes within a quoted cell are doubled). A stray
quote in an unquoted cell would fool that count, so piece_records() checks each piece: a line
appended after it must come back as a record of its own, which it does not when the piece ends
inside a quoted cell (Misaligned: the caller reads the file in one pass instead).

Text is decoded as Python's universal-newlines mode reads a file (\r\n and \r become \n) and NUL
characters are dropped, as the one-pass reader does; line numbers count from the piece's start.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

# A worker keeps the memory it frees for the next piece (freed_memory), so it holds its largest
# heap throughout: smaller pieces, less memory, in the same time (benchmarks/README.md).
PIECE_BYTES = 2 << 20
MAX_PIECE_BYTES = 256 << 20  # no record end for this long: give up cutting
SENTINEL = "\x1eopenbangkok-end-of-piece\x1e"


class Misaligned(Exception):
    """A piece of the file did not end where a CSV record ends: read the file in one pass."""


class NotUtf8(Exception):
    """A piece of the file is not UTF-8: the file is read again as Windows-874."""


def iter_records(lines):
    """(cells, line, error) of the CSV records of `lines` (a text file, or io.StringIO), one at a
    time; lines counted from 1; a record csv cannot read is ([], line, error) and reading goes on."""
    reader = csv.reader(lines)
    while True:
        try:
            for cells in reader:
                yield cells, reader.line_num, None
            return
        except csv.Error as e:
            yield [], reader.line_num, str(e)


def text_records(text: str) -> list[tuple[list[str], int, str | None]]:
    """iter_records() of CSV text whose line ends are \n, as a list."""
    return list(iter_records(io.StringIO(text)))


def piece_text(data: bytes, encoding: str, first: bool) -> str:
    """Decoded as a text file in Python's universal-newlines mode reads it, NUL characters dropped;
    `first`: the piece at the start of the file (a UTF-8 byte order mark is dropped)."""
    if encoding == "utf-8":
        try:
            text = data.decode("utf-8-sig" if first else "utf-8")
        except UnicodeDecodeError as e:
            raise NotUtf8(str(e)) from e
    else:
        text = data.decode(encoding, errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def piece_records(data: bytes, encoding: str, first: bool, skip: int):
    """The records of one piece, checked to end where a record ends: a line after the piece must
    come back as a record of its own (it does not when the piece ends inside a quoted cell)."""
    text = piece_text(data, encoding, first)
    if text and not text.endswith("\n"):
        text += "\n"
    lines = text.count("\n")
    records = text_records(text + SENTINEL + "\n")
    if not records or records[-1] != ([SENTINEL], lines + 1, None):
        raise Misaligned(f"a piece of {len(data)} bytes does not end at the end of a record")
    return records[skip:-1], lines


def record_end(data: bytes) -> int:
    """Length of the longest start of `data` that ends with a newline outside quotes, 0 if none.

    Starting at the beginning of a record, a newline ends a record when the number of double quotes
    before it is even (quotes inside a quoted cell are doubled). piece_records() checks the result,
    so a file with stray quotes is read in one pass instead of being misread.
    """
    quotes = data.count(b'"')
    end = len(data)
    while True:
        newline = data.rfind(b"\n", 0, end)
        if newline < 0:
            return 0
        quotes -= data.count(b'"', newline + 1, end)
        if quotes % 2 == 0:
            return newline + 1
        end = newline


def file_pieces(path: Path, size: int = PIECE_BYTES):
    """(offset, bytes) pieces of the file of about `size` bytes, each ending where a record ends
    (record_end)."""
    with open(path, "rb") as f:
        offset, rest = 0, b""
        while True:
            block = f.read(size)
            data = rest + block if rest else block
            if not block:
                if data:
                    yield offset, data
                return
            cut = record_end(data)
            if not cut:
                if len(data) > MAX_PIECE_BYTES:
                    raise Misaligned(f"no record end in {len(data)} bytes")
                rest = data
                continue
            yield offset, data[:cut]
            offset += cut
            rest = data[cut:]
