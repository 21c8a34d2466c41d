"""Traffy Fondue tickets, read from the public dump as it is published (bangkok_traffy.csv).

The dump is one CSV row per ticket with the columns ticket_id, type, organization, comment, photo,
photo_after, coords, address, subdistrict, district, province, timestamp, state, star,
count_reopen, last_activity. The file is streamed (a real dump is about a gigabyte): each row is
parsed, redacted (openbangkok.redact) and staged in pieces, so memory does not grow with the file.

Every data row ends up in exactly one of two tables: `complaints`, or `complaints_rejected` with
the reason (a row with the wrong number of cells, no ticket_id, or a ticket_id already seen). The
build reports the reconciliation: rows read = published + rejected. Values the file may
legitimately grow (new types, new states, unknown districts) are kept and reported as warnings.

Times: `timestamp` and `last_activity` are UTC in the dump; they are published as ISO 8601 with
+00:00 (whole seconds). `reported_month` and the fiscal year are those of the date in Bangkok
(UTC+7), where a ticket sent at 23:00 on 30 September belongs to the next fiscal year.

Speed (benchmarks/build.py; a million rows): a large file is cut into pieces of a few megabytes
that end where a CSV record ends (openbangkok.csv_pieces), and worker processes (one per core)
parse, check and redact the pieces while this process adds them to the staging database, in
file order. Each worker hands its piece back as a small SQLite database, which SQLite copies in
without Python touching a row. A ticket_id published by an earlier piece is caught by the staging
table's primary key, and that row is rejected exactly as a one-pass read would have rejected it.
Small files (the committed sample, tests) are read in this process, through the same code. The
rows are staged as they are published, so publishing copies them as they are. The Thai search
index is built by a process of its own from the rows as they are staged (openbangkok.search_index).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
import io
import json
import operator
import os
import sqlite3
import sys
import time
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import sqlite_utils

from .. import csv_pieces, load, prepare, thai
from ..catalog import Catalog, Source
from ..freed_memory import keep_freed_memory
from ..places import bangkok_district_code, province_of
from ..problems import Problem
from ..processes import die_with_parent, process_context
from ..redact import KINDS, Redactor, find_personal_data, may_hold_personal_data
from ..search_index import SearchIndex
from ..thai_search import TOKENIZE
from ..validate import ROW_COLUMN, Staged, display_path, no_data_rows

COLUMNS = ("ticket_id", "type", "organization", "comment", "photo", "photo_after", "coords", "address",
           "subdistrict", "district", "province", "timestamp", "state", "star", "count_reopen",
           "last_activity")
# The published columns in the order Parser.values() returns them (complaints.schema.yaml).
PUBLISHED = ("ticket_id", "types", "organizations", "comment", "photo", "photo_after", "address", "subdistrict",
             "district", "district_code", "province", "province_code", "latitude", "longitude",
             "coords_outside_bangkok", "coords_swapped_in_source", "timestamp", "last_activity",
             "reported_month", "fiscal_year_ce", "fiscal_year_be", "days_to_last_activity", "state", "state_en",
             "star", "count_reopen", "is_illustrative", "source")
SEARCHED = ("comment", "address", "types")  # the columns of the search index, in its order
REJECTED = "complaints_rejected"
REJECTED_COLUMNS = ("source_row", "source_line", "ticket_id", "reason", "reason_th", "raw_record", "source")
FTS_SUFFIX = "_fts"
SOURCE_ROWS_SUFFIX = "_source_rows"  # staging: the row of the file each staged row comes from
BATCH = 5000  # rows per piece when the file is read in this process

# Reading in parallel (see the module docstring and csv_pieces).
PIECE_BYTES = csv_pieces.PIECE_BYTES
PARALLEL_MIN_BYTES = 32 << 20      # smaller files are read in this process
PIECES_AHEAD = 2                   # pieces in flight per worker
WORKERS_ENV = "OPENBANGKOK_BUILD_WORKERS"  # 0: read in this process; default: worker_count()
STAGING_CACHE_KIB = 32768          # page cache of the staging database while pieces are added
# Rows staged between commits (a piece database can be replaced inside the open transaction). Each
# commit writes every page of the ticket_id index the rows since the last one touched, which is
# most of it: random ids. Committed after each piece (about 5,000 rows), the staging database's log
# grew to 3.1 GB for a million rows and the commits took 11.7 s of this process's time (staging:
# 25 s); committed every 100,000 rows, 1.06 GB and 0.3 s.
COMMIT_ROWS = 100_000

# Known values; anything else is kept and reported once as a warning (the lists grow over time).
STATES = {"เสร็จสิ้น": "finished", "กำลังดำเนินการ": "in progress", "รอรับเรื่อง": "waiting",
          "ส่งต่อ": "forwarded"}
FINISHED = "เสร็จสิ้น"
TYPES = frozenset("ถนน ทางเท้า แสงสว่าง ความปลอดภัย ความสะอาด น้ำท่วม กีดขวาง ท่อระบายน้ำ จราจร สะพาน "
                  "สายไฟ เสียงรบกวน คลอง ต้นไม้ ร้องเรียน ป้าย สัตว์จรจัด สอบถาม PM2.5 เสนอแนะ คนจรจัด "
                  "การเดินทาง ห้องน้ำ ป้ายจราจร".split())
# A rough box around Bangkok (FACTS.md): used to flag, never to drop.
BANGKOK_BOX = {"latitude": (13.47, 13.96), "longitude": (100.32, 100.94)}
THAILAND = {"latitude": (5.5, 20.5), "longitude": (97.3, 105.7)}
BANGKOK_TIME = dt.timedelta(hours=7)
ZERO = dt.timedelta(0)
DAY_SECONDS = 86400.0
WARNINGS_PER_COLUMN = 30
CACHE_SIZE = 100_000  # distinct values remembered per cache (types, places, counts)


@dataclass
class Tally:
    """What a pass over rows found, reported once at the end instead of once per row.

    `seen` keeps, per (column, unknown value), the rows it was seen in: a piece's tally is
    merged into the file's (Totals) with the rows that turned out to be duplicates left out.
    """

    seen: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)
    fuzzy: Counter = field(default_factory=Counter)

    def value(self, column: str, value: str, row: int) -> None:
        rows = self.seen.get((column, value))
        if rows is None:
            self.seen[(column, value)] = [row]
        else:
            rows.append(row)


@dataclass
class Totals:
    """The tallies of the whole file, for report()."""

    unknown: dict[str, Counter] = field(default_factory=dict)
    first_row: dict[tuple[str, str], int] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)
    fuzzy: Counter = field(default_factory=Counter)
    redactions: Counter = field(default_factory=Counter)

    def add(self, tally: Tally, redactions: Counter, offset: int, skip: set[int] = frozenset()) -> None:
        """A piece's tally, its row numbers moved by `offset`, without the rows in `skip` (local)."""
        self.notes.update(tally.notes)
        self.fuzzy.update(tally.fuzzy)
        self.redactions.update(redactions)
        for (column, value), rows in tally.seen.items():
            rows = [r for r in rows if r not in skip] if skip else rows
            if rows:
                self.unknown.setdefault(column, Counter())[value] += len(rows)
                self.first_row.setdefault((column, value), rows[0] + offset)

    def remove(self, tally: Tally, redactions: Counter) -> None:
        """Takes back the counts of a row that was published by its piece but is a duplicate."""
        self.notes.subtract(tally.notes)
        self.fuzzy.subtract(tally.fuzzy)
        self.redactions.subtract(redactions)
        for counter in (self.notes, self.fuzzy, self.redactions):
            for key in [k for k, n in counter.items() if n <= 0]:
                del counter[key]


