"""The reader's pages in Chromium at 1400 px and 390 px (issue 23: items 1, 2, 8, 9): Thai text
present, nothing wider than the screen, thumbnails loaded, the map on a row page, the SQL folded,
the map's counter in Thai. A screenshot of each page at each width is kept under test-artifacts/.

The site is the real one (a live `openbkk serve`); Chromium cannot reach the internet here, so the
photo host (storage.googleapis.com) and the map tiles are answered by Playwright's router with a
small PNG. The Content-Security-Policy is applied before a request is routed: an image the policy
refused would not load at all.
"""

from __future__ import annotations

import base64
import re
import time

import httpx
import pytest

from openbangkok.model.site_metadata import DATABASE
from tests.conftest import ARTIFACTS
from tests.test_browser_publishing import watched  # noqa: F401  (the fixture: CSP violations and script errors fail a test)

WIDTHS = (1400, 390)
SHOT_HEIGHT = 4000
# a 4x3 light grey PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAEUlEQVR4nGO4++wdHDHg5AAAdUMgTbDOjNkAAAAASUVORK5CYII="
)


def serve_pictures(page) -> None:
    """Photos and tiles from hosts this machine cannot reach, answered locally."""

    def fulfil(route):
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page.route(re.compile(r"https://storage\.googleapis\.com/.*"), fulfil)
    page.route(re.compile(r"https://[a-z.]*tile\.openstreetmap\.org/.*"), fulfil)


def visit(page, url: str, width: int) -> None:
    """The page once settled: the map and charts load their scripts, styles and data after `load`."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url)
    page.wait_for_load_state("networkidle")


def keep(page, name: str, width: int) -> None:
    """The top of the page (at most SHOT_HEIGHT px): a full 390 px policies page is 110,000 px tall,
    and its screenshot took over Playwright's 30 s on a busy machine."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = min(page.evaluate("document.documentElement.scrollHeight"), SHOT_HEIGHT)
    page.screenshot(
        path=str(ARTIFACTS / f"reader_{name}_{width}.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": height},
    )
    page.evaluate("window.scrollTo(0, 0)")


def fits(page, width: int) -> None:
    """No horizontal overflow of the page at this width (a table may scroll inside its box). Polled:
    Leaflet's tiles overflow for a moment until the style sheet the map script adds has applied."""
    widths = []

    def narrow():
        widths.append(page.evaluate("[document.documentElement.scrollWidth, innerWidth]"))
        return widths[-1][0] <= widths[-1][1]

    poll(narrow, deadline=5.0, what=f"the page within {width} px (last: {widths[-1] if widths else None})")


