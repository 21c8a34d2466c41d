"""A journalist's questions walked end to end in Chromium (fixtures in conftest.py), under the site's
Content-Security-Policy: from the home page to a dataset's page and its feed, a search across the
catalogue, the share of complaints unresolved after N days per district group, the monthly trend's
chart and the services to pick from, one district's complaints from a facet (said in Thai, downloaded
by name), a complaint's district named on its row page, the rates per 10,000 residents for a Thai
month, an ITA year without data then the ranking, a policy's months in the Buddhist era, what changed
and a missing page. Screenshots at 1400 and 390 px: test-artifacts/journalist-*.png.
"""

from __future__ import annotations

import re

import httpx

from openbangkok.model.site_metadata import DATABASE
from tests.conftest import ARTIFACTS
from tests.test_browser_publishing import watched  # noqa: F401 - the fixture: CSP violations and script errors fail

WIDTHS = (1400, 390)


def shoot(page, name: str, whole_at_390: bool = True) -> None:
    """Screenshots of the page as it is, wide and narrow; at 390 px nothing of this work's own pages
    may stick out sideways (query pages' result tables are laid out by query.html: not asserted here)."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"journalist-{name}-{width}.png"), full_page=True)
        if width == 390 and whole_at_390:
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= 390, f"{name}: the page is {overflow} px wide at 390 px"
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def test_from_the_home_page_to_a_dataset_page_and_its_feed(watched, live_server):  # noqa: F811
    watched.set_viewport_size({"width": 1400, "height": 900})
    watched.goto(live_server)
    watched.click("#dataset-complaints .dataset-page-link a")
    watched.wait_for_load_state()
    assert watched.url.endswith("/-/datasets/complaints")
    facts = watched.locator("dl.facts").inner_text()
    for words in ("ผู้เผยแพร่", "ผู้ดูแล", "ความถี่ในการปรับปรุง", "ปรับปรุงล่าสุด", "สัญญาอนุญาต", "แหล่งที่มา"):
        assert words in facts
    feed = watched.locator('link[rel="alternate"][type="application/atom+xml"]').get_attribute("href")
    assert httpx.get(feed).headers["content-type"].startswith("application/atom+xml")
    zip_link = watched.locator("a.zip").get_attribute("href")
    assert zip_link.endswith("/-/datasets/complaints.zip")
    assert watched.locator("table.originals a").count() >= 2
    shoot(watched, "dataset-page")


def test_a_search_across_the_catalogue_leads_to_the_health_centres(watched, live_server):  # noqa: F811
    watched.goto(f"{live_server}/-/search")
    watched.fill("input[name=q]", "สาธารณสุข")
    watched.click("form[role=search] input[type=submit]")
    watched.wait_for_load_state()
    first = watched.locator(".catalogue-hits li").first
    assert "สถานบริการสุขภาพ" in first.inner_text()
    rows = watched.locator("#rows-clinics li")
    assert rows.count() == 5 and "ศูนย์บริการสาธารณสุข" in rows.first.inner_text()
    shoot(watched, "search")
    watched.click("#rows-clinics a.all-rows")
    watched.wait_for_load_state()
    assert f"/{DATABASE}/clinics?_search=" in watched.url
    assert "69" in watched.locator("h3").first.inner_text()


def test_the_share_unresolved_after_20_days_per_district_group_from_the_form(watched, live_server):  # noqa: F811
    watched.goto(f"{live_server}/{DATABASE}/complaints_unresolved_share")
    watched.fill("input[name=days]", "๒๐")
    watched.fill("input[name=as_of]", "18/12/2565")
    watched.click("form.sql input[type=submit]")
    watched.wait_for_load_state()
    table = watched.locator("table.rows-and-columns")
    first_row = table.locator("tbody tr").first.inner_text()
    answer = httpx.get(
        f"{live_server}/{DATABASE}/complaints_unresolved_share.json",
        params={"_shape": "array", "days": "20", "as_of": "2022-12-18"},
    ).json()
    assert "กรุงเทพฯ ทั้งหมด" in first_row and str(answer[0]["unresolved_percent"]) in first_row
    assert table.locator("tbody tr").count() == 57
    shoot(watched, "unresolved-share", whole_at_390=False)


def test_the_monthly_trend_draws_its_chart(watched, live_server):  # noqa: F811
    watched.goto(f"{live_server}/{DATABASE}/complaints_monthly_trend?district=ลาดกระบัง&type=ถนน")
    watched.wait_for_selector("svg.trend-svg .trend-month", timeout=15000)
    bars = watched.locator("svg.trend-svg .trend-month")
    assert bars.count() == 2
    labels = watched.locator("svg.trend-svg").text_content()
    assert "ธ.ค. 2565" in labels and "2022-12" in labels
    shoot(watched, "monthly-trend", whole_at_390=False)


def test_nearest_service_offers_the_services_in_thai_and_english(watched, live_server):  # noqa: F811
    watched.goto(f"{live_server}/{DATABASE}/nearest_service")
    watched.wait_for_selector("input[name=service][data-services]", timeout=15000)
    options = watched.locator("#service-choices option")
    values = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert "Pride clinic" in values and any(v.startswith("คลินิกสุขภาพเพศหลากหลาย") for v in values)
    watched.fill("input[name=service]", "คลินิกสุขภาพเพศหลากหลาย")
    watched.fill("input[name=limit]", "3")
    watched.click("form.sql input[type=submit]")
    watched.wait_for_load_state()
    assert watched.locator("input[name=limit]").input_value() == "3"
    assert watched.locator("table.rows-and-columns tbody tr").count() == 3
    shoot(watched, "nearest-service", whole_at_390=False)


def test_complaints_of_one_district_from_the_facet_said_in_thai_and_downloaded_by_name(watched, live_server):  # noqa: F811
    """Which complaints came from Chatuchak? A click on the district facet: the page says what it shows
    in Thai first, with the district's name, and the Excel download is named for the filter."""
    watched.goto(f"{live_server}/{DATABASE}/complaints")
    link = watched.locator("#facet-district_code li a").first
    name = link.inner_text()
    link.click()
    watched.wait_for_load_state()
    code = watched.url.split("district_code=")[1][:4]
    line = watched.locator("h3.filter-description").inner_text()
    thai, english = (part.strip() for part in line.split(" /", 1))
    assert f"แถว ที่ รหัสเขต = {name} ({code})" in thai and "เรียงตาม" in thai, thai
    assert f"rows where district_code = {code}" in " ".join(english.split()), english
    shoot(watched, "district-filter")
    xlsx = watched.locator("p.export-links a", has_text="xlsx").get_attribute("href")
    disposition = httpx.get(xlsx if xlsx.startswith("http") else live_server + xlsx, timeout=60).headers[
        "content-disposition"
    ]
    assert f"complaints_district_code-{code}_" in disposition