def parse_set(text: str) -> list[str]:
    """A PostgreSQL array literal as the dump writes it: '{ถนน,ทางเท้า}', '{}', '{"a b",c}'."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if not text:
        return []
    items = next(csv.reader([text], skipinitialspace=True)) if '"' in text else text.split(",")
    seen = {}
    for item in items:
        item = item.strip()
        if item and item.upper() != "NULL":
            seen.setdefault(item, None)
    return list(seen)


def parse_time(text: str) -> dt.datetime | None:
    """A dump timestamp ('2022-06-04 15:34:14.955151+00', any fraction, UTC when no offset)."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc) if moment.utcoffset() else moment


def parse_coords(text: str) -> tuple[float | None, float | None, str | None]:
    """(latitude, longitude, note) from 'longitude,latitude', perhaps in parentheses.

    note: None, "parentheses", "swapped" (written latitude first: unmistakable in Thailand, where
    latitudes are 5-21 and longitudes 97-106) or "unreadable".
    """
    text = text.strip()
    if not text:
        return None, None, None
    note = None
    if text[0] in "([" and text[-1] in ")]":
        text, note = text[1:-1], "parentheses"
    parts = text.replace(" ", ",").split(",") if "," not in text else text.split(",")
    try:
        if len(parts) == 2:  # float() refuses a blank part, as the filter below would
            longitude, latitude = float(parts[0]), float(parts[1])
        else:
            longitude, latitude = (float(p) for p in parts if p.strip())
    except ValueError:
        return None, None, "unreadable"
    lat_range, lon_range = THAILAND["latitude"], THAILAND["longitude"]
    if lat_range[0] <= longitude <= lat_range[1] and lon_range[0] <= latitude <= lon_range[1]:
        return longitude, latitude, "swapped"
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):  # also false for NaN
        return None, None, "unreadable"
    return latitude, longitude, note


def parse_count(text: str, low: int, high: int | None) -> int | None | str:
    """An integer written as '3' or '3.0'; 'bad' when it is something else, or a phone or ID number
    (count_reopen=0678901234 was published as 678901234)."""
    text = text.strip()
    if not text:
        return None
    if may_hold_personal_data(text) and find_personal_data(text):
        return "bad"
    try:
        number = float(thai.arabic_digits(text))
    except ValueError:
        return "bad"
    if number != int(number) or number < low or (high is not None and number > high):
        return "bad"
    return int(number)


