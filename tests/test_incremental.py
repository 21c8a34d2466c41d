"""Incremental builds: nothing changed, nothing done; a changed dataset is loaded again alone,
together with the datasets that point at it."""

import hashlib
import shutil
import sqlite3

import pytest

from openbangkok.model.catalog import load_catalog
from openbangkok.pipeline.build import build

from .conftest import DATA

EXTRA_DESCRIPTOR = """\
name: extra
resources:
  - name: notes
    path: notes.csv
    schema:
      primaryKey: [note_id]
      foreignKeys:
        - fields: [kind_code]
          reference: {resource: kinds, fields: [kind_code]}
      fields:
        - {name: note_id, type: integer}
        - {name: kind_code, type: string}
        - {name: text, type: string}
"""


@pytest.fixture
def datasets(tmp_path):
    copy = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", copy)
    (copy / "extra").mkdir()
    (copy / "extra" / "datapackage.yaml").write_text(EXTRA_DESCRIPTOR, encoding="utf-8")
    (copy / "extra" / "notes.csv").write_text("note_id,kind_code,text\n1,park,ร่มรื่น\n", encoding="utf-8")
    (copy / "extra" / "note_counts.sql").write_text(
        "drop table if exists note_counts;\n"
        "create table note_counts as select kind_code, count(*) as n from notes group by kind_code;\n",
        encoding="utf-8",
    )
    return copy


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_unchanged_build_does_nothing(tmp_path, datasets):
    out = tmp_path / "site.db"
    assert build(load_catalog(datasets), out).rebuilt == {"sample", "extra"}
    before = digest(out)
    result = build(load_catalog(datasets), out)
    assert result.ok and result.rebuilt == set()
    assert digest(out) == before


def test_only_the_changed_dataset_is_loaded(tmp_path, datasets):
    out = tmp_path / "site.db"
    build(load_catalog(datasets), out)
    with (datasets / "extra" / "notes.csv").open("a", encoding="utf-8") as f:
        f.write("2,market,คึกคัก\n")
    result = build(load_catalog(datasets), out)
    assert result.ok and result.rebuilt == {"extra"}
    assert set(result.tables) == {"notes"}
    conn = sqlite3.connect(out)
    assert conn.execute("select count(*) from notes").fetchone() == (2,)
    assert conn.execute("select count(*) from places").fetchone() == (3,), "unchanged tables are kept"
    assert conn.execute("select n from note_counts where kind_code = 'market'").fetchone() == (1,)
    assert conn.execute("select count(*) from build_files").fetchone() == (4,)
    assert conn.execute("select count(*) from build_columns where table_name = 'places'").fetchone()[0] == 8


def test_a_referenced_dataset_change_rebuilds_its_dependents(tmp_path, datasets):
    out = tmp_path / "site.db"
    build(load_catalog(datasets), out)
    with (datasets / "sample" / "kinds.csv").open("a", encoding="utf-8") as f:
        f.write("temple,วัด\n")
    result = build(load_catalog(datasets), out)
    assert result.rebuilt == {"sample", "extra"}


def test_incremental_build_still_checks_foreign_keys_against_kept_tables(tmp_path, datasets):
    out = tmp_path / "site.db"
    build(load_catalog(datasets), out)
    before = digest(out)
    with (datasets / "extra" / "notes.csv").open("a", encoding="utf-8") as f:
        f.write("2,zoo,ไม่มีประเภทนี้\n")
    result = build(load_catalog(datasets), out)
    assert not result.ok
    assert [(p.row, p.type) for p in result.report.errors] == [(3, "foreign-key")]
    assert digest(out) == before


def test_full_rebuild_on_request(tmp_path, datasets):
    out = tmp_path / "site.db"
    build(load_catalog(datasets), out)
    assert build(load_catalog(datasets), out, full=True).rebuilt == {"sample", "extra"}


def test_files_hashed_by_a_child_process_give_the_same_fingerprints(tmp_path, datasets):
    """A first build of large files hashes them in a child process while it checks them; the
    fingerprints and build_files' digests are those of hashing in the build's own process. Run in
    a process of its own: the background is used only where no other thread runs."""
    import json
    import subprocess
    import sys

    from openbangkok.pipeline.incremental import Previous, fingerprints

    out = tmp_path / "site.db"
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from openbangkok.pipeline import incremental\n"
        "from openbangkok.pipeline.build import build\n"
        "from openbangkok.model.catalog import load_catalog\n"
        "incremental.BACKGROUND_MIN_BYTES = 0\n"
        "started = []\n"
        "start = incremental.BackgroundFingerprints.start\n"
        "incremental.BackgroundFingerprints.start = lambda *a: started.append(start(*a)) or started[-1]\n"
        "result = build(load_catalog(Path(sys.argv[1])), Path(sys.argv[2]))\n"
        "print(json.dumps({'ok': result.ok, 'background': started[0] is not None}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(datasets), str(out)], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"ok": True, "background": True}
    conn = sqlite3.connect(out)
    recorded = dict(conn.execute("select dataset, fingerprint from build_datasets"))
    assert recorded == fingerprints(load_catalog(datasets), Previous())
    for source_file, sha256 in conn.execute("select source_file, sha256 from build_files"):
        assert sha256 == digest(datasets / source_file), source_file


@pytest.mark.slow
def test_rebuilding_the_complaints_never_writes_the_published_file(tmp_path, datasets_copy, built_db):
    """An incremental build reads the published file (the other datasets' tables, for the rules)
    and must not write it: a failed build leaves it as it was, and a successful one replaces it by
    renaming, so the file a running server holds open is never touched. The complaints adapter used
    to drop `complaints` and switch on WAL in the attached published file."""
    out = tmp_path / "site.db"
    shutil.copyfile(built_db, out)  # published from the same datasets: only what changes is built
    held = tmp_path / "held.db"
    held.hardlink_to(out)  # the file a running server keeps open
    before = digest(out)
    hotline = datasets_copy / "complaints" / "hotline_1555_monthly.csv"
    text = hotline.read_text(encoding="utf-8")
    hotline.write_text(
        text.replace(
            "2024-01,ถนนและทางเท้า / Roads and footpaths,2065,1264",
            "2024-01,ถนนและทางเท้า / Roads and footpaths,2065,9999",
            1,
        ),
        encoding="utf-8",
    )
    failed = build(load_catalog(datasets_copy), out)
    assert not failed.ok and failed.rebuilt == {"complaints"}
    assert digest(out) == before
    hotline.write_text(
        text.replace(
            "2024-01,ถนนและทางเท้า / Roads and footpaths,2065,1264",
            "2024-01,ถนนและทางเท้า / Roads and footpaths,2065,1265",
            1,
        ),
        encoding="utf-8",
    )
    rebuilt = build(load_catalog(datasets_copy), out)
    assert rebuilt.ok and rebuilt.rebuilt == {"complaints"}
    assert digest(held) == before and digest(out) != before
    conn = sqlite3.connect(out)
    assert conn.execute("select count(*) from complaints").fetchone()[0] > 0
    assert conn.execute("pragma journal_mode").fetchone()[0] != "wal"
    conn.close()
