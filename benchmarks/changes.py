"""What recording build_changes costs (openbangkok.pipeline.changes): a generated complaints build,
then a rebuild of it with rows removed, changed and added, the build's own step "what changed"
timed beside the whole build, in one run.

    python benchmarks/changes.py --rows 100000
    python benchmarks/changes.py --rows 100000 --out /tmp/changes.md

1. benchmarks/generate_traffy.py writes rows + 1% tickets (seeded) into a copy of the datasets; the
   first build reads the first `rows` of them.
2. The file is written again without its first 1% (removed), with the comment of the next 1%
   edited (changed) and with the extra 1% at its end (added), and the database is built again
   (incremental: only the complaints dataset). The step "what changed" of that build compares
   every table of the dataset with the published file's, by primary key.
3. The counts recorded are checked against the edit. The report is Markdown, printed and written
   to benchmarks/results/changes.md (or --out). Not part of the test run.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "scripts"))

import generate_traffy  # noqa: E402
from helpers import timing_lock  # noqa: E402

from openbangkok.model.catalog import DEFAULT_DATASETS, load_catalog  # noqa: E402
from openbangkok.pipeline.build import build  # noqa: E402

RESULTS = HERE / "results" / "changes.md"


def rewrite(path: Path, rows: list[list[str]], header: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    step = max(args.rows // 100, 1)
    with tempfile.TemporaryDirectory(prefix="changes-") as work:
        work = Path(work)
        datasets = work / "datasets"
        shutil.copytree(DEFAULT_DATASETS, datasets)
        csv_path = generate_traffy.use_in(datasets, args.rows + step, args.seed)
        with csv_path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header, everything = next(reader), list(reader)
        comment = header.index("comment")
        rewrite(csv_path, everything[: args.rows], header)
        out = work / "openbangkok.db"
        with timing_lock():
            first = build(load_catalog(datasets), out)
            assert first.ok, [p.line() for p in first.report.errors][:5]
            edited = [list(r) for r in everything[step : args.rows + step]]
            for row in edited[:step]:
                row[comment] = (row[comment] or "") + " (แก้ไข / edited)"
            rewrite(csv_path, edited, header)
            second = build(load_catalog(datasets), out)
        assert second.ok and second.rebuilt == {"complaints"}, second.rebuilt
        conn = sqlite3.connect(out)
        recorded = conn.execute(
            "select rows_before, rows_after, added, changed, removed from build_changes "
            "where table_name = 'complaints' order by build desc limit 1"
        ).fetchone()
        conn.close()

    total = sum(second.timings.values())
    diff = second.timings["what changed"]
    lines = [
        f"# build_changes at {args.rows:,} generated tickets (seed {args.seed})",
        "",
        f"Rebuild after removing {step:,}, editing {step:,} and adding {step:,} tickets (the generator's "
        "duplicates and rejected rows make the published counts a little lower):",
        "",
        "| | seconds | CPU seconds |",
        "|---|---:|---:|",
        *(
            f"| {name} | {seconds:.2f} | {second.timings.cpu.get(name, 0):.2f} |"
            for name, seconds in second.timings.items()
        ),
        f"| **whole rebuild** | **{total:.2f}** | |",
        "",
        f'"what changed": {diff:.2f} s, {100 * diff / total:.1f}% of the rebuild.',
        f"Recorded for complaints: rows before {recorded[0]:,}, after {recorded[1]:,}; added {recorded[2]:,}, "
        f"changed {recorded[3]:,}, removed {recorded[4]:,}.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
