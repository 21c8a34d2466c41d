"""Publishing for real users: downloads that open right, open-data standards, API docs, Thai and
English pages, a safe read-only site, packaging and identical replicas (plugins/ + openbangkok).

The real datasets (fixtures `ds`, `live_server`) plus a small site of our own (`probe_site`) whose
rows are chosen to break things: formula-like text, <script> comments, more rows than one page.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest
import sqlite_utils
from openpyxl import load_workbook

from openbangkok.model.catalog import DEFAULT_DATASETS
from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.app import SETTINGS, make_datasette
from tests.conftest import start_server

FORMULAS = ['=HYPERLINK("http://evil.example/","click")', "+1+1", "-2+3", "@SUM(A1:A2)", "=1+1"]
SCRIPT_COMMENT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">ถนนพัง'
MANY = 2_345  # more than two pages of max_returned_rows (1,000)


@pytest.fixture(scope="session")
def probe_db(tmp_path_factory) -> Path:
    """A database of our own: the file name is the URL, so it is openbangkok.db too."""
    path = tmp_path_factory.mktemp("probe") / f"{DATABASE}.db"
    db = sqlite_utils.Database(path)
    db["notes"].insert_all(
        [
            {
                "id": i + 1,
                "comment": text,
                "reported": "2023-09-04",
                "reported_at": "2023-09-04T03:12:45+00:00",
                "district_code": "1001",
                "amount": 12.5,
                "count": 3,
                "latitude": 13.75,
                "longitude": 100.5,
            }
            for i, text in enumerate(FORMULAS + [SCRIPT_COMMENT, "ภาษาไทย ข้อความ"])
        ],
        pk="id",
    )
    db["many"].insert_all(({"n": i, "name_th": f"แถวที่ {i}"} for i in range(MANY)), pk="n")
    db["no_key"].insert_all([{"word": "หนึ่ง"}, {"word": "สอง"}])
    db.conn.close()
    return path


@pytest.fixture(scope="session")
def probe_site(probe_db):
    return make_datasette(probe_db)


def sheet_rows(content: bytes) -> list[list]:
    """The rows of the data sheet (after the banner sheet of illustrative rows, when there is one)."""
    workbook = load_workbook(io.BytesIO(content))
    sheets = [s for s in workbook.worksheets if not s.title.startswith("ข้อมูลตัวอย่าง")]
    return [[cell for cell in row] for row in sheets[0].iter_rows()]


# --- 1. Downloads ----------------------------------------------------------------------------


async def test_xlsx_keeps_formula_like_text_as_text(probe_site):
    response = await probe_site.client.get(f"/{DATABASE}/notes.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    rows = sheet_rows(response.content)
    header = [c.value for c in rows[0]]
    comment = header.index("comment")
    for row, text in zip(rows[1:], FORMULAS):
        assert row[comment].value == text and row[comment].data_type == "s"
    sheet_xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml
    by_name = dict(zip(header, rows[1]))
    assert by_name["district_code"].value == "1001" and by_name["district_code"].data_type == "s"
    assert by_name["amount"].value == 12.5 and by_name["count"].value == 3  # numbers as numbers
    assert by_name["reported"].is_date and by_name["reported"].value.isoformat().startswith("2023-09-04")
    at = by_name["reported_at (เวลาไทย UTC+7)"]  # 03:12 UTC is 10:12 in Bangkok, and the header says so
    assert at.is_date and (at.value.hour, at.value.minute) == (10, 12)
    assert [c.value for c in rows[-1]][comment] == "ภาษาไทย ข้อความ"  # Thai intact


async def test_xlsx_has_every_row_of_a_filtered_view_and_a_query(probe_site):
    everything = sheet_rows((await probe_site.client.get(f"/{DATABASE}/many.xlsx")).content)
    assert len(everything) == MANY + 1 and everything[-1][1].value == f"แถวที่ {MANY - 1}"
    filtered = sheet_rows((await probe_site.client.get(f"/{DATABASE}/many.xlsx?n__gte=2000&_sort_desc=n")).content)
    assert [c.value for c in filtered[1]] == [MANY - 1, f"แถวที่ {MANY - 1}"] and len(filtered) == MANY - 2000 + 1
    query = await probe_site.client.get(f"/{DATABASE}.xlsx", params={"sql": "select n from many where n < 1500"})
    assert len(sheet_rows(query.content)) == 1501
    row = sheet_rows((await probe_site.client.get(f"/{DATABASE}/notes/1.xlsx")).content)
    assert len(row) == 2


@pytest.mark.slow
async def test_xlsx_of_real_tables(ds):
    db = ds.get_database(DATABASE)
    hidden = set(await db.hidden_table_names())
    counts = await db.table_counts()
    small = [t for t in await db.table_names() if t not in hidden and counts.get(t, 10**9) <= 300]
    assert "districts" in small
    for name in small:
        response = await ds.client.get(f"/{DATABASE}/{name}.xlsx")
        assert response.status_code == 200, name
        assert len(sheet_rows(response.content)) == counts[name] + 1, name
    page = await ds.client.get(f"/{DATABASE}/districts")
    assert f'href="/{DATABASE}/districts.xlsx' in page.text


async def test_csv_for_excel_keeps_formula_like_text_as_text(probe_site):
    """Excel ran a cell starting with =, +, -, @ of the CSV for Excel as a formula: such text starts
    with ' there, numbers do not change, and the plain CSV is exactly the data."""
    plain = await probe_site.client.get(f"/{DATABASE}/notes.csv?_size=max")
    excel = await probe_site.client.get(f"/{DATABASE}/notes.csv?_size=max&_bom=on&_dl=on")
    plain_rows = list(csv.DictReader(io.StringIO(plain.text)))
    excel_rows = list(csv.DictReader(io.StringIO(excel.content.decode("utf-8-sig"))))
    assert [r["comment"] for r in plain_rows][: len(FORMULAS)] == FORMULAS
    assert [r["comment"] for r in excel_rows][: len(FORMULAS)] == ["'" + text for text in FORMULAS]
    assert [{k: v for k, v in r.items() if k != "comment"} for r in excel_rows] == [
        {k: v for k, v in r.items() if k != "comment"} for r in plain_rows
    ]
    assert excel_rows[-1]["comment"] == plain_rows[-1]["comment"] == "ภาษาไทย ข้อความ"


