"""What a Traffy Fondue file taught the build, reported once per file: the reconciliation (records
read = published + rejected, with the reasons), the PDPA redactions, the conversions and the
values the normalisation did not know (kept, and listed as warnings)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from openbangkok.adapters.traffy.normalise import Tally
from openbangkok.model.problems import Problem
from openbangkok.pipeline.stage import Staged, no_data_rows
from openbangkok.thai.redact import KINDS

REJECTED = "complaints_rejected"
WARNINGS_PER_COLUMN = 30

CONVERSIONS = {
    "coords-parentheses": "coordinates written in parentheses, read as longitude,latitude",
    "coords-swapped": "coordinates written latitude first, swapped back (coords_swapped_in_source = 1)",
    "coords-missing": "tickets without coordinates (latitude and longitude left empty)",
    "coords-unreadable": "unreadable coordinates left empty",
    "coords-outside-bangkok": "tickets whose point lies outside the Bangkok box, kept and flagged "
    "(coords_outside_bangkok = 1)",
    "other-province": "tickets from provinces other than Bangkok, kept with an empty district_code",
    "ticket-without-year": "ticket ids without the year prefix (YYYY-), published as written",
    "last-activity-before-report": "finished tickets whose last activity is before the report: "
    "days_to_last_activity left empty",
}
UNKNOWN = {
    "type": ("type not in the list of known types: kept", "ประเภทที่ไม่รู้จัก: เก็บไว้"),
    "state": ("state not in the list of known states: kept", "สถานะที่ไม่รู้จัก: เก็บไว้"),
    "status": ("status not report, inprogress or finish: kept", "สถานะงานที่ไม่รู้จัก: เก็บไว้"),
    "district": ("Bangkok district not recognised: district_code left empty", "ไม่รู้จักชื่อเขต: ไม่ได้ระบุรหัสเขต"),
    "province": ("province not recognised: kept as written", "ไม่รู้จักชื่อจังหวัด: เก็บตามที่เขียน"),
    "coords": ("unreadable coordinates: left empty", "อ่านพิกัดไม่ได้"),
    "timestamp": ("unreadable time: left empty", "อ่านเวลาไม่ได้"),
    "last_activity": ("unreadable time: left empty", "อ่านเวลาไม่ได้"),
    "star": ("star is not a whole number 1-5: left empty", "คะแนนไม่ใช่ 1-5"),
    "count_reopen": ("count_reopen is not a whole number: left empty", "จำนวนเปิดซ้ำไม่ใช่จำนวนเต็ม"),
}


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


def report(
    display: str,
    staged: Staged,
    totals: Totals,
    rows_read: int,
    rows_rejected: int,
    reasons: Counter,
    what: str = "rows",
) -> None:
    """The reconciliation, redactions and dirt of the file, as info and warning lines."""
    add = staged.report.add
    published = rows_read - rows_rejected
    why = "; ".join(f"{n} {reason}" for reason, n in reasons.most_common()) or "none"
    add(
        Problem(
            display,
            None,
            None,
            "reconciliation",
            f"{rows_read} {what} read = {published} published in complaints + {rows_rejected} rejected "
            f"in {REJECTED} ({why})",
            f"อ่าน {rows_read} แถว = เผยแพร่ {published} + ปฏิเสธ {rows_rejected}",
            "info",
        )
    )
    counts = totals.redactions
    add(
        Problem(
            display,
            None,
            None,
            "redaction",
            "PDPA redaction: "
            + ", ".join(f"{counts.get(kind, 0)} {kind.replace('_', ' ')} {marker}" for kind, marker in KINDS.items()),
            "ปกปิดข้อมูลส่วนบุคคล: " + ", ".join(f"{marker} {counts.get(kind, 0)}" for kind, marker in KINDS.items()),
            "info",
        )
    )
    for key, text in CONVERSIONS.items():
        if totals.notes[key]:
            add(Problem(display, None, None, key, f"{totals.notes[key]} {text}", "", "info"))
    for column in ("province", "district"):
        fuzzy = sorted(
            ((n, written, matched) for (c, written, matched), n in totals.fuzzy.items() if c == column), reverse=True
        )
        if fuzzy:
            examples = ", ".join(f'"{w}" -> {m} ({n})' for n, w, m in fuzzy[:10])
            add(
                Problem(
                    display,
                    None,
                    column,
                    "spelling",
                    f"{sum(n for n, _, _ in fuzzy)} rows with {len(fuzzy)} misspelt {column} names "
                    f"matched by similarity: {examples}{' ...' if len(fuzzy) > 10 else ''}",
                    f"ชื่อ{'จังหวัด' if column == 'province' else 'เขต'}ที่สะกดผิด {len(fuzzy)} แบบ จับคู่ด้วยความคล้าย",
                    "info",
                )
            )
    for column, counter in totals.unknown.items():
        message, message_th = UNKNOWN[column]
        for value, n in counter.most_common(WARNINGS_PER_COLUMN):
            add(
                Problem(
                    display,
                    totals.first_row[(column, value)],
                    column,
                    "unknown-value",
                    f'{message}: "{value}" in {n} row(s), first here',
                    f'{message_th}: "{value}" {n} แถว',
                    "warning",
                )
            )
        if len(counter) > WARNINGS_PER_COLUMN:
            add(
                Problem(
                    display,
                    None,
                    column,
                    "unknown-value",
                    f"{len(counter) - WARNINGS_PER_COLUMN} more unknown {column} values not listed",
                    "",
                    "warning",
                )
            )


def conclude(display: str, source, staged: Staged, stager, started: float, what: str = "rows") -> None:
    """The end of staging a file: its report, the refusal of a file that publishes nothing, and
    the statistics build_files shows."""
    rows_rejected = sum(stager.reasons.values())
    report(display, staged, stager.totals, stager.rows_read, rows_rejected, stager.reasons, what)
    if stager.rows_read == 0 and not source.descriptor.get("allowEmpty"):
        staged.report.add(no_data_rows(display))
    elif stager.rows_read and rows_rejected == stager.rows_read:
        reason = stager.reasons.most_common(1)[0][0]
        staged.report.add(
            Problem(
                display,
                None,
                None,
                "table-dimensions",
                f"none of the {stager.rows_read} {what} can be published (most often: {reason}; every one is in "
                f"{REJECTED} with its reason): check that the file is what the adapter reads",
                f"ไม่มีแถวใดเผยแพร่ได้เลยจาก {stager.rows_read} แถว: ตรวจสอบว่าไฟล์ถูกต้อง",
            )
        )
    staged.stats[source.name] = {
        "file": display,
        "rows_read": stager.rows_read,
        "rows_rejected": rows_rejected,
        "rows_copied": stager.copied,  # published unchanged without being parsed again (digests.py)
        "redactions": {k: n for k, n in stager.totals.redactions.items() if n},
        "seconds": time.perf_counter() - started,
    }
