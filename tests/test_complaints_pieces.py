"""The Traffy dump read in pieces by worker processes gives exactly what one pass gives: the same
staged rows, rejections, reconciliation, warnings and redaction counts, whatever the pieces."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys

import pytest

from openbangkok.adapters.traffy import dump_csv, publishing, staging
from openbangkok.model.catalog import load_catalog
from openbangkok.pipeline import csv_pieces
from openbangkok.pipeline.check import validate
from openbangkok.pipeline.csv_pieces import record_end

from .conftest import copy_datasets, with_synthetic_complaints
from .test_complaints import GENERATOR, UNSEEN, ticket

STAGED = ("complaints", "complaints_rejected", "complaints_source_rows")


def write_dump(path, rows: int, extra: list[list[str]], encoding: str = "utf-8", line_end: str = "\n") -> None:
    generated = subprocess.run(
        [sys.executable, str(GENERATOR), "--rows", str(rows), "--seed", "11"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    records = list(csv.reader(generated.splitlines(keepends=True)))
    # duplicates far from their first row (other pieces), and the unseen dump's odd rows
    records[1:1] = UNSEEN[:3]
    records += [records[5], records[400], records[len(records) // 2], *extra, *UNSEEN]
    with path.open("w", encoding=encoding, newline="", errors="replace") as f:
        csv.writer(f, lineterminator=line_end).writerows(records)


def staged(
    datasets,
    tmp_path,
    name,
    workers: int,
    piece_bytes: int,
    monkeypatch,
    one_pass: bool,
    commit_rows: int = staging.COMMIT_ROWS,
):
    """The staged tables, read by `workers` processes in pieces of `piece_bytes` (0: in this process)
    and committed every `commit_rows` rows; `one_pass`: whether the file must end up read in one pass
    in this process."""
    monkeypatch.setenv(dump_csv.WORKERS_ENV, str(workers))
    monkeypatch.setattr(dump_csv, "PIECE_BYTES", piece_bytes)
    monkeypatch.setattr(staging, "COMMIT_ROWS", commit_rows)
    passes, pieces = [], []
    in_process, cut = dump_csv.stage_in_process, csv_pieces.file_pieces
    monkeypatch.setattr(dump_csv, "stage_in_process", lambda *a: passes.append(1) or in_process(*a))
    monkeypatch.setattr(csv_pieces, "file_pieces", lambda *a: (pieces.append(p) or p for p in cut(*a)))
    result = validate(load_catalog(datasets), tmp_path / name, datasets={"complaints"}, for_build=True)
    assert bool(passes) == one_pass, [p.line() for p in result.report.problems][:5]
    assert one_pass or len(pieces) > 10
    conn = sqlite3.connect(result.db_path)
    tables = {t: conn.execute(f"select rowid, * from [{t}] order by rowid").fetchall() for t in STAGED}
    conn.close()
    return result, tables


@pytest.mark.slow
@pytest.mark.parametrize("case", ["utf-8", "windows-874 with CRLF"])
def test_pieces_read_exactly_as_one_pass(tmp_path, monkeypatch, case):
    datasets = copy_datasets(tmp_path, "complaints")
    path = with_synthetic_complaints(datasets, rows=0)
    extra = [ticket("2024-QUOTE1", comment='ป้าย "ห้ามจอด"\n\n"ซ้ำ",\r\nครับ', address='"')]
    if case == "utf-8":
        write_dump(path, 2500, extra)
    else:
        write_dump(path, 1200, extra, encoding="cp874", line_end="\r\n")
    one_pass, one_pass_tables = staged(datasets, tmp_path, "one", 0, 0, monkeypatch, one_pass=True)
    assert one_pass.report.ok and one_pass_tables["complaints"]
    pieces, pieces_tables = staged(
        datasets, tmp_path, "pieces", 2, 40_000, monkeypatch, one_pass=False, commit_rows=300
    )
    assert pieces_tables == one_pass_tables
    # the search index, told of the rows a commit at a time, has every staged row
    index_db = tmp_path / "index.db"
    with sqlite3.connect(index_db) as conn:
        conn.execute(publishing.fts_sql("complaints_fts"))
    pieces.deferred[0].complete(index_db)
    with sqlite3.connect(index_db) as conn:
        indexed = [r[0] for r in conn.execute("select id from complaints_fts_docsize order by id")]
    assert indexed == [r[0] for r in pieces_tables["complaints"]]
    assert [p.line() for p in pieces.report.problems] == [p.line() for p in one_pass.report.problems]
    for stats in (one_pass.stats, pieces.stats):
        stats["complaints"].pop("seconds")
    assert pieces.stats["complaints"] == one_pass.stats["complaints"]
    rejected = {r[5] for r in pieces_tables["complaints_rejected"]}
    assert any(reason.startswith("duplicate ticket_id (first in row ") for reason in rejected)


@pytest.mark.slow
def test_stray_quotes_fall_back_to_one_pass(tmp_path, monkeypatch):
    """A quote inside an unquoted cell makes quote counting cut a record in two: the piece does not
    end where its last record ends, and the file is read in one pass instead."""
    datasets = copy_datasets(tmp_path, "complaints")
    path = with_synthetic_complaints(datasets, rows=0)
    write_dump(path, 600, [])
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    text[300] = text[300].replace(",{", ',stray"quote{', 1)
    path.write_text("".join(text), encoding="utf-8")
    one_pass, one_pass_tables = staged(datasets, tmp_path, "one", 0, 0, monkeypatch, one_pass=True)
    pieces, pieces_tables = staged(datasets, tmp_path, "pieces", 2, 20_000, monkeypatch, one_pass=True)
    assert pieces_tables == one_pass_tables
    assert [p.line() for p in pieces.report.problems] == [p.line() for p in one_pass.report.problems]


def test_record_end_counts_quotes():
    assert record_end(b'a,b\nc,"d\ne"\nf') == len(b'a,b\nc,"d\ne"\n')
    assert record_end(b'a,"b\nc') == 0
    assert record_end(b'a,"b""\n"\nc,d') == len(b'a,"b""\n"\n')


@pytest.mark.parametrize("workers", [0, 2])
def test_a_utf8_dump_with_a_line_in_windows_874_is_refused(tmp_path, monkeypatch, workers):
    """Read as Windows-874 from end to end, every Thai text of the dump would be published garbled."""
    datasets = copy_datasets(tmp_path, "reference", "complaints")
    path = with_synthetic_complaints(datasets, rows=0)
    write_dump(path, 600, [])
    lines = path.read_bytes().split(b"\n")
    number = next(
        n for n, line in enumerate(lines, 1) if n > 300 and line.decode("utf-8") != line.decode("ascii", "ignore")
    )
    lines[number - 1] = lines[number - 1].decode("utf-8").encode("cp874", errors="replace")
    path.write_bytes(b"\n".join(lines))
    monkeypatch.setenv(dump_csv.WORKERS_ENV, str(workers))
    monkeypatch.setattr(dump_csv, "PIECE_BYTES", 40_000)
    result = validate(load_catalog(datasets), tmp_path / "work", datasets={"reference", "complaints"})
    errors = [p for p in result.report.errors if p.file.endswith("traffy_fondue.csv")]
    assert [(p.row, p.type) for p in errors] == [(number, "encoding-error")], [p.line() for p in errors]
    assert f"UTF-8 except in line {number}" in errors[0].message