async def test_csv_for_excel_has_a_bom_and_plain_csv_does_not(probe_site):
    plain = await probe_site.client.get(f"/{DATABASE}/many.csv?_stream=on&_size=max")
    excel = await probe_site.client.get(f"/{DATABASE}/many.csv?_stream=on&_size=max&_bom=on&_dl=on")
    assert not plain.content.startswith(b"\xef\xbb\xbf")
    assert excel.content == b"\xef\xbb\xbf" + plain.content
    assert excel.headers["content-type"].startswith("text/csv") and "attachment" in excel.headers["content-disposition"]
    assert len(plain.text.splitlines()) == MANY + 1  # streamed: no truncation at 1,000 rows
    assert "แถวที่ 2344" in excel.content.decode("utf-8-sig")
    page = await probe_site.client.get(f"/{DATABASE}/many")
    assert "_bom=on" in page.text and "CSV for Excel" in page.text


async def test_the_pages_csv_links_download_every_row(probe_site):
    """The CSV links under a table of more than one page give the whole table, not its first 1,000
    rows, from page 2 on too (they carried the page's _next, refused with _stream=on: HTTP 400)."""
    page_2 = (await probe_site.client.get(f"/{DATABASE}/many.json")).json()["next_url"]
    for path in (f"/{DATABASE}/many", page_2.replace("http://localhost", "").replace(".json", "", 1)):
        page = (await probe_site.client.get(path)).text
        links = re.findall(r'href="([^"]*\.csv[^"]*)"', page.split('class="export-links"')[1].split("</p>")[0])
        assert len(links) == 2 and ("_next=" in links[0]) == ("_next=" in path), path
        for link in links:
            response = await probe_site.client.get(html.unescape(link))
            csv_text = response.content.decode("utf-8-sig")
            assert response.status_code == 200 and len(csv_text.splitlines()) == MANY + 1, link


async def test_whole_database_downloads(probe_site, probe_db):
    response = await probe_site.client.get(f"/{DATABASE}.db")
    assert response.status_code == 200 and response.content == probe_db.read_bytes()


