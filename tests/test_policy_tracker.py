"""The BMA policy tracker's real FY2567 KPIs and priority targets: parsed, not-yet-reported months
published as empty (not zeros), the mis-parsed date corrected, and each KPI charted month by month."""

from __future__ import annotations

import csv

import pytest

from openbangkok.model.catalog import DEFAULT_DATASETS
from openbangkok.model.site_metadata import DATABASE

from .test_policies_site import drawn

DELIVERED = DEFAULT_DATASETS / "policies" / "tracker_fy2567"


def delivered(name: str) -> list[dict]:
    with (DELIVERED / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_key_results_are_parsed_into_name_unit_code_and_percent(built_conn):
    kpis = {r["tracker_kpi_id"]: dict(r) for r in built_conn.execute("select * from policy_tracker_kpis")}
    assert len(kpis) == 50
    roads = kpis["FY2567-01"]
    assert (
        roads["item"],
        roads["name_th"],
        roads["unit_in_name"],
        roads["unit"],
        roads["okr_code"],
        roads["overall_percent"],
        roads["target"],
        roads["total_result"],
    ) == ("1", "พัฒนาถนนสวย", "กม.", "กม.", "4.1.10", 99.0, 123.6, 122.36)
    walkways = kpis["FY2567-04"]  # "4.1 ปรับปรุงทางเท้า (กม.) : OKR 1.1.05  36.32%"
    assert (walkways["item"], walkways["name_th"], walkways["okr_code"], walkways["overall_percent"]) == (
        "4.1",
        "ปรับปรุงทางเท้า",
        "1.1.05",
        36.32,
    )
    traffy = kpis["FY2567-26"]  # "KPI 5.1.2.1 : ความสำเร็จ...Traffy Fondue 18,748.06%"
    assert (traffy["item"], traffy["kpi_code"], traffy["okr_code"], traffy["overall_percent"]) == (
        "KPI 5.1.2.1",
        "5.1.2.1",
        None,
        18748.06,
    )
    assert traffy["name_th"] == "ความสำเร็จในการแก้ไขปัญหาข้อร้องเรียนของประชาชนผ่าน Traffy Fondue"
    assert kpis["FY2567-39"]["kpi_code"] == "7.1.2.1"  # "KPI 7.1.2.1: ..." without a space before the colon
    assert kpis["FY2567-25"]["name_th"] == "อื่นๆ (ตัวชี้วัดงานประจำ)" and kpis["FY2567-25"]["item"] is None
    # every row parsed from its cell as delivered, and nothing tied to a policy no source ties it to
    for row in delivered("bma_policy_tracker_kpis_fy2567.csv"):
        kpi = kpis[f"FY2567-{int(float(row['#'])):02d}"]
        assert kpi["key_result"] == " ".join(row["KEY_RESULT"].split())
        assert kpi["name_th"] in kpi["key_result"] and kpi["is_illustrative"] == 0 and kpi["policy_id"] is None


def test_months_not_yet_reported_are_empty_not_zero(built_conn):
    results = built_conn.execute("select * from policy_tracker_kpi_results order by tracker_kpi_id, month").fetchall()
    assert len(results) == 50 * 12
    months = sorted({r["month"] for r in results})
    assert months[0] == "2023-10" and months[-1] == "2024-09" and len(months) == 12
    for row in results:
        later = row["month"] in ("2024-08", "2024-09")
        assert (row["value"] is None, row["reported"]) == (later, int(not later)), dict(row)
    # a reported month keeps the tracker's value, zeros included (ปรับปรุงทางเท้า had none in October)
    by_month = {r["month"]: r["value"] for r in results if r["tracker_kpi_id"] == "FY2567-04"}
    assert (by_month["2023-10"], by_month["2024-07"]) == (0.0, 93.51)
    first = delivered("bma_policy_tracker_kpis_fy2567.csv")[0]
    assert [r["value"] for r in results if r["tracker_kpi_id"] == "FY2567-01"][:10] == [
        float(first[c])
        for c in ("ตค.66", "พย.66", "ธค.66", "มค.67", "กพ.67", "มี.ค.67", "เม.ย.67", "พค.67", "มิ.ย.67", "กค.67")
    ]


def test_priority_targets_carry_the_corrected_date_and_the_split(built_conn):
    targets = {r["target_id"]: dict(r) for r in built_conn.execute("select * from policy_tracker_targets")}
    assert len(targets) == 30
    assert {t["updated_date"] for t in targets.values()} == {"2024-08-12"}
    assert {t["updated_date_as_delivered"] for t in targets.values()} == {"2024-12-08"}
    roads = targets["1"]
    assert (
        roads["okr_code"],
        roads["total_goal"],
        roads["goal_departments"],
        roads["goal_districts"],
        roads["total_progress"],
        roads["progress_percent"],
    ) == ("4.1.10", 133.35, 0, 133.35, 128.46, 96.34)
    assert targets["4.3"]["okr_code"] is None  # the tracker says None
    assert (targets["16.1"]["okr_code"], targets["16.1"]["okr_note"]) == ("4.2.16", "Mean Value")
    assert targets["7"]["goal_cut_by_display"] == 1 and not targets["7"]["goal_th"].endswith("...")
    assert sum(t["goal_cut_by_display"] for t in targets.values()) == sum(
        r["Goal"].endswith("...") for r in delivered("bma_policy_tracker_top30_fy2567.csv")
    )


async def test_the_tracker_is_the_source_with_its_caveats(ds):
    tables = ds.metadata("tables", database=DATABASE)
    for table in ("policy_tracker_kpis", "policy_tracker_kpi_results", "policy_tracker_targets"):
        assert tables[table]["sources"][0]["url"] == "https://policy.bangkok.go.th/tracking/", table
    assert "NOT YET REPORTED" in tables["policy_tracker_kpi_results"]["description"]
    assert "2024-12-08" in tables["policy_tracker_targets"]["description"]
    page = await ds.client.get(f"/{DATABASE}/policy_tracker_kpis/FY2567-01")
    assert (
        page.status_code == 200 and '<script type="module" src="/assets/policy-charts/tracker-charts.js">' in page.text
    )


@pytest.mark.parametrize("kpi, bars", [("FY2567-01", 10), ("FY2567-29", 10)])
def test_a_kpi_page_charts_its_months_and_marks_the_unreported(page, live_server, kpi, bars):
    section, problems = drawn(page, f"{live_server}/{DATABASE}/policy_tracker_kpis/{kpi}", "#tracker-kpi-chart")
    assert problems == []
    assert section.get_attribute("data-months") == "12"
    assert page.locator("#tracker-kpi-chart g.tracker-month").count() == 12
    assert page.locator("#tracker-kpi-chart g.tracker-not-reported").count() == 2
    assert page.locator("#tracker-kpi-chart rect.policy-bar").count() == bars
    assert (
        page.locator("#tracker-kpi-chart text.tracker-missing-label").first.text_content()
        == "ยังไม่รายงาน / not reported"
    )


def test_the_tables_are_what_the_generator_makes(tmp_path):
    import importlib.util
    import shutil
    import sys

    from openbangkok.model.catalog import PROJECT_ROOT

    shutil.copytree(DELIVERED, tmp_path / "policies" / DELIVERED.name)
    sys.path.insert(0, str(PROJECT_ROOT / "scripts"))  # the generator imports generate_reference
    try:
        spec = importlib.util.spec_from_file_location(
            "generate_policy_tracker", PROJECT_ROOT / "scripts" / "generate_policy_tracker.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.main(tmp_path)
    finally:
        sys.path.pop(0)
    for name in ("policy_tracker_kpis.csv", "policy_tracker_kpi_results.csv", "policy_tracker_targets.csv"):
        assert (tmp_path / "policies" / name).read_bytes() == (DEFAULT_DATASETS / "policies" / name).read_bytes()