class Parser:
    """Turns one dump row into one published row; keeps the tallies.

    Values that repeat across rows (types, organisations, province and district, subdistrict,
    star, count_reopen) are worked out once and remembered, with the redactions they needed, so
    the redaction counts are per row whatever was remembered.
    """

    def __init__(self, source: Source, header: list[str]):
        self.pick = operator.itemgetter(*(header.index(name) for name in COLUMNS))
        self.header = header
        self.ticket_index = header.index("ticket_id")
        self.width = len(header)
        self.redactor = Redactor()
        self.tally = Tally()
        self.illustrative = int(bool(source.descriptor.get("illustrative", False)))
        sources = source.descriptor.get("sources") or [{}]
        self.source_label = sources[0].get("title", source.descriptor["path"])
        self._types: dict = {}
        self._organizations: dict = {}
        self._places: dict = {}
        self._short: dict = {}
        self._counts: dict = {}

    def take_tally(self) -> tuple[Tally, Counter]:
        """The tally and redaction counts since the last call, and a fresh start."""
        tally, counts = self.tally, self.redactor.counts
        self.tally, self.redactor.counts = Tally(), Counter()
        return tally, counts

    def _remember(self, cache: dict, key, compute):
        """compute(key), remembered with the redactions it made; they are counted again on reuse."""
        hit = cache.get(key)
        counts = self.redactor.counts
        if hit is None:
            before = counts.copy()
            value = compute(key)
            if len(cache) < CACHE_SIZE:
                cache[key] = (value, tuple((counts - before).elements()))
            return value
        value, redacted = hit
        for kind in redacted:
            counts[kind] += 1
        return value

    def _types_of(self, text: str):
        items = parse_set(self.redactor.redact(text))
        return json.dumps(items, ensure_ascii=False), [k for k in items if k not in TYPES]

    def _set_json(self, text: str) -> str:
        return json.dumps(parse_set(self.redactor.redact(text)), ensure_ascii=False)

    def text(self, value: str) -> str | None:
        value = value.strip()
        if not value:
            return None
        return self.redactor.redact(thai.clean_text(value))

    def short_text(self, value: str) -> str | None:
        """text() of a value that repeats across rows (subdistrict ...), remembered."""
        return self._remember(self._short, value, self.text)

    def _place(self, key: tuple[str, str]):
        """(province, province code, district, district code, tally effects) of the written names."""
        province_written, district = self.text(key[0]), self.text(key[1])
        province, province_code, fuzzy = province_of(province_written)
        effects = []
        if fuzzy:
            effects.append(("fuzzy", ("province", province_written, province)))
        district_code = None
        if province_code in (None, "10") and district:
            district_code, fuzzy = bangkok_district_code(district)
            if fuzzy:
                effects.append(("fuzzy", ("district", district, district_code)))
        if province_code is None and province_written:
            effects.append(("value", "province", province_written))
        if province_code == "10" and district_code is None:
            effects.append(("value", "district", district or ""))
        elif province_code not in (None, "10"):
            effects.append(("note", "other-province"))
        return province, province_code, district, district_code, tuple(effects)

    def count(self, text: str, low: int, high: int | None):
        return self._remember(self._counts, (text, low, high), lambda key: parse_count(*key))

    def url(self, value: str) -> str | None:
        """A photo URL: e-mails redacted anywhere, numbers only in the query string (the digits of a
        file name such as 3f0812345678ab.jpg are no phone number); other text like text()."""
        value = value.strip()
        if value.startswith(("https://", "http://")) and " " not in value:
            if "@" not in value and "?" not in value:
                return value  # what the redaction below returns for it
            path, mark, query = value.partition("?")
            return self.redactor.redact(path, numbers=False) + mark + (self.redactor.redact(query) or "")
        return self.text(value)

    def values(self, cells: list[str], number: int) -> tuple:
        """(number, the published columns in PUBLISHED order).

        This runs once per row of a dump of a million rows: remembered values are looked up inline.
        """
        (ticket_id, type_text, organization, comment, photo, photo_after, coords, address, subdistrict,
         district_text, province_text, timestamp, state, star_text, count_reopen, last_activity) = self.pick(cells)
        tally, remember = self.tally, self._remember
        hit = self._types.get(type_text)
        types_json, unknown_types = (
            hit[0] if hit is not None and not hit[1] else remember(self._types, type_text, self._types_of))
        for kind in unknown_types:
            tally.value("type", kind, number)
        hit = self._organizations.get(organization)
        organizations_json = (
            hit[0] if hit is not None and not hit[1] else remember(self._organizations, organization, self._set_json))

        latitude, longitude, note = parse_coords(coords)
        if note:
            tally.notes["coords-" + note] += 1
            if note == "unreadable":
                tally.value("coords", self.redactor.redact(coords.strip())[:60], number)
        elif latitude is None:
            tally.notes["coords-missing"] += 1

        key = (province_text, district_text)
        hit = self._places.get(key)
        province, province_code, district, district_code, effects = (
            hit[0] if hit is not None and not hit[1] else remember(self._places, key, self._place))
        for effect in effects:
            if effect[0] == "fuzzy":
                tally.fuzzy[effect[1]] += 1
            elif effect[0] == "value":
                tally.value(effect[1], effect[2], number)
            else:
                tally.notes[effect[1]] += 1

        reported = parse_time(timestamp)
        last = parse_time(last_activity)
        if reported is None and timestamp.strip():
            tally.value("timestamp", self.redactor.redact(timestamp.strip())[:60], number)
        if last is None and last_activity.strip():
            tally.value("last_activity", self.redactor.redact(last_activity.strip())[:60], number)
        state = state.strip() or None
        if state is not None and state not in STATES:
            tally.value("state", self.redactor.redact(state), number)
            state = self.redactor.redact(state)
        days = None
        if state == FINISHED and reported is not None and last is not None:
            days = round((last - reported).total_seconds() / DAY_SECONDS, 2)
            if days < 0:
                tally.notes["last-activity-before-report"] += 1
                days = None
        if reported is not None:
            local = reported + BANGKOK_TIME
            fiscal = local.year + 1 if local.month >= 10 else local.year  # thai.fiscal_year
            month = f"{local.year:04d}-{local.month:02d}"
            reported = iso_seconds(reported, timestamp)
            fiscal_be = fiscal + thai.BUDDHIST_ERA_OFFSET
        else:
            fiscal = fiscal_be = month = None

        hit = self._counts.get((star_text, 1, 5))
        star = hit[0] if hit is not None else self.count(star_text, 1, 5)
        if star == "bad":
            tally.value("star", self.redactor.redact(star_text.strip())[:60], number)
            star = None
        hit = self._counts.get((count_reopen, 0, None))
        reopened = hit[0] if hit is not None else self.count(count_reopen, 0, None)
        if reopened == "bad":
            tally.value("count_reopen", self.redactor.redact(count_reopen.strip())[:60], number)
            reopened = None
        hit = self._short.get(subdistrict)
        subdistrict = hit[0] if hit is not None and not hit[1] else self.short_text(subdistrict)
        comment, address = self.text(comment), self.text(address)
        if latitude is None:
            outside = swapped = None
        else:
            (lat_low, lat_high), (lon_low, lon_high) = BANGKOK_BOX["latitude"], BANGKOK_BOX["longitude"]
            outside = int(not (lat_low <= latitude <= lat_high and lon_low <= longitude <= lon_high))
            swapped = int(note == "swapped")
        row = (
            number, ticket_id.strip(), types_json, organizations_json, comment, self.url(photo),
            self.url(photo_after), address, subdistrict, district, district_code, province, province_code,
            latitude, longitude, outside, swapped, reported,
            iso_seconds(last, last_activity) if last is not None else None, month, fiscal, fiscal_be, days,
            state, STATES.get(state, "other") if state else None, star, reopened, self.illustrative,
            self.source_label,
        )
        return row


