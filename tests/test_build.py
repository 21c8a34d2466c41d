"""openbkk build: one atomic database; a failed build leaves the published file untouched."""

import hashlib
import sqlite3

import pytest

from openbangkok.cli import cli
from openbangkok.model.catalog import DEFAULT_DATASETS

from .conftest import DATA, copy_datasets, with_synthetic_complaints


def digest(path):
    """A file's SHA-256; a folder's (a source read as a folder of pages): that of its files' names
    and digests, in order."""
    if path.is_dir():
        combined = hashlib.sha256()
        for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
            combined.update(file.relative_to(path).as_posix().encode() + digest(file).encode())
        return combined.hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_valid_fixture(runner, tmp_path):
    out = tmp_path / "site.db"
    result = runner.invoke(cli, ["build", "--datasets", str(DATA / "valid"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(out)
    rows = conn.execute("select place_id, visitors, opened_on from places order by place_id").fetchall()
    assert rows == [(1, 4946, "2023-09-04"), (2, 1200, "2023-09-04"), (3, 0, "2023-09-04")]
    assert conn.execute("select phone_code from places where place_id = 3").fetchone() == ("02",), (
        "Thai digits in a code field become Arabic digits"
    )
    assert "places" in result.output and "3 rows" in result.output
    assert [p[0] for p in conn.execute("select name from pragma_table_info('places') where pk")] == ["place_id"]


def test_schema_becomes_sqlite_constraints(runner, tmp_path):
    out = tmp_path / "site.db"
    runner.invoke(cli, ["build", "--datasets", str(DATA / "valid"), "--out", str(out)])
    conn = sqlite3.connect(out)
    columns = {r[1]: (r[2], r[3]) for r in conn.execute("pragma table_info(places)")}
    assert columns["visitors"] == ("INTEGER", 0)
    assert columns["name_th"] == ("TEXT", 1)
    fks = conn.execute("pragma foreign_key_list(places)").fetchall()
    assert [(f[2], f[3], f[4]) for f in fks] == [("kinds", "kind_code", "kind_code")]
    indexed = {
        r[0] for r in conn.execute("select ii.name from pragma_index_list('places') il, pragma_index_info(il.name) ii")
    }
    assert "kind_code" in indexed


def test_broken_cell_leaves_existing_build_unchanged(runner, tmp_path):
    datasets_copy = copy_datasets(tmp_path, "reference")  # the dataset of the broken file is enough
    out = tmp_path / "openbangkok.db"
    assert runner.invoke(cli, ["build", "--datasets", str(datasets_copy), "--out", str(out)]).exit_code == 0
    before = digest(out)
    districts = datasets_copy / "reference" / "districts.csv"
    lines = districts.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace("1005", "10x5", 1)
    districts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["build", "--datasets", str(datasets_copy), "--out", str(out)])
    assert result.exit_code == 1
    assert f"{datasets_copy}/reference/districts.csv:6:district_code: constraint-error" in result.output
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".openbangkok.db.tmp")) == []


def test_build_records_source_files(built_db):
    conn = sqlite3.connect(built_db)
    row = conn.execute(
        "select rows_read, rows_published, size_bytes, length(sha256) from build_files where table_name='districts'"
    ).fetchone()
    assert row[0] == row[1] == 50 and row[2] > 0 and row[3] == 64
    # every source file's SHA-256 is that of its bytes (hashed once, for the fingerprints)
    recorded = dict(conn.execute("select source_file, sha256 from build_files"))
    assert len(recorded) >= 10
    for source_file, sha256 in recorded.items():
        assert sha256 == digest(DEFAULT_DATASETS / source_file), source_file
    # the complaints' pages are one source, a folder: its size is that of its pages
    pages = DEFAULT_DATASETS / "complaints" / "traffy_api"
    (size,) = conn.execute("select size_bytes from build_files where table_name = 'complaints'").fetchone()
    assert size == sum(p.stat().st_size for p in pages.iterdir()) > 0


def test_a_file_is_hashed_once_per_build(tmp_path, monkeypatch):
    from openbangkok.pipeline import incremental

    path = tmp_path / "dump.csv"
    path.write_text("ticket_id\n2024-A\n", encoding="utf-8")
    reads = []
    monkeypatch.setattr(incremental, "file_digest", lambda p: reads.append(p) or digest(p))
    previous = incremental.Previous()
    assert (
        previous.hash_of(path, "complaints/dump.csv") == previous.hash_of(path, "complaints/dump.csv") == digest(path)
    )
    assert reads == [path]
    path.write_text("ticket_id\n2024-A\n2024-B\n", encoding="utf-8")  # changed: hashed again
    assert previous.hash_of(path, "complaints/dump.csv") == digest(path) and len(reads) == 2


def test_second_build_waits_for_nobody_but_refuses_when_locked(tmp_path, runner):
    """Another process holding the build's lock (a POSIX lock: a lock of this process would not refuse it)."""
    import subprocess
    import sys

    out = tmp_path / "site.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.lockf(fd, fcntl.LOCK_EX); os.pwrite(fd, str(os.getpid()).encode(), 0); print('locked', flush=True); "
            "sys.stdin.read()",
            str(tmp_path / ".site.db.lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        result = runner.invoke(cli, ["build", "--datasets", str(DATA / "valid"), "--out", str(out)])
        assert result.exit_code == 1 and "another build" in result.output
        assert f"(process {holder.pid})" in result.output
        assert not out.exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert runner.invoke(cli, ["build", "--datasets", str(DATA / "valid"), "--out", str(out)]).exit_code == 0


def test_personal_data_in_free_text_never_reaches_the_database(runner, tmp_path):
    import shutil

    datasets = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", datasets)
    kinds = datasets / "sample" / "kinds.csv"
    kinds.write_text(
        kinds.read_text(encoding="utf-8")
        + "zoo,สวนสัตว์ ติดต่อ 081-234-5678 หรือ somchai@example.com บัตร 1-1017-00207-53-6\n",
        encoding="utf-8",
    )
    out = tmp_path / "site.db"
    result = runner.invoke(cli, ["build", "--datasets", str(datasets), "--out", str(out)])
    assert result.exit_code == 0, result.output
    name = sqlite3.connect(out).execute("select name_th from kinds where kind_code = 'zoo'").fetchone()[0]
    assert name == "สวนสัตว์ ติดต่อ [โทรศัพท์] หรือ [อีเมล] บัตร [เลขบัตรประชาชน]"
    assert "name_th: phone replaced by [โทรศัพท์] (PDPA)" in result.output
    assert "081-234-5678" not in result.output and "somchai" not in result.output


@pytest.mark.slow
def test_a_full_build_hashes_each_source_file_once(datasets_copy, tmp_path, monkeypatch):
    """The fingerprints' digests are the ones build_files records: no file is read twice for them.
    Every dataset, the complaints as 300 synthetic tickets in the dump's CSV: a CSV the check counts."""
    import collections

    from openbangkok.model.catalog import load_catalog
    from openbangkok.pipeline import incremental
    from openbangkok.pipeline.build import build

    reads = collections.Counter()
    real = incremental.file_digest
    monkeypatch.setattr(incremental, "file_digest", lambda path: reads.update([path]) or real(path))
    dump = with_synthetic_complaints(datasets_copy, rows=300)
    assert build(load_catalog(datasets_copy), tmp_path / "openbangkok.db", full=True).ok
    sources = [p for p in reads if p.suffix == ".csv"]
    assert len(sources) >= 10 and dump in sources and {reads[p] for p in sources} == {1}, reads
