"""Staging Traffy Fondue tickets, whatever the format: pieces of parsed rows added in reading order,
each ticket staged once, every record published or rejected with its reason (publishing.py
publishes them, or updates the published table in place).

A format module reads its file(s) as records (a CSV row, a JSON object), makes Pieces of them
(make_piece: the normalised rows as a small SQLite database, and the records it refused) and hands
them to a Stager in reading order. The Stager keeps the tallies and the reconciliation, and the
staging table's primary key on ticket_id catches a ticket already staged by an earlier piece: that
row is rejected as a duplicate and what its parsing counted is taken back, so the result is the
same however the records were cut into pieces (in worker processes for a large dump).

The rows are staged as they are published: the staging table is declared like the published one
(without its foreign keys, whose tables are elsewhere) and numbered like it (rowid), so the build
copies it as it is. The Thai search index is built by a process of its own from the rows as they
are committed (openbangkok.pipeline.search_index). In an update in place only the parsed rows are
staged; a record whose published row is unchanged (digests.py) is staged by its key, in
`<table>_kept`, and duplicates are looked for in both tables.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import sqlite_utils

from openbangkok.adapters.traffy.columns import PUBLISHED
from openbangkok.adapters.traffy.digests import (
    DIGEST_COLUMN,
    KEPT_SUFFIX,
    SOURCE_ROWS_SUFFIX,
    Known,
    RowTally,
    record_digest,
)
from openbangkok.adapters.traffy.normalise import Normaliser, Tally, refusal
from openbangkok.adapters.traffy.report import REJECTED, Totals
from openbangkok.model.catalog import Source
from openbangkok.pipeline.csv_rules import MAX_CELL_CHARACTERS
from openbangkok.pipeline.stage import ROW_COLUMN, create_table
from openbangkok.thai.redact import Redactor, may_hold_personal_data

SEARCHED = ("comment", "address", "types")  # the columns of the search index, in its order
REJECTED_COLUMNS = (
    "source_row",
    "source_file",
    "source_line",
    "ticket_id",
    "reason",
    "reason_th",
    "raw_record",
    "source",
)
FTS_SUFFIX = "_fts"
STAGING_CACHE_KIB = 32768  # page cache of the staging database while pieces are added
# Rows staged between commits (a piece database can be replaced inside the open transaction). Each
# commit writes every page of the ticket_id index the rows since the last one touched, which is
# most of it: random ids. Committed after each piece, the log and the commits' time grew many times
# over (benchmarks/README.md, Build: staging committed every 100,000 rows).
COMMIT_ROWS = 100_000


class RecordFormat(Protocol):
    """What the Stager needs to know of a format's records (a CSV row's cells, a JSON object)."""

    def normaliser(self) -> Normaliser:
        """A Normaliser for this source, as the format's own reading uses."""

    def raw(self, record) -> tuple:
        """The record's texts in columns.RAW_FIELDS order."""

    def status(self, record) -> str:
        """The record's workflow status ("" when the format has none)."""

    def raw_text(self, record) -> str:
        """The record as written (before redaction), for complaints_rejected."""


def source_label(source: Source) -> str:
    """The text of each published row's `source`: the resource's first source, title and address."""
    first = (source.descriptor.get("sources") or [{}])[0]
    title = first.get("title", source.descriptor["path"])
    return f"{title}, {first['path']}" if first.get("path") else title


@dataclass
class Piece:
    """Rows made from some records of a file (row numbers local: 1 = its first record)."""

    db: bytes  # serialized SQLite database: table rows
    rows: int  # rows in `rows` (published unless a duplicate of an earlier piece)
    rejected: list[tuple]  # (row, line, ticket_id or None, reason or None for a duplicate, reason_th, raw)
    records: int  # records read
    tally: Tally
    redactions: Counter
    file: str = ""  # the file the records come from (complaints_rejected.source_file)
    kept: int = 0  # rows left as published (unchanged records): only their keys are staged


