"""PDPA on every column that can hold a citizen's text, including those that look like numbers: the
red team found count_reopen=0678901234 published as 678901234, and phone numbers published in forms
the redaction did not read (double spaces, line breaks, one-digit groups, 0066, fullwidth ＠)."""

from __future__ import annotations

import shutil

from openbangkok.cli import cli
from openbangkok.model.catalog import DEFAULT_DATASETS, load_catalog
from openbangkok.pipeline.build import build

from ..conftest import DATA, with_synthetic_complaints
from ..test_complaints import assert_no_personal_data, rows, ticket, write_dump

# the red team's forms, one per cell of Traffy's free-text and numeric columns
FORMS = {
    "2024-SPACES": {"comment": "โทร 086  123  4567 ค่ะ", "address": "บ้านเลขที่ 99/123 โทร 0 9 1 2 3 4 5 6 7 8"},
    "2024-LINES": {"comment": "ติดต่อ 086\n123\n4567\tหรือ 086\u00a0123\u00a04567", "subdistrict": "คลองจั่น 093/456/7890"},
    "2024-PREFIX": {"comment": "whatsapp 0066812345678 อีเมล somchai＠gmail.com", "state": "โทร 0066 81 234 5678"},
    "2024-IDCARD": {"comment": "บัตร 5200 1003 4567 0 และ 1.1017.00230.70.8"},
    "2024-COUNTS": {"count_reopen": "0678901234", "star": "0812345678"},
    "2024-REAL20": {
        "comment": "โทร. 0 2322 6688 หรือ 02 294 2394 หรือ 02-441-4973 ถึง 84",
        "organization": "{สำนักงานเขตบางกะปิ,โทร 0812345678}",
    },
    "2024-KEPT01": {
        "comment": "พิกัด 13.80091, 100.71982 ค่าซ่อม 1,234,567.50 บาท เวลา 09.00-12.00 น. "
        "หนังสือ นร 0110/12345678901 สายด่วน 1555 วันที่ 09/12/66 12.00 น."
    },
}
WRITTEN = [
    "086  123  4567",
    "0 9 1 2 3 4 5 6 7 8",
    "093/456/7890",
    "0066812345678",
    "somchai＠gmail.com",
    "0066 81 234 5678",
    "5200 1003 4567 0",
    "1.1017.00230.70.8",
    "0678901234",
    "0812345678",
    "0 2322 6688",
    "02 294 2394",
    "02-441-4973",
]


def test_every_column_of_a_traffy_row_is_read_for_personal_data(tmp_path, runner):
    datasets = tmp_path / "datasets"
    for name in ("reference", "complaints"):
        shutil.copytree(DEFAULT_DATASETS / name, datasets / name)
    write_dump(with_synthetic_complaints(datasets, rows=0), [ticket(key, **cells) for key, cells in FORMS.items()])
    db = tmp_path / "openbangkok.db"
    result = runner.invoke(cli, ["build", "--datasets", str(datasets), "--out", str(db), "--full"])
    assert result.exit_code == 0, result.output
    assert_no_personal_data(db, WRITTEN)
    got = {r["ticket_id"]: r for r in rows(db, "select * from complaints")}
    assert got["2024-COUNTS"]["count_reopen"] is None and got["2024-COUNTS"]["star"] is None
    assert got["2024-SPACES"]["comment"] == "โทร [โทรศัพท์] ค่ะ"
    assert got["2024-REAL20"]["comment"] == "โทร. [โทรศัพท์] หรือ [โทรศัพท์] หรือ [โทรศัพท์] ถึง 84"
    assert got["2024-KEPT01"]["comment"] == FORMS["2024-KEPT01"]["comment"]  # no personal data in it
    (files,) = rows(db, "select warnings from build_files where table_name = 'complaints'")
    assert 'count_reopen is not a whole number: left empty: "[โทรศัพท์]"' in files["warnings"]


def test_a_phone_number_in_a_number_column_is_refused_not_published(tmp_path, runner):
    datasets = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", datasets)
    places = datasets / "sample" / "places.csv"
    places.write_text(places.read_text(encoding="utf-8").replace(",1200,", ",0678901234,"), encoding="utf-8")
    out = tmp_path / "openbangkok.db"
    result = runner.invoke(cli, ["build", "--datasets", str(datasets), "--out", str(out)])
    assert result.exit_code == 1
    assert "places.csv:3:visitors: personal-data:" in result.output and "holds numbers" in result.output
    assert "0678901234" not in result.output and "678901234" not in result.output
    assert not out.exists()
    clean = tmp_path / "clean.db"
    assert build(load_catalog(DATA / "valid"), clean).ok  # the same file without it builds
