"""Regenerate the policy tracker's tables of datasets/policies from the tracker's tables as delivered.

Usage: python scripts/generate_policy_tracker.py [DATASETS_DIR]

Reads datasets/policies/tracker_fy2567/: the BMA policy tracker's FY2567 (Oct 2023 - Sep 2024) KPI
table (50 of its KPIs, 12 monthly results) and its 30 priority targets split between departments
and districts, as a third party's notebook displayed them on 12 August 2024. Writes:

    policy_tracker_kpis.csv          one row per KPI: KEY_RESULT parsed into name, unit, OKR or KPI
                                     code and the tracker's overall percent; the yearly target and
                                     the total result
    policy_tracker_kpi_results.csv   one row per KPI and month; August and September 2024 were not
                                     yet reported when the snapshot was taken (the table shows 0.0):
                                     published empty, with reported = false, never as zeros
    policy_tracker_targets.csv       the 30 priority targets; the notebook's Updated_Date 2024-12-08
                                     is 12 August 2024 with day and month swapped: 2024-08-12

Numbers are as pandas printed them (1.333500e+02 is 133.35). No KPI is tied to one of the 13 real
policies: neither the tracker's tables nor the press releases state such a tie (policy_id empty).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from generate_reference import write_csv  # scripts/ is on sys.path when run as a script

from openbangkok.thai.conversions import parse_year_month

DELIVERED = "tracker_fy2567"
KPIS_FILE = "bma_policy_tracker_kpis_fy2567.csv"
TARGETS_FILE = "bma_policy_tracker_top30_fy2567.csv"
FISCAL_YEAR_BE = 2567
SNAPSHOT = "2024-08-12"
NOT_YET_REPORTED = {"2024-08", "2024-09"}  # after the snapshot: 0.0 in the table means no report yet
TRACKER = "https://policy.bangkok.go.th/tracking/"
SOURCE = (
    f"BMA policy tracker (ระบบติดตามนโยบาย กทม.), FY2567 snapshot of 12 Aug 2024, {TRACKER}; the table as "
    "displayed by a third party's notebook (GitHub SKT-Sukatat/BKK_Policy_Tracker_Dashboard, "
    "BKK_Data_Cleansing.ipynb, commit 1ca6067f)"
)

# "1. พัฒนาถนนสวย (กม.) : OKR 4.1.10  99.00%", "11.1 แก้ไขจุดเสี่ยงอุบัติเหตุ : OKR 2.1.07  382.40%",
# "อื่นๆ (ตัวชี้วัดงานประจำ)  165,766.82%", "KPI 5.1.2.1 : ความสำเร็จ... 18,748.06%", "KPI 7.1.2.1: ..."
KEY_RESULT = re.compile(
    r"^(?:KPI\s+(?P<kpi>\d+(?:\.\d+)+)\s*:\s*|(?P<item>\d+(?:\.\d+)*)\.?\s+)?"
    r"(?P<name>.+?)(?:\s*:\s*OKR\s+(?P<okr>\d+(?:\.\d+)+))?\s+(?P<percent>[\d,]+\.\d+)%$"
)
UNIT_IN_NAME = re.compile(r"^(?P<name>.+?)\s*\((?P<unit>[^()]+)\)$")

KPI_COLUMNS = [
    "tracker_kpi_id",
    "item",
    "name_th",
    "unit_in_name",
    "unit",
    "okr_code",
    "kpi_code",
    "target",
    "total_result",
    "overall_percent",
    "fiscal_year_be",
    "key_result",
    "policy_id",
    "is_illustrative",
    "source",
]
RESULT_COLUMNS = ["tracker_kpi_id", "month", "value", "reported", "note", "source"]
TARGET_COLUMNS = [
    "target_id",
    "okr_code",
    "okr_note",
    "goal_th",
    "goal_cut_by_display",
    "unit",
    "total_goal",
    "goal_departments",
    "goal_districts",
    "total_progress",
    "progress_percent",
    "updated_date",
    "updated_date_as_delivered",
    "fiscal_year_be",
    "source",
]


def number(text: str) -> str:
    """'1.333500e+02' -> '133.35'; '200000.0' -> '200000'; '' stays ''."""
    text = text.strip()
    if not text:
        return ""
    value = float(text.replace(",", ""))
    return str(int(value)) if value == int(value) else repr(round(value, 6))


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def parse_key_result(text: str) -> dict:
    match = KEY_RESULT.match(" ".join(text.split()))
    if match is None:
        raise SystemExit(f"{KPIS_FILE}: cannot read the KEY_RESULT {text!r}")
    name, unit_in_name = match.group("name").strip(), ""
    if match.group("okr") and (unit := UNIT_IN_NAME.match(name)):  # "name (unit) : OKR ...": a unit
        name, unit_in_name = unit.group("name"), unit.group("unit")
    return {
        "item": f"KPI {match.group('kpi')}" if match.group("kpi") else (match.group("item") or ""),
        "name_th": name,
        "unit_in_name": unit_in_name,
        "okr_code": match.group("okr") or "",
        "kpi_code": match.group("kpi") or "",
        "overall_percent": number(match.group("percent")),
    }


def month_of(column: str) -> str:
    year, month = parse_year_month(column, two_digit_years=True)
    return f"{year:04d}-{month:02d}"


def kpi_rows(delivered: list[dict]) -> tuple[list[dict], list[dict]]:
    kpis, results = [], []
    months = [c for c in delivered[0] if parse_year_month(c, two_digit_years=True)]
    for row in delivered:
        kpi_id = f"FY2567-{int(float(row['#'])):02d}"
        kpis.append(
            {
                "tracker_kpi_id": kpi_id,
                **parse_key_result(row["KEY_RESULT"]),
                "unit": row["หน่วยนับ"].strip(),
                "target": number(row["ค่าเป้าหมาย/ปี"]),
                "total_result": number(row["ผลดำเนินงาน (รวม)"]),
                "fiscal_year_be": FISCAL_YEAR_BE,
                "key_result": " ".join(row["KEY_RESULT"].split()),
                "policy_id": "",
                "is_illustrative": "false",
                "source": SOURCE,
            }
        )
        for column in months:
            month = month_of(column)
            later = month in NOT_YET_REPORTED
            if later and float(row[column] or 0) != 0:
                raise SystemExit(f"{KPIS_FILE}: {kpi_id} has {row[column]} for {month}, after the snapshot")
            results.append(
                {
                    "tracker_kpi_id": kpi_id,
                    "month": month,
                    "value": "" if later else number(row[column]),
                    "reported": "false" if later else "true",
                    "note": (f"not yet reported on {SNAPSHOT} (the tracker's table shows 0.0)" if later else ""),
                    "source": SOURCE,
                }
            )
    return kpis, results


def target_rows(delivered: list[dict]) -> list[dict]:
    rows = []
    for row in delivered:
        if row["Updated_Date"] != "2024-12-08":
            raise SystemExit(
                f"{TARGETS_FILE}: Updated_Date {row['Updated_Date']!r}: the swap to 2024-08-12 "
                f"is only known for 2024-12-08"
            )
        okr, _, note = row["Related_OKR"].partition(" ")
        goal = row["Goal"].strip()
        rows.append(
            {
                "target_id": row["ID_Result"].removesuffix(".0")
                if row["ID_Result"].endswith(".0")
                else row["ID_Result"],
                "okr_code": "" if okr == "None" else okr,
                "okr_note": note.strip("()"),
                "goal_th": goal.removesuffix("...").strip(),
                "goal_cut_by_display": "true" if goal.endswith("...") else "false",
                "unit": row["Unit"].strip(),
                "total_goal": number(row["Total_Goals"]),
                "goal_departments": number(row["Goal_Departments"]),
                "goal_districts": number(row["Goal_50_Districts"]),
                "total_progress": number(row["Total_Progress_in_Unit"]),
                "progress_percent": number(row["Progress_in_Percent"]),
                "updated_date": SNAPSHOT,
                "updated_date_as_delivered": row["Updated_Date"],
                "fiscal_year_be": FISCAL_YEAR_BE,
                "source": SOURCE,
            }
        )
    return rows


def main(datasets: Path) -> None:
    folder = datasets / "policies"
    kpis, results = kpi_rows(read(folder / DELIVERED / KPIS_FILE))
    write_csv(folder / "policy_tracker_kpis.csv", KPI_COLUMNS, kpis)
    write_csv(folder / "policy_tracker_kpi_results.csv", RESULT_COLUMNS, results)
    write_csv(
        folder / "policy_tracker_targets.csv", TARGET_COLUMNS, target_rows(read(folder / DELIVERED / TARGETS_FILE))
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "datasets")