def iso_seconds(moment: dt.datetime, written: str) -> str:
    """moment.replace(microsecond=0).isoformat() for a moment parse_time() read from `written`;
    cut from the text when it is written the dump's usual way ('2022-06-04 15:34:14.955151+00')."""
    if written[10:11] == " " and written.endswith("+00") and written[19:20] in ".+" and moment.utcoffset() == ZERO:
        return f"{written[:10]}T{written[11:19]}+00:00"
    return moment.replace(microsecond=0).isoformat()


def raw_record(cells: list[str], redactor: Redactor) -> str:
    """The row as the file has it, redacted, cut at prepare.MAX_CELL_CHARACTERS (an Excel artefact of
    10,000 empty cells, or a pasted file, is no cell for the site to serve)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    text = out.getvalue()
    if len(text) > prepare.MAX_CELL_CHARACTERS:
        text = text[:prepare.MAX_CELL_CHARACTERS] + "…"
    return redactor.redact(text)


def scan(path) -> tuple[str, int]:
    """(encoding, number of lines) in one streamed pass: UTF-8 when every byte decodes as UTF-8,
    else Windows-874 (TIS-620), the other encoding Thai agencies' files come in."""
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


def records(path, encoding: str = "utf-8-sig"):
    """(cells, physical line, error) per CSV record; quoted newlines stay inside their cell (as
    \n, whatever the file's line ends)."""
    with open(path, encoding=encoding, errors="replace", newline=None) as f:
        yield from csv_pieces.iter_records(line.replace("\x00", "") if "\x00" in line else line for line in f)


def published_columns(source: Source) -> list[str]:
    return [f["name"] for f in source.published_schema["fields"]]


# --- pieces: the rows of part of the file, parsed, as a small SQLite database ---------------------

@dataclass
class Piece:
    """What parse_records() made of some records of the file (row numbers local: 1 = its first row)."""

    db: bytes                     # serialized SQLite database: table rows
    rows: int                     # rows in `rows` (published unless a duplicate of an earlier piece)
    rejected: list[tuple]         # (row, line, ticket_id or None, reason or None for a duplicate, reason_th, raw)
    records: int                  # data rows read
    tally: Tally
    redactions: Counter


def piece_database(rows: list[tuple]) -> bytes:
    conn = sqlite3.connect(":memory:")
    conn.execute("pragma page_size = 65536")  # with the default pages and cache, twice as slow
    conn.execute(f"create table rows ({ROW_COLUMN} integer primary key, {', '.join(f'[{c}]' for c in PUBLISHED)})")
    conn.executemany(f"insert into rows values (?{', ?' * len(PUBLISHED)})", rows)
    conn.commit()
    data = conn.serialize()
    conn.close()
    return data


def parse_records(parser: Parser, records) -> Piece:
    """Parses (cells, line, error) records; rows are numbered from 1, as they come."""
    rows, rejected = [], []
    seen: set[str] = set()
    width = parser.width
    number = 0
    for cells, line, error in records:
        if not cells and not error:
            continue  # an empty line is no row
        number += 1
        if error:
            rejected.append((number, line, None, f"unparseable row: {error}", "อ่านแถวไม่ได้",
                             raw_record(cells, parser.redactor)))
        elif len(cells) != width:
            rejected.append((number, line, None, f"unparseable row: {len(cells)} cells where the header has {width}",
                             f"อ่านแถวไม่ได้: มี {len(cells)} ช่อง แต่หัวตารางมี {width} ช่อง",
                             raw_record(cells, parser.redactor)))
        elif max(map(len, cells)) > prepare.MAX_CELL_CHARACTERS:
            longest = max(range(width), key=lambda k: len(cells[k]))
            rejected.append((number, line, None,
                             f"a cell ({parser.header[longest]}) holds {len(cells[longest]):,} characters; "
                             f"at most {prepare.MAX_CELL_CHARACTERS:,}",
                             f"ช่อง {parser.header[longest]} ยาวเกินกว่าที่รับได้", raw_record(cells, parser.redactor)))
        else:
            ticket = cells[parser.ticket_index].strip()
            if not ticket:
                rejected.append((number, line, None, "no ticket_id", "ไม่มีรหัสเรื่อง (ticket_id)",
                                 raw_record(cells, parser.redactor)))
            elif may_hold_personal_data(ticket) and find_personal_data(ticket):
                # the key is published as it is: a phone number or e-mail there is not published
                rejected.append((number, line, None, "ticket_id looks like personal data",
                                 "รหัสเรื่องดูเหมือนข้อมูลส่วนบุคคล", raw_record(cells, parser.redactor)))
            elif ticket in seen:
                rejected.append((number, line, ticket, None, None, raw_record(cells, parser.redactor)))
            else:
                seen.add(ticket)
                rows.append(parser.values(cells, number))
    tally, redactions = parser.take_tally()
    return Piece(piece_database(rows), len(rows), rejected, number, tally, redactions)