def test_a_complaints_row_page_names_its_district_and_leads_to_it(watched, live_server):  # noqa: F811
    watched.goto(f"{live_server}/{DATABASE}/complaints?district_code=1006&_size=1")
    watched.locator("table.rows-and-columns tbody tr td.col-ticket_id a").first.click()
    watched.wait_for_load_state()
    district = watched.locator("dd.col-district_code a")
    assert district.inner_text() == "เขตบางกะปิ"
    shoot(watched, "complaint-row")
    district.click()
    watched.wait_for_load_state()
    assert watched.url.endswith(f"/{DATABASE}/districts/1006")
    assert "บางกะปิ" in watched.locator("dl.row-fields").inner_text()


def test_complaints_per_10000_residents_for_a_thai_month_from_the_form(watched, live_server):  # noqa: F811
    watched.goto(f"{live_server}/{DATABASE}/complaints_per_10000_residents")
    label = watched.locator("form.sql label[for=qp1]").inner_text()
    assert label.startswith("เดือน เช่น") and "Month, e.g." in label
    watched.fill("input[name=month]", "ธ.ค. 2565")
    watched.click("form.sql input[type=submit]")
    watched.wait_for_load_state()
    rows = watched.locator("table.rows-and-columns tbody tr")
    assert rows.count() == 50
    answer = httpx.get(
        f"{live_server}/{DATABASE}/complaints_per_10000_residents.json",
        params={"_shape": "array", "month": "2022-12"},
        timeout=60,
    ).json()
    assert str(answer[0]["tickets_per_10000_residents"]) in rows.first.inner_text()
    shoot(watched, "per-10000", whole_at_390=False)


def test_an_ita_year_without_data_says_which_years_have_it_then_the_ranking_draws(watched, live_server):  # noqa: F811
    watched.goto(f"{live_server}/{DATABASE}/ita_results?fiscal_year_be=2560")
    message = watched.locator("p.no-data-years").inner_text()
    assert message.startswith("ไม่มีข้อมูลปี 2560 มีข้อมูลปี") and "No data for 2560" in message
    latest = message.split(" / ")[0].split(", ")[-1].strip()
    shoot(watched, "ita-no-year")
    watched.goto(f"{live_server}/{DATABASE}/ita_ranking")
    watched.fill("input[name=fiscal_year_be]", latest)
    watched.click("form.sql input[type=submit]")
    watched.wait_for_load_state()
    assert watched.locator("table.rows-and-columns tbody tr").count() == 50
    assert watched.locator("p.no-data-years").count() == 0
    shoot(watched, "ita-ranking", whole_at_390=False)


def test_a_policys_progress_chart_reads_its_months_in_the_buddhist_era(watched, live_server):  # noqa: F811
    watched.goto(f"{live_server}/{DATABASE}/policies/P002")
    watched.wait_for_selector("#policy-progress figure.policy-kpi svg text.policy-axis-x", timeout=15000)
    axis = " ".join(watched.locator("#policy-progress text.policy-axis-x").all_text_contents())
    assert re.search(r"\d{4}-\d{2}", axis) and re.search(
        r"(ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|พ\.ค\.|มิ\.ย\.|ก\.ค\.|ส\.ค\.|ก\.ย\.|ต\.ค\.|พ\.ย\.|ธ\.ค\.) 25\d\d", axis
    ), axis
    first_report = watched.locator("table.policy-timeline tbody tr td").first.inner_text()
    assert re.fullmatch(r"\d{4}-\d{2} \(\S+ 25\d\d\)", first_report), first_report
    shoot(watched, "policy-months", whole_at_390=False)


def test_what_changed_and_a_missing_page_in_thai_and_english(watched, live_server):  # noqa: F811
    watched.goto(f"{live_server}/-/datasets/complaints")
    watched.locator("a", has_text="build_changes").first.click()
    watched.wait_for_load_state()
    assert "การเปลี่ยนแปลงของข้อมูล / What changed at each build" in watched.locator("h1").inner_text()
    assert "แถว ที่ ชุดข้อมูล = complaints" in watched.locator("h3.filter-description").inner_text()
    shoot(watched, "what-changed")
    response = watched.goto(f"{live_server}/{DATABASE}/no_such_table")
    assert response.status == 404
    heading = watched.locator("h1").inner_text()
    assert "ไม่พบหน้านี้ / Not found" in heading
    assert "กลับไปที่" in watched.content() and "Go back to the" in watched.content()
    shoot(watched, "not-found")
