"""The Traffy Fondue API adapter (traffy.api_pages): overlapping pages, every field of a record, the
page formats it reads, pages it refuses, records without coordinates."""

from __future__ import annotations

import json

import pytest

from openbangkok.cli import cli

from .test_complaints import rows
from .traffy_files import datasets_with_pages, page, record, write_page


def build(runner, datasets, out):
    result = runner.invoke(cli, ["build", "--datasets", str(datasets), "--out", str(out), "--full"])
    return result


def test_overlapping_pages_publish_each_ticket_once_from_the_page_fetched_last(tmp_path, runner):
    """Pages are fetched in ascending offset: the copy on the greatest offset is the newer snapshot.
    Offsets sort as numbers (1900 after 950), and within a page the later record wins."""
    pages = {
        "search_offset_0.json": page(
            [record("2022-AAAAAA"), record("2022-CCCCCC", status="inprogress", state="กำลังดำเนินการ")]
        ),
        "search_offset_950.json": page(
            [
                record("2022-CCCCCC", star=5),
                record("2022-EEEEEE", status="report", state="รอรับเรื่อง"),
                record("2022-DDDDDD", comment="first copy"),
                record("2022-DDDDDD", comment="second copy"),
            ]
        ),
        "search_offset_1900.json": page([record("2022-EEEEEE", status="inprogress", state="กำลังดำเนินการ")]),
    }
    datasets = datasets_with_pages(tmp_path, pages)
    db = tmp_path / "x.db"
    result = build(runner, datasets, db)
    assert result.exit_code == 0, result.output
    got = {r["ticket_id"]: r for r in rows(db, "select * from complaints")}
    assert set(got) == {"2022-AAAAAA", "2022-CCCCCC", "2022-DDDDDD", "2022-EEEEEE"}
    assert (got["2022-CCCCCC"]["state"], got["2022-CCCCCC"]["status"], got["2022-CCCCCC"]["star"]) == (
        "เสร็จสิ้น",
        "finish",
        5,
    )
    assert got["2022-EEEEEE"]["status"] == "inprogress"  # offset 1900 is fetched after 950
    assert got["2022-DDDDDD"]["comment"] == "second copy"
    rejected = rows(db, "select * from complaints_rejected order by source_row")
    assert [(r["source_file"], r["source_line"], r["ticket_id"], r["reason"]) for r in rejected] == [
        (
            "search_offset_0.json",
            2,
            "2022-CCCCCC",
            "copy of a ticket published from the page fetched later (search_offset_950.json, record 1)",
        ),
        (
            "search_offset_950.json",
            2,
            "2022-EEEEEE",
            "copy of a ticket published from the page fetched later (search_offset_1900.json, record 1)",
        ),
        (
            "search_offset_950.json",
            3,
            "2022-DDDDDD",
            "copy of a ticket published from the page fetched later (search_offset_950.json, record 4)",
        ),
    ]
    assert [r["source_row"] for r in rejected] == [2, 4, 5]  # every record numbered across the pages
    assert json.loads(rejected[0]["raw_record"])["status"] == "inprogress"
    assert (
        "7 records read = 4 published in complaints + 3 rejected in complaints_rejected "
        "(3 copy of a ticket published from the page fetched later)"
    ) in result.output


