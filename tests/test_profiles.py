"""Column profiles (build_columns): exact where counting is cheap, labelled estimates on large
tables, and never the search index's shadow tables."""

from __future__ import annotations

import sqlite_utils

from openbangkok import profile


def test_search_index_tables_are_not_profiled(built_conn):
    profiled = {r[0] for r in built_conn.execute("select distinct table_name from build_columns")}
    search = {r[0] for r in built_conn.execute(
        "select name from pragma_table_list where type in ('shadow', 'virtual')")}
    assert search and not profiled & search
    assert {"complaints", "complaints_rejected"} <= profiled
    assert built_conn.execute("select count(*) from build_columns where distinct_estimated = 1").fetchone()[0] == 0


def test_large_table_distinct_values_are_estimated_and_labelled(monkeypatch):
    db = sqlite_utils.Database(memory=True)
    db["t"].insert_all(({"id": i, "code": f"c{i % 7}", "unique_text": f"text {i}", "note": None if i % 3 else "x"}
                        for i in range(5000)), pk="id")
    db["t"].create_index(["code"])
    monkeypatch.setattr(profile, "LARGE_TABLE", 1000)
    monkeypatch.setattr(profile, "SAMPLE_ROWS", 800)
    profile.record_profiles(db, ["t"])
    rows = {r["column_name"]: r for r in db[profile.PROFILE_TABLE].rows}
    assert rows["code"]["distinct_values"] == 7 and rows["code"]["distinct_estimated"] == 0  # indexed: counted
    assert rows["id"]["distinct_values"] == 5000 and rows["id"]["distinct_estimated"] == 0   # primary key
    assert rows["unique_text"]["distinct_estimated"] == 1
    assert 4000 <= rows["unique_text"]["distinct_values"] <= 5000  # all different: estimated close to the rows
    assert rows["note"]["distinct_values"] == 1 and rows["note"]["blanks"] == 5000 - 1667
    assert (rows["unique_text"]["min_value"], rows["unique_text"]["max_length"]) == ("text 0", 9)
    assert not db["build_profile_sample"].exists()


def test_profiles_read_during_the_derived_sql_see_what_it_wrote(tmp_path, monkeypatch):
    """The build reads the published tables' profiles in a thread while the datasets' SQL runs; a
    table that SQL changes is profiled as it is at the end, and the file leaves WAL mode."""
    import shutil
    import sqlite3

    from openbangkok import build as build_module
    from openbangkok.build import build
    from openbangkok.catalog import load_catalog

    def read_first(*args):  # the thread reads before the SQL runs (as it does with large tables)
        read = profile.read_aggregates(*args)
        for future in read.values():
            future.result()
        return read

    monkeypatch.setattr(build_module, "read_aggregates", read_first)
    from .conftest import DATA

    datasets = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", datasets)
    (datasets / "sample" / "zz_change.sql").write_text(
        "update places set visitors = 987654 where place_id = 1;\n"
        "alter table kinds add column note text;\n", encoding="utf-8")
    out = tmp_path / "site.db"
    assert build(load_catalog(datasets), out).ok
    conn = sqlite3.connect(out)
    profiles = {r[:2]: r[2:] for r in conn.execute(
        "select table_name, column_name, max_value, rows from build_columns where table_name in ('places', 'kinds')")}
    assert profiles["places", "visitors"] == ("987654", 3)
    assert profiles["kinds", "note"][0] is None
    assert conn.execute("pragma journal_mode").fetchone()[0] != "wal"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.db")
                and not p.name.endswith(".lock")]