_worker: Parser | None = None


def _start_worker(source: Source, header: list[str]) -> None:
    global _worker
    die_with_parent()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    # A worker makes millions of lists and tuples and no reference cycles: the cyclic garbage
    # collector would only walk them (it doubled the time of reading records).
    gc.disable()
    keep_freed_memory()  # each piece allocates and frees the same few megabytes
    _worker = Parser(source, header)


def _parse_piece(data: bytes, encoding: str, first: bool) -> tuple[Piece, int]:
    records, lines = csv_pieces.piece_records(data, encoding, first, skip=1 if first else 0)
    return parse_records(_worker, records), lines


def worker_count(size: int) -> int:
    configured = os.environ.get(WORKERS_ENV)
    if configured is not None:
        return int(configured)
    # one per core: this process (adding pieces) and the search index's (niced) take what the
    # workers leave; on 2 cores two workers staged a million rows in 24 s instead of 36 s
    # (benchmarks/README.md, results/build.md) for about 60 MB more
    return 0 if size < PARALLEL_MIN_BYTES else max(1, min(os.cpu_count() or 1, 8))


# --- staging: pieces added in file order ---------------------------------------------------------

class Stager:
    """Adds pieces to the staging tables in file order and keeps the file's tallies.

    The rows are staged as they are published: the staging table is declared like the published
    one (without its foreign keys, whose tables are elsewhere) and numbered like it (rowid), so the
    build copies it as it is (SQLite's transfer of whole records, indexes included). The row of the
    file each comes from is kept beside it, in SOURCE_ROWS_SUFFIX.

    A piece is parsed without knowing the pieces before it: a ticket_id it publishes may have been
    published already. The primary key on ticket_id keeps such a row out; it is rejected as a
    duplicate and what its parsing counted is taken back, so the result is that of one pass.
    """

    def __init__(self, db: sqlite_utils.Database, source: Source, header: list[str],
                 search: SearchIndex | None = None):
        self.db = db
        self.search = search
        self.conn = db.conn
        self.source = source
        self.header = header
        self.table = source.name
        self.source_rows = f"{source.name}{SOURCE_ROWS_SUFFIX}"
        self.columns = published_columns(source)
        unknown = set(self.columns) - set(PUBLISHED)
        if unknown:
            raise ValueError(f"{source.name}: the published schema has columns the adapter does not make: "
                             f"{sorted(unknown)}")
        if source.published_schema.get("primaryKey") != ["ticket_id"]:
            raise ValueError(f"{source.name}: the adapter finds duplicates by the primary key ticket_id")
        self.totals = Totals()
        self.reasons: Counter = Counter()
        self.rows_read = 0
        self.published = 0
        self.committed = 0    # rows committed (the search index reads only those)
        self.row_offset = 1  # the header is row 1, as frictionless counts
        self.line_offset = 0
        self.redactor = Redactor()  # raw records of rows found to be duplicates here
        sources = source.descriptor.get("sources") or [{}]
        self.source_label = sources[0].get("title", source.descriptor["path"])
        self.create_tables()

    def create_tables(self) -> None:
        conn = self.conn
        for table in (self.table, self.source_rows, REJECTED):
            conn.execute(f"drop table if exists main.[{table}]")  # not the attached published database
        load.create_table(self.db, {**self.source.published_schema, "foreignKeys": []}, self.table)
        conn.execute(f"create table [{self.source_rows}] (published_rowid integer primary key, source_row integer)")
        conn.execute(f"create table [{REJECTED}] (" + ", ".join(f"[{c}]" for c in REJECTED_COLUMNS) + ")")
        conn.execute(f"pragma cache_size = -{STAGING_CACHE_KIB}")
        if "piece" not in {r[1] for r in conn.execute("pragma database_list")}:
            conn.execute("attach ':memory:' as piece")

    def add(self, piece: Piece, lines: int | None, cells_of) -> None:
        """Adds a piece: its rows, rejected rows and tallies. `lines`: the physical
        lines it spans (None when its line numbers are those of the file); cells_of(set of local
        rows) -> {row: (cells, line)} for rows found to be duplicates here."""
        conn, offset, published = self.conn, self.row_offset, self.published
        conn.deserialize(piece.db, name="piece")
        columns = ", ".join(f"[{c}]" for c in self.columns)
        before = conn.total_changes
        conn.execute(f"insert or ignore into main.[{self.table}] ({columns}) "
                     f"select {columns} from piece.rows order by {ROW_COLUMN}")
        added = conn.total_changes - before
        duplicates = {}
        if added < piece.rows:  # rows whose ticket_id an earlier piece published
            duplicates = dict(conn.execute(
                f"select p.{ROW_COLUMN}, r.source_row from piece.rows p "
                f"join main.[{self.table}] s on s.ticket_id = p.ticket_id "
                f"join main.[{self.source_rows}] r on r.published_rowid = s.rowid where s.rowid <= ?", (published,)))
            if len(duplicates) != piece.rows - added:
                raise RuntimeError(f"{self.table}: rows of a piece were neither staged nor duplicates")
        kept = f"from piece.rows where {ROW_COLUMN} not in ({', '.join('?' * len(duplicates))}) order by {ROW_COLUMN}"
        conn.execute(f"insert into main.[{self.source_rows}] select ? + row_number() over (order by {ROW_COLUMN}), "
                     f"{ROW_COLUMN} + ? {kept}", (published, offset, *duplicates))
        self.totals.add(piece.tally, piece.redactions, offset, skip=set(duplicates))
        entries = piece.rejected + (self.late_duplicates(cells_of(set(duplicates))) if duplicates else [])
        line_offset = self.line_offset if lines is not None else 0
        rejected = [self.rejected_row(row + offset, line + line_offset, ticket, reason, reason_th, raw)
                    for row, line, ticket, reason, reason_th, raw in sorted(entries, key=lambda e: e[0])]
        conn.executemany(f"insert into main.[{REJECTED}] values ({', '.join('?' * len(REJECTED_COLUMNS))})",
                         rejected)
        self.published += added
        if self.published - self.committed >= COMMIT_ROWS:
            self.commit()
        self.rows_read += piece.records
        self.row_offset += piece.records
        if lines is not None:
            self.line_offset += lines

    def rejected_row(self, row: int, line: int, ticket: str | None, reason: str | None, reason_th: str | None,
                     raw: str) -> tuple:
        if reason is None:  # a duplicate: the row it first appeared in, as published
            (first,) = self.conn.execute(
                f"select r.source_row from main.[{self.table}] s join main.[{self.source_rows}] r "
                f"on r.published_rowid = s.rowid where s.ticket_id = ?", (ticket,)).fetchone()
            reason, reason_th = (f"duplicate ticket_id (first in row {first})",
                                 f"รหัสเรื่องซ้ำ (ครั้งแรกที่แถว {first})")
        self.reasons[reason.split(" (")[0].split(":")[0]] += 1
        return (row, line, ticket, reason, reason_th, raw, self.source_label)

    def late_duplicates(self, cells: dict[int, tuple[list[str], int]]) -> list[tuple]:
        """Rows a piece published whose ticket_id an earlier piece published first: rejected (as
        parse_records() rejects a duplicate), and what their parsing counted taken back."""
        entries = []
        for local, (row_cells, line) in cells.items():
            scratch = Parser(self.source, self.header)
            scratch.values(row_cells, local)
            self.totals.remove(*scratch.take_tally())
            ticket = row_cells[scratch.ticket_index].strip()
            entries.append((local, line, ticket, None, None, raw_record(row_cells, self.redactor)))
        return entries

    def commit(self) -> None:
        """Commits the rows staged so far, and tells the search index they can be read."""
        self.conn.commit()
        self.committed = self.published
        if self.search is not None:
            self.search.add(self.published)

    def finish(self) -> None:
        self.commit()
        self.conn.execute("detach piece")
        self.totals.redactions.update(self.redactor.counts)