def test_every_field_of_a_record(tmp_path, runner):
    full = record(
        "2022-FQPL93",
        message_id="297460",
        type="ถนน,ทางเท้า",
        type_id="12",
        org="สำนักงานเขตมีนบุรี",
        comment="พื้นที่กลับรถ\nของหมู่บ้าน โทร 081-234-5678",
        coords=["100.71982", "13.80091"],
        photo="https://storage.googleapis.com/traffy_public_bucket/attachment/2022-12/f7a4.jpg",
        after_photo="https://storage.googleapis.com/traffy_public_bucket/attachment/2022-12/b1.jpg",
        address="53/13 ซอย รามคำแหง 176 มีนบุรี กรุงเทพมหานคร 10510 ประเทศไทย",
        district="มีนบุรี",
        subdistrict="มีนบุรี",
        province="กรุงเทพมหานคร",
        timestamp="2022-11-30 17:54:52.243772+00",
        problem_type_abdul="{ถนน,ทางเท้า}",
        status="inprogress",
        star=4,
        count_reopen="1",
        state="กำลังดำเนินการ",
    )
    only_type = record("2022-TYPEONLY", type="แสงสว่าง", problem_type_abdul="")
    datasets = datasets_with_pages(tmp_path, {"search_offset_0.json": page([full, only_type])})
    db = tmp_path / "x.db"
    result = build(runner, datasets, db)
    assert result.exit_code == 0, result.output
    (got,) = rows(db, "select * from complaints where ticket_id = '2022-FQPL93'")
    source = got.pop("source")
    assert source == (
        "Traffy Fondue public API for the BMA (teamchadchart), pages fetched 18 Dec 2022, "
        "https://publicapi.traffy.in.th/share/teamchadchart/search"
    )
    assert got == {
        "ticket_id": "2022-FQPL93",
        "types": '["ถนน", "ทางเท้า"]',
        "organizations": '["สำนักงานเขตมีนบุรี"]',
        "comment": "พื้นที่กลับรถ\nของหมู่บ้าน โทร [โทรศัพท์]",
        "photo": "https://storage.googleapis.com/traffy_public_bucket/attachment/2022-12/f7a4.jpg",
        "photo_after": "https://storage.googleapis.com/traffy_public_bucket/attachment/2022-12/b1.jpg",
        "address": "53/13 ซอย รามคำแหง 176 มีนบุรี กรุงเทพมหานคร 10510 ประเทศไทย",
        "subdistrict": "มีนบุรี",
        "district": "มีนบุรี",
        "district_code": "1010",
        "province": "กรุงเทพมหานคร",
        "province_code": "10",
        "latitude": 13.80091,
        "longitude": 100.71982,
        "coords_outside_bangkok": 0,
        "coords_swapped_in_source": 0,
        "timestamp": "2022-11-30T17:54:52+00:00",
        "last_activity": None,
        "reported_month": "2022-12",
        "fiscal_year_ce": 2023,
        "fiscal_year_be": 2566,  # 00:54 on 1 Dec in Bangkok
        "days_to_last_activity": None,
        "state": "กำลังดำเนินการ",
        "state_en": "in progress",
        "status": "inprogress",
        "star": 4,
        "count_reopen": 1,
        "is_illustrative": 0,
    }
    (typed,) = rows(db, "select types from complaints where ticket_id = '2022-TYPEONLY'")
    assert typed["types"] == '["แสงสว่าง"]'  # `type` read when problem_type_abdul is empty
    assert "297460" not in db.read_bytes().decode("utf-8", "ignore")  # message_id is not published


def test_a_record_without_coordinates(tmp_path, runner):
    records = [
        record("2022-NOCRD1", coords=None),
        record("2022-NOCRD2", coords=[]),
        record("2022-NOCRD3", coords=["", ""]),
        {k: v for k, v in record("2022-NOCRD4").items() if k != "coords"},
        record("2022-SWAPPD", coords=["13.81234", "100.56789"]),
    ]
    datasets = datasets_with_pages(tmp_path, {"search_offset_0.json": page(records)})
    db = tmp_path / "x.db"
    result = build(runner, datasets, db)
    assert result.exit_code == 0, result.output
    got = {r["ticket_id"]: r for r in rows(db, "select * from complaints")}
    for ticket in ("2022-NOCRD1", "2022-NOCRD2", "2022-NOCRD3", "2022-NOCRD4"):
        assert (got[ticket]["latitude"], got[ticket]["longitude"], got[ticket]["coords_outside_bangkok"]) == (
            None,
            None,
            None,
        ), ticket
    assert (got["2022-SWAPPD"]["latitude"], got["2022-SWAPPD"]["coords_swapped_in_source"]) == (13.81234, 1)
    assert "4 tickets without coordinates" in result.output


