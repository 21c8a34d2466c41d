"""The site in a real browser: Debian's Chromium driven by Playwright (fixtures in conftest.py).

What a Thai reader, a journalist and a downloader do, under the site's Content-Security-Policy:
every page is checked for CSP violations and script errors. Screenshots: test-artifacts/.
"""

from __future__ import annotations

import re

import httpx
import pytest
import sqlite_utils

from openbangkok.model.catalog import load_catalog
from openbangkok.model.site_metadata import DATABASE
from tests.conftest import start_server

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "")));
"""
SCRIPT_COMMENT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">ไฟดับ'


@pytest.fixture
def watched(page):
    """The page, with CSP violations and script errors collected; both must stay empty."""
    errors: list[str] = []
    page.add_init_script(WATCH_CSP)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Content Security" in m.text else None)
    yield page
    violations = [
        v
        for v in (page.evaluate("window.__csp || []") if not page.is_closed() else [])
        if "tile.openstreetmap.org" not in v
    ]
    assert not violations, violations
    assert not errors, errors


def test_home_page_lists_the_datasets_in_thai(watched, live_server):
    watched.goto(live_server)
    assert watched.locator("html").get_attribute("lang") == "th"
    text = watched.locator("section.datasets-th").inner_text()
    titles = [d.descriptor["title"] for d in load_catalog().datasets if d.sources]
    assert titles and all(title in text for title in titles), (titles, text[:500])
    assert "ชุดข้อมูล" in text and "แถว / rows" in text
    watched.click("text=ข้อมูลอ้างอิง / Reference data >> xpath=.. >> a >> nth=0")
    watched.wait_for_load_state()
    assert f"/{DATABASE}/" in watched.url


def test_pages_run_under_the_content_security_policy(watched, live_server):
    for path in (
        f"/{DATABASE}",
        f"/{DATABASE}/districts",
        f"/{DATABASE}/districts/1001",
        "/-/api",
        f"/{DATABASE}?sql=select+*+from+districts+limit+3",
    ):
        watched.goto(live_server + path)
        watched.wait_for_load_state("load")
    # Datasette's own scripts ran: the SQL editor (CodeMirror) replaced the textarea.
    watched.wait_for_selector(".CodeMirror", timeout=5_000)


def test_journalist_filters_complaints_by_district_and_opens_the_map(watched, live_server):
    busiest = httpx.get(
        f"{live_server}/{DATABASE}.json",
        params={
            "sql": "select district_code, count(*) as n from complaints where district_code is not null "
            "group by 1 order by 2 desc limit 1",
            "_shape": "array",
        },
    ).json()[0]
    watched.goto(f"{live_server}/{DATABASE}/complaints")
    watched.select_option("select[name=_filter_column]", "district_code")
    watched.fill("input[name=_filter_value]", busiest["district_code"])
    watched.click("input[type=submit][value^='กรอง']")
    watched.wait_for_url(f"**district_code*{busiest['district_code']}**")
    heading = watched.locator("h3").first.inner_text()
    assert f"{busiest['n']:,}" in heading, heading
    watched.wait_for_selector(".leaflet-container", timeout=15_000)
    watched.wait_for_selector(".leaflet-marker-icon, .marker-cluster", timeout=15_000)
    assert watched.locator(".leaflet-marker-icon, .marker-cluster").count() > 0


def test_policy_row_page_shows_its_chart(watched, live_server):
    with_kpi = httpx.get(
        f"{live_server}/{DATABASE}.json",
        params={"sql": "select policy_id from policy_kpis order by policy_id limit 1", "_shape": "array"},
    ).json()
    assert with_kpi, "the policies dataset has KPIs"
    watched.goto(f"{live_server}/{DATABASE}/policies/{with_kpi[0]['policy_id']}")
    section = watched.locator("#policy-progress[aria-busy=false]")
    section.wait_for(timeout=15_000)
    assert section.locator("figure.policy-kpi svg").count() >= 1
    assert watched.locator(".policy-chart-error").count() == 0


def test_csv_download_starts_with_a_bom_for_excel(watched, live_server, tmp_path):
    watched.goto(f"{live_server}/{DATABASE}/districts")
    with watched.expect_download() as info:
        watched.click("a.csv-excel")
    download = info.value
    assert re.fullmatch(r"districts_\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)  # the day it was taken
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfdistrict_code,") and "เขตพระนคร".encode() in data


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    """A site whose one complaint carries a <script> comment, at a point on the map."""
    db_path = tmp_path_factory.mktemp("hostile") / f"{DATABASE}.db"
    sqlite_utils.Database(db_path)["reports"].insert(
        {"id": 1, "comment": SCRIPT_COMMENT, "latitude": 13.7563, "longitude": 100.5018}, pk="id"
    )
    process, url = start_server(db_path)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_script_in_a_comment_shows_as_text_and_runs_nothing(watched, hostile_site):
    watched.goto(f"{hostile_site}/{DATABASE}/reports")
    cell = watched.locator("td.col-comment").first
    assert cell.inner_text() == SCRIPT_COMMENT
    watched.wait_for_selector(".leaflet-marker-icon", timeout=15_000)
    watched.locator(".leaflet-marker-icon").first.click()
    popup = watched.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    assert "<script>window.__pwned = 1</script>" in popup.inner_text()
    watched.goto(f"{hostile_site}/{DATABASE}/reports/1")
    assert SCRIPT_COMMENT in watched.locator("dd.col-comment").first.inner_text()  # the row page: a list
    assert watched.evaluate("window.__pwned === undefined")