def rows_of(records, wanted: set[int]) -> dict[int, tuple[list[str], int]]:
    """{local row: (cells, line)} of the wanted rows, numbered as parse_records() numbers them."""
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


def stage_in_process(source: Source, stager: Stager, encoding: str, progress) -> None:
    """The file read in one pass, in pieces of BATCH rows (small files, or the fallback)."""
    collecting = gc.isenabled()
    gc.disable()  # as in a worker (_start_worker)
    try:
        _stage_in_process(source, stager, encoding, progress)
    finally:
        if collecting:
            gc.enable()


def _stage_in_process(source: Source, stager: Stager, encoding: str, progress) -> None:
    stream = records(source.path, encoding)
    next(stream)  # the header
    parser = Parser(source, stager.header)
    batch: list = []
    for record in stream:
        batch.append(record)
        if len(batch) >= BATCH:
            stager.add(parse_records(parser, batch), None, lambda wanted, b=batch: rows_of(b, wanted))
            batch = []
            progress(record[1])
    stager.add(parse_records(parser, batch), None, lambda wanted, b=batch: rows_of(b, wanted))


def stage_in_parallel(source: Source, stager: Stager, workers: int, encoding: str, progress) -> None:
    """The file cut into pieces that worker processes parse while this process adds them."""
    context = process_context()
    pending: deque = deque()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(source, stager.header)) as pool:
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


def mixed_encoding(display: str, source: Source, staged: Staged) -> bool:
    """A file that is UTF-8 but for some lines is refused (prepare.utf8_except_at), not read as
    Windows-874 from end to end (which would publish every Thai text garbled)."""
    with open(source.path, "rb") as f:
        line = prepare.utf8_except_at(iter(lambda: f.read(1 << 20), b""))
    if line is None:
        return False
    staged.report.add(Problem(display, *prepare.refuse_mixed_encoding(line).details))
    return True


def read_header(source: Source, encoding: str) -> list[str] | None:
    return next(records(source.path, encoding), (None, 0, None))[0]


