"""Traffy Fondue's public dump (bangkok_traffy.csv): one CSV row per ticket.

The columns are ticket_id, type, organization, comment, photo, photo_after, coords, address,
subdistrict, district, province, timestamp, state, star, count_reopen, last_activity, matched by
name (in any order; a `status` column is read too when there is one). The file is streamed (a
real dump is about a gigabyte), UTF-8 (with or without BOM) or Windows-874. A row with the wrong
number of cells, or one csv cannot read, is rejected with its reason; a ticket_id already seen is a
duplicate submission: the first row is published, the later ones rejected.

Speed (benchmarks/build.py; a million rows): a large file is cut into pieces of a few megabytes
that end where a CSV record ends (openbangkok.pipeline.csv_pieces), and worker processes (one per core)
parse, check and redact the pieces while this process adds them to the staging database, in file
order. Each worker hands its piece back as a small SQLite database, which SQLite copies in without
Python touching a row. Small files (tests) are read in this process, through the same code.
"""

from __future__ import annotations

import csv
import gc
import io
import operator
import os
import sys
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor

import sqlite_utils

from openbangkok.adapters.traffy import publishing
from openbangkok.adapters.traffy.columns import RAW_FIELDS
from openbangkok.adapters.traffy.digests import Known, known_digests, rules_digest
from openbangkok.adapters.traffy.normalise import Normaliser
from openbangkok.adapters.traffy.publishing import prepare_staging, search_index, staged_for_publishing
from openbangkok.adapters.traffy.report import conclude
from openbangkok.adapters.traffy.staging import Piece, Stager, make_piece, source_label
from openbangkok.model.catalog import Catalog, Source, display_path
from openbangkok.model.problems import Problem, Refused
from openbangkok.pipeline import csv_pieces, csv_rules
from openbangkok.pipeline.encoding import mixed_encoding, scan
from openbangkok.pipeline.freed_memory import keep_freed_memory
from openbangkok.pipeline.processes import checkpoint, die_with_parent, process_context
from openbangkok.pipeline.stage import Staged

COLUMNS = RAW_FIELDS
BATCH = 5000  # rows per piece when the file is read in this process
PIECE_BYTES = csv_pieces.PIECE_BYTES
PARALLEL_MIN_BYTES = 32 << 20  # smaller files are read in this process
PIECES_AHEAD = 2  # pieces in flight per worker
WORKERS_ENV = "OPENBANGKOK_BUILD_WORKERS"  # 0: read in this process; default: worker_count()
publish = publishing.publish  # the Adapter protocol: staged as published
update, kept_tables = publishing.update, publishing.kept_tables  # updated in place (pipeline.in_place)


class DumpRows:
    """The dump's rows as the Stager sees them (staging.RecordFormat): raw(cells) and status(cells)
    pick the cells by the header's names."""

    def __init__(self, source: Source, header: list[str]):
        self.source = source
        self.header = header
        self.raw = operator.itemgetter(*(header.index(name) for name in COLUMNS))
        # a dump with a `status` column (the API's workflow status) has it read; None: none to read
        self.status = operator.itemgetter(header.index("status")) if "status" in header else None
        self.width = len(header)

    def normaliser(self) -> Normaliser:
        return Normaliser(self.source.descriptor.get("illustrative", False), source_label(self.source))

    def raw_text(self, cells) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        return out.getvalue()

    def entries(self, records):
        """(cells, line, refusal) of the data records: an empty line is no row."""
        width = self.width
        for cells, line, error in records:
            if error:
                yield cells, line, (f"unparseable row: {error}", "อ่านแถวไม่ได้", None)
            elif not cells:
                continue
            elif len(cells) != width:
                yield (
                    cells,
                    line,
                    (
                        f"unparseable row: {len(cells)} cells where the header has {width}",
                        f"อ่านแถวไม่ได้: มี {len(cells)} ช่อง แต่หัวตารางมี {width} ช่อง",
                        None,
                    ),
                )
            elif max(map(len, cells)) > csv_rules.MAX_CELL_CHARACTERS:
                longest = max(range(width), key=lambda k: len(cells[k]))
                yield (
                    cells,
                    line,
                    (
                        f"a cell ({self.header[longest]}) holds {len(cells[longest]):,} characters; "
                        f"at most {csv_rules.MAX_CELL_CHARACTERS:,}",
                        f"ช่อง {self.header[longest]} ยาวเกินกว่าที่รับได้",
                        None,
                    ),
                )
            else:
                yield cells, line, None