@pytest.mark.parametrize(
    "name, write",
    [
        ("search_offset_0.json", lambda answer: json.dumps(answer, indent=4)),  # as delivered: \u escapes
        ("search_offset_0.json", lambda answer: json.dumps(answer, ensure_ascii=False, separators=(",", ":"))),
        ("search_offset_0.json.gz", lambda answer: json.dumps(answer, indent=4)),
        ("search_offset_0.JSON.GZ", lambda answer: json.dumps(answer, ensure_ascii=False)),
        ("search_offset_0.json", lambda answer: "\ufeff" + json.dumps(answer, ensure_ascii=False)),  # a BOM
        ("search_offset_0.json", lambda answer: json.dumps(answer, ensure_ascii=False).encode("cp874", "replace")),
    ],
)
def test_page_formats_read_alike(tmp_path, runner, name, write):
    answer = page([record("2022-FORMAT", comment="ไฟดับทั้งซอย มืดมาก")])
    datasets = datasets_with_pages(tmp_path, {name: write(answer)})
    db = tmp_path / "x.db"
    result = build(runner, datasets, db)
    assert result.exit_code == 0, result.output
    (got,) = rows(db, "select ticket_id, comment, types, district_code from complaints")
    assert got == {
        "ticket_id": "2022-FORMAT",
        "comment": "ไฟดับทั้งซอย มืดมาก",
        "types": '["ถนน"]',
        "district_code": "1006",
    }


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            '{\n    "status": true,\n    "total": 192125,\n    "results": [\n        {\n            "message_id": "29',
            "search_offset_950.json::: source-error: the page is not JSON (Unterminated string",
        ),
        ("<html><body>502 Bad Gateway</body></html>", "search_offset_950.json::: source-error: the page is not JSON"),
        (
            json.dumps({"status": True, "total": 3}),
            (
                "search_offset_950.json::: source-error: the page is not an answer "
                'of the search API: it has no "results" list'
            ),
        ),
        (
            json.dumps({"status": False, "results": []}),
            ('search_offset_950.json::: source-error: the API answered this page with "status": false'),
        ),
    ],
)
def test_a_page_that_cannot_be_read_is_an_error_and_publishes_nothing(tmp_path, runner, content, expected):
    good = page([record("2022-GOOD01")])
    datasets = datasets_with_pages(tmp_path, {"search_offset_0.json": good, "search_offset_950.json": good})
    db = tmp_path / "x.db"
    assert build(runner, datasets, db).exit_code == 0
    published = db.read_bytes()
    write_page(datasets / "complaints" / "traffy_api" / "search_offset_950.json", content)
    result = build(runner, datasets, db)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert db.read_bytes() == published


def test_a_gzip_page_that_is_not_gzip_is_an_error(tmp_path, runner):
    datasets = datasets_with_pages(tmp_path, {"search_offset_0.json": page([record("2022-GOOD01")])})
    (datasets / "complaints" / "traffy_api" / "search_offset_950.json.gz").write_bytes(b'{"status": true}')
    result = build(runner, datasets, tmp_path / "x.db")
    assert result.exit_code == 1
    assert "search_offset_950.json.gz::: source-error: the file is not gzip" in result.output


def test_a_file_that_is_no_page_is_reported_not_read(tmp_path, runner):
    datasets = datasets_with_pages(tmp_path, {"search_offset_0.json": page([record("2022-GOOD01")])})
    (datasets / "complaints" / "traffy_api" / "notes.txt").write_text("fetched by hand", encoding="utf-8")
    result = build(runner, datasets, tmp_path / "x.db")
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and '"notes.txt" is not a page of the API' in result.output


def test_a_record_that_is_no_object_is_rejected(tmp_path, runner):
    datasets = datasets_with_pages(tmp_path, {"search_offset_0.json": page([record("2022-GOOD01"), ["x"], None])})
    db = tmp_path / "x.db"
    result = build(runner, datasets, db)
    assert result.exit_code == 0, result.output
    assert [(r["source_line"], r["reason"]) for r in rows(db, "select * from complaints_rejected")] == [
        (2, "record is not a JSON object"),
        (3, "record is not a JSON object"),
    ]


def test_validate_names_a_page_of_the_folder(tmp_path, runner):
    """`openbkk validate <page>` checks the folder the page belongs to and shows that page's problems."""
    datasets = datasets_with_pages(
        tmp_path,
        {
            "search_offset_0.json": page([record("2022-GOOD01")]),
            "search_offset_950.json": '{"status": true, "results": [',
        },
    )
    broken = datasets / "complaints" / "traffy_api" / "search_offset_950.json"
    result = runner.invoke(cli, ["validate", "--datasets", str(datasets), str(broken)])
    assert result.exit_code == 1, result.output
    assert f"{broken}::: source-error: the page is not JSON" in result.output
