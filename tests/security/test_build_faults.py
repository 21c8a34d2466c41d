"""Faults of the build (issue 19): a killed build's workers, its lock, wide files, workbooks that
unpack to gigabytes, files that are no files, a full disk. Each ends in a clear problem and the
published database as it was, or in a build that goes through."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from openbangkok.cli import cli
from openbangkok.model.catalog import load_catalog
from openbangkok.pipeline import workbooks
from openbangkok.pipeline.build import build
from openbangkok.pipeline.lock import BuildLocked, build_lock

from ..conftest import DATA, build_stopped_at, copy_datasets, poll, with_synthetic_complaints

TIMEOUT = 300  # a build of the sample takes seconds; a hang is what these tests catch
pytestmark = pytest.mark.slow  # builds in processes of their own, killed, refused, run again


def openbkk(*args, env=None, timeout=TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "openbangkok", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sample(tmp_path: Path) -> Path:
    datasets = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", datasets)
    return datasets


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_builds_workers_die_with_it_and_the_next_build_runs(tmp_path):
    """Workers of a SIGKILLed build kept its lock, and every later build said "another build is running".
    The build is killed while its workers are alive: it stops itself once it has staged the first piece
    they parsed (openbangkok.pipeline.processes.checkpoint), four pieces of the dump in flight."""
    datasets = copy_datasets(tmp_path, "reference", "complaints")
    with_synthetic_complaints(datasets, rows=10_000)  # about 8 MB: four pieces (csv_pieces.PIECE_BYTES)
    out = tmp_path / "site" / "openbangkok.db"
    workers_env = {"OPENBANGKOK_BUILD_WORKERS": "2"}
    process = build_stopped_at(
        "piece staged by a worker",
        [sys.executable, "-m", "openbangkok", "build", "--datasets", str(datasets), "--out", str(out)],
        env=workers_env,
    )
    workers = children(process.pid)
    assert len(workers) >= 2, "the two workers are running"
    process.send_signal(signal.SIGKILL)
    process.wait()
    poll(lambda: not any(alive(pid) for pid in workers), 30, "workers still alive")
    again = openbkk("build", "--datasets", str(datasets), "--out", str(out), env=workers_env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"process {process.pid}" in again.stdout + again.stderr  # the killed build's lock, taken over
    assert "another build" not in again.stderr


def test_a_lock_file_left_by_a_dead_build_is_taken_over(tmp_path):
    datasets = sample(tmp_path)
    out = tmp_path / "openbangkok.db"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    (tmp_path / ".openbangkok.db.lock").write_text(dead.stdout)
    result = build(load_catalog(datasets), out)
    assert result.ok and out.exists()
    notes = [p for p in result.report.problems if p.type == "stale-lock"]
    assert len(notes) == 1 and f"process {dead.stdout.strip()}" in notes[0].message and notes[0].severity == "info"
    assert (tmp_path / ".openbangkok.db.lock").read_text() == ""  # a build that ends leaves no number


def test_two_builds_in_one_process_one_refuses(tmp_path):
    out = tmp_path / "openbangkok.db"
    with build_lock(out), pytest.raises(BuildLocked, match="in this process"), build_lock(out):
        pass
    with build_lock(out):  # released
        pass


@pytest.mark.parametrize("shape", ["10,000 columns", "10,000 trailing commas"])
def test_a_very_wide_file_is_refused_as_it_is_read(tmp_path, shape, runner):
    datasets = sample(tmp_path)
    places = datasets / "sample" / "places.csv"
    lines = places.read_text(encoding="utf-8").splitlines()
    if shape == "10,000 columns":
        lines[0] += "".join(f",extra{n}" for n in range(10_000))
        row = 1
    else:
        lines[1:] = [line + "," * 10_000 for line in lines[1:]]
        row = 2
    places.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--datasets", str(datasets)])  # no process boundary under test
    assert result.exit_code == 1
    assert f"places.csv:{row}:: format-error: this row has 10,00" in result.stderr
    assert "delete the empty columns" in result.stderr


def write_xlsx(path: Path, sheet_xml_bytes: int) -> None:
    """A workbook whose one sheet unpacks to about `sheet_xml_bytes` (rows of the same cell compress
    a thousandfold)."""
    row = '<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    body = row * (sheet_xml_bytes // len(row))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr("xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{body}</sheetData></worksheet>")


def workbook_datasets(tmp_path: Path, workbook: Path) -> Path:
    datasets = sample(tmp_path)
    shutil.copy(workbook, datasets / "sample" / "places.xlsx")
    (datasets / "sample" / "places.csv").unlink()
    descriptor_path = datasets / "sample" / "datapackage.yaml"
    descriptor = yaml.safe_load(descriptor_path.read_text(encoding="utf-8"))
    next(r for r in descriptor["resources"] if r["name"] == "places").update(path="places.xlsx")
    descriptor_path.write_text(yaml.safe_dump(descriptor, allow_unicode=True), encoding="utf-8")
    return datasets


def test_a_workbook_that_unpacks_to_more_than_the_limit_is_refused_unopened(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    write_xlsx(bomb, workbooks.UNPACKED_BYTES + (20 << 20))
    assert bomb.stat().st_size < 2 << 20
    result = openbkk("validate", "--datasets", str(workbook_datasets(tmp_path, bomb)))
    assert result.returncode == 1
    assert "places.xlsx::: format-error: the workbook unpacks to 1" in result.stderr and "CSV UTF-8" in result.stderr


def small_workbook(tmp_path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    with (DATA / "valid" / "sample" / "places.csv").open(encoding="utf-8") as f:
        for row in csv.reader(f):
            workbook.active.append(row)
    path = tmp_path / "places.xlsx"
    workbook.save(path)
    return path


@pytest.mark.parametrize(
    "bound, value, words",
    [
        ("SECONDS", 0.01, "took more than"),
        ("MEMORY_BYTES", 25 << 20, "memory"),
        ("WORKBOOK_BYTES", 100, "workbooks of up to"),
    ],
)
def test_in2csv_runs_within_time_and_memory(tmp_path, monkeypatch, bound, value, words):
    monkeypatch.setattr(workbooks, bound, value)
    with pytest.raises(workbooks.WorkbookRefused, match=words):
        workbooks.to_csv(small_workbook(tmp_path), None)


def test_a_workbook_within_the_bounds_converts(tmp_path):
    assert workbooks.to_csv(small_workbook(tmp_path), None).startswith(b"place_id,name_th")


@pytest.mark.parametrize(
    "kind", ["named pipe", "device", "link to /dev/zero", "link to /etc/passwd", "path out of datasets"]
)
def test_a_resource_that_is_no_file_of_the_datasets_is_refused_unread(tmp_path, kind):
    datasets = sample(tmp_path)
    places = datasets / "sample" / "places.csv"
    places.unlink()
    if kind == "named pipe":
        os.mkfifo(places)
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("only root makes a device node")
        os.mknod(places, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # as /dev/zero
    elif kind == "link to /dev/zero":
        places.symlink_to("/dev/zero")
    elif kind == "link to /etc/passwd":
        places.symlink_to("/etc/passwd")
    else:
        descriptor = datasets / "sample" / "datapackage.yaml"
        # as many steps up as reach / from any temporary folder (xdist's are one deeper): /etc/passwd
        descriptor.write_text(
            descriptor.read_text(encoding="utf-8").replace("path: places.csv", "path: " + "../" * 30 + "etc/passwd")
        )
    out = tmp_path / "openbangkok.db"
    shutil.copy(DATA.parent.parent / "README.md", out)  # stands for the published database
    before = digest(out)
    result = openbkk("build", "--datasets", str(datasets), "--out", str(out))
    assert result.returncode == 1
    words = {"named pipe": "named pipe (FIFO), not a file", "device": "a device, not a file"}.get(
        kind, "leads outside the datasets folder"
    )
    assert words in result.stderr and "scheme-error" in result.stderr
    assert "root:" not in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert digest(out) == before


def test_a_descriptor_that_is_no_file_is_refused(tmp_path):
    datasets = sample(tmp_path)
    descriptor = datasets / "sample" / "places.schema.yaml"
    descriptor.unlink()
    os.mkfifo(descriptor)
    result = openbkk("validate", "--datasets", str(datasets))
    assert result.returncode != 0 and "must be a regular file" in result.stderr


def build_into_a_small_disk(tmp_path: Path, out: Path, prefix: list[str]) -> subprocess.CompletedProcess:
    datasets = sample(tmp_path)
    places = datasets / "sample" / "places.csv"
    with places.open("a", encoding="utf-8") as f:  # a change: the build copies and writes again
        for n in range(10, 3000):
            f.write(f"{n},สถานที่ {n} ที่มีชื่อยาวพอสมควร,park,{n},open,02,2023-09-04,\n")
    return subprocess.run(
        [*prefix, "build", "--datasets", str(datasets), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def assert_disk_full_told(result: subprocess.CompletedProcess, out: Path, before: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "disk-full" in result.stderr and "free disk space" in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert digest(out) == before
    assert [p.name for p in out.parent.iterdir() if ".tmp-" in p.name] == []


def test_a_full_disk_is_told_and_the_database_kept(tmp_path):
    """A size-limited folder (tmpfs) filled up, as root can make one; RLIMIT_FSIZE below otherwise."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True, check=False
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a small tmpfs here (the RLIMIT_FSIZE test covers a full disk)")
    try:
        out = disk / "openbangkok.db"
        assert build(load_catalog(DATA / "valid"), out).ok
        before = digest(out)
        filler = disk / "filler"
        with filler.open("wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        with filler.open("r+b") as f:  # room for the lock file and a little more, not for a build
            f.truncate(filler.stat().st_size - 64 * 1024)
        assert_disk_full_told(
            build_into_a_small_disk(tmp_path, out, [sys.executable, "-m", "openbangkok"]), out, before
        )
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_file_size_limit_is_told_as_a_full_disk(tmp_path):
    out = tmp_path / "site" / "openbangkok.db"
    assert build(load_catalog(DATA / "valid"), out).ok
    before = digest(out)
    limit = out.stat().st_size + 16 * 1024
    bounded = [
        sys.executable,
        "-c",
        (
            f"import resource, runpy, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); sys.argv[0] = 'openbkk'; "
            f"runpy.run_module('openbangkok', run_name='__main__')"
        ),
    ]
    assert_disk_full_told(build_into_a_small_disk(tmp_path, out, bounded), out, before)


def test_a_wide_traffy_dump_is_refused_or_its_rows_rejected_within_bounds(tmp_path, runner):
    """The dump's adapter reads no frictionless: a wide header is refused, a wide row rejected and kept
    (complaints_rejected) no longer than a cell may be."""
    datasets = copy_datasets(tmp_path, "reference", "complaints")
    dump = with_synthetic_complaints(datasets)
    rows = list(csv.reader(dump.open(encoding="utf-8")))
    wide = [rows[0] + [f"extra{n}" for n in range(10_000)]] + [r + [""] * 10_000 for r in rows[1:]]
    with dump.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(wide)
    result = runner.invoke(cli, ["validate", "--datasets", str(datasets)])  # no process boundary under test
    assert (
        result.exit_code == 1 and "traffy_fondue.csv:1:: format-error: the header has 10,016 columns" in result.stderr
    )
    with dump.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([rows[0], rows[1] + ["x" * 60_000, "y" * 60_000], *rows[2:]])
    out = tmp_path / "openbangkok.db"
    assert build(load_catalog(datasets), out).ok
    import sqlite3

    ((reason, raw),) = (
        sqlite3.connect(out)
        .execute("select reason, raw_record from complaints_rejected where raw_record like ?", [f"{rows[1][0]},%"])
        .fetchall()
    )
    assert "18 cells" in reason and len(raw) <= 100_001
