"""Incremental within a dataset (pipeline.in_place): a changed complaints input is applied to the
published file row by row (changed tickets updated, new ones added, those gone from a full dump
removed, their search index entries with them), and the result equals a full build of the new input
table by table: every table and view, row for row, the search index term by term.

What a comparison may not see as equal, and how it is read instead: build_files.built_at (the
build's time); complaints_facet_rows.complaint_rowid, which numbers complaints in file order in a
full build (read as the ticket it points at; its profile's min and max in build_columns left out);
the facet combinations' numbers (`combo`: a full build numbers them in order, an update gives a new
one the next number; read as the combination they stand for, their profiles' min and max left
out); the search index, read as (ticket, term, column,
position) from fts5vocab, a ticket's entries in one text; SQLite's planner statistics (sqlite_stat1, from a sample) and
the builds' history (build_changes) are left out.
Rows are compared as sorted lists: a derived table's insertion order follows the complaints'
rowids where its SQL does not sort.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from openbangkok.adapters.traffy import dump_csv
from openbangkok.adapters.traffy.normalise import Normaliser
from openbangkok.model.catalog import load_catalog
from openbangkok.pipeline.build import IN_PLACE_ENV, build

from .conftest import copy_datasets, with_synthetic_complaints

BASE_ROWS = 300
NUMBERED = {("complaints_facet_rows", "complaint_rowid")}  # numbers that follow file order


def contents(db: Path) -> dict[str, list]:
    """Every table and view of a built database, as sorted rows (see the module's docstring)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    names = dict(
        conn.execute(
            "select name, type from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%'"
        ).fetchall()
    )
    fts = {n for n, sql in conn.execute("select name, sql from sqlite_master where sql like '%using fts5%'")}
    shadows = {n for n in names for f in fts if n.startswith(f"{f}_")}
    result = {}
    # build_changes is the builds' history: two builds record two entries where one full build records one
    for name in sorted(set(names) - shadows - {"build_changes"}):
        if name in fts:
            conn.execute(f"create virtual table temp.[{name}_v] using fts5vocab(main, [{name}], instance)")
            table = name.removesuffix("_fts")
            query = (
                f"select t.ticket_id, e.entries from (select doc, group_concat(col || ':' || offset || ':' || term, "
                f"' ') as entries from (select doc, col, offset, term from temp.[{name}_v] order by doc, col, offset) "
                f"group by doc) e join [{table}] t on t.rowid = e.doc order by 1"
            )
        elif name == "complaints_facet_rows":
            query = (
                "select c.ticket_id, f.district_code, f.state, f.types from complaints_facet_rows r "
                "join complaints c on c.rowid = r.complaint_rowid join complaints_facet_counts f on f.combo = r.combo"
            )
        elif name == "complaints_facet_counts":
            query = "select district_code, state, types, n from complaints_facet_counts"
        elif name == "complaints_facet_values":
            query = (
                "select f.district_code, f.state, f.types, v.column_name, v.value from complaints_facet_values v "
                "join complaints_facet_counts f on f.combo = v.combo"
            )
        elif name == "build_files":
            query = "select * from build_files"
        else:
            query = f"select * from [{name}]"
        cursor = conn.execute(query)
        columns = [d[0] for d in cursor.description]
        rows = [tuple(v for c, v in zip(columns, row) if c != "built_at") for row in cursor]
        if name == "build_columns":  # the rowids' and combinations' numbers (the profile's min and max) left out
            rows = [row[:7] if row[:2] in NUMBERED or row[1] == "combo" else row for row in rows]
        result[name] = rows if name in fts else sorted(rows, key=repr)  # (the index: sorted by SQLite)
    conn.close()
    return result


def assert_same_tables(incremental: Path, full: Path) -> None:
    got, expected = contents(incremental), contents(full)
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert len(got[name]) == len(expected[name]), name
        assert got[name] == expected[name], name


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def changed(rows: list[list[str]]) -> list[list[str]]:
    """Some tickets changed as a later dump has them: state, comment, district, types."""
    rows = [list(r) for r in rows]
    for number, row in enumerate(rows[5:60:7]):
        if len(row) < 16:
            continue
        row[12] = "เสร็จสิ้น" if row[12] != "เสร็จสิ้น" else "กำลังดำเนินการ"
        row[3] = f"{row[3]} แก้ไขแล้ว ไฟดับ ครั้งที่ {number}"
        if number % 2:
            row[1] = "{น้ำท่วม,ถนน}"
        if number % 3 == 0:
            row[9] = "บางรัก"
    return rows


