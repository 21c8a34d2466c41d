"""Traffy Fondue's public API, read as a folder of the pages it answered.

`GET https://publicapi.traffy.in.th/share/teamchadchart/search?offset=N` answers a page of 1,000
tickets, newest first: {"status": true, "total": ..., "results": [...]}. A record has message_id,
type (comma-joined names, often empty), type_id, org, comment, ticket_id, coords (["lon", "lat"],
strings), photo, after_photo, address, district, subdistrict, province, timestamp (UTC),
problem_type_abdul (the types as a set literal), status (report / inprogress / finish), star,
count_reopen and state (Thai); there is no last_activity. Each page is a file of the folder, named
by its offset (search_offset_950.json, as `openbkk fetch traffy` writes them): JSON indented or
compact, Thai as \\u escapes or not, plain or gzipped (.json.gz).

Which copy is published. Offsets step by 950, so consecutive pages overlap by 50 records, and the
listing shifts while pages are fetched (new tickets push older ones down): the same ticket is on
two pages. A ticket is published once, from its copy on the page fetched last: pages are fetched
in ascending offset, so the page with the greatest offset (and, within one page, the later
record) holds the newer snapshot of the ticket. Every other copy is in complaints_rejected, with
the page and record of the copy published. The pages are read twice, one at a time: once for the
ticket ids, to know which copy is the last, and once to stage the records.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import zlib
from pathlib import Path

import sqlite_utils

from openbangkok.adapters.traffy import publishing
from openbangkok.adapters.traffy.digests import known_digests, rules_digest
from openbangkok.adapters.traffy.normalise import Normaliser
from openbangkok.adapters.traffy.publishing import prepare_staging, search_index, staged_for_publishing
from openbangkok.adapters.traffy.report import conclude
from openbangkok.adapters.traffy.staging import Stager, make_piece, source_label
from openbangkok.model.catalog import Catalog, Source, display_path
from openbangkok.model.problems import Problem
from openbangkok.pipeline.encoding import decode_reported
from openbangkok.pipeline.stage import Staged

PAGE_NAME = re.compile(r"(\d+)\.json(\.gz)?$", re.IGNORECASE)
publish = publishing.publish  # the Adapter protocol: staged as published
update, kept_tables = publishing.update, publishing.kept_tables  # updated in place (pipeline.in_place)


class PageError(Exception):
    """A page that cannot be read; its message (English, Thai) says what to do."""


class ApiRecords:
    """The API's records as the Stager sees them (staging.RecordFormat)."""

    def __init__(self, source: Source):
        self.source = source

    def normaliser(self) -> Normaliser:
        return Normaliser(self.source.descriptor.get("illustrative", False), source_label(self.source))

    def raw(self, record: dict) -> tuple:
        get = record.get
        types = text(get("problem_type_abdul")) or text(get("type"))  # `type` is often empty
        org = text(get("org"))
        coords = get("coords")
        if isinstance(coords, list):
            coords = ",".join(text(part) for part in coords) if any(text(p) for p in coords) else ""
        return (
            text(get("ticket_id")),
            types,
            '{"' + org.replace('"', '""') + '"}' if org else "",
            text(get("comment")),
            text(get("photo")),
            text(get("after_photo") or get("photo_after")),
            text(coords),
            text(get("address")),
            text(get("subdistrict")),
            text(get("district")),
            text(get("province")),
            text(get("timestamp")),
            text(get("state")),
            text(get("star")),
            text(get("count_reopen")),
            text(get("last_activity")),
        )

    def status(self, record: dict) -> str:
        return text(record.get("status"))

    def raw_text(self, record) -> str:
        return json.dumps(record, ensure_ascii=False)


def text(value) -> str:
    """A record's value as the text the normalisation reads ("" for null)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def pages_of(folder: Path) -> tuple[list[tuple[int, Path]], list[Path]]:
    """([(offset, page)] in ascending offset, [files of the folder that are no page])."""
    pages, others = [], []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        match = PAGE_NAME.search(path.name)
        (pages.append((int(match.group(1)), path)) if match else others.append(path))
    return sorted(pages), others


def read_page(path: Path, display: str, staged: Staged) -> dict:
    """The page's JSON answer, checked to be one; raises PageError."""
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise PageError(
                f"the file is not gzip ({e}): save the page again, or remove it", "ไฟล์ไม่ใช่ gzip กรุณาบันทึกหน้าใหม่หรือนำออก"
            ) from e
    page_text, _ = decode_reported(display, data, staged.report)
    if page_text is None:
        raise PageError("", "")  # decode_reported() reported it
    try:
        page = json.loads(page_text)
    except ValueError as e:
        raise PageError(
            f"the page is not JSON ({e}): it was not saved whole; fetch it again (openbkk fetch traffy) or remove it",
            "หน้านี้ไม่ใช่ JSON (บันทึกไม่ครบ) กรุณาดึงข้อมูลใหม่หรือนำไฟล์ออก",
        ) from e
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise PageError(
            'the page is not an answer of the search API: it has no "results" list of tickets',
            'ไฟล์นี้ไม่ใช่คำตอบของ API (ไม่มีรายการ "results")',
        )
    if page.get("status") is False:
        raise PageError(
            'the API answered this page with "status": false (an error): fetch it again',
            'API ตอบหน้านี้ว่าผิดพลาด ("status": false) กรุณาดึงข้อมูลใหม่',
        )
    return page