def stage(catalog: Catalog, source: Source, db: sqlite_utils.Database, staged: Staged) -> None:
    display = display_path(catalog, source)
    started = time.perf_counter()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    size = source.path.stat().st_size
    workers = worker_count(size)
    encoding, total_lines = scan(source.path) if not workers else ("utf-8", None)
    conversion_at = len(staged.report.problems)
    if encoding == "cp874" and mixed_encoding(display, source, staged):
        return

    header = read_header(source, "utf-8-sig" if encoding == "utf-8" else encoding)  # the names are ASCII
    if header is None:
        staged.report.add(Problem(display, None, None, "source-error", "the file is empty",
                                  "ไฟล์ว่างเปล่า"))
        return
    header = [h.strip().lstrip("\ufeff") for h in header]
    if len(header) > prepare.MAX_COLUMNS:   # 10,000 columns: as many warnings, and a build_files row of megabytes
        staged.report.add(Problem(
            display, 1, None, "format-error",
            f"the header has {len(header):,} columns; at most {prepare.MAX_COLUMNS} are read: delete the empty "
            f"columns at the right of the sheet (Excel saves them as commas at the end of each line)",
            f"หัวตารางมี {len(header):,} คอลัมน์ เกิน {prepare.MAX_COLUMNS} คอลัมน์ กรุณาลบคอลัมน์ว่างทางขวาของแผ่นงาน"))
        return
    try:  # a file saved with semicolons or tabs, as plain files are told
        prepare.check_header(header, {"fields": [{"name": column} for column in COLUMNS]})
    except prepare.Refused as refused:
        staged.report.add(Problem(display, *refused.details))
        return
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        staged.report.add(Problem(
            display, 1, missing[0], "missing-label",
            f"the header lacks the Traffy Fondue column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}",
            f"หัวตารางไม่มีคอลัมน์ {', '.join(missing)} ของไฟล์ Traffy Fondue"))
        return
    blank = [number for number, h in enumerate(header, 1) if not h]
    if blank:
        staged.report.add(Problem(
            display, 1, None, "blank-label",
            f"the header has an empty column name (column {blank[0]}): remove the comma at the end of the "
            f"header line, or name the column; every row must have as many cells as the header",
            f"หัวตารางมีคอลัมน์ที่ไม่มีชื่อ (คอลัมน์ที่ {blank[0]}): ลบเครื่องหมายจุลภาคท้ายบรรทัดหัวตาราง "
            f"หรือตั้งชื่อคอลัมน์"))
        return
    for extra in (h for h in header if h not in COLUMNS):
        staged.report.add(Problem(display, 1, extra, "extra-label",
                                  f'the column "{extra}" is not part of the dump format and is ignored',
                                  f'คอลัมน์ "{extra}" ไม่อยู่ในรูปแบบไฟล์ จึงไม่นำเข้า', "warning"))

    def progress(done: int, total: int = size) -> None:
        staged.progress(source.name, done, total)

    if staged.for_build:
        db.conn.commit()
        db.conn.execute("pragma main.journal_mode = wal")  # the search index reads while rows are staged
        # the staging database is thrown away after the build: no need to copy its write-ahead log
        # back into it every 1,000 pages (SQLite's default), writing every row twice
        db.conn.execute("pragma wal_autocheckpoint = 0")
    while True:
        index = search_index(source, staged)
        stager = Stager(db, source, header, index)
        try:
            if workers:
                stage_in_parallel(source, stager, workers, encoding, progress)
                progress(size)
            else:
                stage_in_process(source, stager, encoding, lambda line, lines=total_lines: progress(line, lines))
                progress(total_lines, total_lines)
            break
        except csv_pieces.NotUtf8:
            encoding = "cp874"  # every byte must be UTF-8 for the file to be read as UTF-8
            if mixed_encoding(display, source, staged):
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
    staged.as_published.add(source.name)  # publish() copies the staged records as they are
    if index is not None:
        index.finish_input()
        staged.deferred.append(index)
    if encoding == "cp874":
        staged.report.problems.insert(conversion_at, Problem(
            display, None, None, "conversion", "Windows-874 (TIS-620) read as UTF-8",
            "แปลงรหัสอักขระ Windows-874 เป็น UTF-8", "info"))

    rows_rejected = sum(stager.reasons.values())
    report(display, staged, stager.totals, stager.rows_read, rows_rejected, stager.reasons)
    if stager.rows_read == 0 and not source.descriptor.get("allowEmpty"):
        staged.report.add(no_data_rows(display))
    elif stager.rows_read and rows_rejected == stager.rows_read:
        reason = stager.reasons.most_common(1)[0][0]
        staged.report.add(Problem(
            display, None, None, "table-dimensions",
            f"none of the {stager.rows_read} rows can be published (most often: {reason}; every row is in "
            f"{REJECTED} with its reason): check that the file is the dump, with the header's columns",
            f"ไม่มีแถวใดเผยแพร่ได้เลยจาก {stager.rows_read} แถว: ตรวจสอบว่าไฟล์และหัวตารางถูกต้อง"))
    staged.stats[source.name] = {
        "file": display, "rows_read": stager.rows_read, "rows_rejected": rows_rejected,
        "redactions": {k: n for k, n in stager.totals.redactions.items() if n},
        "seconds": time.perf_counter() - started,
    }