def test_settings_stream_without_cap_and_bound_sql():
    assert SETTINGS["max_csv_mb"] == 0 and SETTINGS["allow_csv_stream"] and SETTINGS["allow_download"]
    assert 0 < SETTINGS["sql_time_limit_ms"] <= 5000 and SETTINGS["max_returned_rows"] <= 1000


# --- 2. Open-data standards -------------------------------------------------------------------


async def test_datapackage_describes_every_catalog_table(ds):
    package = (await ds.client.get("/-/datapackage.json")).json()
    names = {r["name"] for r in package["resources"]}
    assert {"districts", "agencies"} <= names
    tables = set(await ds.get_database(DATABASE).table_names())
    for resource in package["resources"]:
        assert resource["name"] in tables
        assert resource["path"].startswith("http://") and "_stream=on" in resource["path"]
        assert resource["licenses"] and resource["sources"] and resource["schema"]["fields"]


@pytest.mark.slow
def test_frictionless_validates_the_published_package(live_server):
    frictionless = Path(sys.executable).parent / "frictionless"
    result = subprocess.run(
        [str(frictionless), "validate", "--json", f"{live_server}/-/datapackage.json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(result.stdout)
    errors = [e for task in report["tasks"] for e in task["errors"]] + report.get("errors", [])
    assert report["valid"], json.dumps(errors[:5], ensure_ascii=False, indent=1)
    assert result.returncode == 0
    assert len(report["tasks"]) >= 2


async def test_dcat_catalogue_is_harvestable_rdf_with_dga_fields(ds):
    import rdflib
    from rdflib.namespace import DCAT, DCTERMS, RDF

    response = await ds.client.get("/-/dcat.jsonld")
    assert response.headers["content-type"].startswith("application/ld+json")
    graph = rdflib.Graph().parse(data=response.text, format="json-ld", base="http://localhost/")
    catalogues = list(graph.subjects(RDF.type, DCAT.Catalog))
    datasets = list(graph.objects(catalogues[0], DCAT.dataset))
    assert len(catalogues) == 1 and len(datasets) >= 1
    dga = rdflib.Namespace("urn:openbangkok:dga:")
    for dataset in datasets:
        assert (dataset, RDF.type, DCAT.Dataset) in graph
        titles = {t.language for t in graph.objects(dataset, DCTERMS.title)}
        assert "th" in titles
        for predicate in (
            DCTERMS.publisher,
            DCAT.contactPoint,
            DCTERMS.accrualPeriodicity,
            DCTERMS.spatial,
            DCTERMS.license,
            DCTERMS.source,
            *(
                dga[name]
                for name in (
                    "title",
                    "ownerOrganisation",
                    "maintainer",
                    "objective",
                    "updateFrequency",
                    "geographicCoverage",
                    "dataSource",
                    "format",
                    "dataCategory",
                    "license",
                )
            ),
        ):
            assert graph.value(dataset, predicate) is not None, (dataset, predicate)
        distributions = list(graph.objects(dataset, DCAT.distribution))
        assert distributions and all(graph.value(d, DCAT.downloadURL) for d in distributions)
        assert {str(graph.value(d, DCTERMS["format"])) for d in distributions} >= {"CSV", "JSON", "XLSX"}


# --- 3. Developers ----------------------------------------------------------------------------


@pytest.mark.slow
async def test_openapi_is_valid_and_covers_every_table(ds, openapi_document):
    document = openapi_document  # validated against the OpenAPI 3.0 specification (conftest)
    db = ds.get_database(DATABASE)
    hidden = set(await db.hidden_table_names())
    for name in [t for t in await db.table_names() if t not in hidden] + await db.view_names():
        assert f"/{DATABASE}/{name}.json" in document["paths"], name
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.slow
async def test_api_page_lists_every_table_with_examples(ds):
    page = await ds.client.get("/-/api")
    assert page.status_code == 200
    for text in (
        "API สำหรับนักพัฒนา",
        "API for developers",
        "_next",
        "curl ",
        "import httpx",
        "pd.read_csv",
        "await fetch(",
        "/-/openapi.json",
        "Open Data Commons",
    ):
        assert text in page.text, text
    db = ds.get_database(DATABASE)
    for name in await db.table_names():
        if name not in set(await db.hidden_table_names()):
            assert f'id="table-{name}"' in page.text, name
    links = [html.unescape(h) for h in re.findall(r'href="([^"#]+)"', page.text)]
    assert not [h for h in links if h.startswith("//")]
    ours = [h.removeprefix("http://localhost") for h in links if h.startswith(("http://localhost/", "/"))]
    assert f"/{DATABASE}/agencies.json?_shape=array" in ours
    for link in {h for h in ours if "/assets/" not in h and not h.endswith((".db", ".csv?_stream=on&_size=max"))}:
        assert (await ds.client.get(link)).status_code == 200, link


def test_api_page_python_example_runs(live_server):
    from openbangkok.opendata.api_examples import examples
    from openbangkok.site.tables import PublicTable

    code = examples(PublicTable("agencies", "", "", False, None), live_server)["python"]
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert output.returncode == 0, output.stderr
    count = httpx.get(f"{live_server}/{DATABASE}.json?sql=select+count(*)+from+agencies&_shape=array").json()
    assert int(output.stdout) == list(count[0].values())[0]


async def test_cors_on_json_csv_and_descriptions(ds):
    for path in (
        f"/{DATABASE}/districts.json",
        f"/{DATABASE}/districts.csv",
        f"/{DATABASE}/districts.csv?_bom=on",
        "/-/datapackage.json",
        "/-/dcat.jsonld",
        "/-/openapi.json",
    ):
        response = await ds.client.get(path)
        assert response.headers["access-control-allow-origin"] == "*", path


# --- 4. Thai and English ----------------------------------------------------------------------


async def test_pages_in_thai_with_english(ds):
    home = (await ds.client.get("/")).text
    assert '<html lang="th">' in home and "ชุดข้อมูล" in home and "Datasets" in home
    from openbangkok.model.catalog import load_catalog

    for dataset in load_catalog().datasets:
        if dataset.sources:
            assert dataset.descriptor["title"] in home.replace("&#39;", "'"), dataset.name
    table = (await ds.client.get(f"/{DATABASE}/districts")).text
    assert "รหัสเขต / District code" in table  # the column's Table Schema title
    assert "ดาวน์โหลด / This data as" in table and "เขต / Districts" in table


async def test_dates_in_buddhist_era_on_html_iso_in_json_and_csv(probe_site):
    html = (await probe_site.client.get(f"/{DATABASE}/notes/1")).text
    assert '2023-09-04 <span class="thai-date" lang="th">(4 ก.ย. 2566)</span>' in html
    assert "(4 ก.ย. 2566 10:12 น.)" in html  # UTC 03:12 is 10:12 in Thailand
    row = (await probe_site.client.get(f"/{DATABASE}/notes/1.json?_shape=array")).json()[0]
    assert row["reported"] == "2023-09-04" and row["reported_at"] == "2023-09-04T03:12:45+00:00"
    assert "2566" not in (await probe_site.client.get(f"/{DATABASE}/notes.csv")).text


# --- 5. Safe public site ----------------------------------------------------------------------


async def test_nothing_but_reading_is_allowed(ds):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in (
            f"/{DATABASE}/districts",
            f"/{DATABASE}",
            f"/{DATABASE}/districts/-/insert",
            "/-/messages",
            "/-/permissions",
            "/-/logout",
            "/-/upload",
            f"/{DATABASE}.db",
        ):
            response = await ds.client.request(method, path, data={"sql": "delete from districts"})
            assert response.status_code == 405, (method, path, response.status_code)
    count = await ds.client.get(f"/{DATABASE}.json?sql=select+count(*)+as+n+from+districts&_shape=array")
    assert count.json() == [{"n": 50}]


async def test_sql_cannot_write_or_load_extensions(ds):
    for sql in (
        "delete from districts",
        "update districts set name_th = 'x'",
        "attach database ':memory:' as x",
        "select load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')",
        "pragma writable_schema = 1",
    ):
        response = await ds.client.get(f"/{DATABASE}.json", params={"sql": sql})
        assert response.status_code == 400, sql


async def test_slow_sql_is_cut_off(ds):
    slow = "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r"
    started = time.monotonic()
    response = await ds.client.get(f"/{DATABASE}.json", params={"sql": slow})
    elapsed = time.monotonic() - started
    assert response.status_code == 400 and elapsed < SETTINGS["sql_time_limit_ms"] / 1000 + 5
    assert "interrupted" in response.text.lower() or "too long" in response.text.lower()


async def test_user_text_is_escaped(probe_site):
    for path in (f"/{DATABASE}/notes", f"/{DATABASE}/notes/6", f"/{DATABASE}?sql=select+comment+from+notes+where+id=6"):
        html = (await probe_site.client.get(path)).text
        assert "<script>window.__pwned" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;window.__pwned" in html, path
    json_row = (await probe_site.client.get(f"/{DATABASE}/notes/6.json?_shape=array")).json()[0]
    assert json_row["comment"] == SCRIPT_COMMENT  # data stays as written; only HTML escapes it


async def test_security_headers(ds):
    for path in ("/", f"/{DATABASE}/districts", f"/{DATABASE}/districts.json", "/-/api", "/does-not-exist"):
        response = await ds.client.get(path)
        policy = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'self'" and "'unsafe-inline'" not in directives["script-src"]
        assert "'unsafe-eval'" not in policy and directives["object-src"] == "'none'"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_every_inline_script_of_a_page_is_in_its_policy(ds):
    import base64
    import hashlib
    import re

    for path in (
        "/",
        f"/{DATABASE}",
        f"/{DATABASE}/districts",
        f"/{DATABASE}/districts/1001",
        f"/{DATABASE}?sql=select+1",
        "/-/api",
    ):
        response = await ds.client.get(path)
        policy = response.headers["content-security-policy"]
        for script in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", response.text, flags=re.S):
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy, (path, script[:80])


async def test_robots_and_sitemap(ds):
    robots = (await ds.client.get("/robots.txt")).text
    assert "Disallow: /*?" in robots and "Sitemap: http://localhost/sitemap.xml" in robots
    sitemap = (await ds.client.get("/sitemap.xml")).text
    assert sitemap.startswith("<?xml") and f"http://localhost/{DATABASE}/districts</loc>" in sitemap


# --- 6. Deploy and scale-out ------------------------------------------------------------------


def test_package_and_two_replicas_answer_identically(built_db, live_server, tmp_path, runner):
    from openbangkok.cli import cli

    out = tmp_path / "site"
    result = runner.invoke(cli, ["package", "--db", str(built_db), str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "build" / f"{DATABASE}.db").read_bytes() == built_db.read_bytes()
    assert "openbkk" in (out / "Dockerfile").read_text() and "--inspect-file" in (out / "Dockerfile").read_text()
    inspect = json.loads((out / "inspect-data.json").read_text())[DATABASE]
    db = sqlite_utils.Database(built_db)
    assert inspect["tables"]["districts"]["count"] == db["districts"].count == 50
    # beside the database, the agencies' files as delivered, which the dataset pages offer
    assert (out / "datasets" / "reference" / "districts.csv").read_bytes() == (
        DEFAULT_DATASETS / "reference" / "districts.csv"
    ).read_bytes()

    url_a = live_server  # `openbkk serve` of the build: the first replica
    replica_b, url_b = start_server(out / "build" / f"{DATABASE}.db", "--inspect-file", str(out / "inspect-data.json"))
    try:
        headers = {"Host": "data.example.org"}
        paths = [
            f"/{DATABASE}/districts.json?_shape=array",
            f"/{DATABASE}/agencies.csv?_stream=on",
            f"/{DATABASE}/districts/1001.json",
            "/-/datapackage.json",
            "/-/openapi.json",
            f"/{DATABASE}.json?sql=select+count(*)+from+agencies",
            "/sitemap.xml",
            f"/{DATABASE}/districts",
            "/",
        ]
        for path in paths:
            a = httpx.get(url_a + path, headers=headers, timeout=30)
            b = httpx.get(url_b + path, headers=headers, timeout=30)
            assert a.status_code == b.status_code == 200, path
            assert a.headers["etag"] == b.headers["etag"], path  # one build: one ETag on every replica
            assert a.headers["last-modified"] == b.headers["last-modified"], path
            if path.endswith(".json") or ".json?" in path:
                assert a.json() == _without_timings(b.json()) or _without_timings(a.json()) == _without_timings(
                    b.json()
                ), path
            else:
                assert _strip_timing(a.text) == _strip_timing(b.text), path
    finally:
        replica_b.terminate()
        replica_b.wait(timeout=10)


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "query_ms"}
    return value


def _strip_timing(text: str) -> str:
    import re

    return re.sub(r"Queries took [\d.]+ ?ms", "", text)
