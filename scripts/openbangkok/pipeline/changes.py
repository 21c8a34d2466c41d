"""What changed: each rebuilt table compared with the one the published file had, recorded in
build_changes (model.build_record.CHANGES_TABLE), one row per build (numbered) and table.

A table with a primary key is compared by its key in one pass: the new table joined to the previous
one on the key (the previous table's primary-key index answers each row) counts the rows kept and,
among them, those whose values differ; added = rows now - rows kept, removed = rows before - rows
kept. Example keys are read only when there are some to find (limit EXAMPLES). A table without a
primary key (rowid only) is compared by row content (EXCEPT over its columns, distinct rows).
The previous file is attached read-only; it is the published one, untouched until the build renames
the new file over it. The history of earlier builds is kept (copied over when the new file starts
empty).
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from openbangkok.model.build_record import CHANGES_TABLE, FILES_TABLE

PREVIOUS = "previous_build"
EXAMPLES = 5
COLUMNS = {
    "build": int,
    "built_at": str,
    "dataset": str,
    "table_name": str,
    "compared_by": str,
    "rows_before": int,
    "rows_after": int,
    "added": int,
    "changed": int,
    "removed": int,
    "added_examples": str,
    "changed_examples": str,
    "removed_examples": str,
}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(db: sqlite_utils.Database, schema: str, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"pragma {schema}.table_info({_quoted(table)})").fetchall()]


def _exists(db: sqlite_utils.Database, schema: str, table: str) -> bool:
    return bool(
        db.execute(f"select 1 from {schema}.sqlite_master where type = 'table' and name = ?", [table]).fetchone()
    )


def _examples(db: sqlite_utils.Database, sql: str) -> str:
    return json.dumps([json.loads(r[0]) for r in db.execute(f"{sql} limit {EXAMPLES}")], ensure_ascii=False)


def compare_by_key(db: sqlite_utils.Database, table: str, keys: list[str], columns: list[str]) -> dict:
    new, old = f"main.{_quoted(table)}", f"{PREVIOUS}.{_quoted(table)}"
    on = " and ".join(f"o.{_quoted(k)} = n.{_quoted(k)}" for k in keys)
    differs = " or ".join(f"n.{_quoted(c)} is not o.{_quoted(c)}" for c in columns if c not in keys) or "0"
    key_json = "json_array(" + ", ".join(f"{{t}}.{_quoted(k)}" for k in keys) + ")"
    after = db.execute(f"select count(*) from {new}").fetchone()[0]
    before = db.execute(f"select count(*) from {old}").fetchone()[0]
    kept, changed = db.execute(
        f"select count(*), coalesce(sum({differs}), 0) from {new} n join {old} o on {on}"
    ).fetchone()
    counts = {
        "rows_before": before,
        "rows_after": after,
        "added": after - kept,
        "changed": changed,
        "removed": before - kept,
    }
    missing = "not exists (select 1 from {other} o where {on})"
    counts["added_examples"] = (
        _examples(db, f"select {key_json.format(t='n')} from {new} n where " + missing.format(other=old, on=on))
        if counts["added"]
        else "[]"
    )
    counts["removed_examples"] = (
        _examples(
            db, f"select {key_json.format(t='o')} from {old} o where not exists (select 1 from {new} n where {on})"
        )
        if counts["removed"]
        else "[]"
    )
    counts["changed_examples"] = (
        _examples(db, f"select {key_json.format(t='n')} from {new} n join {old} o on {on} where {differs}")
        if changed
        else "[]"
    )
    return counts


def compare_by_content(db: sqlite_utils.Database, table: str, columns: list[str]) -> dict:
    listed = ", ".join(_quoted(c) for c in columns)
    new, old = f"main.{_quoted(table)}", f"{PREVIOUS}.{_quoted(table)}"
    added = db.execute(
        f"select count(*) from (select {listed} from {new} except select {listed} from {old})"
    ).fetchone()[0]
    removed = db.execute(
        f"select count(*) from (select {listed} from {old} except select {listed} from {new})"
    ).fetchone()[0]
    return {
        "rows_before": db.execute(f"select count(*) from {old}").fetchone()[0],
        "rows_after": db.execute(f"select count(*) from {new}").fetchone()[0],
        "added": added,
        "changed": None,
        "removed": removed,
        "added_examples": "[]",
        "changed_examples": "[]",
        "removed_examples": "[]",
    }


def known_changes(db: sqlite_utils.Database, table: str, keys: list[str], known) -> dict:
    """The counts of a table updated in place, from the keys its update found (in_place.Changes: the
    same comparison, every column by the key), instead of comparing the tables again (a million
    rows: about 8 CPU seconds)."""

    def examples(found: list) -> str:
        return json.dumps([[key] for key in found[:EXAMPLES]], ensure_ascii=False)

    return {
        "compared_by": "primary key / คีย์หลัก: " + ", ".join(keys),
        "rows_before": db.execute(f"select count(*) from {PREVIOUS}.{_quoted(table)}").fetchone()[0],
        "rows_after": db.execute(f"select count(*) from main.{_quoted(table)}").fetchone()[0],
        "added": len(known.added),
        "changed": len(known.changed),
        "removed": len(known.removed),
        "added_examples": examples(known.added),
        "changed_examples": examples(known.changed),
        "removed_examples": examples(known.removed),
    }


def table_changes(db: sqlite_utils.Database, table: str, had_previous: bool, known=None) -> dict:
    """The counts of one table against the previous file's (attached as PREVIOUS when had_previous);
    `known`: the keys an update in place found (in_place.Changes), for a table with a one-column key."""
    keys = [k for k in db[table].pks if k != "rowid"]
    if known is not None and had_previous and len(keys) == 1 and _exists(db, PREVIOUS, table):
        return known_changes(db, table, keys, known)
    if not had_previous or not _exists(db, PREVIOUS, table):
        rows = db.execute(f"select count(*) from main.{_quoted(table)}").fetchone()[0]
        return {
            "compared_by": "new table / ตารางใหม่",
            "rows_before": None,
            "rows_after": rows,
            "added": rows,
            "changed": 0,
            "removed": 0,
            "added_examples": "[]",
            "changed_examples": "[]",
            "removed_examples": "[]",
        }
    previous_columns = set(_columns(db, PREVIOUS, table))
    columns = [c for c in _columns(db, "main", table) if c in previous_columns]
    if keys and set(keys) <= previous_columns:
        return {"compared_by": "primary key / คีย์หลัก: " + ", ".join(keys), **compare_by_key(db, table, keys, columns)}
    return {"compared_by": "row content / เนื้อหาแถว", **compare_by_content(db, table, columns)}


def record_changes(
    db: sqlite_utils.Database, previous_db: Path | None, tables: dict[str, str], known: dict | None = None
) -> None:
    """One build_changes row per table of `tables` ({table: dataset}), compared with previous_db's;
    `known`: {table: in_place.Changes} of the tables updated in place."""
    known = known or {}
    built_at = db.execute(f"select max(built_at) from {FILES_TABLE}").fetchone()[0]
    had_previous = previous_db is not None and Path(previous_db).exists()
    if had_previous:
        db.execute(f"attach ? as {PREVIOUS}", [f"file:{Path(previous_db).resolve()}?mode=ro"])
    try:
        if not db[CHANGES_TABLE].exists():
            db[CHANGES_TABLE].create(COLUMNS, pk=("build", "table_name"))
            if had_previous and _exists(db, PREVIOUS, CHANGES_TABLE):  # a full rebuild keeps the history
                listed = ", ".join(COLUMNS)
                db.execute(
                    f"insert or ignore into main.{CHANGES_TABLE} ({listed}) "
                    f"select {listed} from {PREVIOUS}.{CHANGES_TABLE}"
                )
        # builds are numbered: two builds may start within the same second
        number = db.execute(f"select coalesce(max(build), 0) + 1 from {CHANGES_TABLE}").fetchone()[0]
        rows = [
            {
                "build": number,
                "built_at": built_at,
                "dataset": dataset,
                "table_name": table,
                **table_changes(db, table, had_previous, known.get(table)),
            }
            for table, dataset in tables.items()
        ]
        db[CHANGES_TABLE].insert_all(rows, replace=True)
        db.conn.commit()
    finally:
        if had_previous:
            db.execute(f"detach {PREVIOUS}")
