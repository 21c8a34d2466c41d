"""Regenerate datasets/reference/districts.csv and the district-office rows of agencies.csv from geothai.

Usage: python scripts/generate_reference.py [DATASETS_DIR]
Department rows of agencies.csv are kept as they are; district-office rows are rewritten.
"""

import csv
import sys
from pathlib import Path

from openbangkok.thai.reference import DISTRICT_COLUMNS, district_office_rows, district_rows

AGENCY_COLUMNS = ["agency_code", "name_th", "name_en", "kind", "district_code", "source"]


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(datasets: Path) -> None:
    reference = datasets / "reference"
    write_csv(reference / "districts.csv", DISTRICT_COLUMNS, district_rows())
    agencies_csv = reference / "agencies.csv"
    with agencies_csv.open(encoding="utf-8") as f:
        departments = [row for row in csv.DictReader(f) if row["kind"] != "district office"]
    write_csv(agencies_csv, AGENCY_COLUMNS, departments + district_office_rows())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "datasets")
