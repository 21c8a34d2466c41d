"""The files the build benchmarks read, kept in benchmarks/work/ (gitignored): the generated Traffy
Fondue dump (benchmarks/generate_traffy.py, seeded), reused while its size, seed and generator are the
same, and a copy of datasets/ whose complaints are that dump.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from generate_traffy import point_complaints_at_dump  # benchmarks/ is on sys.path: run as a script
from measuring import ROOT, WORK

GENERATOR = ROOT / "benchmarks" / "generate_traffy.py"
GENERATOR_FILES = (GENERATOR, ROOT / "benchmarks" / "traffy_text.py")  # a change to either: generated again


def generator_digest() -> str:
    h = hashlib.sha256()
    for path in GENERATOR_FILES:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def dump(rows: int, seed: int, timeout: float) -> Path:
    """The generated file, reused while rows, seed and generator are the same."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"traffy_{rows}.csv" if seed == 2024 else WORK / f"traffy_{rows}_seed{seed}.csv"
    stamp = path.with_suffix(".json")
    wanted = {"rows": rows, "seed": seed, "generator": generator_digest()}
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return path
    if path.exists() and not stamp.exists():  # made before stamps: keep it if it has the rows
        with path.open("rb") as f:
            head = f.read(1 << 16)
        if head.startswith(b"ticket_id,") and path.stat().st_size > rows * 300:
            stamp.write_text(json.dumps(wanted))
            return path
    print(f"generating {rows:,} tickets -> {path}", file=sys.stderr, flush=True)
    partial = path.with_suffix(".partial")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--rows", str(rows), "--seed", str(seed), "--out", str(partial)],
        check=True,
        timeout=timeout,
    )
    partial.rename(path)
    stamp.write_text(json.dumps(wanted))
    return path


def datasets_with(source: Path, rows: int) -> Path:
    """A fresh copy of datasets/ with the generated file as the complaints (a hard link)."""
    target = WORK / f"build_datasets_{rows}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(
        ROOT / "datasets", target, ignore=lambda d, names: ["traffy_fondue.csv"] if Path(d).name == "complaints" else []
    )
    complaints = target / "complaints" / "traffy_fondue.csv"
    try:
        os.link(source, complaints)
    except OSError:
        complaints.symlink_to(source)
    point_complaints_at_dump(target)  # the published site's complaints are the API's pages
    return target
