"""The staged Traffy Fondue tickets published: complaints, complaints_rejected, the row digests and
the Thai search index (complaints_fts); or, when the build updates the published file in place, only
what changed applied to it (openbangkok.pipeline.in_place) with the search index's entries of those
rows. The same for every format: dump_csv.py and api_pages.py name these as their Adapter functions.
"""

from __future__ import annotations

import sqlite_utils

from openbangkok.adapters.traffy.digests import KEPT_SUFFIX, digests_table, publish_digests, update_digests
from openbangkok.adapters.traffy.report import REJECTED
from openbangkok.adapters.traffy.staging import FTS_SUFFIX, SEARCHED
from openbangkok.model.catalog import Source
from openbangkok.pipeline import in_place
from openbangkok.pipeline.stage import STAGING, Staged, create_table
from openbangkok.thai.search import TOKENIZE

REINDEXED = "temp.reindexed_keys"  # the changed rows whose searched texts changed (update())


def prepare_staging(db: sqlite_utils.Database, staged: Staged) -> None:
    """The staging database made ready for a build: the search index reads while rows are staged."""
    if staged.for_build:
        db.conn.commit()
        db.conn.execute("pragma main.journal_mode = wal")
        # the staging database is thrown away after the build: no need to copy its write-ahead log
        # back into it every 1,000 pages (SQLite's default), writing every row twice
        db.conn.execute("pragma wal_autocheckpoint = 0")


def fts_sql(fts: str) -> str:
    return f"create virtual table [{fts}] using fts5({', '.join(SEARCHED)}, content='', tokenize=\"{TOKENIZE}\")"


def index_values(comment: str, address: str, types: str) -> str:
    """SQL: the texts the search index takes for a row, of the SQL expressions of its columns."""
    # thai_search.index_text (Thai runs as bigrams). The types are indexed as their JSON text: its
    # brackets, quotes and commas separate tokens as the spaces between the items would, unless an
    # item holds an escape (\", \n...), rare enough to be read out of the JSON then.
    return (
        f"thai_index_text({comment}), thai_index_text({address}), "
        f"thai_index_text(iif(instr({types}, '\\'), (select group_concat(value, ' ') from json_each({types})), {types}))"
    )


def search_index(source: Source, staged: Staged):
    """The search index, started (for a build only), to be given the rows as they are staged; none
    for a table updated in place (update() changes its index's entries)."""
    if source.name in staged.updated_in_place:
        return None
    fts = f"{source.name}{FTS_SUFFIX}"
    return staged.search_index(
        fts,
        fts_sql(fts),
        f"select rowid, comment, address, types from [{source.name}] where rowid > ? and rowid <= ? order by rowid",
        f"insert into [{fts}] (rowid, {', '.join(SEARCHED)}) values (?1, {index_values('?2', '?3', '?4')})",
    )


def publish(db: sqlite_utils.Database, source: Source, staged: Staged) -> int:
    """complaints, complaints_rejected and the Thai search index complaints_fts (filled by the
    background work the format's stage() started: staged.deferred)."""
    create_table(db, source.published_schema, source.name)
    # staged as published: SQLite copies the records (and the primary key's index) as they are
    db.execute(f"insert into main.[{source.name}] select * from {STAGING}.[{source.name}]")
    count = db[source.name].count
    publish_rejected(db)
    publish_digests(db, source.name)
    # empty: the search index is built in the background from the rows stage() staged
    # (openbangkok.pipeline.search_index) and copied in when the build completes it
    db.execute(fts_sql(f"{source.name}{FTS_SUFFIX}"))
    return count


def publish_rejected(db: sqlite_utils.Database) -> None:
    rejected = db[REJECTED].create(
        {
            "source_row": int,
            "source_file": str,
            "source_line": int,
            "ticket_id": str,
            "reason": str,
            "reason_th": str,
            "raw_record": str,
            "source": str,
        },
        pk="source_row",
    )
    db.execute(f"insert into main.[{REJECTED}] select * from {STAGING}.[{REJECTED}] order by source_row")
    rejected.create_index(["ticket_id"])


def kept_tables(db: sqlite_utils.Database, source: Source) -> list[str]:
    """The tables update() changes in place (the build keeps them): the table, its search index and
    the index's own tables."""
    fts = f"{source.name}{FTS_SUFFIX}"
    return [source.name, digests_table(source.name)] + [
        name
        for (name,) in db.execute(
            "select name from sqlite_master where type = 'table' and (name = ? or name like ? escape '!')",
            [fts, fts.replace("_", "!_") + "!_%"],
        )
    ]


def update(db: sqlite_utils.Database, source: Source, staged: Staged) -> tuple[int, in_place.Changes]:
    """The published complaints (already in `db`, declared as now) made equal to the staged ones and
    those left as published (their keys staged in <table>_kept) by applying only what changed
    (pipeline.in_place), the search index's entries of those rows deleted and inserted again (of
    a changed row only when its comment, address or types changed);
    complaints_rejected published again (it is small). The row count and the changes."""
    conn, table = db.conn, source.name
    columns = [f["name"] for f in source.published_schema["fields"]]
    found = in_place.diff(conn, table, "ticket_id", columns, f"{table}{KEPT_SUFFIX}")
    fts = f"{table}{FTS_SUFFIX}"
    # a changed row keeps its rowid: its index entries are rewritten only when a searched text
    # changed (a day's changes are mostly states and dates)
    conn.execute(f"drop table if exists {REINDEXED}")
    conn.execute(f"create table {REINDEXED} (key primary key) without rowid")
    conn.execute(
        f"insert into {REINDEXED} select s.ticket_id from {STAGING}.[{table}] s join main.[{table}] m "
        f"on m.ticket_id = s.ticket_id where s.ticket_id in ({in_place.keys_of('changed')}) and ("
        + " or ".join(f"m.[{c}] is not s.[{c}]" for c in SEARCHED)
        + ")"
    )
    entries = f"from main.[{table}] where ticket_id in (select key from {REINDEXED} union all {{}})"
    # a contentless FTS5 table forgets a row when told the very texts it was given for it
    conn.execute(
        f"insert into [{fts}] ([{fts}], rowid, {', '.join(SEARCHED)}) select 'delete', rowid, "
        f"{index_values('comment', 'address', 'types')} " + entries.format(in_place.keys_of("removed"))
    )
    in_place.apply(conn, table, "ticket_id", columns)
    conn.execute(
        f"insert into [{fts}] (rowid, {', '.join(SEARCHED)}) select rowid, "
        f"{index_values('comment', 'address', 'types')} " + entries.format(in_place.keys_of("added"))
    )
    publish_rejected(db)
    update_digests(db, table)
    found.copied = staged.stats.get(table, {}).get("rows_copied", 0)
    return db[table].count, found


def staged_for_publishing(source: Source, staged: Staged) -> None:
    """Tells the build where the source's rows are read for their profile: the staging table when
    they are all staged (published record for record); for an update in place, the published
    file's rows left as they are and the staged ones (a view: read while the build goes on)."""
    if source.name not in staged.updated_in_place:
        staged.as_published.add(source.name)
        return
    table, kept = source.name, f"{source.name}{KEPT_SUFFIX}"
    staged.profile_views[table] = (
        f"select * from main.[{table}] where ticket_id in (select ticket_id from {STAGING}.[{kept}]) "
        f"union all select * from {STAGING}.[{table}]"
    )
