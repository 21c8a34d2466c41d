"""What real Traffy Fondue exports hold, read alike by both adapters (the dump's CSV and the API's
pages): columns in another order, a byte order mark, blank ticket ids, ids without the year prefix,
two spellings of Bangkok, other provinces, multi-line comments and phone numbers written any way.

Each adapter reads one file that has every variant at once (the dump with its header reversed, the
page with its keys reversed, both with a BOM); each test checks one rule on its tickets."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from openbangkok.adapters.traffy.dump_csv import COLUMNS
from openbangkok.cli import cli

from .test_complaints import rows
from .traffy_files import (
    datasets_with_dump,
    datasets_with_pages,
    dump_row,
    page,
    record,
)

TICKETS = [
    record("2022-BKK001", province="กรุงเทพมหานคร", district="บางกะปิ"),
    record(
        "2022-BKK002",
        province="จังหวัดกรุงเทพมหานคร",
        district="เขตปทุมวัน",
        subdistrict="ลุมพินี",
        coords=["100.54321", "13.73210"],
    ),
    record(
        "2022-NONTHA",
        province="นนทบุรี",
        district="ปากเกร็ด",
        subdistrict="ปากเกร็ด",
        coords=["100.49876", "13.91234"],
        address="ถนนแจ้งวัฒนะ ปากเกร็ด นนทบุรี 11120",
    ),
    record(
        "2022-SAMUT1", province="สมุทรปราการ", district="บางพลี", subdistrict="บางพลีใหญ่", coords=["100.70512", "13.60345"]
    ),
    record("", comment="ไม่มีรหัสเรื่อง"),
    record("   ", comment="รหัสเรื่องเป็นช่องว่าง"),
    record("FQPL93", comment="รหัสเรื่องไม่มีปี"),
    record("2022-MULTIL", comment='น้ำท่วมขัง\nหน้าบ้าน, "ด่วน"\n\nขอบคุณค่ะ'),
    record("2022-PHONE1", comment="โทร 0 2322 6688 ค่ะ"),
    record("2022-PHONE2", comment="ติดต่อ 02 294 2394 ได้ตลอด"),
    record("2022-PHONE3", comment="สำนักงาน 02-441-4973 ถึง 84 ในเวลาราชการ"),
    record("2022-PHONE4", comment="โทร 081-234-\n5678 ค่ะ"),
    record("2022-PHONE5", comment="โทร 02\u00a0294\u00a02394 ค่ะ"),
    record("2022-PHONE6", comment="โทร 086  123  4567 ค่ะ"),
    record("2022-CASENO", comment="ตามหนังสือที่ นร 11012345678 แล้ว"),
]


@pytest.fixture(scope="module", params=["dump_csv", "api_pages"])
def built(request, tmp_path_factory):
    """(adapter, published complaints by ticket_id, rejected rows, build output)."""
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "dump_csv":
        datasets = datasets_with_dump(root, [dump_row(t) for t in TICKETS], header=COLUMNS[::-1], bom=True)
    else:
        answer = page([dict(reversed(list(t.items()))) for t in TICKETS])
        datasets = datasets_with_pages(root, {"search_offset_0.json": "\ufeff" + json.dumps(answer, indent=4)})
    db = root / "openbangkok.db"
    result = CliRunner().invoke(cli, ["build", "--datasets", str(datasets), "--out", str(db), "--full"])
    assert result.exit_code == 0, result.output
    published = {r["ticket_id"]: r for r in rows(db, "select * from complaints")}
    return request.param, published, rows(db, "select * from complaints_rejected order by source_row"), result.output


def test_columns_in_another_order_and_a_bom_are_read_by_name(built):
    _, published, _, _ = built
    first = published["2022-BKK001"]
    assert (first["comment"], first["latitude"], first["longitude"], first["state"]) == (
        "ถนนเป็นหลุม",
        13.76591,
        100.64471,
        "เสร็จสิ้น",
    )


def test_blank_ticket_ids_are_rejected_with_their_reason(built):
    _, published, rejected, _ = built
    assert "" not in published
    blank = [r for r in rejected if r["reason"] == "no ticket_id"]
    assert [r["source_row"] for r in blank] == ([6, 7] if built[0] == "dump_csv" else [5, 6])
    assert "ไม่มีรหัสเรื่อง" in blank[0]["raw_record"] and blank[0]["reason_th"] == "ไม่มีรหัสเรื่อง (ticket_id)"
    assert len(published) + len(rejected) == len(TICKETS)


def test_ticket_ids_without_the_year_prefix_are_published_as_written_and_counted(built):
    _, published, _, output = built
    assert published["FQPL93"]["comment"] == "รหัสเรื่องไม่มีปี"
    assert "1 ticket ids without the year prefix (YYYY-), published as written" in output


def test_both_spellings_of_bangkok(built):
    _, published, _, _ = built
    for ticket, district_code in (("2022-BKK001", "1006"), ("2022-BKK002", "1007")):
        got = published[ticket]
        assert (got["province"], got["province_code"], got["district_code"]) == ("กรุงเทพมหานคร", "10", district_code), (
            ticket
        )


def test_tickets_from_other_provinces_are_kept_and_flagged(built):
    _, published, _, output = built
    assert (published["2022-NONTHA"]["province_code"], published["2022-NONTHA"]["district_code"]) == ("12", None)
    assert (published["2022-SAMUT1"]["province_code"], published["2022-SAMUT1"]["district_code"]) == ("11", None)
    assert published["2022-SAMUT1"]["coords_outside_bangkok"] == 0  # inside the box, in another province
    assert "2 tickets from provinces other than Bangkok, kept with an empty district_code" in output


def test_multi_line_comments_keep_their_lines(built):
    _, published, _, _ = built
    assert published["2022-MULTIL"]["comment"] == 'น้ำท่วมขัง\nหน้าบ้าน, "ด่วน"\n\nขอบคุณค่ะ'


@pytest.mark.parametrize(
    "ticket, number",
    [
        ("2022-PHONE1", "023226688"),
        ("2022-PHONE2", "022942394"),
        ("2022-PHONE3", "024414973"),
        ("2022-PHONE4", "0812345678"),  # wrapped at a line break
        ("2022-PHONE5", "022942394"),  # no-break spaces (pasted from a page)
        ("2022-PHONE6", "0861234567"),  # two spaces between the groups
    ],
)
def test_phone_numbers_written_any_way_are_redacted(built, ticket, number):
    _, published, _, _ = built
    comment = published[ticket]["comment"]
    assert "[โทรศัพท์]" in comment
    assert number not in "".join(c for c in comment if c.isdigit())


def test_a_case_number_after_nr_is_no_phone(built):
    _, published, _, _ = built
    assert published["2022-CASENO"]["comment"] == "ตามหนังสือที่ นร 11012345678 แล้ว"
