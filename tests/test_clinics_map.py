"""The clinics map in headless Chromium: markers on the table page, on filtered views and on the
nearest-service query, and a popup with name, services and phone. Map tiles come from the internet
and do not load here; the markers and popups are drawn by Leaflet from the site's own JSON."""

from __future__ import annotations

from openbangkok.model.site_metadata import DATABASE

MARKERS = ".leaflet-marker-icon"  # single markers and cluster icons alike


def open_map(page, url: str) -> int:
    page.goto(url)
    page.wait_for_selector(MARKERS, state="attached", timeout=15_000)
    return page.locator(MARKERS).count()


def test_clinics_page_shows_markers(page, live_server):
    assert open_map(page, f"{live_server}/{DATABASE}/clinics") > 0
    assert page.locator(".leaflet-container").count() == 1


def test_filtered_views_show_markers(page, live_server):
    assert open_map(page, f"{live_server}/{DATABASE}/clinics?services__arraycontains=Pride+clinic") > 0
    assert open_map(page, f"{live_server}/{DATABASE}/clinics?district_code=1026") > 0


def test_popup_shows_name_services_and_phone(page, live_server):
    assert open_map(page, f"{live_server}/{DATABASE}/clinics?id=hc-04") == 1
    page.locator(MARKERS).first.click()
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    text = popup.inner_text()
    assert "ศูนย์บริการสาธารณสุข 4 ดินแดง" in text
    assert "Pride clinic" in text and "02-246-1553" in text
    assert popup.query_selector("script") is None


def test_nearest_service_query_shows_markers(page, live_server):
    url = f"{live_server}/{DATABASE}/nearest_service?latitude=13.7650&longitude=100.5520&service=&limit=5"
    assert open_map(page, url) > 0
    assert page.locator("a[href*='clinics?id=']").count() == 5
