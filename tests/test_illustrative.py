"""Illustrative rows are unmistakable, Thai first: a banner on every table, row and query page that
shows them, a first sheet in their .xlsx, a mark on the charts drawn from them; pages of real rows
carry none."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.pages.illustrative import MARK

from .test_policies_site import drawn

BANNER = 'class="illustrative-banner"'


async def banner(ds, path, **params) -> str | None:
    response = await ds.client.get(f"/{DATABASE}/{path}", params=params)
    assert response.status_code == 200, path
    html = response.text
    if BANNER not in html:
        return None
    return html[html.index(BANNER) : html.index("</div>", html.index(BANNER))]


@pytest.mark.parametrize(
    "path, params, shown",
    [
        ("policies", {}, True),  # 203 of 216 illustrative
        ("policies", {"is_illustrative": "0"}, False),  # the 13 real ones
        ("policies/P020", {}, True),  # an illustrative row page
        ("policies/P002", {}, False),  # a real row page
        ("ita_ranking", {"fiscal_year_be": "2566"}, True),  # a query page of the sample
        ("ita_results", {"is_illustrative": "0"}, False),
        ("hotline_1555_monthly", {}, True),
        ("clinics", {}, True),  # the map's page: some services are assigned
        ("policy_tracker_kpis", {}, False),  # real tracker figures
        ("districts", {}, False),
        ("complaints", {}, False),  # real tickets
    ],
)
async def test_a_banner_where_illustrative_rows_are_shown(ds, path, params, shown):
    found = await banner(ds, path, **params)
    assert (found is not None) == shown
    if shown:
        assert found.index('lang="th"') < found.index('lang="en"'), "Thai first"
        assert MARK in found and "ILLUSTRATIVE" in found and "ไม่ใช่ข้อมูลจริง" in found


async def test_statistics_computed_from_samples_carry_the_banner(synthetic_ds):
    """The synthetic sample's statistics count their illustrative tickets: a banner on their pages."""
    response = await synthetic_ds.client.get(f"/{DATABASE}/complaints_district_summary")
    assert BANNER in response.text
    league = await synthetic_ds.client.get(f"/{DATABASE}/complaints_district_league", params={"month": "2023-06"})
    assert BANNER in league.text


async def test_the_real_complaints_page_says_nothing_of_samples(ds):
    page = (await ds.client.get(f"/{DATABASE}/complaints")).text
    assert BANNER not in page
    for word in ("synthetic", "Synthetic", "ILLUSTRATIVE", "ข้อมูลตัวอย่าง:"):
        assert word not in page, word
    assert "9,508" in page


@pytest.mark.parametrize(
    "path, first_sheet",
    [
        ("policies.xlsx", "ข้อมูลตัวอย่าง ILLUSTRATIVE"),
        ("policies/P020.xlsx", "ข้อมูลตัวอย่าง ILLUSTRATIVE"),
        ("ita_ranking.xlsx?fiscal_year_be=2566", "ข้อมูลตัวอย่าง ILLUSTRATIVE"),
        ("policies.xlsx?is_illustrative=0", "policies"),
        ("districts.xlsx", "districts"),
    ],
)
async def test_an_xlsx_of_illustrative_rows_opens_on_a_banner(ds, path, first_sheet):
    response = await ds.client.get(f"/{DATABASE}/{path}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[0] == first_sheet and workbook.active.title == first_sheet
    if first_sheet.startswith("ข้อมูลตัวอย่าง"):
        lines = [row[0] for row in workbook.active.iter_rows(values_only=True)]
        assert lines[0] == MARK and lines[1].startswith("ข้อมูลตัวอย่าง:") and lines[2].startswith("ILLUSTRATIVE:")


def test_policy_charts_of_illustrative_rows_carry_the_mark(page, live_server):
    _, problems = drawn(page, f"{live_server}/{DATABASE}/policies", "#policy-dimension-chart")
    assert problems == []
    assert page.locator("#policy-dimension-chart text.policy-watermark").text_content() == MARK
    drawn(page, f"{live_server}/{DATABASE}/policies/P020", "#policy-progress")
    assert page.locator("#policy-kpi-charts text.policy-watermark").count() >= 1
    drawn(page, f"{live_server}/{DATABASE}/policies/P002", "#policy-progress")
    assert page.locator("#policy-kpi-charts text.policy-watermark").count() == 0  # a real policy's KPI
