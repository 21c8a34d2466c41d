"""What a Thai reader sees on the pages (issue 23: items 1, 2, 7, 8, 9), through Datasette's own
client on the real built database: Thai first, readable complaints, downloads named for what they
hold, embedding, internal tables titled. The same pages in Chromium: test_browser_reader.py."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import unquote

import pytest

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.exports import filenames
from openbangkok.thai.conversions import thai_label, with_thai

THAI = re.compile(r"[\u0e00-\u0e7f]")


def test_months_read_with_their_buddhist_era_year():
    assert with_thai("2022-12") == "2022-12 (ธ.ค. 2565)"
    assert thai_label("2023-01") == "ม.ค. 2566"
    assert thai_label("2023-09-04T03:12:00+00:00") == "4 ก.ย. 2566 10:12 น."
    assert thai_label("1001-13") is None and thai_label("1006-05") is None  # codes, not months


async def test_month_cells_show_the_thai_month_on_html_only(ds):
    page = (await ds.client.get(f"/{DATABASE}/complaints_by_district_month_type?_size=5")).text
    assert (
        '2022-12 <span class="thai-date" lang="th">(ธ.ค. 2565)</span>' in page
        or '2022-11 <span class="thai-date" lang="th">(พ.ย. 2565)</span>' in page
    )
    rows = (await ds.client.get(f"/{DATABASE}/complaints_by_district_month_type.json?_shape=array&_size=5")).json()
    assert all(re.fullmatch(r"\d{4}-\d{2}", row["reported_month"]) for row in rows)


async def test_a_canned_query_form_is_thai_first_and_its_sql_folded(ds):
    page = (await ds.client.get(f"/{DATABASE}/ita_ranking")).text
    assert "ปีงบประมาณ (พ.ศ.) เช่น 2566 / Fiscal year (BE), e.g. 2566" in page
    folded = re.search(r'<details class="query-sql"( open)?>.*?<pre id="sql-query">(.*?)</pre>', page, re.S)
    assert folded and folded[1] is None and "ita_district_ranking" in folded[2]
    assert "<textarea" not in page.split('class="sql"', 1)[1].split("</form>", 1)[0]


async def test_every_canned_query_is_thai_first_and_each_parameter_has_a_thai_label_with_an_example(ds):
    """Titles, descriptions and form labels read Thai first, English beside (the descriptions were
    English with a short Thai summary after)."""
    from openbangkok.opendata.dga import plain_text
    from openbangkok.site.pages import labels

    queries = await ds.get_canned_queries(DATABASE, None)
    assert len(queries) >= 15
    for name, query in queries.items():
        title = query.get("title") or ""
        assert THAI.match(title) and " / " in title, (name, title)
        description = plain_text(query.get("description_html") or "") or query.get("description") or ""
        thai, english = description.split(" / ", 1) if " / " in description else (description, "")
        first_letter = re.search(r"[A-Za-z\u0e00-\u0e7f]", description)
        assert THAI.match(first_letter[0]) and len(THAI.findall(thai)) > 60, (name, description[:80])
        assert re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", english or description), (name, "no English beside")
        params = list(query.get("params") or [])
        titles = labels.param_titles(ds, name, params)
        for param in params:
            label = titles.get(param) or ""
            thai_label, _, english_label = label.partition(" / ")
            assert THAI.match(thai_label) and "เช่น" in thai_label, (name, param, label)
            assert "e.g." in english_label, (name, param, label)
        page = (await ds.client.get(f"/{DATABASE}/{name}")).text
        for param in params:
            assert html.escape(titles[param], quote=False) in page, (name, param)


async def test_every_result_column_of_every_canned_query_has_a_thai_title(ds):
    untitled = []
    for name in await ds.get_canned_queries(DATABASE, None):
        page = (await ds.client.get(f"/{DATABASE}/{name}")).text
        headers = re.findall(r'<th class="col-[^"]*" scope="col" data-column="([^"]+)">(.*?)</th>', page, re.S)
        for column, cell in headers:
            label = re.search(r'<span class="col-label">(.*?)</span>', cell, re.S)
            if not (label and " / " in label[1] and THAI.search(label[1])):
                untitled.append(f"{name}.{column}")
    assert not untitled, untitled


async def test_a_year_without_data_says_which_years_have_data(ds):
    years = [
        str(r[0])
        for r in (
            await ds.get_database(DATABASE).execute("select distinct fiscal_year_be from ita_results order by 1")
        ).rows
    ]
    page = html.unescape((await ds.client.get(f"/{DATABASE}/ita_ranking?fiscal_year_be=2560")).text)
    message = re.search(r'<p class="message-warning no-data-years">(.*?)</p>', page, re.S)
    assert message, "no message for a year without data"
    text = " ".join(message[1].split())
    assert text == (f"ไม่มีข้อมูลปี 2560 มีข้อมูลปี {', '.join(years)} / No data for 2560; data exists for {', '.join(years)}")
    with_data = (await ds.client.get(f"/{DATABASE}/ita_ranking?fiscal_year_be={years[-1]}")).text
    assert "no-data-years" not in with_data


@pytest.mark.parametrize("table", ["ita_results", "policy_kpis", "ita_district_ranking"])
async def test_a_table_filtered_on_a_year_without_rows_says_which_years_have_data(ds, table):
    years = [
        str(r[0])
        for r in (
            await ds.get_database(DATABASE).execute(
                f"select distinct fiscal_year_be from {table} where fiscal_year_be is not null order by 1"
            )
        ).rows
    ]
    assert years and "2560" not in years
    page = html.unescape((await ds.client.get(f"/{DATABASE}/{table}?fiscal_year_be=2560")).text)
    message = re.search(r'<p class="message-warning no-data-years">(.*?)</p>', page, re.S)
    assert message, f"{table}: no message for a year without data"
    assert " ".join(message[1].split()) == (
        f"ไม่มีข้อมูลปี 2560 มีข้อมูลปี {', '.join(years)} / No data for 2560; data exists for {', '.join(years)}"
    )
    with_data = (await ds.client.get(f"/{DATABASE}/{table}?fiscal_year_be={years[-1]}")).text
    assert "no-data-years" not in with_data


async def test_facets_breadcrumbs_and_codes_in_thai(ds):
    page = (await ds.client.get(f"/{DATABASE}/complaints?_size=1")).text
    facet = re.search(r'id="facet-district_code".*?<strong>(.*?)</strong>', page, re.S)
    assert facet and "รหัสเขต / District code" in facet[1]
    assert "หน้าแรก / Home" in page
    clinics = (await ds.client.get(f"/{DATABASE}/clinics?_size=1")).text
    assert re.search(r'id="facet-is_illustrative".*?ข้อมูลตัวอย่าง / illustrative', clinics, re.S)


async def test_error_pages_in_thai_and_english(ds):
    for path, words in (
        (f"/{DATABASE}/no_such_table", "ไม่พบตาราง / Table not found"),
        ("/no_such_database", "ไม่พบฐานข้อมูล / Database not found"),
        (f"/{DATABASE}/districts/9999", "ไม่พบแถวนี้ / Record not found"),
    ):
        answer = await ds.client.get(path)
        assert answer.status_code == 404
        assert "<h1>ไม่พบหน้านี้ / Not found" in answer.text and words in answer.text, path
    json_answer = await ds.client.get(f"/{DATABASE}/no_such_table.json")
    assert json_answer.status_code == 404 and json_answer.json()["title"] is None


async def test_complaints_lead_with_what_a_reader_reads(ds):
    page = (await ds.client.get(f"/{DATABASE}/complaints?_size=3")).text
    columns = re.findall(r'<th [^>]*data-column="([^"]+)"', page)
    assert columns[:6] == ["comment", "district_code", "timestamp", "state", "types", "photo"]
    first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", page, re.S)[1]
    cells = re.findall(r'<td class="col-([^ "]+)', first_row)
    assert cells[:6] == columns[:6]
    assert re.search(
        r'<img src="https://storage\.googleapis\.com/[^"]+" loading="lazy" decoding="async" '
        r'width="96" height="72"',
        page,
    )
    assert '<span class="chip">' in page and "[&#34;" not in first_row
    # the data itself is unchanged: JSON keeps the table's order and the types as JSON
    data = (await ds.client.get(f"/{DATABASE}/complaints.json?_size=1")).json()
    assert data["columns"][0] == "ticket_id" and data["rows"][0][data["columns"].index("types")].startswith("[")


async def test_the_photo_host_is_allowed_by_the_content_security_policy(ds):
    policy = (await ds.client.get(f"/{DATABASE}/complaints?_size=1")).headers["content-security-policy"]
    img_src = next(part for part in policy.split("; ") if part.startswith("img-src"))
    assert "https://storage.googleapis.com" in img_src.split()


async def test_row_pages_are_label_value_lists_with_a_map_where_there_is_a_point(ds):
    ticket, lat, lon = (
        await ds.get_database(DATABASE).execute(
            "select ticket_id, latitude, longitude from complaints where latitude is not null limit 1"
        )
    ).first()
    page = (await ds.client.get(f"/{DATABASE}/complaints/{ticket}")).text
    assert '<dl class="row-fields">' in page and "<table" not in page.split("<section", 1)[1]
    first = re.search(r'<div class="row-field"><dt>(.*?)</dt>', page, re.S)[1]
    assert first.startswith("รายละเอียด / Comment")
    assert f'data-latitude="{lat}" data-longitude="{lon}"' in page
    assert "/-/static-plugins/datasette-leaflet/" in page
    clinic_id = (
        await ds.get_database(DATABASE).execute("select id from clinics where latitude is not null limit 1")
    ).first()[0]
    clinic = (await ds.client.get(f"/{DATABASE}/clinics/{clinic_id}")).text
    assert 'id="row-map"' in clinic
    district = (await ds.client.get(f"/{DATABASE}/districts/1001")).text
    assert '<dl class="row-fields">' in district and 'id="row-map"' not in district
    assert "ชื่อ" in district  # the labels are Thai first


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("/openbangkok/complaints.xlsx", "district_code=1006"), "complaints_district_code-1006_2026-12-07.xlsx"),
        (
            ("/openbangkok/complaints.csv", "district_code=1006&_dl=1&_size=max&_labels=on"),
            "complaints_district_code-1006_2026-12-07.csv",
        ),
        (
            ("/openbangkok/complaints.csv", "state__not=เสร็จสิ้น&_search=ไฟ"),
            "complaints_state-not-เสร็จสิ้น_search-ไฟ_2026-12-07.csv",
        ),
        (("/openbangkok.csv", "sql=select+1"), "openbangkok_sql_2026-12-07.csv"),
    ],
)
def test_download_names_carry_the_table_the_filter_and_the_day(path, expected):
    (address, query), day = path, dt.date(2026, 12, 7)
    assert filenames.filename(address, query, expected.rsplit(".", 1)[1], day) == expected
    header = filenames.disposition(address, query, expected.rsplit(".", 1)[1], day)
    plain = re.search(r'filename="([^"]+)"', header)[1]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", plain)
    if plain != expected:  # Thai kept in filename* (RFC 5987)
        assert unquote(header.split("filename*=UTF-8''", 1)[1]) == expected


async def test_downloads_are_named_on_the_site(ds):
    today = filenames.today().isoformat()
    cases = {
        f"/{DATABASE}/complaints.csv?district_code=1006&_dl=1": f"complaints_district_code-1006_{today}.csv",
        f"/{DATABASE}/complaints.xlsx?district_code=1006": f"complaints_district_code-1006_{today}.xlsx",
        f"/{DATABASE}/complaints.geojson?district_code=1006&_dl=1": f"complaints_district_code-1006_{today}.geojson",
        f"/{DATABASE}/complaints.ndjson?district_code=1006&_dl=1": f"complaints_district_code-1006_{today}.ndjson",
    }
    for path, name in cases.items():
        answer = await ds.client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-disposition"] == f'attachment; filename="{name}"', path
    shown = await ds.client.get(f"/{DATABASE}/complaints.geojson?district_code=1006")
    assert "content-disposition" not in shown.headers  # read in the browser, not downloaded
    thai = await ds.client.get(f"/{DATABASE}/complaints.csv?state=เสร็จสิ้น&_dl=1&_size=1")
    assert (
        unquote(thai.headers["content-disposition"].split("filename*=UTF-8''")[1])
        == f"complaints_state-เสร็จสิ้น_{today}.csv"
    )


async def test_embedding_gives_the_page_without_its_chrome_and_a_snippet(ds):
    page = (await ds.client.get(f"/{DATABASE}/complaints?district_code=1006&_size=3")).text
    snippet = re.search(r'<details class="embed-snippet">.*?<textarea[^>]*>(.*?)</textarea>', page, re.S)
    assert snippet, "no embed snippet"
    code = html.unescape(snippet[1])
    src = re.search(r'<iframe src="([^"]+)"', code)[1]
    assert src.endswith(f"/{DATABASE}/complaints?district_code=1006&_size=3&_embed=1")
    embedded = (await ds.client.get(src.split("localhost", 1)[-1])).text
    assert "<header>" not in embedded and '<footer class="ft">' not in embedded
    assert 'class="table-wrapper"' in embedded and "embed-snippet" not in embedded.split("</style>")[-1]
    query = (await ds.client.get(f"/{DATABASE}/ita_ranking")).text
    assert "ita_ranking?_embed=1" in html.unescape(query)


async def test_internal_tables_are_hidden_or_titled(ds):
    index = (await ds.client.get(f"/{DATABASE}")).text
    for internal in ("complaints_facet_counts", "complaints_fts_data", "sqlite_stat1"):
        assert f'href="/{DATABASE}/{internal}"' not in index, internal
    for internal in ("sqlite_stat1", "complaints_facet_counts"):
        page = (await ds.client.get(f"/{DATABASE}/{internal}?_size=1")).text
        title = re.search(r"<h1>(.*?)</h1>", page, re.S)[1]
        assert THAI.search(title) and " / " in title, (internal, title)


async def test_the_map_counter_is_translated_by_a_script_beside_the_plugin(ds):
    page = (await ds.client.get(f"/{DATABASE}/complaints?_size=1")).text
    assert "/assets/publishing/map-counter.js" in page
    script = (await ds.client.get("/assets/publishing/map-counter.js")).text
    assert "แสดง" in script and "Showing" in script


def test_every_dataset_and_table_description_leads_in_thai():
    """The complaints description led in English; a reader of Thai now reads Thai first, English beside."""
    from openbangkok.model.catalog import load_catalog
    from openbangkok.model.site_metadata import site_metadata

    catalog = load_catalog()
    tables = site_metadata(catalog)["databases"][DATABASE]["tables"]
    described = {f"dataset {d.name}": d.descriptor.get("description") or "" for d in catalog.datasets}
    described |= {name: entry.get("description") or "" for name, entry in tables.items()}
    english_first = [
        name
        for name, text in described.items()
        if text.strip() and not (THAI.search(text.strip()[:12]) and " / " in text)
    ]
    assert not english_first, english_first
