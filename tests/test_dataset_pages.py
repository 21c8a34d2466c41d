"""A page per data package (/-/datasets/<name>), its JSON, zip, Atom feed and original files, and the
search across the catalogue (/-/search), on the real build and real Datasette."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import io
import json
import re
import sqlite3
import zipfile
from xml.etree import ElementTree as ET

import pytest
from frictionless import Package

from openbangkok.model.catalog import DEFAULT_DATASETS, read_descriptor
from openbangkok.site.exports import dataset_zip

ATOM = "{http://www.w3.org/2005/Atom}"


async def test_the_dataset_page_has_what_a_journalist_looks_for(ds, built_conn):
    response = await ds.client.get("/-/datasets/complaints")
    assert response.status_code == 200
    html = response.text
    for words in (
        "เรื่องร้องเรียน",
        "ผู้เผยแพร่",
        "Publisher",
        "ผู้ดูแล",
        "Maintainer",
        "ความถี่ในการปรับปรุง",
        "ไม่แน่นอน / irregular",
        "ปรับปรุงล่าสุด",
        "Open Data Commons Attribution License 1.0",
        'href="https://publicapi.traffy.in.th/share/teamchadchart/search"',
    ):
        assert words in html, words
    complaints = built_conn.execute("select count(*) from complaints").fetchone()[0]
    row = re.search(r'<tr id="table-complaints">(.*?)</tr>', html, re.S).group(1)
    assert f"{complaints:,}" in row
    for kind in ("CSV", "JSON", "GeoJSON", "XLSX"):
        assert f'data-format="{kind}"' in row
    assert "/openbangkok/complaints.csv?_stream=on" in row
    assert re.search(
        r'<link rel="alternate" type="application/atom\+xml"[^>]*href="[^"]*/-/datasets/complaints\.atom"', html
    )
    built_at = built_conn.execute("select max(built_at) from build_files where dataset = 'complaints'").fetchone()[0]
    assert built_at in html


async def test_the_dataset_json_lists_tables_downloads_and_original_files_with_their_recorded_sha256(ds, built_conn):
    data = (await ds.client.get("/-/datasets/clinics.json")).json()
    assert data["title"] == {"th": "สถานบริการสุขภาพ", "en": "Clinics and health services"}
    tables = {t["name"]: t for t in data["tables"]}
    assert tables["clinics"]["rows"] == built_conn.execute("select count(*) from clinics").fetchone()[0]
    assert {d["format"] for d in tables["clinics"]["downloads"]} == {"CSV", "JSON", "GeoJSON", "XLSX"}
    recorded = dict(
        built_conn.execute("select source_file, sha256 from build_files where dataset = 'clinics'").fetchall()
    )
    files = {f["name"]: f for f in data["original_files"]}
    assert set(files) == {"clinics.csv", "health_service_figures.csv", "bma_gis_health_centers.json"}
    for name, entry in files.items():
        assert entry["sha256"] == recorded[f"clinics/{name}"]
        body = (await ds.client.get(entry["url"].replace("http://localhost", ""))).content
        assert hashlib.sha256(body).hexdigest() == entry["sha256"], name
        assert body == (DEFAULT_DATASETS / "clinics" / name).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/-/datasets/clinics/files/../metadata.yml",
        "/-/datasets/clinics/files/%2e%2e/%2e%2e/pyproject.toml",
        "/-/datasets/clinics/files/..%2f..%2fpyproject.toml",
        "/-/datasets/clinics/files/clinics.schema.yaml",  # in the folder, but not a resource
        "/-/datasets/clinics/files//etc/passwd",
        "/-/datasets/clinics/files/1_map.sql",
        "/-/datasets/nosuch/files/clinics.csv",
    ],
)
async def test_only_resource_files_are_served(ds, path):
    response = await ds.client.get(path)
    assert response.status_code in (302, 404), path
    assert b"BEGIN" not in response.content and b"[project]" not in response.content


async def test_a_folder_resource_serves_each_of_its_files_with_the_folder_digest(ds, built_conn):
    data = (await ds.client.get("/-/datasets/complaints.json")).json()
    pages = [f for f in data["original_files"] if f["table"] == "complaints"]
    on_disk = sorted(p.name for p in (DEFAULT_DATASETS / "complaints" / "traffy_api").iterdir() if p.is_file())
    assert sorted(f["name"].split("/")[-1] for f in pages) == on_disk
    folder_sha = built_conn.execute("select sha256 from build_files where table_name = 'complaints'").fetchone()[0]
    assert {f["sha256"] for f in pages} == {folder_sha} and {f["sha256_of"] for f in pages} == {"folder"}
    first = pages[0]
    response = await ds.client.get(first["url"].replace("http://localhost", ""))
    assert response.status_code == 200 and len(response.content) == first["bytes"]


async def test_the_zip_holds_each_tables_full_csv_and_a_valid_datapackage(ds, built_db, tmp_path):
    response = await ds.client.get("/-/datasets/complaints.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    package = json.loads(archive.read("datapackage.json"))
    names = [r["name"] for r in package["resources"]]
    assert names[:2] == ["complaints", "hotline_1555_monthly"]
    # the tables complaints_statistics.sql derives are in it too, with their metadata's sources
    with_sources = [
        t
        for t, meta in read_descriptor(DEFAULT_DATASETS / "complaints" / "metadata.yml")["tables"].items()
        if meta.get("sources") and t not in names[:2]
    ]
    assert len(with_sources) >= 3 and set(with_sources) <= set(names[2:]), names
    derived = next(r for r in package["resources"] if r["name"] == "complaints_district_summary")
    assert derived["sources"][0]["path"] == "http://localhost/openbangkok/complaints"
    # the datapackage lists every file of the zip, and only those
    assert {r["path"] for r in package["resources"]} | {"datapackage.json"} == set(archive.namelist())
    conn = sqlite3.connect(built_db)
    for resource in package["resources"]:
        rows = list(csv.reader(io.StringIO(archive.read(resource["path"]).decode("utf-8"), newline="")))
        assert rows[0] == [f["name"] for f in resource["schema"]["fields"]]
        assert len(rows) - 1 == conn.execute(f"select count(*) from [{resource['name']}]").fetchone()[0]
    conn.close()
    archive.extractall(tmp_path)
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resource/name", "rowNumber", "fieldName", "type", "note"])[:5]


async def test_zips_beyond_the_concurrent_limit_get_503_and_retry_after(ds):
    slots = dataset_zip._slots(ds)
    for _ in range(dataset_zip.CONCURRENT_ZIPS):
        await slots.acquire()
    try:
        busy = await ds.client.get("/-/datasets/reference.zip")
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == str(dataset_zip.RETRY_AFTER_SECONDS)
    finally:
        for _ in range(dataset_zip.CONCURRENT_ZIPS):
            slots.release()
    assert (await ds.client.get("/-/datasets/reference.zip")).status_code == 200


async def test_the_atom_feed_is_rfc_4287(ds, built_conn):
    response = await ds.client.get("/-/datasets/complaints.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    assert feed.find(f"{ATOM}link[@rel='self']").get("href").endswith("/-/datasets/complaints.atom")
    dt.datetime.fromisoformat(feed.find(f"{ATOM}updated").text.replace("Z", "+00:00"))
    entries = feed.findall(f"{ATOM}entry")
    builds = built_conn.execute(
        "select count(distinct build) from build_changes where dataset = 'complaints'"
    ).fetchone()[0]
    assert len(entries) == builds >= 1
    for entry in entries:
        for required in ("id", "title", "updated", "link", "content"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        assert entry.find(f"{ATOM}link").get("href").endswith("/-/datasets/complaints")
    complaints = built_conn.execute("select count(*) from complaints").fetchone()[0]
    assert f"{complaints:,}" in entries[0].find(f"{ATOM}content").text


async def test_unknown_datasets_are_404(ds):
    for path in ("/-/datasets/nosuch", "/-/datasets/nosuch.zip", "/-/datasets/nosuch.atom"):
        assert (await ds.client.get(path)).status_code == 404


async def test_the_index_and_home_page_link_every_dataset_page(ds):
    index = (await ds.client.get("/-/datasets")).text
    home = (await ds.client.get("/")).text
    for name in ("clinics", "complaints", "ita", "policies", "reference"):
        assert f'href="/-/datasets/{name}"' in index
        assert f'href="/-/datasets/{name}"' in home


async def test_search_finds_the_clinics_dataset_and_health_centre_rows_by_a_thai_word(ds):
    data = (await ds.client.get("/-/search.json?q=สาธารณสุข")).json()
    assert data["catalogue"][0] == {**data["catalogue"][0], "kind": "dataset", "name": "clinics"}
    assert any(h["kind"] == "table" and h["name"] == "bma_gis_health_centres" for h in data["catalogue"])
    clinics = next(f for f in data["rows"] if f["table"] == "clinics")
    assert clinics["count"] == 69 and len(clinics["rows"]) == 5
    assert all("ศูนย์บริการสาธารณสุข" in r["text"] for r in clinics["rows"])
    assert clinics["url"].startswith("/openbangkok/clinics?_search=")
    html = (await ds.client.get("/-/search?q=สาธารณสุข")).text
    assert 'href="/-/datasets/clinics"' in html and 'href="/openbangkok/clinics/hc-01"' in html


async def test_search_by_english_words_finds_columns_and_survives_any_query(ds):
    data = (await ds.client.get("/-/search.json?q=Pride clinic")).json()
    assert any(h["name"] == "clinics.services" for h in data["catalogue"])
    for odd in ('"', "a OR (b", "NEAR(", "*", "ก" * 500):
        response = await ds.client.get("/-/search.json", params={"q": odd})
        assert response.status_code == 200, odd
    assert (await ds.client.get("/-/search.json?q=")).json() == {"q": "", "catalogue": [], "rows": []}


async def test_build_changes_has_its_own_titled_page_linked_from_the_dataset_page(ds, built_conn):
    html = (await ds.client.get("/-/datasets/complaints")).text
    assert 'href="/openbangkok/build_changes?dataset=complaints"' in html
    page = await ds.client.get("/openbangkok/build_changes?dataset=complaints")
    assert page.status_code == 200 and "การเปลี่ยนแปลงของข้อมูล / What changed at each build" in page.text
    rows = (await ds.client.get("/openbangkok/build_changes.json?dataset=complaints&_shape=array")).json()
    assert {r["table_name"] for r in rows} == {"complaints", "hotline_1555_monthly"}
    assert all(r["added"] == r["rows_after"] for r in rows)  # the session's build is the first


def test_the_package_context_serves_the_original_files_the_dataset_pages_link(built_db, tmp_path):
    """`openbkk package` ships the agencies' files: the site started on the context (as its Dockerfile
    starts it, without Docker) answers each original file of each dataset page byte for byte."""
    from openbangkok.site.app import make_datasette
    from openbangkok.site.package import package

    out = package(built_db, tmp_path / "context")  # runs an event loop of its own: not inside a test's
    site = make_datasette(out / "build" / built_db.name, datasets=out / "datasets")

    async def fetch_every_original() -> int:
        checked = 0
        for name in ("clinics", "complaints", "ita", "policies", "reference"):
            data = (await site.client.get(f"/-/datasets/{name}.json")).json()
            assert data["original_files"], name
            for entry in data["original_files"]:
                response = await site.client.get(entry["url"].replace("http://localhost", ""))
                assert response.status_code == 200, entry["url"]
                assert response.content == (DEFAULT_DATASETS / name / entry["name"]).read_bytes(), entry["name"]
                checked += 1
        return checked

    assert asyncio.run(fetch_every_original()) > 5