def piece_database(rows: list[tuple], kept: list[tuple]) -> bytes:
    """rows: the parsed rows (row, *PUBLISHED, digest); kept: (row, ticket_id, digest) of the
    records published unchanged (a narrow table: rows of 30 columns mostly NULL were written at
    32 µs a row, these at 3)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("pragma page_size = 65536")  # with the default pages and cache, twice as slow
    columns = ", ".join(f"[{c}]" for c in (*PUBLISHED, DIGEST_COLUMN))
    conn.execute(f"create table rows ({ROW_COLUMN} integer primary key, {columns})")
    conn.execute(f"create table kept ({ROW_COLUMN} integer primary key, ticket_id, {DIGEST_COLUMN})")
    conn.executemany(f"insert into rows values (?{', ?' * (len(PUBLISHED) + 1)})", rows)
    conn.executemany("insert into kept values (?, ?, ?)", kept)
    conn.commit()
    data = conn.serialize()
    conn.close()
    return data


def clipped(raw: str) -> str:
    """A rejected record as its file has it, cut at csv_rules.MAX_CELL_CHARACTERS (an Excel artefact of
    10,000 empty cells, or a pasted file, is no cell for the site to serve)."""
    return raw if len(raw) <= MAX_CELL_CHARACTERS else raw[:MAX_CELL_CHARACTERS] + "…"


def make_piece(
    normaliser: Normaliser, fmt: RecordFormat, entries, file: str = "", rules: bytes = b"", known: Known | None = None
) -> Piece:
    """A piece of `entries`: (record, line, refusal) in reading order, where refusal is None or the
    (reason, reason_th, ticket_id or None) a format found (an unreadable record, a copy); rows
    numbered from 1. A record whose ticket_id another record of the piece had is rejected as a
    duplicate (reason None). A record `known` has published unchanged (digests.Known, under
    `rules`) is not normalised again: only its key is staged, its published row left as it is."""
    entries = list(entries)
    rows, kept, rejected, candidates = [], [], [], []
    seen: set[str] = set()
    redactor = normaliser.redactor
    raw_of, values, status_of = fmt.raw, normaliser.values, fmt.status  # looked up once: once per row below
    for record, _line, refused in entries:
        if refused is not None:
            candidates.append(None)
            continue
        raw = raw_of(record)
        status = status_of(record) if status_of else ""
        candidates.append((raw, status, record_digest(rules, raw, status)))
    firsts: dict[str, int] = {}  # a ticket's later records in the piece are duplicates
    for candidate in candidates if known is not None else ():
        if candidate is not None:
            firsts.setdefault(candidate[0][0].strip(), candidate[2])
    unchanged = known.unchanged(firsts) if firsts else set()
    row_tally = RowTally(normaliser)
    for number, ((record, line, refused), candidate) in enumerate(zip(entries, candidates), 1):
        if refused is not None:
            reason, reason_th, ticket = refused
            rejected.append((number, line, ticket, reason, reason_th, redactor.redact(clipped(fmt.raw_text(record)))))
            row_tally.row_done()
            continue
        raw, status, digest = candidate
        ticket = raw[0].strip()
        refused = None if ticket and not may_hold_personal_data(ticket) else refusal(ticket)
        if refused is not None:
            rejected.append((number, line, None, *refused, redactor.redact(clipped(fmt.raw_text(record)))))
        elif ticket in seen:
            rejected.append((number, line, ticket, None, None, redactor.redact(clipped(fmt.raw_text(record)))))
        elif ticket in unchanged:
            seen.add(ticket)
            kept.append((number, ticket, digest))
            continue
        else:
            seen.add(ticket)
            row = values(raw, number, status) if status_of else values(raw, number)
            rows.append((*row, digest if row_tally.row_done() else None))
            continue
        row_tally.row_done()
    tally, redactions = row_tally.take()
    return Piece(
        piece_database(rows, kept), len(rows) + len(kept), rejected, len(entries), tally, redactions, file, len(kept)
    )


class Stager:
    """Adds pieces to the staging tables in reading order and keeps the file's tallies."""

    def __init__(self, db: sqlite_utils.Database, source: Source, fmt: RecordFormat, search=None):
        self.db = db
        self.search = search
        self.conn = db.conn
        self.source = source
        self.fmt = fmt
        self.table = source.name
        self.source_rows = f"{source.name}{SOURCE_ROWS_SUFFIX}"
        self.kept = f"{source.name}{KEPT_SUFFIX}"
        self.columns = [f["name"] for f in source.published_schema["fields"]]
        unknown = set(self.columns) - set(PUBLISHED)
        if unknown:
            raise ValueError(
                f"{source.name}: the published schema has columns the adapter does not make: {sorted(unknown)}"
            )
        if source.published_schema.get("primaryKey") != ["ticket_id"]:
            raise ValueError(f"{source.name}: the adapter finds duplicates by the primary key ticket_id")
        self.totals = Totals()
        self.reasons: Counter = Counter()
        self.rows_read = 0
        self.copied = 0  # rows left as published: their records had not changed
        self.published = 0
        self.committed = 0  # rows committed (the search index reads only those)
        self.row_offset = 1  # added to a piece's row numbers: the header is row 1, as frictionless counts
        self.line_offset = 0
        self.redactor = Redactor()  # raw records of rows found to be duplicates here
        self.source_label = source_label(source)
        self.create_tables()

    def set_first_row(self, number: int) -> None:
        """The number of the first record (1 for formats without a header row)."""
        self.row_offset = number - 1

    def create_tables(self) -> None:
        conn = self.conn
        for table in (self.table, self.source_rows, self.kept, REJECTED):
            conn.execute(f"drop table if exists main.[{table}]")  # not the attached published database
        create_table(self.db, {**self.source.published_schema, "foreignKeys": []}, self.table)
        conn.execute(
            f"create table [{self.source_rows}] (published_rowid integer primary key, source_row integer, "
            f"{DIGEST_COLUMN} integer)"
        )
        conn.execute(
            f"create table [{self.kept}] (ticket_id text primary key, source_row integer, {DIGEST_COLUMN} integer) "
            "without rowid"
        )
        conn.execute(f"create table [{REJECTED}] (" + ", ".join(f"[{c}]" for c in REJECTED_COLUMNS) + ")")
        conn.execute(f"pragma cache_size = -{STAGING_CACHE_KIB}")
        if "piece" not in {r[1] for r in conn.execute("pragma database_list")}:
            conn.execute("attach ':memory:' as piece")

    def add(self, piece: Piece, lines: int | None, records_of: Callable) -> None:
        """Adds a piece: its rows, rejected rows and tallies. `lines`: the physical lines it spans
        (None when its line numbers are those of the file); records_of(set of local rows) ->
        {row: (record, line)} for rows found to be duplicates here. The parsed rows are staged in
        the table, the unchanged ones (left as published) by their key only, in `kept`."""
        conn, offset, published = self.conn, self.row_offset, self.published
        conn.deserialize(piece.db, name="piece")
        columns = ", ".join(f"[{c}]" for c in self.columns)
        # a ticket an earlier piece kept unchanged: its parsed copy here is a duplicate
        not_kept = f" where ticket_id not in (select ticket_id from main.[{self.kept}])" if self.copied else ""
        before = conn.total_changes
        conn.execute(
            f"insert or ignore into main.[{self.table}] ({columns}) "
            f"select {columns} from piece.rows{not_kept} order by {ROW_COLUMN}"
        )
        added = conn.total_changes - before
        kept = 0
        if piece.kept:
            before = conn.total_changes
            conn.execute(
                f"insert or ignore into main.[{self.kept}] select ticket_id, {ROW_COLUMN} + ?, {DIGEST_COLUMN} "
                f"from piece.kept k where not exists (select 1 from main.[{self.table}] s "
                f"where s.ticket_id = k.ticket_id) order by {ROW_COLUMN}",
                (offset,),
            )
            kept = conn.total_changes - before
        duplicates: list[int] = []
        if added + kept < piece.rows:  # rows whose ticket_id an earlier piece staged or kept
            duplicates = [
                row
                for (row,) in conn.execute(
                    f"select p.{ROW_COLUMN} from (select {ROW_COLUMN}, ticket_id from piece.rows union all "
                    f"select {ROW_COLUMN}, ticket_id from piece.kept) p "
                    f"where exists (select 1 from main.[{self.table}] s where s.ticket_id = p.ticket_id "
                    f"and s.rowid <= ?) or exists (select 1 from main.[{self.kept}] k "
                    f"where k.ticket_id = p.ticket_id and k.source_row <= ?)",
                    (published, offset),
                )
            ]
            if len(duplicates) != piece.rows - added - kept:
                raise RuntimeError(f"{self.table}: rows of a piece were neither staged nor duplicates")
        conn.execute(
            f"insert into main.[{self.source_rows}] select ? + row_number() over (order by {ROW_COLUMN}), "
            f"{ROW_COLUMN} + ?, {DIGEST_COLUMN} from piece.rows "
            f"where {ROW_COLUMN} not in ({', '.join('?' * len(duplicates))}) order by {ROW_COLUMN}",
            (published, offset, *duplicates),
        )
        self.totals.add(piece.tally, piece.redactions, offset, skip=set(duplicates))
        entries = piece.rejected + (self.late_duplicates(records_of(set(duplicates))) if duplicates else [])
        line_offset = self.line_offset if lines is not None else 0
        rejected = [
            self.rejected_row(row + offset, piece.file, line + line_offset, ticket, reason, reason_th, raw)
            for row, line, ticket, reason, reason_th, raw in sorted(entries, key=lambda e: e[0])
        ]
        conn.executemany(f"insert into main.[{REJECTED}] values ({', '.join('?' * len(REJECTED_COLUMNS))})", rejected)
        self.published += added
        self.copied += kept
        if self.published - self.committed >= COMMIT_ROWS:
            self.commit()
        self.rows_read += piece.records
        self.row_offset += piece.records
        if lines is not None:
            self.line_offset += lines

    def rejected_row(
        self,
        row: int,
        file: str,
        line: int | None,
        ticket: str | None,
        reason: str | None,
        reason_th: str | None,
        raw: str,
    ) -> tuple:
        if reason is None:  # a duplicate: the row it first appeared in, as published
            (first,) = self.conn.execute(
                f"select r.source_row from main.[{self.table}] s join main.[{self.source_rows}] r "
                f"on r.published_rowid = s.rowid where s.ticket_id = ?1 "
                f"union all select source_row from main.[{self.kept}] where ticket_id = ?1",
                (ticket,),
            ).fetchone()
            reason, reason_th = (f"duplicate ticket_id (first in row {first})", f"รหัสเรื่องซ้ำ (ครั้งแรกที่แถว {first})")
        self.reasons[reason.split(" (")[0].split(":")[0]] += 1
        return (row, file or None, line, ticket, reason, reason_th, raw, self.source_label)

    def late_duplicates(self, records: dict[int, tuple[object, int]]) -> list[tuple]:
        """Rows a piece published whose ticket_id an earlier piece published first: rejected (as
        make_piece() rejects a duplicate), and what their parsing counted taken back."""
        entries = []
        for local, (record, line) in records.items():
            scratch = self.fmt.normaliser()
            raw = self.fmt.raw(record)
            scratch.values(raw, local, self.fmt.status(record) if self.fmt.status else "")
            self.totals.remove(*scratch.take_tally())
            entries.append((local, line, raw[0].strip(), None, None, self.redactor.redact(self.fmt.raw_text(record))))
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
