"""Nothing lost, nothing damaged: encodings, workbooks, killed builds, concurrent builds, a server
that keeps answering while a build finishes."""

import csv
import hashlib
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from openbangkok.cli import cli
from openbangkok.model.catalog import DEFAULT_DATASETS, load_catalog
from openbangkok.pipeline.build import build

from .conftest import DATA, build_stopped_at, checked_build, made_once, start_server, with_synthetic_complaints

OWN_TABLES = {"build_files", "build_columns", "build_datasets", "build_changes", "sqlite_stat1"}


def table_contents(db_path):
    conn = sqlite3.connect(db_path)
    names = [r[0] for r in conn.execute("select name from sqlite_master where type='table' order by name")]
    return {
        name: conn.execute(f"select * from [{name}] order by 1").fetchall()
        for name in names
        if name not in OWN_TABLES
        and not name.endswith(("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config"))
    }


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def small_site(tmp_path_factory) -> Path:
    """Every dataset, the complaints as 300 synthetic tickets in the dump's CSV, built once: the
    re-encoded copies are built against it (the real tickets are JSON, which no test re-encodes)."""

    def make(folder: Path) -> Path:
        shutil.copytree(DEFAULT_DATASETS, folder / "datasets")
        with_synthetic_complaints(folder / "datasets", rows=300)
        return checked_build(folder / "datasets", folder / "openbangkok.db")

    return made_once(tmp_path_factory, "small-synthetic", make)


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["cp874", "utf-8-sig"])
def test_reencoded_datasets_build_the_same_database(tmp_path, small_site, encoding):
    datasets_copy, built_db = tmp_path / "datasets", small_site
    shutil.copytree(small_site.parent / "datasets", datasets_copy)
    converted = 0
    for path in datasets_copy.rglob("*.csv"):
        text = path.read_text(encoding="utf-8")
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            continue  # characters Windows-874 cannot hold (emoji, accents): that file stays UTF-8
        path.write_bytes(data.replace(b"\n", b"\r\n") if encoding == "cp874" else data)
        converted += 1
    dump = Path("complaints") / "traffy_fondue.csv"
    assert converted >= 2
    assert (datasets_copy / dump).read_bytes() != (small_site.parent / "datasets" / dump).read_bytes(), "re-encoded"
    out = tmp_path / "reencoded.db"
    result = build(load_catalog(datasets_copy), out)
    assert result.ok, "\n".join(p.line() for p in result.report.errors)
    assert table_contents(out) == table_contents(built_db)
    conn = sqlite3.connect(out)
    notes = conn.execute("select conversions from build_files where table_name = 'districts'").fetchone()[0]
    assert ("Windows-874" if encoding == "cp874" else "BOM") in notes


def write_workbook(path: Path, csv_path: Path, sheet: str):
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    with csv_path.open(encoding="utf-8") as f:
        for row in csv.reader(f):
            worksheet.append(row)
    workbook.save(path)


def workbook_datasets(tmp_path, edit=None):
    copy = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", copy)
    places = copy / "sample" / "places.csv"
    if edit:
        places.write_text(edit(places.read_text(encoding="utf-8")), encoding="utf-8")
    write_workbook(copy / "sample" / "places.xlsx", places, "สถานที่")
    places.unlink()
    descriptor_path = copy / "sample" / "datapackage.yaml"
    descriptor = yaml.safe_load(descriptor_path.read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "places")
    resource.update(path="places.xlsx", sheet="สถานที่")
    descriptor_path.write_text(yaml.safe_dump(descriptor, allow_unicode=True), encoding="utf-8")
    return copy


def test_workbook_builds_like_its_csv(tmp_path):
    out_csv, out_xlsx = tmp_path / "csv.db", tmp_path / "xlsx.db"
    assert build(load_catalog(DATA / "valid"), out_csv).ok
    result = build(load_catalog(workbook_datasets(tmp_path)), out_xlsx)
    assert result.ok, "\n".join(p.line() for p in result.report.errors)
    assert table_contents(out_xlsx) == table_contents(out_csv)


def test_workbook_problem_names_sheet_row_and_excel_column(tmp_path, runner):
    datasets = workbook_datasets(tmp_path, edit=lambda text: text.replace(",1200,", ",many,"))
    result = runner.invoke(cli, ["validate", "--datasets", str(datasets)])
    assert result.exit_code == 1
    assert f"{datasets}/sample/places.xlsx#สถานที่:3:visitors: type-error:" in result.output
    assert "(column D in Excel)" in result.output


def test_problems_are_limited_per_file_and_type(tmp_path, runner):
    copy = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", copy)
    header = (DATA / "valid" / "sample" / "places.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [f"{i},สถานที่ {i},park,x{i},open,02,2023-09-04," for i in range(1, 31)]
    (copy / "sample" / "places.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--datasets", str(copy), "--max-per-type", "5"])
    assert result.output.count(": type-error: ") == 5
    assert "25 more type-error errors not shown" in result.output
    everything = runner.invoke(cli, ["validate", "--json", "--datasets", str(copy)])
    import json

    assert len([p for p in json.loads(everything.stdout) if p["type"] == "type-error"]) == 30


def openbkk(*args):
    return [sys.executable, "-m", "openbangkok", *args]


def sample_with_a_new_place(folder: Path) -> Path:
    """The valid sample with one more place: a change, so that a build into a database of the sample
    has work to do."""
    datasets = folder / "datasets"
    shutil.copytree(DATA / "valid", datasets)
    with (datasets / "sample" / "places.csv").open("a", encoding="utf-8") as f:
        f.write("4,สวนเบญจกิติ,park,900,open,02,2023-09-04,\n")
    return datasets