def poll(predicate, deadline: float = 15.0, what: str = "condition"):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {deadline} s")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_complaints_table_reads_in_thai_with_thumbnails(watched, live_server, width):  # noqa: F811
    serve_pictures(watched)
    visit(watched, f"{live_server}/{DATABASE}/complaints?_size=10", width)
    assert "เรื่องร้องเรียน" in watched.locator("h1").inner_text()
    assert watched.locator(".facet-info-name").first.inner_text().startswith("รหัสเขต / District code")
    assert "หน้าแรก / Home" in watched.locator("header").inner_text()
    thumbs = watched.locator("a.thumb img")
    assert thumbs.count() >= 1
    thumbs.first.scroll_into_view_if_needed()
    poll(
        lambda: watched.evaluate("(i) => i.complete && i.naturalWidth > 0", thumbs.first.element_handle()),
        what="the first thumbnail loaded",
    )
    box = thumbs.first.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (96, 72)
    assert watched.locator("td.col-types .chip").count() >= 1
    counter = poll(lambda: watched.locator("text=/^แสดง [0-9,]+ จาก/").count(), what="the map's counter in Thai")
    assert counter
    fits(watched, width)
    keep(watched, "complaints", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_complaint_row_page_is_a_list_with_a_map(watched, live_server, width):  # noqa: F811
    serve_pictures(watched)
    ticket = httpx.get(
        f"{live_server}/{DATABASE}/complaints.json?_shape=array&_size=1&latitude__notblank=1&_col=latitude"
    ).json()[0]["ticket_id"]
    visit(watched, f"{live_server}/{DATABASE}/complaints/{ticket}", width)
    labels = watched.locator("dl.row-fields dt").all_inner_texts()
    assert labels[0].startswith("รายละเอียด / Comment") and any(x.startswith("สถานะ / State") for x in labels)
    poll(lambda: watched.locator("#row-map .leaflet-marker-icon").count(), what="the row's map marker")
    assert watched.locator("#row-map").bounding_box()["height"] >= 200
    fits(watched, width)
    keep(watched, "complaint_row", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_canned_query_shows_its_form_with_the_sql_folded(watched, live_server, width):  # noqa: F811
    visit(watched, f"{live_server}/{DATABASE}/ita_ranking?fiscal_year_be=2560", width)
    assert "ปีงบประมาณ (พ.ศ.) เช่น 2566 / Fiscal year (BE)" in watched.locator("form.sql label").first.inner_text()
    assert not watched.locator("details.query-sql").evaluate("d => d.open")
    assert not watched.locator("#sql-query").is_visible()
    assert "ไม่มีข้อมูลปี 2560" in watched.locator(".no-data-years").inner_text()
    fits(watched, width)
    keep(watched, "ita_ranking_2560", width)
    visit(watched, f"{live_server}/{DATABASE}/ita_ranking", width)
    headers = watched.locator("table.rows-and-columns th .col-label").all_inner_texts()
    assert headers and all(re.search(r"[\u0e00-\u0e7f]", h) for h in headers)
    chart = watched.locator("svg.ita-chart-svg")
    poll(lambda: chart.count(), what="the ITA chart")
    if width == 390:  # readable: the chart keeps its size and scrolls in its box
        assert chart.bounding_box()["width"] >= 600
    fits(watched, width)
    keep(watched, "ita_ranking", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_other_pages_fit_the_screen(watched, live_server, width):  # noqa: F811
    for name, path in (
        ("home", "/"),
        ("database", f"/{DATABASE}"),
        ("policies", f"/{DATABASE}/policies"),
        ("clinics", f"/{DATABASE}/clinics"),
        ("league", f"/{DATABASE}/complaints_district_league"),
        ("monthly", f"/{DATABASE}/complaints_by_district_month_type"),
        ("district_row", f"/{DATABASE}/districts/1006"),
    ):
        serve_pictures(watched)
        visit(watched, live_server + path, width)
        assert re.search(r"[\u0e00-\u0e7f]", watched.locator("h1").first.inner_text()), name
        fits(watched, width)
        keep(watched, name, width)


def test_the_policy_chart_counts_what_it_averages(watched, live_server):  # noqa: F811
    visit(watched, f"{live_server}/{DATABASE}/policies", 1400)
    values = poll(
        lambda: watched.locator(".policy-dimension .policy-value").all_text_contents(), what="the dimension chart"
    )
    rows = httpx.get(
        f"{live_server}/{DATABASE}/policies.json?_shape=array&_size=max&_col=dimension&_col=progress_percent"
    ).json()
    measured = sum(1 for r in rows if r["progress_percent"] is not None)
    counted = 0
    for text in values:  # "45% · 20 จาก 24 นโยบาย" or "45% · 24 นโยบาย"
        found = re.search(r"· (?:(\d+) จาก )?(\d+) นโยบาย", text)
        assert found, text
        counted += int(found[1] or found[2])
    assert counted == measured


def test_an_embedded_table_has_no_chrome(watched, live_server):  # noqa: F811
    visit(watched, f"{live_server}/{DATABASE}/complaints?district_code=1006&_size=5", 1400)
    watched.locator("details.embed-snippet summary").click()
    code = watched.locator("details.embed-snippet textarea").input_value()
    src = re.search(r'<iframe src="([^"]+)"', code)[1]
    assert "_embed=1" in src and "district_code=1006" in src
    visit(watched, src, 390)
    assert watched.locator("header").count() == 0 and watched.locator("footer").count() == 0
    assert watched.locator("table.rows-and-columns").count() == 1
    fits(watched, 390)
    keep(watched, "embedded_table", 390)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_missing_page_answers_in_thai_and_english(watched, live_server, width):  # noqa: F811
    visit(watched, f"{live_server}/{DATABASE}/no_such_table", width)
    assert watched.locator("h1").inner_text().startswith("ไม่พบหน้านี้ / Not found")
    assert "ไม่พบตาราง / Table not found" in watched.locator(".error-message").inner_text()
    fits(watched, width)
    keep(watched, "not_found", width)