@pytest.fixture
def dump_site(tmp_path):
    """(catalog folder, its dump, the generated rows, header): the complaints and reference
    datasets, the complaints BASE_ROWS + 100 generated tickets of which the first BASE_ROWS are in
    the dump."""
    datasets = copy_datasets(tmp_path, "complaints", "reference")
    dump = with_synthetic_complaints(datasets, rows=BASE_ROWS + 100, seed=11)
    header, rows = read_rows(dump)
    write_rows(dump, header, rows[:BASE_ROWS])
    return datasets, dump, rows, header


def incremental_and_full(tmp_path: Path, datasets: Path) -> tuple[Path, Path, dict]:
    """The published file built before, built again incrementally; and a full build of the input."""
    incremental, full = tmp_path / "incremental.db", tmp_path / "full.db"
    result = build(load_catalog(datasets), incremental)
    assert result.ok, "\n".join(p.line() for p in result.report.errors)
    assert result.rebuilt == {"complaints"}
    full_result = build(load_catalog(datasets), full, full=True)
    assert full_result.ok
    return incremental, full, result.changes


def first_build(tmp_path: Path, datasets: Path) -> None:
    result = build(load_catalog(datasets), tmp_path / "incremental.db")
    assert result.ok, "\n".join(p.line() for p in result.report.errors)
    assert result.changes == {}  # nothing published before: everything loaded


def moved(rows: list[list[str]]) -> list[list[str]]:
    """Some tickets moved to another district, month and type: out of their statistics' groups."""
    rows = [list(r) for r in rows]
    for row in rows[3:90:11]:
        if len(row) < 16:
            continue
        row[9] = "บางรัก" if row[9] != "บางรัก" else "ปทุมวัน"
        row[11] = "2021-01-15 08:00:00.5+00"
        row[1] = "{ทางด่วน}"
    return rows


CASES = {
    "changed": lambda rows: changed(rows[:BASE_ROWS]),
    "moved between groups": lambda rows: moved(rows[:BASE_ROWS]),
    "re-ordered": lambda rows: rows[BASE_ROWS - 1 :: -1],
    "added": lambda rows: rows[:BASE_ROWS] + rows[BASE_ROWS : BASE_ROWS + 40],
    "removed": lambda rows: rows[:20] + rows[45:BASE_ROWS],
    "grew": lambda rows: rows,
    "shrank": lambda rows: rows[: BASE_ROWS - 80],
    "changed, added and removed": lambda rows: changed(rows[10:BASE_ROWS]) + rows[BASE_ROWS : BASE_ROWS + 25],
}


@pytest.mark.parametrize("case", CASES)
def test_dump_changed_in_place_equals_a_full_build(tmp_path, dump_site, case):
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    before = {r[0] for r in rows[:BASE_ROWS] if len(r) > 1}
    new = CASES[case](rows)
    write_rows(dump, header, new)
    incremental, full, changes = incremental_and_full(tmp_path, datasets)
    found = changes["complaints"]
    after = {r[0] for r in new if len(r) > 1}
    published = {r[0] for r in sqlite3.connect(full).execute("select ticket_id from complaints")}
    assert set(found.added) == (after - before) & published
    assert (
        set(found.removed)
        == (before - after)
        & {r[0] for r in sqlite3.connect(tmp_path / "full.db").execute("select ticket_id from complaints")}
        | set(found.removed) - published
    )
    assert not set(found.changed) & (set(found.added) | set(found.removed))
    if case.startswith("changed"):
        assert len(found.changed) >= 5
    assert_same_tables(incremental, full)


def test_the_search_finds_the_changed_text_and_forgets_the_old(tmp_path, dump_site):
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    new = [list(r) for r in rows[:BASE_ROWS]]
    target = next(r for r in new if len(r) > 3 and r[3])
    target[3] = "ข้อความใหม่ทั้งหมด zebraword"
    write_rows(dump, header, new)
    incremental, _, changes = incremental_and_full(tmp_path, datasets)
    assert changes["complaints"].changed == [target[0]]
    conn = sqlite3.connect(incremental)
    found = conn.execute(
        "select c.ticket_id from complaints_fts f join complaints c on c.rowid = f.rowid "
        "where complaints_fts match 'zebraword'"
    ).fetchall()
    assert found == [(target[0],)]
    assert (
        conn.execute("select count(*) from complaints_fts").fetchone()
        == conn.execute("select count(*) from complaints").fetchone()
    )


