"""build_changes: each build records, per table, the rows added, changed and removed since the build
before (openbangkok.pipeline.changes), on a copy of the small reference dataset."""

from __future__ import annotations

import csv
import json
import sqlite3

from openbangkok.model.catalog import load_catalog
from openbangkok.pipeline.build import build
from tests.conftest import copy_datasets


def _edit_agencies(folder) -> None:
    """One agency removed (budget), one renamed (bma's English name), one added (a made-up test row)."""
    path = folder / "reference" / "agencies.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    rows = [r for r in rows if r["agency_code"] != "budget"]
    next(r for r in rows if r["agency_code"] == "bma")["name_en"] = "Bangkok Metropolitan Administration (BMA)"
    rows.append({**rows[2], "agency_code": "test-agency", "name_th": "หน่วยงานทดสอบ", "name_en": "Test agency"})
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)


def _changes(db, table: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("select * from build_changes where table_name = ? order by build", [table]).fetchall()
    finally:
        conn.close()


def test_a_rebuild_records_rows_added_changed_and_removed_by_key(tmp_path):
    datasets = copy_datasets(tmp_path, "reference")
    out = tmp_path / "openbangkok.db"
    assert build(load_catalog(datasets), out).ok
    first = _changes(out, "agencies")
    assert len(first) == 1 and first[0]["rows_before"] is None and first[0]["added"] == first[0]["rows_after"] == 67

    _edit_agencies(datasets)
    result = build(load_catalog(datasets), out)
    assert result.ok and result.rebuilt == {"reference"}
    history = _changes(out, "agencies")
    assert len(history) == 2, "the first build's row is kept"
    latest = history[-1]
    assert latest["build"] == first[0]["build"] + 1 and latest["built_at"] >= first[0]["built_at"]
    assert latest["compared_by"].endswith("agency_code")
    assert (latest["rows_before"], latest["rows_after"]) == (67, 67)
    assert (latest["added"], latest["changed"], latest["removed"]) == (1, 1, 1)
    assert json.loads(latest["added_examples"]) == [["test-agency"]]
    assert json.loads(latest["changed_examples"]) == [["bma"]]
    assert json.loads(latest["removed_examples"]) == [["budget"]]
    districts = _changes(out, "districts")[-1]
    assert (districts["added"], districts["changed"], districts["removed"]) == (0, 0, 0)


def test_a_table_without_a_primary_key_is_compared_by_row_content(tmp_path):
    datasets = copy_datasets(tmp_path, "reference")
    schema = datasets / "reference" / "agencies.schema.yaml"
    schema.write_text(schema.read_text(encoding="utf-8").replace("primaryKey: [agency_code]\n", ""), encoding="utf-8")
    out = tmp_path / "openbangkok.db"
    assert build(load_catalog(datasets), out).ok
    _edit_agencies(datasets)
    assert build(load_catalog(datasets), out).ok
    latest = _changes(out, "agencies")[-1]
    assert latest["compared_by"].startswith("row content")
    # the renamed row is one row gone and one row new; with the added and the removed: 2 and 2
    assert (latest["added"], latest["changed"], latest["removed"]) == (2, None, 2)


def test_a_full_rebuild_keeps_the_history(tmp_path):
    datasets = copy_datasets(tmp_path, "reference")
    out = tmp_path / "openbangkok.db"
    assert build(load_catalog(datasets), out).ok
    _edit_agencies(datasets)
    assert build(load_catalog(datasets), out, full=True).ok
    history = _changes(out, "agencies")
    assert len(history) == 2
    assert (history[-1]["added"], history[-1]["changed"], history[-1]["removed"]) == (1, 1, 1)