FORKS = """
import os, signal, sys
from openbangkok.cli import cli
from openbangkok.pipeline.processes import STOP_AT
for step in sys.stdin:
    pid = os.fork()
    if pid == 0:
        os.environ[STOP_AT] = step.rstrip("\\n")
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1), os.dup2(quiet, 2)
        code = 1
        try:
            cli.main(sys.argv[1:], prog_name="openbkk")
        except SystemExit as end:  # the build did not stop: its exit code, and never back in the loop
            code = end.code if isinstance(end.code, int) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, os.WUNTRACED)
    print(pid if os.WIFSTOPPED(status) else -1, flush=True)
    if os.WIFSTOPPED(status):
        _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""


class BuildForks:
    """One Python that imports the build once, then forks a real build per request, each stopped at
    its checkpoint (processes.checkpoint) for the test to kill: a Python start-up per build less."""

    def __init__(self, args: list[str], deadline: float = 120.0):
        self.deadline, self.pending = deadline, b""
        self.process = subprocess.Popen(
            [sys.executable, "-c", FORKS, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
        )

    def answer(self) -> int:
        """The next line the forking Python prints (read unbuffered, so that select sees every line)."""
        while b"\n" not in self.pending:
            ready, _, _ = select.select([self.process.stdout], [], [], self.deadline)
            assert ready, f"no answer from the forked build within {self.deadline} s"
            chunk = os.read(self.process.stdout.fileno(), 4096)
            assert chunk, "the forking Python ended"
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return int(line)

    def stopped_at(self, point: str) -> int:
        """The pid of a build forked to stop itself at `point`."""
        self.process.stdin.write(point.encode() + b"\n")
        pid = self.answer()
        assert pid > 0, f"the build ended ({self.answer()}) before it reached {point!r}"
        return pid

    def ended(self) -> int:
        """The exit code of the last build (minus the signal that killed it)."""
        return self.answer()

    def __enter__(self):
        return self

    def __exit__(self, *failed):
        self.process.stdin.close()  # its loop ends; killed if a failed test left it waiting
        if any(failed):
            self.process.kill()
        assert self.process.wait(timeout=self.deadline) == 0 or any(failed)


@pytest.mark.slow
def test_killed_build_leaves_published_database_unchanged(tmp_path):
    """Killed at the end of each of its steps (the build stops itself there: processes.checkpoint),
    every step before the rename leaves the published file as it was."""
    out = tmp_path / "site" / "openbangkok.db"
    assert build(load_catalog(DATA / "valid"), out).ok
    before = digest(out)
    changed = sample_with_a_new_place(tmp_path)
    rehearsal = tmp_path / "rehearsal" / "openbangkok.db"
    rehearsal.parent.mkdir()
    shutil.copyfile(out, rehearsal)
    steps = list(build(load_catalog(changed), rehearsal).timings)  # the steps of this build, in order
    assert steps[-1] == "write to disk and rename" and len(steps) >= 5, steps
    with BuildForks(["build", "--datasets", str(changed), "--out", str(out)]) as builds:
        for step in steps[:-1]:
            pid = builds.stopped_at(step)
            os.kill(pid, signal.SIGKILL)
            assert builds.ended() == -signal.SIGKILL
            assert digest(out) == before, f"published database changed by a build killed after the step {step!r}"
            conn = sqlite3.connect(f"file:{out}?mode=ro", uri=True)
            assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
            conn.close()
            visible = [p.name for p in out.parent.iterdir() if not p.name.startswith(".")]
            assert visible == ["openbangkok.db"], "a killed build left a file that could pass for a database"
    finished = subprocess.run(
        openbkk("build", "--datasets", str(changed), "--out", str(out)), capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    assert sqlite3.connect(out).execute("select count(*) from places").fetchone() == (4,)
    assert [p.name for p in out.parent.iterdir() if ".tmp-" in p.name] == [], "stale temporary files were removed"


@pytest.mark.slow
def test_two_builds_at_once_one_refuses(tmp_path, runner):
    datasets = sample_with_a_new_place(tmp_path)
    out = tmp_path / "openbangkok.db"
    arguments = ["build", "--datasets", str(datasets), "--out", str(out)]
    first = build_stopped_at("validate and stage", openbkk(*arguments))  # holding the lock, in its work
    try:
        second = runner.invoke(cli, arguments)  # another process: this one (a Python start-up less)
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=120) == 0
    assert second.exit_code == 1 and "another build" in second.stderr
    assert sqlite3.connect(out).execute("pragma integrity_check").fetchone() == ("ok",)


@pytest.mark.slow
def test_server_keeps_answering_while_a_build_finishes(tmp_path):
    datasets = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", datasets)
    out = tmp_path / "openbangkok.db"
    assert build(load_catalog(datasets), out).ok
    process, url = start_server_on(out, datasets)
    try:
        kinds = f"{url}/openbangkok/kinds.json?_shape=array"
        assert len(httpx.get(kinds).json()) == 2
        with (datasets / "sample" / "kinds.csv").open("a", encoding="utf-8") as f:
            f.write("temple,วัด\n")
        assert build(load_catalog(datasets), out).ok
        answer = httpx.get(kinds)
        assert answer.status_code == 200  # still answering, from the file it opened
    finally:
        process.terminate()
        process.wait(timeout=10)
    process, url = start_server_on(out, datasets)  # the documented reload step: restart
    try:
        assert len(httpx.get(f"{url}/openbangkok/kinds.json?_shape=array").json()) == 3
    finally:
        process.terminate()
        process.wait(timeout=10)


def start_server_on(db, datasets):
    return start_server(db, "--datasets", str(datasets))