def test_nothing_changed_in_the_rows_changes_nothing(tmp_path, dump_site):
    """A new file of the same rows (another modification time, a changed descriptor comment)."""
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    write_rows(dump, header, rows[:BASE_ROWS])
    with (datasets / "complaints" / "complaints_statistics.sql").open("a", encoding="utf-8"):
        pass
    (datasets / "complaints" / "metadata.yml").write_text(
        (datasets / "complaints" / "metadata.yml").read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8"
    )
    incremental, full, changes = incremental_and_full(tmp_path, datasets)
    assert not changes["complaints"]
    assert_same_tables(incremental, full)


def test_a_changed_sql_file_loads_the_dataset_again(tmp_path, dump_site):
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    sql = datasets / "complaints" / "serving_indexes.sql"
    sql.write_text(sql.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    write_rows(dump, header, changed(rows[:BASE_ROWS]))
    incremental, full, changes = incremental_and_full(tmp_path, datasets)
    assert changes == {}  # loaded whole
    assert_same_tables(incremental, full)


def test_without_the_lever_the_dataset_is_loaded_again(tmp_path, dump_site, monkeypatch):
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    write_rows(dump, header, changed(rows[:BASE_ROWS]))
    monkeypatch.setenv(IN_PLACE_ENV, "0")
    incremental, full, changes = incremental_and_full(tmp_path, datasets)
    assert changes == {}
    assert_same_tables(incremental, full)


def test_api_pages_added_in_place_equal_a_full_build(tmp_path):
    """Three of the real pages: the third fetched later (added to the folder), the first refetched
    with a ticket's state changed."""
    datasets = copy_datasets(tmp_path, "complaints", "reference")
    pages = datasets / "complaints" / "traffy_api"
    for page in pages.iterdir():
        if page.name not in ("search_offset_0.json.gz", "search_offset_950.json.gz", "search_offset_1900.json.gz"):
            page.unlink()
    held = tmp_path / "held"
    held.mkdir()
    shutil.move(pages / "search_offset_1900.json.gz", held / "search_offset_1900.json.gz")
    first_build(tmp_path, datasets)
    for page in held.iterdir():
        shutil.move(page, pages / page.name)
    page_path = pages / "search_offset_0.json.gz"
    page = json.loads(gzip.decompress(page_path.read_bytes()))
    record = next(r for r in page["results"][100:] if r.get("state") != "เสร็จสิ้น" and r.get("ticket_id"))
    record["state"] = "เสร็จสิ้น"
    page_path.write_bytes(gzip.compress(json.dumps(page, ensure_ascii=False).encode("utf-8")))
    incremental, full, changes = incremental_and_full(tmp_path, datasets)
    found = changes["complaints"]
    assert len(found.added) > 800 and not found.removed
    assert record["ticket_id"] in found.changed
    assert_same_tables(incremental, full)


def test_a_removed_ticket_empties_its_groups(tmp_path, dump_site):
    """The only ticket of a (district, month, types) group removed: the group leaves the statistics."""
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    conn = sqlite3.connect(tmp_path / "incremental.db")
    alone, district, month = conn.execute(
        "select ticket_id, district_code, reported_month from complaints c where district_code is not null and "
        "(select count(*) from complaints d where d.district_code = c.district_code "
        "and d.reported_month = c.reported_month) = 1 order by ticket_id limit 1"
    ).fetchone()
    conn.close()
    write_rows(dump, header, [r for r in rows[:BASE_ROWS] if r[0] != alone])
    incremental, full, changes = incremental_and_full(tmp_path, datasets)
    assert changes["complaints"].removed == [alone]
    group = "select count(*) from complaints_by_district_month_type where district_code = ? and reported_month = ?"
    assert sqlite3.connect(incremental).execute(group, (district, month)).fetchone() == (0,)
    assert_same_tables(incremental, full)


def test_a_group_that_appears_gets_its_rows_and_an_emptied_one_leaves(tmp_path, dump_site):
    """One ticket moved into a (district, month, type) group and a facet combination no ticket had
    (a new month, a state and types of its own): the statistics and the precomputed facets gain
    them, the new combination taking the next number; the combination it left, if it was alone
    there, is gone with its values. Equal to a full build table by table."""
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    before = sqlite3.connect(tmp_path / "incremental.db")
    last_combo = before.execute("select max(combo) from complaints_facet_counts").fetchone()[0]
    combos_before = set(before.execute("select district_code, state, types from complaints_facet_counts"))
    before.close()
    new = [list(r) for r in rows[:BASE_ROWS]]
    mover = next(r for r in new if len(r) >= 16 and r[9] != "บางรัก")
    mover[9], mover[11], mover[1], mover[12] = "บางรัก", "2019-06-15 08:00:00+00", "{ทางเท้า,แสงสว่าง}", "ส่งต่อ"
    write_rows(dump, header, new)
    incremental, full, changes = incremental_and_full(tmp_path, datasets)
    assert changes["complaints"].changed == [mover[0]]
    conn = sqlite3.connect(incremental)
    district, state, types = conn.execute(
        "select district_code, state, types from complaints where ticket_id = ?", [mover[0]]
    ).fetchone()
    assert (district, state, types) not in combos_before
    combo, n = conn.execute(
        "select combo, n from complaints_facet_counts where district_code = ? and state = ? and types = ?",
        [district, state, types],
    ).fetchone()
    assert (combo, n) == (last_combo + 1, 1)
    assert {v for (v,) in conn.execute("select value from complaints_facet_values where combo = ?", [combo])} == set(
        json.loads(types)
    )
    assert conn.execute(
        "select tickets from complaints_by_district_month_type where district_code = ? and reported_month = '2019-06'",
        [district],
    ).fetchall() == [(1,)] * len(json.loads(types))
    assert not conn.execute("select 1 from complaints_facet_counts where n <= 0").fetchall()
    conn.close()
    assert_same_tables(incremental, full)


def test_unchanged_records_are_not_parsed_again(tmp_path, dump_site, monkeypatch):
    """A record whose texts are those of the published row is copied, not normalised again; the
    records that noted something (a conversion, a redaction, an unknown value) are, so that the
    file's report counts them as a full build does."""
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    conn = sqlite3.connect(tmp_path / "incremental.db")
    remembered = {t for (t,) in conn.execute("select ticket_id from complaints_row_digests")}
    published = {t for (t,) in conn.execute("select ticket_id from complaints")}
    conn.close()
    assert len(published) / 2 < len(remembered) < len(published)  # most rows noted nothing; some did
    new = changed(rows[:BASE_ROWS]) + rows[BASE_ROWS : BASE_ROWS + 25]
    edited = {n[0] for n, o in zip(new, rows[:BASE_ROWS]) if n != o} | {r[0] for r in new[BASE_ROWS:]}
    write_rows(dump, header, new)
    parsed: list[str] = []
    values = Normaliser.values

    def counted(self, raw, number, status=""):
        parsed.append(raw[0].strip())
        return values(self, raw, number, status)

    monkeypatch.setattr(Normaliser, "values", counted)
    result = build(load_catalog(datasets), tmp_path / "incremental.db")
    assert result.ok
    assert set(parsed) <= edited | (published - remembered)
    assert edited - published <= set(parsed)  # every new ticket parsed
    first_old, first_new = {}, {}
    for first, records in ((first_old, rows[:BASE_ROWS]), (first_new, new)):
        for record in records:
            first.setdefault(record[0], record)
    unchanged = {t for t in remembered if first_new.get(t) == first_old[t]}
    assert result.changes["complaints"].copied == len(unchanged) > BASE_ROWS / 2
    full = build(load_catalog(datasets), tmp_path / "full.db", full=True)
    assert full.ok
    assert_same_tables(tmp_path / "incremental.db", tmp_path / "full.db")


def test_a_changed_rule_parses_every_record_again(tmp_path, dump_site):
    """The digests cover the rules a row is made by (here the source's label, in every row): none
    matches after a change, and every record takes the full path."""
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    descriptor = datasets / "complaints" / "datapackage.yaml"
    text = descriptor.read_text(encoding="utf-8")
    label = "ILLUSTRATIVE synthetic tickets made up for tests"
    assert label in text
    descriptor.write_text(text.replace(label, f"{label}, relabelled"), encoding="utf-8")
    incremental, full, changes = incremental_and_full(tmp_path, datasets)
    assert changes["complaints"].copied == 0
    assert_same_tables(incremental, full)


def test_build_changes_of_an_update_in_place_counts_what_a_comparison_finds(tmp_path, dump_site):
    """build_changes takes the complaints' counts from the update's own comparison: the same as
    comparing the two files by key, column by column."""
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    before = tmp_path / "before.db"
    shutil.copyfile(tmp_path / "incremental.db", before)
    write_rows(dump, header, CASES["changed, added and removed"](rows))
    result = build(load_catalog(datasets), tmp_path / "incremental.db")
    assert result.ok and result.changes["complaints"]
    conn = sqlite3.connect(tmp_path / "incremental.db")
    conn.execute("attach ? as before", (str(before),))
    columns = [r[1] for r in conn.execute("pragma table_info(complaints)") if r[1] != "ticket_id"]
    differs = " or ".join(f"n.[{c}] is not o.[{c}]" for c in columns)
    kept, changed = conn.execute(
        f"select count(*), sum({differs}) from complaints n join before.complaints o on o.ticket_id = n.ticket_id"
    ).fetchone()
    after, earlier = (
        conn.execute(f"select count(*) from {t}").fetchone()[0] for t in ("complaints", "before.complaints")
    )
    recorded = conn.execute(
        "select rows_before, rows_after, added, changed, removed, changed_examples from build_changes "
        "where table_name = 'complaints' order by build desc limit 1"
    ).fetchone()
    assert recorded[:5] == (earlier, after, after - kept, changed, earlier - kept)
    assert changed and set(k for (k,) in json.loads(recorded[5])) <= set(result.changes["complaints"].changed)


def flipped(state: str) -> str:
    return "เสร็จสิ้น" if state != "เสร็จสิ้น" else "กำลังดำเนินการ"


def test_duplicates_and_rejections_across_pieces(tmp_path, dump_site, monkeypatch):
    """Read in pieces of 40 records: later copies of tickets whose first copy is left as published,
    whose first copy changed (the later copy the published text: it matches the published digest),
    and whose later copy changed; a record the old file rejected (a cell missing) now whole, and a
    published one now broken; tickets removed among unchanged ones. Each duplicate is rejected with
    the row of its first copy, as a full build rejects it."""
    monkeypatch.setattr(dump_csv, "BATCH", 40)
    datasets, dump, rows, header = dump_site
    state, width = header.index("state"), len(header)
    old = [list(r) for r in rows[:BASE_ROWS]]
    once = Counter(r[0] for r in old)
    whole = [i for i, r in enumerate(old) if len(r) == width and once[r[0]] == 1]
    fixed, broken = whole[-1], whole[-2]
    old[fixed] = old[fixed][:-1]
    write_rows(dump, header, old)
    first_build(tmp_path, datasets)
    conn = sqlite3.connect(tmp_path / "incremental.db")
    remembered = {t for (t,) in conn.execute("select ticket_id from complaints_row_digests")}
    conn.close()
    unchanged_first, changed_first, changed_later, *gone = [i for i in whole[:-2] if old[i][0] in remembered][:6]
    new = [list(r) for r in old]
    new[fixed], new[broken] = list(rows[fixed]), old[broken][:-1]
    new[changed_first][state] = flipped(old[changed_first][state])
    later = list(old[changed_later])
    later[state] = flipped(later[state])
    new = [r for i, r in enumerate(new) if i not in gone] + [old[unchanged_first], old[changed_first], later]
    write_rows(dump, header, new)
    incremental, full, changes = incremental_and_full(tmp_path, datasets)
    found = changes["complaints"]
    assert found.copied > BASE_ROWS / 2
    assert found.added == [old[fixed][0]]
    assert set(found.removed) == {old[broken][0]} | {old[i][0] for i in gone}
    assert found.changed == [old[changed_first][0]]
    first_row: dict[str, int] = {}
    for number, record in enumerate(new, 2):  # the header is row 1
        first_row.setdefault(record[0], number)
    rejected = sqlite3.connect(incremental).execute(
        "select ticket_id, reason from complaints_rejected where source_row > ? order by source_row", (len(new) - 2,)
    )
    assert rejected.fetchall() == [
        (old[i][0], f"duplicate ticket_id (first in row {first_row[old[i][0]]})")
        for i in (unchanged_first, changed_first, changed_later)
    ]
    assert_same_tables(incremental, full)


def test_a_change_of_state_leaves_the_search_index_as_it_was(tmp_path, dump_site):
    """Tickets whose state and last activity changed keep their rowid and their search texts: the
    index is not written (its blocks as they were), and still equals a full build's."""
    datasets, dump, rows, header = dump_site
    first_build(tmp_path, datasets)
    state, last = header.index("state"), header.index("last_activity")
    blocks = "select id, block from complaints_fts_data order by id"
    before = sqlite3.connect(tmp_path / "incremental.db").execute(blocks).fetchall()
    new = [list(r) for r in rows[:BASE_ROWS]]
    for row in new[::9]:
        if len(row) == len(header):
            row[state], row[last] = flipped(row[state]), "2025-02-01 09:00:00.000001+00"
    write_rows(dump, header, new)
    incremental, full, changes = incremental_and_full(tmp_path, datasets)
    assert len(changes["complaints"].changed) > 20
    assert sqlite3.connect(incremental).execute(blocks).fetchall() == before
    assert_same_tables(incremental, full)
