"""Traffy Fondue tickets, read from the public dump as it is published (bangkok_traffy.csv).

The dump is one CSV row per ticket with the columns ticket_id, type, organization, comment, photo,
photo_after, coords, address, subdistrict, district, province, timestamp, state, star,
count_reopen, last_activity. The file is streamed (a real dump is about a gigabyte): each row is
parsed, redacted (openbangkok.redact) and staged in batches, so memory does not grow with the file.

Every data row ends up in exactly one of two tables: `complaints`, or `complaints_rejected` with
the reason (a row with the wrong number of cells, no ticket_id, or a ticket_id already seen). The
build reports the reconciliation: rows read = published + rejected. Values the file may
legitimately grow (new types, new states, unknown districts) are kept and reported as warnings.

Times: `timestamp` and `last_activity` are UTC in the dump; they are published as ISO 8601 with
+00:00 (whole seconds). `reported_month` and the fiscal year are those of the date in Bangkok
(UTC+7), where a ticket sent at 23:00 on 30 September belongs to the next fiscal year.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import sqlite_utils

from .. import load, thai
from ..catalog import Catalog, Source
from ..places import bangkok_district_code, province_of
from ..problems import Problem
from ..redact import KINDS, Redactor
from ..thai_search import TOKENIZE
from ..validate import ROW_COLUMN, Staged, display_path

COLUMNS = ("ticket_id", "type", "organization", "comment", "photo", "photo_after", "coords", "address",
           "subdistrict", "district", "province", "timestamp", "state", "star", "count_reopen",
           "last_activity")
REJECTED = "complaints_rejected"
REJECTED_COLUMNS = ("source_row", "source_line", "ticket_id", "reason", "reason_th", "raw_record", "source")
FTS_SUFFIX = "_fts"
BATCH = 5000

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
DAY_SECONDS = 86400.0
WARNINGS_PER_COLUMN = 30


@dataclass
class Tally:
    """What the pass over the file found, reported once at the end instead of once per row."""

    unknown: dict[str, Counter] = field(default_factory=lambda: {})
    first_row: dict[tuple[str, str], int] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)
    fuzzy: Counter = field(default_factory=Counter)

    def value(self, column: str, value: str, row: int) -> None:
        self.unknown.setdefault(column, Counter())[value] += 1
        self.first_row.setdefault((column, value), row)


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
    parts = [p for p in parts if p.strip()]
    try:
        longitude, latitude = (float(p) for p in parts)
    except ValueError:
        return None, None, "unreadable"
    lat_range, lon_range = THAILAND["latitude"], THAILAND["longitude"]
    if lat_range[0] <= longitude <= lat_range[1] and lon_range[0] <= latitude <= lon_range[1]:
        return longitude, latitude, "swapped"
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):  # also false for NaN
        return None, None, "unreadable"
    return latitude, longitude, note


def outside_bangkok(latitude: float | None, longitude: float | None) -> int | None:
    if latitude is None:
        return None
    (lat_low, lat_high), (lon_low, lon_high) = BANGKOK_BOX["latitude"], BANGKOK_BOX["longitude"]
    return int(not (lat_low <= latitude <= lat_high and lon_low <= longitude <= lon_high))


def parse_count(text: str, low: int, high: int | None) -> int | None | str:
    """An integer written as '3' or '3.0'; 'bad' when it is something else."""
    text = text.strip()
    if not text:
        return None
    try:
        number = float(thai.arabic_digits(text))
    except ValueError:
        return "bad"
    if number != int(number) or number < low or (high is not None and number > high):
        return "bad"
    return int(number)


class Parser:
    """Turns one dump row into one published row; keeps the tallies of what it saw."""

    def __init__(self, source: Source, header: list[str]):
        self.index = {name: header.index(name) for name in COLUMNS}
        self.redactor = Redactor()
        self.tally = Tally()
        self.illustrative = int(bool(source.descriptor.get("illustrative", False)))
        sources = source.descriptor.get("sources") or [{}]
        self.source_label = sources[0].get("title", source.descriptor["path"])
        self._sets: dict[str, tuple[str, list[str]]] = {}
        self._short: dict[str, str | None] = {}

    def json_set(self, text: str) -> tuple[str, list[str]]:
        cached = self._sets.get(text)
        if cached is None:
            items = parse_set(self.redactor.redact(text))
            cached = (json.dumps(items, ensure_ascii=False), items)
            if len(self._sets) < 100_000:
                self._sets[text] = cached
        return cached

    def text(self, value: str) -> str | None:
        value = value.strip()
        if not value:
            return None
        return self.redactor.redact(thai.clean_text(value))

    def short_text(self, value: str) -> str | None:
        """text() of a value that repeats across rows (district, province ...), cached."""
        if value not in self._short:
            if len(self._short) > 100_000:
                return self.text(value)
            self._short[value] = self.text(value)
        return self._short[value]

    def url(self, value: str) -> str | None:
        """A photo URL: e-mails redacted anywhere, numbers only in the query string (the digits of a
        file name such as 3f0812345678ab.jpg are no phone number); other text like text()."""
        value = value.strip()
        if value.startswith(("https://", "http://")) and " " not in value:
            path, mark, query = value.partition("?")
            return self.redactor.redact(path, numbers=False) + mark + (self.redactor.redact(query) or "")
        return self.text(value)

    def row(self, cells: list[str], number: int) -> dict:
        get = {name: cells[i] for name, i in self.index.items()}
        tally = self.tally
        types_json, types = self.json_set(get["type"])
        for kind in types:
            if kind not in TYPES:
                tally.value("type", kind, number)
        organizations_json, _ = self.json_set(get["organization"])

        latitude, longitude, note = parse_coords(get["coords"])
        if note:
            tally.notes[f"coords-{note}"] += 1
            if note == "unreadable":
                tally.value("coords", self.redactor.redact(get["coords"].strip())[:60], number)
        elif latitude is None:
            tally.notes["coords-missing"] += 1

        province_written = self.short_text(get["province"])
        province, province_code, fuzzy = province_of(province_written)
        if fuzzy:
            tally.fuzzy[("province", province_written, province)] += 1
        district = self.short_text(get["district"])
        district_code = None
        if province_code in (None, "10") and district:
            district_code, fuzzy = bangkok_district_code(district)
            if fuzzy:
                tally.fuzzy[("district", district, district_code)] += 1
        if province_code is None and province_written:
            tally.value("province", province_written, number)
        if province_code == "10" and district_code is None:
            tally.value("district", district or "", number)
        elif province_code not in (None, "10"):
            tally.notes["other-province"] += 1

        reported = parse_time(get["timestamp"])
        last = parse_time(get["last_activity"])
        for name, moment in (("timestamp", reported), ("last_activity", last)):
            if moment is None and get[name].strip():
                tally.value(name, self.redactor.redact(get[name].strip())[:60], number)
        state = get["state"].strip() or None
        if state is not None and state not in STATES:
            tally.value("state", self.redactor.redact(state), number)
            state = self.redactor.redact(state)
        days = None
        if state == FINISHED and reported is not None and last is not None:
            days = round((last - reported).total_seconds() / DAY_SECONDS, 2)
            if days < 0:
                tally.notes["last-activity-before-report"] += 1
                days = None
        local = reported + BANGKOK_TIME if reported is not None else None
        fiscal = thai.fiscal_year(local.date()) if local is not None else None

        star = parse_count(get["star"], 1, 5)
        reopened = parse_count(get["count_reopen"], 0, None)
        for name, value in (("star", star), ("count_reopen", reopened)):
            if value == "bad":
                tally.value(name, self.redactor.redact(get[name].strip())[:60], number)
        return {
            ROW_COLUMN: number,
            "ticket_id": get["ticket_id"].strip(),
            "types": types_json,
            "organizations": organizations_json,
            "comment": self.text(get["comment"]),
            "photo": self.url(get["photo"]),
            "photo_after": self.url(get["photo_after"]),
            "address": self.text(get["address"]),
            "subdistrict": self.short_text(get["subdistrict"]),
            "district": district,
            "district_code": district_code,
            "province": province,
            "province_code": province_code,
            "latitude": latitude,
            "longitude": longitude,
            "coords_outside_bangkok": outside_bangkok(latitude, longitude),
            "coords_swapped_in_source": None if latitude is None else int(note == "swapped"),
            "timestamp": reported.replace(microsecond=0).isoformat() if reported else None,
            "last_activity": last.replace(microsecond=0).isoformat() if last else None,
            "reported_month": f"{local.year:04d}-{local.month:02d}" if local else None,
            "fiscal_year_ce": fiscal,
            "fiscal_year_be": thai.buddhist_era_year(fiscal) if fiscal else None,
            "days_to_last_activity": days,
            "state": state,
            "state_en": STATES.get(state, "other") if state else None,
            "star": None if star == "bad" else star,
            "count_reopen": None if reopened == "bad" else reopened,
            "is_illustrative": self.illustrative,
            "source": self.source_label,
        }


def raw_record(cells: list[str], redactor: Redactor) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return redactor.redact(out.getvalue())


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
        reader = csv.reader((line.replace("\x00", "") if "\x00" in line else line for line in f))
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                yield [], reader.line_num, str(e)
                continue
            yield cells, reader.line_num, None


def published_columns(source: Source) -> list[str]:
    return [f["name"] for f in source.published_schema["fields"]]


def stage(catalog: Catalog, source: Source, db: sqlite_utils.Database, staged: Staged) -> None:
    display = display_path(catalog, source)
    started = time.perf_counter()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    columns = published_columns(source)
    db.execute(f"drop table if exists [{source.name}]")
    db.execute(f"create table [{source.name}] ({ROW_COLUMN} integer, "
               + ", ".join(f"[{c}]" for c in columns) + ")")
    db.execute(f"drop table if exists [{REJECTED}]")
    db.execute(f"create table [{REJECTED}] (" + ", ".join(f"[{c}]" for c in REJECTED_COLUMNS) + ")")
    insert = (f"insert into [{source.name}] ({ROW_COLUMN}, {', '.join(f'[{c}]' for c in columns)}) "
              f"values (?{', ?' * len(columns)})")
    insert_rejected = f"insert into [{REJECTED}] values ({', '.join('?' * len(REJECTED_COLUMNS))})"
    keys = [ROW_COLUMN, *columns]

    encoding, total_lines = scan(source.path)
    if encoding == "cp874":
        staged.report.add(Problem(display, None, None, "conversion", "Windows-874 (TIS-620) read as UTF-8",
                                  "แปลงรหัสอักขระ Windows-874 เป็น UTF-8", "info"))
    stream = records(source.path, encoding)
    header = next(stream, (None, 0, None))[0]
    if header is None:
        staged.report.add(Problem(display, None, None, "source-error", "the file is empty",
                                  "ไฟล์ว่างเปล่า"))
        return
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        staged.report.add(Problem(
            display, 1, missing[0], "missing-label",
            f"the header lacks the Traffy Fondue column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}",
            f"หัวตารางไม่มีคอลัมน์ {', '.join(missing)} ของไฟล์ Traffy Fondue"))
        return
    for extra in (h for h in header if h not in COLUMNS):
        staged.report.add(Problem(display, 1, extra, "extra-label",
                                  f'the column "{extra}" is not part of the dump format and is ignored',
                                  f'คอลัมน์ "{extra}" ไม่อยู่ในรูปแบบไฟล์ จึงไม่นำเข้า', "warning"))

    parser = Parser(source, header)
    seen: dict[str, int] = {}
    batch: list[tuple] = []
    rejected: list[tuple] = []
    reasons: Counter = Counter()
    rows_read = 0
    row_number = 1  # the header is row 1, as frictionless counts

    def reject(number: int, line: int, cells: list[str], ticket: str | None, reason: str, reason_th: str):
        reasons[reason.split(" (")[0].split(":")[0]] += 1
        rejected.append((number, line, ticket, reason, reason_th, raw_record(cells, parser.redactor),
                         parser.source_label))

    width = len(header)
    for cells, line, error in stream:
        if not cells and not error:
            continue  # an empty line is no row
        row_number += 1
        rows_read += 1
        if error:
            reject(row_number, line, cells, None, f"unparseable row: {error}", "อ่านแถวไม่ได้")
        elif len(cells) != width:
            reject(row_number, line, cells, None,
                   f"unparseable row: {len(cells)} cells where the header has {width}",
                   f"อ่านแถวไม่ได้: มี {len(cells)} ช่อง แต่หัวตารางมี {width} ช่อง")
        else:
            ticket = cells[parser.index["ticket_id"]].strip()
            if not ticket:
                reject(row_number, line, cells, None, "no ticket_id", "ไม่มีรหัสเรื่อง (ticket_id)")
            elif ticket in seen:
                reject(row_number, line, cells, ticket, f"duplicate ticket_id (first in row {seen[ticket]})",
                       f"รหัสเรื่องซ้ำ (ครั้งแรกที่แถว {seen[ticket]})")
            else:
                seen[ticket] = row_number
                values = parser.row(cells, row_number)
                batch.append(tuple(values[k] for k in keys))
        if len(batch) >= BATCH:
            db.conn.executemany(insert, batch)
            batch.clear()
            staged.progress(source.name, line, total_lines)
        if len(rejected) >= BATCH:
            db.conn.executemany(insert_rejected, rejected)
            rejected.clear()
    db.conn.executemany(insert, batch)
    db.conn.executemany(insert_rejected, rejected)
    db.conn.commit()
    staged.progress(source.name, total_lines, total_lines)

    rows_rejected = sum(reasons.values())
    report(display, staged, parser, rows_read, rows_rejected, reasons)
    staged.stats[source.name] = {
        "file": display, "rows_read": rows_read, "rows_rejected": rows_rejected,
        "redactions": dict(parser.redactor.counts), "seconds": time.perf_counter() - started,
    }


def report(display: str, staged: Staged, parser: Parser, rows_read: int, rows_rejected: int,
           reasons: Counter) -> None:
    """The reconciliation, redactions and dirt of the file, as info and warning lines."""
    add = staged.report.add
    published = rows_read - rows_rejected
    why = "; ".join(f"{n} {reason}" for reason, n in reasons.most_common()) or "none"
    add(Problem(display, None, None, "reconciliation",
                f"{rows_read} rows read = {published} published in complaints + {rows_rejected} rejected "
                f"in {REJECTED} ({why})",
                f"อ่าน {rows_read} แถว = เผยแพร่ {published} + ปฏิเสธ {rows_rejected}", "info"))
    counts = parser.redactor.counts
    add(Problem(display, None, None, "redaction",
                "PDPA redaction: " + ", ".join(f"{counts.get(kind, 0)} {kind.replace('_', ' ')} {marker}"
                                                for kind, marker in KINDS.items()),
                "ปกปิดข้อมูลส่วนบุคคล: " + ", ".join(f"{marker} {counts.get(kind, 0)}"
                                                      for kind, marker in KINDS.items()), "info"))
    notes = parser.tally.notes
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
        fuzzy = sorted(((n, written, matched) for (c, written, matched), n in parser.tally.fuzzy.items()
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
    for column, counter in parser.tally.unknown.items():
        message, message_th = labels[column]
        for value, n in counter.most_common(WARNINGS_PER_COLUMN):
            add(Problem(display, parser.tally.first_row[(column, value)], column, "unknown-value",
                        f'{message}: "{value}" in {n} row(s), first here',
                        f'{message_th}: "{value}" {n} แถว', "warning"))
        if len(counter) > WARNINGS_PER_COLUMN:
            add(Problem(display, None, column, "unknown-value",
                        f"{len(counter) - WARNINGS_PER_COLUMN} more unknown {column} values not listed",
                        "", "warning"))


def publish(db: sqlite_utils.Database, source: Source, staged: Staged) -> int:
    """complaints, complaints_rejected and the Thai search index complaints_fts."""
    count = load.publish(db, source)
    rejected = db[REJECTED].create({
        "source_row": int, "source_line": int, "ticket_id": str, "reason": str, "reason_th": str,
        "raw_record": str, "source": str,
    }, pk="source_row")
    db.execute(f"insert into main.[{REJECTED}] select * from {load.STAGING}.[{REJECTED}] order by source_row")
    rejected.create_index(["ticket_id"])
    fts = f"{source.name}{FTS_SUFFIX}"
    db.execute(f"create virtual table [{fts}] using fts5(comment, address, types, content='', "
               f"tokenize=\"{TOKENIZE}\")")
    db.execute(
        f"insert into [{fts}] (rowid, comment, address, types) "
        f"select rowid, thai_index_text(comment), thai_index_text(address), "
        f"thai_index_text((select group_concat(value, ' ') from json_each(types))) from [{source.name}]"
    )
    db.execute(f"insert into [{fts}] ([{fts}]) values ('optimize')")
    return count
