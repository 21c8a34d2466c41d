"""Records that did not change since the published file, found before the per-row work (issue 25).

An incremental build reads the whole new input again (every record must be published or
reported), but a record whose raw texts are those of the row already published needs no
normalisation, redaction or check again: its published row is left as it is (only its key is
staged, in `<table>_kept`). Each published row
that noted nothing (see `RowTally`) is remembered in the hidden table `<table>_row_digests`
(ticket_id, digest) by a 64-bit digest of its record's texts and of the rules that made it
(`rules_digest`: the normalisation's and redaction's code, the published schema, the source's
label), so a changed rule matches no digest and every record takes the full path again.

    rules_digest(source, module)    the rules a published row depends on, besides its record
    record_digest(rules, raw, status)   one record's digest
    Known(path, table)              the digests of the published file, asked a piece at a time
    RowTally(normaliser)            each row's tally taken apart: clean rows, and the piece's tally

Only rows whose normalisation noted nothing (no conversion, unknown value, fuzzy match or
redaction) are remembered: the others are parsed at every build, so the file's report (counts,
first rows of unknown values) is a full build's, and no digest covers a record whose personal data
was redacted (one who knows the rest of such a record could try every phone number against it).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from functools import cache
from pathlib import Path

import sqlite_utils

from openbangkok.adapters.traffy.normalise import Normaliser, Tally
from openbangkok.model.catalog import Source
from openbangkok.pipeline import in_place
from openbangkok.pipeline.stage import STAGING, Staged

DIGESTS_SUFFIX = "_row_digests"
SOURCE_ROWS_SUFFIX = "_source_rows"  # staging: the row of the file each staged row comes from, its digest
KEPT_SUFFIX = "_kept"  # staging: the tickets left as published (ticket_id, row of the file, digest)
DIGEST_COLUMN = "_digest"  # a piece's rows: the record's digest
THAI = Path(__file__).resolve().parents[2] / "thai"
# The normalisation's modules beside this one (tests/test_structure.py checks that every module
# normalise.py imports is covered) and the staging, which decides what is published or rejected.
NORMALISATION = ("columns.py", "parse.py", "normalise.py", "staging.py")


def code_files(module_file: str) -> list[Path]:
    """The code a published row depends on: the Thai rules (redaction, digits, places), the
    normalisation, this module and the format's own reading."""
    here = Path(__file__).resolve().parent
    return [*sorted(THAI.glob("*.py")), *(here / name for name in NORMALISATION), Path(__file__), Path(module_file)]


@cache
def _code_digest(module_file: str) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for path in code_files(module_file):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.digest()


def rules_digest(source: Source, module_file: str, label: str) -> bytes:
    """What a published row depends on besides its record: the code (_code_digest), the published
    schema, whether the source is illustrative and its label."""
    described = json.dumps(
        [source.published_schema, bool(source.descriptor.get("illustrative", False)), label],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.blake2b(_code_digest(module_file) + described.encode(), digest_size=16).digest()


def record_digest(rules: bytes, raw: tuple, status: str) -> int:
    """A record's digest: its texts (columns.RAW_FIELDS order) and status, under `rules`."""
    text = "\x1f".join(raw) + "\x1e" + status
    return int.from_bytes(
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8, key=rules).digest(), "big", signed=True
    )


def digests_table(table: str) -> str:
    return f"{table}{DIGESTS_SUFFIX}"


class Known:
    """The digests of the rows published in `path` (read-only; opened on first use, in whichever
    process asks: the build's or a worker)."""

    def __init__(self, path: Path, table: str):
        self.path, self.table = str(path), digests_table(table)
        self._conn: sqlite3.Connection | None = None

    def __getstate__(self):
        return {"path": self.path, "table": self.table, "_conn": None}

    def unchanged(self, digests: dict[str, int]) -> set[str]:
        """The tickets of {ticket: digest} whose published row was made from a record of that digest."""
        if not digests:
            return set()
        if self._conn is None:
            self._conn = sqlite3.connect(f"{Path(self.path).as_uri()}?mode=ro", uri=True, check_same_thread=False)
        return {
            ticket
            for (ticket,) in self._conn.execute(
                f"select j.key from json_each(?) j join [{self.table}] d on d.ticket_id = j.key and d.digest = j.value",
                (json.dumps(digests, ensure_ascii=False),),
            )
        }


def staged_digests(table: str) -> str:
    """SQL: (ticket_id, digest) of the staged rows whose record noted nothing."""
    return (
        f"select s.ticket_id, r.{DIGEST_COLUMN} from {STAGING}.[{table}] s "
        f"join {STAGING}.[{table}{SOURCE_ROWS_SUFFIX}] r on r.published_rowid = s.rowid "
        f"where r.{DIGEST_COLUMN} is not null"
    )


def publish_digests(db: sqlite_utils.Database, table: str) -> None:
    """The digests of the rows published from records that noted nothing (digests.py), for the next
    incremental build; in key order, so that the index is written in order."""
    name = digests_table(table)
    db.execute(f"drop table if exists main.[{name}]")
    db.execute(f"create table main.[{name}] (ticket_id text primary key, digest integer not null) without rowid")
    db.execute(f"insert into main.[{name}] {staged_digests(table)} order by s.ticket_id")


def update_digests(db: sqlite_utils.Database, table: str) -> None:
    """The digests of the rows parsed again (every staged row) replaced, those of removed rows
    deleted; those of the rows left as published stay (equal by construction)."""
    name = digests_table(table)
    if not db[name].exists():
        publish_digests(db, table)
        return
    # two statements: with `or` between the two lists SQLite read the whole digests table
    db.execute(f"delete from main.[{name}] where ticket_id in ({in_place.keys_of('removed')})")
    db.execute(f"delete from main.[{name}] where ticket_id in (select ticket_id from {STAGING}.[{table}])")
    db.execute(f"insert into main.[{name}] {staged_digests(table)} order by s.ticket_id")


def known_digests(source: Source, staged: Staged) -> Known | None:
    """The digests of the published file for a source updated in place (None: every record parsed)."""
    if source.name not in staged.updated_in_place or staged.previous_db is None:
        return None
    conn = sqlite3.connect(f"{staged.previous_db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        found = conn.execute(
            "select 1 from sqlite_master where type = 'table' and name = ?", (digests_table(source.name),)
        ).fetchone()
    finally:
        conn.close()
    return Known(staged.previous_db, source.name) if found else None


class RowTally:
    """Gives the normaliser a tally of its own for each row, so that a row that noted nothing can be
    told (`row_done`), and adds each row's tally to the piece's (`take`: the piece's tally and
    redaction counts, the normaliser left with fresh ones as take_tally() leaves it)."""

    def __init__(self, normaliser: Normaliser):
        self.normaliser = normaliser
        self.tally, self.redactions = normaliser.take_tally()  # what was noted before this piece
        normaliser.tally, normaliser.redactor.counts = Tally(), Counter()

    def row_done(self) -> bool:
        """True when the row (or the rejected record's redaction) since the last call noted nothing."""
        row, counts = self.normaliser.tally, self.normaliser.redactor.counts
        if not (row.seen or row.notes or row.fuzzy or counts):
            return True
        tally = self.tally
        for key, rows in row.seen.items():
            tally.seen.setdefault(key, []).extend(rows)
        tally.notes.update(row.notes)
        tally.fuzzy.update(row.fuzzy)
        self.redactions.update(counts)
        self.normaliser.tally, self.normaliser.redactor.counts = Tally(), Counter()
        return False

    def take(self) -> tuple[Tally, Counter]:
        self.row_done()
        self.normaliser.take_tally()
        return self.tally, self.redactions