def records(path, encoding: str = "utf-8-sig"):
    """(cells, physical line, error) per CSV record; quoted newlines stay inside their cell (as
    \n, whatever the file's line ends)."""
    with open(path, encoding=encoding, errors="replace", newline=None) as f:
        yield from csv_pieces.iter_records(line.replace("\x00", "") if "\x00" in line else line for line in f)


def rows_of(records, wanted: set[int]) -> dict[int, tuple[list[str], int]]:
    """{local row: (cells, line)} of the wanted rows, numbered as make_piece() numbers them."""
    found, number = {}, 0
    for cells, line, error in records:
        if not cells and not error:
            continue
        number += 1
        if number in wanted:
            found[number] = (cells, line)
            if len(found) == len(wanted):
                break
    return found


_worker: tuple[DumpRows, Normaliser, bytes, Known | None] | None = None


def _start_worker(source: Source, header: list[str], rules: bytes, known: Known | None) -> None:
    global _worker
    die_with_parent()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    # A worker makes millions of lists and tuples and no reference cycles: the cyclic garbage
    # collector would only walk them (it doubled the time of reading records).
    gc.disable()
    keep_freed_memory()  # each piece allocates and frees the same few megabytes
    rows = DumpRows(source, header)
    _worker = (rows, rows.normaliser(), rules, known)


def _parse_piece(data: bytes, encoding: str, first: bool) -> tuple[Piece, int]:
    records, lines = csv_pieces.piece_records(data, encoding, first, skip=1 if first else 0)
    rows, normaliser, rules, known = _worker
    return make_piece(normaliser, rows, rows.entries(records), rows.source.path.name, rules, known), lines


def worker_count(size: int) -> int:
    configured = os.environ.get(WORKERS_ENV)
    if configured is not None:
        return int(configured)
    # one per core: this process (adding pieces) and the search index's (niced) take what the
    # workers leave (what that is worth: benchmarks/README.md, results/build.md)
    return 0 if size < PARALLEL_MIN_BYTES else max(1, min(os.cpu_count() or 1, 8))


def stage_in_process(source: Source, stager: Stager, encoding: str, progress, digests: tuple) -> None:
    """The file read in one pass, in pieces of BATCH rows (small files, or the fallback)."""
    collecting = gc.isenabled()
    gc.disable()  # as in a worker (_start_worker)
    try:
        stream = records(source.path, encoding)
        next(stream)  # the header
        rows = stager.fmt
        normaliser = rows.normaliser()
        batch: list = []
        for record in stream:
            batch.append(record)
            if len(batch) >= BATCH:
                add_batch(stager, rows, normaliser, batch, digests)
                batch = []
                progress(record[1])
        add_batch(stager, rows, normaliser, batch, digests)
    finally:
        if collecting:
            gc.enable()


def add_batch(stager: Stager, rows: DumpRows, normaliser: Normaliser, batch: list, digests: tuple) -> None:
    """digests: (the rules' digest, digests.Known or None)."""
    piece = make_piece(normaliser, rows, rows.entries(batch), rows.source.path.name, *digests)
    stager.add(piece, None, lambda wanted: rows_of(batch, wanted))


def stage_in_parallel(source: Source, stager: Stager, workers: int, encoding: str, progress, digests: tuple) -> None:
    """The file cut into pieces that worker processes parse while this process adds them."""
    context = process_context()
    pending: deque = deque()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(source, stager.fmt.header, *digests)
    ) as pool:
        try:
            for offset, data in csv_pieces.file_pieces(source.path, PIECE_BYTES):
                first = offset == 0
                pending.append((offset, data, first, pool.submit(_parse_piece, data, encoding, first)))
                if len(pending) >= workers * PIECES_AHEAD:
                    add_piece(stager, pending.popleft(), encoding, progress)
            while pending:
                add_piece(stager, pending.popleft(), encoding, progress)
        except BaseException:
            for *_, future in pending:
                future.cancel()
            raise


def add_piece(stager: Stager, item, encoding: str, progress) -> None:
    offset, data, first, future = item
    piece, lines = future.result()

    def cells_of(wanted):  # read again as far as needed (the worker checked the piece)
        records = csv_pieces.iter_records(io.StringIO(csv_pieces.piece_text(data, encoding, first)))
        if first:
            next(records)  # the header
        return rows_of(records, wanted)

    stager.add(piece, lines, cells_of)
    progress(offset + len(data))
    checkpoint("piece staged by a worker")


