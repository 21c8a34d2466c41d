"""Policy pages: facets, a policy's row page, the canned queries, and the charts drawn in Chromium."""

import pytest

from openbangkok.model.site_metadata import DATABASE

CHART_JS = "/assets/policy-charts/policy-charts.js"


async def get_json(ds, path, **params):
    response = await ds.client.get(f"/{DATABASE}/{path}", params=params)
    assert response.status_code == 200, response.text[:300]
    return response.json()


async def test_nine_dimensions_total_216(ds):
    data = await get_json(ds, "policies.json", _facet="dimension")
    results = data["facet_results"]["dimension"]["results"]
    assert len(results) == 9
    assert sum(r["count"] for r in results) == 216 == data["filtered_table_rows_count"]
    assert {r["label"] for r in results} >= {"ปลอดภัยดี", "สุขภาพดี", "บริหารจัดการดี"}


async def test_policy_row_page_shows_agencies_kpis_and_timeline(ds):
    response = await ds.client.get(f"/{DATABASE}/policies/P002")
    assert response.status_code == 200
    html = response.text
    # lead agency and supporting agencies, named, without JavaScript
    assert '<a href="/openbangkok/agencies/health">สำนักอนามัย</a>' in html
    assert "สำนักการแพทย์" in html
    assert '<a href="/openbangkok/policy_dimensions/health">สุขภาพดี</a>' in html
    # KPIs and updates are linked from the page, and the chart script draws them
    assert "policy_kpis" in html and "policy_updates" in html and "policy_agencies" in html
    assert f'<script type="module" src="{CHART_JS}?view=row"></script>' in html
    assert "ILLUSTRATIVE" in html and "ข้อมูลตัวอย่าง" in html
    # the data the script draws: the timeline joined to the KPIs
    timeline = await get_json(ds, "policy_timeline.json", policy_id="P002", _shape="array")
    assert [(r["report_month"], r["value"], r["progress_percent"]) for r in timeline] == [
        ("2022-09", 11, 68.75),
        ("2022-12", 11, 68.75),
        ("2023-09", 24, 100),
    ]
    assert {r["kpi_th"] for r in timeline} == {"จุดให้บริการ Bangkok Pride Clinic"} and timeline[0]["target"] == 16


async def test_chart_script_only_on_the_policy_pages(ds):
    table = (await ds.client.get(f"/{DATABASE}/policies")).text
    assert f'src="{CHART_JS}?view=table"' in table and "policy-charts.css" in table
    other = (await ds.client.get(f"/{DATABASE}/districts")).text
    assert "policy-charts" not in other
    script = await ds.client.get(CHART_JS)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert ".innerHTML" not in script.text and "insertAdjacentHTML" not in script.text


async def test_progress_by_dimension_query(ds):
    rows = await get_json(ds, "progress_by_dimension.json", _shape="array")
    assert len(rows) == 9 and sum(r["policies"] for r in rows) == 216
    assert all(0 <= r["mean_progress_percent"] <= 100 for r in rows)


async def test_policies_by_agency_query(ds):
    led = await get_json(ds, "policies_by_agency.json", agency_code="medical-service", role="", _shape="array")
    assert {"P003", "P004", "P011", "P012"} <= {r["policy_id"] for r in led}
    assert {r["role"] for r in led} == {"H"}
    smart_opd = next(r for r in led if r["policy_id"] == "P012")
    assert smart_opd["role_is_illustrative"] == 0  # the one lead a source names
    supported = await get_json(ds, "policies_by_agency.json", agency_code="medical-service", role="R", _shape="array")
    assert "P002" in {r["policy_id"] for r in supported}
    every_lead = await get_json(ds, "policies_by_agency.json", agency_code="", role="", _shape="array")
    assert len(every_lead) == 216


async def test_stalled_policies_query(ds):
    rows = await get_json(ds, "stalled_policies.json", days="", dimension="", _shape="array")
    by_id = {r["policy_id"]: r for r in rows}
    assert rows and all(r["status"] != "achieved" for r in rows)
    for row in rows:
        assert (
            row["last_report_month"] is None
            or row["kpis_without_progress_in_last_3"] > 0
            or (row["unfinished_kpis"] > 0 and row["days_without_report"] > 90)
        )
    assert "no progress in the last 3 reports" in by_id["P014"]["reason"]  # an illustrative flat line
    assert "P002" not in by_id  # Pride clinics reached 100%
    assert by_id["P001"]["reason"].endswith("no report at all")  # BKK Risk Map: no figures published
    health = await get_json(ds, "stalled_policies.json", days="400", dimension="health", _shape="array")
    assert health and {r["dimension"] for r in health} == {"health"}
    assert all(
        r["days_without_report"] is None or r["days_without_report"] > 400 or r["kpis_without_progress_in_last_3"]
        for r in health
    )


def drawn(page, url, selector):
    """Opens url and waits until the chart element `selector` has finished drawing; returns it and a
    list that collects the page's script errors and console errors (a CSP refusal is one)."""
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(url)
    element = page.locator(f"{selector}[aria-busy=false]")
    element.wait_for(timeout=10_000)
    return element, problems


def test_policies_page_draws_bar_chart(page, live_server):
    chart, problems = drawn(page, f"{live_server}/{DATABASE}/policies", "#policy-dimension-chart")
    assert chart.locator("svg rect.policy-bar").count() == 9
    assert chart.locator("g.policy-dimension").count() == 9
    assert chart.get_attribute("data-policies") == "216"
    assert "ตัวอย่างประกอบ: 203 จาก 216" in chart.inner_text()
    # the page's filters select what the chart counts
    page.goto(f"{live_server}/{DATABASE}/policies?dimension=health")
    page.locator("#policy-dimension-chart[aria-busy=false]").wait_for(timeout=10_000)
    assert page.locator("#policy-dimension-chart").get_attribute("data-policies") == "24"
    assert page.locator("#policy-dimension-chart svg rect.policy-bar").count() == 1
    assert problems == []


def test_policy_row_page_draws_progress_line(page, live_server):
    section, problems = drawn(page, f"{live_server}/{DATABASE}/policies/P002", "#policy-progress")
    assert section.locator("figure.policy-kpi svg path.policy-line").count() == 1
    assert section.locator("figure.policy-kpi svg circle.policy-dot").count() == 3
    assert section.locator("table.policy-timeline tbody tr").count() == 3
    lead = section.locator("#policy-agencies .policy-agencies-lead").inner_text()
    assert "สำนักอนามัย" in lead
    assert "สำนักการแพทย์" in section.locator("#policy-agencies .policy-agencies-supporting").inner_text()
    assert problems == []


@pytest.mark.parametrize("policy_id, kpis", [("P001", 0), ("P003", 3)])
def test_policy_without_kpis_or_with_single_reports(page, live_server, policy_id, kpis):
    section, problems = drawn(page, f"{live_server}/{DATABASE}/policies/{policy_id}", "#policy-progress")
    assert section.get_attribute("data-kpis") == str(kpis)
    assert section.locator("figure.policy-kpi").count() == kpis
    if kpis:
        assert section.locator("svg circle.policy-dot").count() == kpis  # one published figure each
    else:
        assert "No KPIs in this dataset yet" in section.inner_text()
    assert problems == []
