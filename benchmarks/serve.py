"""How fast the site answers on a large complaints table, next to raw SQLite and stock Datasette.

    python benchmarks/serve.py --rows 1000000
    python benchmarks/serve.py --rows 200000 --seconds 3 --no-peer      (a quick look)
    python benchmarks/serve.py --rows 1000000 --levers                  (what each lever is worth)

1. A database: benchmarks/generate_traffy.py writes N tickets in the dump's format, the project's
   datasets are copied to benchmarks/work/serve_datasets_N/ with that file as the complaints, and
   `openbkk build` builds benchmarks/work/serve_N.db (kept: the next run rebuilds only what changed).
2. The site (`openbkk serve`) on a loopback port: every endpoint below at concurrency 1 and 8, each
   for at most --requests requests or --seconds seconds; p50, p95 and requests/s.
3. The floor: the SQL that answers the same request (page, count, facets), run back to back with
   Python's sqlite3 on the same file with the site's connection settings, no caching across requests.
4. The peer: stock Datasette (`datasette serve FILE`, default settings, no metadata, no plugins
   directory) on the same file, same bounds.
5. The full CSV export (`.csv?_stream=on`) from each: MB/s, rows, complete or not.
6. 16 clients for --soak seconds on a mix of every endpoint but the export: any error counts.

Loopback only; servers are started here and stopped at the end. Writes a Markdown report to
benchmarks/results/serve.md (or --out) and prints it.

The parts: serve_setup.py (the database, the settings and targets), serve_endpoints.py (what is
asked, and its SQL floor), serve_load.py (clients, floor, export, servers), serve_levers.py
(--levers), serve_report.py (the Markdown).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from helpers import rerun_in_project_venv  # noqa: E402  (imports nothing of the project)

try:
    import httpx  # noqa: F401

    import openbangkok  # noqa: F401
except ImportError as error:  # `python benchmarks/serve.py` outside the project's virtualenv
    rerun_in_project_venv(error)

from serve_levers import measure_levers  # noqa: E402  (after the virtualenv is sure)
from serve_load import measure_all  # noqa: E402
from serve_report import report  # noqa: E402
from serve_setup import RESULTS, prepare_database, sample  # noqa: E402


def load_average() -> str:
    try:
        return " / ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="Generated rows (duplicates included).")
    parser.add_argument("--seed", type=int, default=2024, help="Generator seed (generate_traffy.py's default).")
    parser.add_argument("--db", type=Path, help="Use this built database instead of building one.")
    parser.add_argument(
        "--requests", type=int, default=100, help="At most this many requests per endpoint at c1 (twice at c8)."
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="At most this long per endpoint and concurrency.")
    parser.add_argument("--soak", type=float, default=60.0, help="Seconds at concurrency 16 (0: skip).")
    parser.add_argument("--export-timeout", type=float, default=300.0, help="Stop an export after this long (0: skip).")
    parser.add_argument("--only", nargs="*", help="Only the endpoints whose name contains one of these words.")
    parser.add_argument("--no-peer", dest="peer", action="store_false", help="Skip stock Datasette.")
    parser.add_argument("--levers", action="store_true", help="Also measure each serving lever switched off.")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    db = args.db or prepare_database(args.rows, args.seed)
    s = sample(db)
    load_before = load_average()
    results, exports, soak = measure_all(args, db, s)
    levers = measure_levers(args, db, s) if args.levers else None
    text = report(args, db, s, results, exports, soak, levers, load_before, load_average())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