def read_header(display: str, source: Source, encoding: str, staged: Staged) -> list[str] | None:
    """The header's names, checked; None (with the problem reported) when the file cannot be read."""
    header = next(records(source.path, "utf-8-sig" if encoding == "utf-8" else encoding), (None, 0, None))[0]
    if header is None:
        staged.report.add(Problem.of_file(display, "the file is empty", "ไฟล์ว่างเปล่า"))
        return None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if len(header) > csv_rules.MAX_COLUMNS:  # 10,000 columns: as many warnings, and a build_files row of megabytes
        staged.report.add(
            Problem(
                display,
                1,
                None,
                "format-error",
                f"the header has {len(header):,} columns; at most {csv_rules.MAX_COLUMNS} are read: delete the empty "
                f"columns at the right of the sheet (Excel saves them as commas at the end of each line)",
                f"หัวตารางมี {len(header):,} คอลัมน์ เกิน {csv_rules.MAX_COLUMNS} คอลัมน์ กรุณาลบคอลัมน์ว่างทางขวาของแผ่นงาน",
            )
        )
        return None
    try:  # a file saved with semicolons or tabs, as plain files are told
        csv_rules.check_header(header, {"fields": [{"name": column} for column in COLUMNS]})
    except Refused as refused:
        staged.report.add(Problem(display, *refused.details))
        return None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        staged.report.add(
            Problem(
                display,
                1,
                missing[0],
                "missing-label",
                f"the header lacks the Traffy Fondue column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}",
                f"หัวตารางไม่มีคอลัมน์ {', '.join(missing)} ของไฟล์ Traffy Fondue",
            )
        )
        return None
    blank = [number for number, h in enumerate(header, 1) if not h]
    if blank:
        staged.report.add(
            Problem(
                display,
                1,
                None,
                "blank-label",
                f"the header has an empty column name (column {blank[0]}): remove the comma at the end of the "
                f"header line, or name the column; every row must have as many cells as the header",
                f"หัวตารางมีคอลัมน์ที่ไม่มีชื่อ (คอลัมน์ที่ {blank[0]}): ลบเครื่องหมายจุลภาคท้ายบรรทัดหัวตาราง หรือตั้งชื่อคอลัมน์",
            )
        )
        return None
    for extra in (h for h in header if h not in (*RAW_FIELDS, "status")):
        staged.report.add(
            Problem(
                display,
                1,
                extra,
                "extra-label",
                f'the column "{extra}" is not part of the dump format and is ignored',
                f'คอลัมน์ "{extra}" ไม่อยู่ในรูปแบบไฟล์ จึงไม่นำเข้า',
                "warning",
            )
        )
    return header


def stage(catalog: Catalog, source: Source, db: sqlite_utils.Database, staged: Staged) -> None:
    display = display_path(catalog, source)
    started = time.perf_counter()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    size = source.path.stat().st_size
    workers = worker_count(size)
    encoding, total_lines = scan(source.path) if not workers else ("utf-8", None)
    conversion_at = len(staged.report.problems)
    if encoding == "cp874" and mixed_encoding(display, source.path, staged.report):
        return
    header = read_header(display, source, encoding, staged)  # the names are ASCII
    if header is None:
        return

    def progress(done: int, total: int = size) -> None:
        staged.progress(source.name, done, total)

    prepare_staging(db, staged)
    rows = DumpRows(source, header)
    digests = (rules_digest(source, __file__, source_label(source)), known_digests(source, staged))
    while True:
        index = search_index(source, staged)
        stager = Stager(db, source, rows, index)
        try:
            if workers:
                stage_in_parallel(source, stager, workers, encoding, progress, digests)
                progress(size)
            else:
                stage_in_process(
                    source, stager, encoding, lambda line, lines=total_lines: progress(line, lines), digests
                )
                progress(total_lines, total_lines)
            break
        except csv_pieces.NotUtf8:
            encoding = "cp874"  # every byte must be UTF-8 for the file to be read as UTF-8
            if mixed_encoding(display, source.path, staged.report):
                if index is not None:
                    index.wait()
                return
        except csv_pieces.Misaligned:
            workers = 0
            encoding, total_lines = scan(source.path)
        except BaseException:
            if index is not None:
                index.wait()
            raise
        if index is not None:
            index.wait()  # read again from the start: a new index
    stager.finish()
    staged_for_publishing(source, staged)  # where the build reads the rows' profile
    if index is not None:
        index.finish_input()
        staged.deferred.append(index)
    if encoding == "cp874":
        staged.report.problems.insert(
            conversion_at,
            Problem(
                display,
                None,
                None,
                "conversion",
                "Windows-874 (TIS-620) read as UTF-8",
                "แปลงรหัสอักขระ Windows-874 เป็น UTF-8",
                "info",
            ),
        )
    conclude(display, source, staged, stager, started)
