"""The one normalisation of a Traffy Fondue ticket, whatever format it came in.

A format module (dump_csv, api_pages) turns what it reads into a tuple of texts in RAW_FIELDS
order (columns.py); Normaliser.values() turns that tuple into the published row (PUBLISHED order),
each text read by parse.py and the Thai rules: types and
agencies as JSON lists, coordinates the right way round and flagged outside Bangkok, province and
district codes, ISO times in UTC with the month and fiscal year of the report in Bangkok time, and
every free text redacted (PDPA) before it is written anywhere. What it finds odd is tallied
(Tally) and reported once per file (report.py), never per row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field

from openbangkok.adapters.traffy.columns import FINISHED, STATES, STATUSES, TYPES
from openbangkok.adapters.traffy.parse import iso_seconds, parse_coords, parse_count, parse_set, parse_time
from openbangkok.thai import conversions as thai
from openbangkok.thai.places import bangkok_district_code, province_of
from openbangkok.thai.redact import Redactor, find_personal_data, may_hold_personal_data

# A rough box around Bangkok used by public pipelines: used to flag, never to drop.
BANGKOK_BOX = {"latitude": (13.47, 13.96), "longitude": (100.32, 100.94)}
BANGKOK_TIME = dt.timedelta(hours=7)
DAY_SECONDS = 86400.0
CACHE_SIZE = 100_000  # distinct values remembered per cache (types, places, counts)


@dataclass
class Tally:
    """What a pass over rows found, reported once at the end instead of once per row.

    `seen` keeps, per (column, unknown value), the rows it was seen in: a piece's tally is
    merged into the file's (report.Totals) with the rows that turned out to be duplicates left out.
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


def refusal(ticket: str) -> tuple[str, str] | None:
    """(reason, reason in Thai) why a record with this ticket_id (stripped) cannot be published."""
    if not ticket:
        return "no ticket_id", "ไม่มีรหัสเรื่อง (ticket_id)"
    if may_hold_personal_data(ticket) and find_personal_data(ticket):
        # the key is published as it is: a phone number or e-mail there is not published
        return "ticket_id looks like personal data", "รหัสเรื่องดูเหมือนข้อมูลส่วนบุคคล"
    return None


class Normaliser:
    """Turns the raw texts of one ticket into its published row; keeps the tallies.

    Values that repeat across rows (types, organisations, province and district, subdistrict,
    star, count_reopen) are worked out once and remembered, with the redactions they needed, so
    the redaction counts are per row whatever was remembered.
    """

    def __init__(self, illustrative: bool, source_label: str):
        self.redactor = Redactor()
        self.tally = Tally()
        self.illustrative = int(bool(illustrative))
        self.source_label = source_label
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

    def values(self, raw, number: int, status: str = "") -> tuple:
        """(number, the published columns in PUBLISHED order) of the texts `raw` (RAW_FIELDS order).

        This runs once per row of a dump of a million rows: remembered values are looked up inline.
        """
        (
            ticket_id,
            type_text,
            organization,
            comment,
            photo,
            photo_after,
            coords,
            address,
            subdistrict,
            district_text,
            province_text,
            timestamp,
            state,
            star_text,
            count_reopen,
            last_activity,
        ) = raw
        tally, remember = self.tally, self._remember
        hit = self._types.get(type_text)
        types_json, unknown_types = (
            hit[0] if hit is not None and not hit[1] else remember(self._types, type_text, self._types_of)
        )
        for kind in unknown_types:
            tally.value("type", kind, number)
        hit = self._organizations.get(organization)
        organizations_json = (
            hit[0] if hit is not None and not hit[1] else remember(self._organizations, organization, self._set_json)
        )

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
            hit[0] if hit is not None and not hit[1] else remember(self._places, key, self._place)
        )
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
        status = status.strip() or None if status else None
        if status is not None and status not in STATUSES:
            status = self.redactor.redact(status)
            tally.value("status", status, number)
        days = None
        if state == FINISHED and reported is not None and last is not None:
            days = round((last - reported).total_seconds() / DAY_SECONDS, 2)
            if days < 0:
                tally.notes["last-activity-before-report"] += 1
                days = None
        if reported is not None:
            local = reported + BANGKOK_TIME
            fiscal = thai.fiscal_year(local)
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
            if outside:
                tally.notes["coords-outside-bangkok"] += 1
        ticket_id = ticket_id.strip()
        # an id without Traffy's year prefix (FQPL93 for 2022-FQPL93) is published as written (the year
        # it was given cannot be told for sure) and counted
        if ticket_id[4:5] != "-" or not ticket_id[:4].isdigit():
            tally.notes["ticket-without-year"] += 1
        return (
            number,
            ticket_id,
            types_json,
            organizations_json,
            comment,
            self.url(photo),
            self.url(photo_after),
            address,
            subdistrict,
            district,
            district_code,
            province,
            province_code,
            latitude,
            longitude,
            outside,
            swapped,
            reported,
            iso_seconds(last, last_activity) if last is not None else None,
            month,
            fiscal,
            fiscal_be,
            days,
            state,
            STATES.get(state, "other") if state else None,
            status,
            star,
            reopened,
            self.illustrative,
            self.source_label,
        )
