"""Column profiles (build_columns): exact where counting is cheap, labelled estimates on large
tables, and never the search index's shadow tables."""

from __future__ import annotations

import pytest
import sqlite_utils

from openbangkok.pipeline import profile


def test_search_index_tables_are_not_profiled(built_conn):
    profiled = {r[0] for r in built_conn.execute("select distinct table_name from build_columns")}
    search = {
        r[0] for r in built_conn.execute("select name from pragma_table_list where type in ('shadow', 'virtual')")
    }
    assert search and not profiled & search
    assert {"complaints", "complaints_rejected"} <= profiled
    assert built_conn.execute("select count(*) from build_columns where distinct_estimated = 1").fetchone()[0] == 0


def test_large_table_distinct_values_are_estimated_and_labelled(monkeypatch):
    db = sqlite_utils.Database(memory=True)
    db["t"].insert_all(
        (
            {"id": i, "code": f"c{i % 7}", "unique_text": f"text {i}", "note": None if i % 3 else "x"}
            for i in range(5000)
        ),
        pk="id",
    )
    db["t"].create_index(["code"])
    monkeypatch.setattr(profile, "LARGE_TABLE", 1000)
    monkeypatch.setattr(profile, "SAMPLE_ROWS", 800)
    profile.record_profiles(db, ["t"])
    rows = {r["column_name"]: r for r in db[profile.PROFILE_TABLE].rows}
    assert rows["code"]["distinct_values"] == 7 and rows["code"]["distinct_estimated"] == 0  # indexed: counted
    assert rows["id"]["distinct_values"] == 5000 and rows["id"]["distinct_estimated"] == 0  # primary key
    assert rows["unique_text"]["distinct_estimated"] == 1
    assert 4000 <= rows["unique_text"]["distinct_values"] <= 5000  # all different: estimated close to the rows
    assert rows["note"]["distinct_values"] == 1 and rows["note"]["blanks"] == 5000 - 1667
    assert (rows["unique_text"]["min_value"], rows["unique_text"]["max_length"]) == ("text 0", 9)
    assert str(rows["id"]["max_value"]) == "4999" and rows["id"]["max_length"] is None  # of text only, as csvstat
    assert not db["build_profile_sample"].exists()


def test_profiles_see_what_the_derived_sql_wrote(tmp_path, monkeypatch):
    """A table the datasets' SQL changes is profiled as it is at the end; the file is never in WAL
    mode."""
    import shutil
    import sqlite3

    from openbangkok.model.catalog import load_catalog
    from openbangkok.pipeline import publish as build_module
    from openbangkok.pipeline.build import build

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
        "update places set visitors = 987654 where place_id = 1;\nalter table kinds add column note text;\n",
        encoding="utf-8",
    )
    out = tmp_path / "site.db"
    assert build(load_catalog(datasets), out).ok
    conn = sqlite3.connect(out)
    profiles = {
        r[:2]: r[2:]
        for r in conn.execute(
            "select table_name, column_name, max_value, rows from build_columns where table_name in ('places', 'kinds')"
        )
    }
    assert profiles["places", "visitors"] == ("987654", 3)
    assert profiles["kinds", "note"][0] is None
    assert conn.execute("pragma journal_mode").fetchone()[0] != "wal"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.db") and not p.name.endswith(".lock")]


@pytest.mark.slow
def test_profile_read_from_staging_during_the_derived_sql(tmp_path, monkeypatch):
    """The complaints are profiled from the staging file's copy, in a thread, while the datasets'
    SQL runs: the profile is the published table's, and a change that SQL makes is seen."""
    import sqlite3

    from openbangkok.model.catalog import load_catalog
    from openbangkok.pipeline import publish as build_module
    from openbangkok.pipeline.build import build

    from .conftest import copy_datasets

    read_from = {}

    def read_first(path, tables, pool):  # the thread reads before the SQL runs (as with large tables)
        read = profile.read_aggregates(path, tables, pool)
        read_from.update({table: (path, future.result()) for table, future in read.items()})
        return read

    monkeypatch.setattr(build_module, "read_aggregates", read_first)
    datasets = copy_datasets(tmp_path, "complaints", "reference")
    (datasets / "complaints" / "zz_change.sql").write_text(
        "update complaints set count_reopen = 987654 where rowid = 1;\n", encoding="utf-8"
    )
    out = tmp_path / "site.db"
    assert build(load_catalog(datasets), out).ok
    assert set(read_from) == {"complaints"} and read_from["complaints"][0].name != out.name
    conn = sqlite3.connect(out)
    total, *values = profile.aggregates(conn, "complaints")
    columns = [r[1] for r in conn.execute("select * from pragma_table_info('complaints')")]
    profiles = {
        r[0]: r[1:]
        for r in conn.execute(
            "select column_name, rows, blanks, min_value, max_value, max_length from build_columns "
            "where table_name = 'complaints'"
        )
    }
    assert profiles["count_reopen"][3] == "987654"
    assert total > 100 and set(profiles) == set(columns)
    staged_total, *staged_values = read_from["complaints"][1]  # the staging copy: the same rows
    changed = columns.index("count_reopen")
    assert staged_total == total and [v for i, v in enumerate(staged_values) if i // 5 != changed] == [
        v for i, v in enumerate(values) if i // 5 != changed
    ]
    for i, column in enumerate(columns):
        blanks, _, lowest, highest, longest = values[5 * i : 5 * i + 5]
        expected = (total, blanks, lowest, highest, longest)
        assert [None if v is None else str(v) for v in profiles[column]] == [
            None if v is None else str(v) for v in expected
        ], column


def test_the_longest_value_is_that_of_text_in_views_too():
    """A view's expression columns have no declared type: their numbers get no longest value (as
    csvstat), their text does."""
    db = sqlite_utils.Database(memory=True)
    db["t"].insert_all(({"id": i, "code": f"c{i}"} for i in range(1, 120)), pk="id")
    db.create_view(
        "v",
        "select id * 100 as hundreds, code || '-x' as tagged, "
        "case when id % 2 then id else 'even ' || id end as mixed from t",
    )
    profile.record_profiles(db, ["v"])
    rows = {r["column_name"]: r for r in db[profile.PROFILE_TABLE].rows}
    assert rows["hundreds"]["max_length"] is None and str(rows["hundreds"]["max_value"]) == "11900"
    assert rows["tagged"]["max_length"] == len("c119-x")
    assert rows["mixed"]["max_length"] == len("even 118")  # the text among the numbers