def read_pages(pages, display: str, staged: Staged):
    """(page number, offset, path, answer) of each page in turn, one in memory at a time; None after
    the last when a page could not be read (each such page reported as an error)."""
    failed = False
    for number, (offset, path) in enumerate(pages):
        shown = f"{display}/{path.name}"
        try:
            yield number, offset, path, read_page(path, shown, staged)
        except PageError as e:
            failed = True
            if e.args[0]:
                staged.report.add(Problem.of_file(shown, *e.args))
    if failed:
        yield None


def last_copies(pages, display: str, staged: Staged) -> dict[str, tuple[int, int]] | None:
    """{ticket_id: (page number, record number)} of the copy of each ticket on the page fetched
    last (the later record within a page); None when a page could not be read."""
    last: dict[str, tuple[int, int]] = {}
    for item in read_pages(pages, display, staged):
        if item is None:
            return None
        number, _, _, page = item
        for position, record in enumerate(page["results"], 1):
            ticket = text(record.get("ticket_id")).strip() if isinstance(record, dict) else ""
            if ticket:
                last[ticket] = (number, position)
    return last


def entries(page: dict, number: int, pages, last: dict):
    """(record, position in its page, refusal) of a page's records."""
    for position, record in enumerate(page["results"], 1):
        if not isinstance(record, dict):
            yield record, position, ("record is not a JSON object", "รายการไม่ใช่ออบเจ็กต์ JSON", None)
            continue
        ticket = text(record.get("ticket_id")).strip()
        kept = last.get(ticket, (number, position))
        if kept != (number, position):
            name = pages[kept[0]][1].name
            yield (
                record,
                position,
                (
                    f"copy of a ticket published from the page fetched later ({name}, record {kept[1]})",
                    f"สำเนาของเรื่องที่เผยแพร่จากหน้าที่ดึงภายหลัง ({name} รายการที่ {kept[1]})",
                    ticket,
                ),
            )
        else:
            yield record, position, None


def stage(catalog: Catalog, source: Source, db: sqlite_utils.Database, staged: Staged) -> None:
    display = display_path(catalog, source)
    started = time.perf_counter()
    if not source.path.is_dir():
        staged.report.add(
            Problem.of_file(
                display,
                "the API pages are read from a folder: path must name the folder of the pages",
                "ต้องระบุโฟลเดอร์ของหน้าข้อมูล API",
            )
        )
        return
    pages, others = pages_of(source.path)
    for other in others:
        staged.report.add(
            Problem(
                display,
                None,
                None,
                "extra-file",
                f'"{other.name}" is not a page of the API (search_offset_<N>.json): ignored',
                f'"{other.name}" ไม่ใช่หน้าข้อมูล API จึงไม่นำเข้า',
                "warning",
            )
        )
    last = last_copies(pages, display, staged)
    if last is None:
        return
    prepare_staging(db, staged)
    records = ApiRecords(source)
    normaliser = records.normaliser()
    digests = (rules_digest(source, __file__, source_label(source)), known_digests(source, staged))
    index = search_index(source, staged)
    try:
        stager = Stager(db, source, records, index)
        stager.set_first_row(1)
        totals = set()
        for item in read_pages(pages, display, staged):
            if item is None:  # a page changed since the first reading (reported)
                raise PageError("", "")
            number, _, path, page = item
            totals.add(page.get("total"))
            batch = list(entries(page, number, pages, last))
            piece = make_piece(normaliser, records, batch, path.name, *digests)
            stager.add(piece, None, lambda wanted, b=batch: {n: (b[n - 1][0], b[n - 1][1]) for n in wanted})
            staged.progress(source.name, number + 1, len(pages))
        stager.finish()
    except BaseException as e:
        if index is not None:
            index.wait()
        if isinstance(e, PageError):
            return
        raise
    staged_for_publishing(source, staged)
    if index is not None:
        index.finish_input()
        staged.deferred.append(index)
    sizes = sorted(t for t in totals if isinstance(t, int))
    if sizes:
        staged.report.add(
            Problem(
                display,
                None,
                None,
                "pages",
                f"{len(pages)} pages (offsets {pages[0][0]}-{pages[-1][0]}); the API said it held "
                f"{sizes[0]:,}{'' if len(sizes) == 1 else f'-{sizes[-1]:,}'} tickets while they were fetched",
                f"{len(pages)} หน้า จากทั้งหมด {sizes[-1]:,} เรื่องใน API",
                "info",
            )
        )
    conclude(display, source, staged, stager, started, what="records")