def report(display: str, staged: Staged, totals: Totals, rows_read: int, rows_rejected: int,
           reasons: Counter) -> None:
    """The reconciliation, redactions and dirt of the file, as info and warning lines."""
    add = staged.report.add
    published = rows_read - rows_rejected
    why = "; ".join(f"{n} {reason}" for reason, n in reasons.most_common()) or "none"
    add(Problem(display, None, None, "reconciliation",
                f"{rows_read} rows read = {published} published in complaints + {rows_rejected} rejected "
                f"in {REJECTED} ({why})",
                f"อ่าน {rows_read} แถว = เผยแพร่ {published} + ปฏิเสธ {rows_rejected}", "info"))
    counts = totals.redactions
    add(Problem(display, None, None, "redaction",
                "PDPA redaction: " + ", ".join(f"{counts.get(kind, 0)} {kind.replace('_', ' ')} {marker}"
                                                for kind, marker in KINDS.items()),
                "ปกปิดข้อมูลส่วนบุคคล: " + ", ".join(f"{marker} {counts.get(kind, 0)}"
                                                      for kind, marker in KINDS.items()), "info"))
    notes = totals.notes
    conversions = {
        "coords-parentheses": "coordinates written in parentheses, read as longitude,latitude",
        "coords-swapped": "coordinates written latitude first, swapped back (coords_swapped_in_source = 1)",
        "coords-missing": "tickets without coordinates (latitude and longitude left empty)",
        "coords-unreadable": "unreadable coordinates left empty",
        "other-province": "tickets from provinces other than Bangkok, kept with an empty district_code",
        "last-activity-before-report": "finished tickets whose last activity is before the report: "
                                       "days_to_last_activity left empty",
    }
    for key, text in conversions.items():
        if notes[key]:
            add(Problem(display, None, None, key, f"{notes[key]} {text}", "", "info"))
    for column in ("province", "district"):
        fuzzy = sorted(((n, written, matched) for (c, written, matched), n in totals.fuzzy.items()
                        if c == column), reverse=True)
        if fuzzy:
            examples = ", ".join(f'"{w}" -> {m} ({n})' for n, w, m in fuzzy[:10])
            add(Problem(display, None, column, "spelling",
                        f"{sum(n for n, _, _ in fuzzy)} rows with {len(fuzzy)} misspelt {column} names "
                        f"matched by similarity: {examples}{' ...' if len(fuzzy) > 10 else ''}",
                        f"ชื่อ{'จังหวัด' if column == 'province' else 'เขต'}ที่สะกดผิด {len(fuzzy)} แบบ "
                        f"จับคู่ด้วยความคล้าย", "info"))
    labels = {
        "type": ("type not in the list of known types: kept", "ประเภทที่ไม่รู้จัก: เก็บไว้"),
        "state": ("state not in the list of known states: kept", "สถานะที่ไม่รู้จัก: เก็บไว้"),
        "district": ("Bangkok district not recognised: district_code left empty",
                     "ไม่รู้จักชื่อเขต: ไม่ได้ระบุรหัสเขต"),
        "province": ("province not recognised: kept as written", "ไม่รู้จักชื่อจังหวัด: เก็บตามที่เขียน"),
        "coords": ("unreadable coordinates: left empty", "อ่านพิกัดไม่ได้"),
        "timestamp": ("unreadable time: left empty", "อ่านเวลาไม่ได้"),
        "last_activity": ("unreadable time: left empty", "อ่านเวลาไม่ได้"),
        "star": ("star is not a whole number 1-5: left empty", "คะแนนไม่ใช่ 1-5"),
        "count_reopen": ("count_reopen is not a whole number: left empty", "จำนวนเปิดซ้ำไม่ใช่จำนวนเต็ม"),
    }
    for column, counter in totals.unknown.items():
        message, message_th = labels[column]
        for value, n in counter.most_common(WARNINGS_PER_COLUMN):
            add(Problem(display, totals.first_row[(column, value)], column, "unknown-value",
                        f'{message}: "{value}" in {n} row(s), first here',
                        f'{message_th}: "{value}" {n} แถว', "warning"))
        if len(counter) > WARNINGS_PER_COLUMN:
            add(Problem(display, None, column, "unknown-value",
                        f"{len(counter) - WARNINGS_PER_COLUMN} more unknown {column} values not listed",
                        "", "warning"))



# --- publishing -------------------------------------------------------------------------------



def fts_sql(fts: str) -> str:
    return (f"create virtual table [{fts}] using fts5({', '.join(SEARCHED)}, content='', "
            f"tokenize=\"{TOKENIZE}\")")


def publish(db: sqlite_utils.Database, source: Source, staged: Staged) -> int:
    """complaints, complaints_rejected and the Thai search index complaints_fts (filled by the
    background work stage() started: staged.deferred)."""
    load.create_table(db, source.published_schema, source.name)
    # staged as published: SQLite copies the records (and the primary key's index) as they are
    db.execute(f"insert into main.[{source.name}] select * from {load.STAGING}.[{source.name}]")
    count = db[source.name].count
    rejected = db[REJECTED].create({
        "source_row": int, "source_line": int, "ticket_id": str, "reason": str, "reason_th": str,
        "raw_record": str, "source": str,
    }, pk="source_row")
    db.execute(f"insert into main.[{REJECTED}] select * from {load.STAGING}.[{REJECTED}] order by source_row")
    rejected.create_index(["ticket_id"])
    # empty: the search index is built in the background from the rows stage() staged
    # (openbangkok.search_index) and copied in when the build completes it
    db.execute(fts_sql(f"{source.name}{FTS_SUFFIX}"))
    return count


def search_index(source: Source, staged: Staged) -> SearchIndex | None:
    """The search index, started (for a build only), to be given the rows as they are staged."""
    if not staged.for_build:
        return None
    fts = f"{source.name}{FTS_SUFFIX}"
    # the text the index takes for each row: thai_search.index_text (Thai runs as bigrams). The
    # types are indexed as their JSON text: its brackets, quotes and commas separate tokens as the
    # spaces between the items would, unless an item holds an escape (\", \n...), rare enough to
    # be read out of the JSON then.
    return SearchIndex(
        staged.db_path.parent / f"{fts}.db", staged.db_path, fts, fts_sql(fts),
        f"select rowid, comment, address, types from [{source.name}] where rowid > ? and rowid <= ? order by rowid",
        f"insert into [{fts}] (rowid, {', '.join(SEARCHED)}) values (?1, thai_index_text(?2), thai_index_text(?3), "
        f"thai_index_text(iif(instr(?4, '\\'), (select group_concat(value, ' ') from json_each(?4)), ?4)))")
