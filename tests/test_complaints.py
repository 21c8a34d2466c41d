"""Complaints: the Traffy Fondue dump adapter on the synthetic sample and on a dump it has not seen,
PDPA in the built database, Thai search, derived statistics, pages and canned queries (on the
synthetic sample, whose dirt is known: the real tickets are tested in test_real_complaints.py)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from openbangkok.adapters.traffy.dump_csv import COLUMNS
from openbangkok.adapters.traffy.parse import parse_coords, parse_set, parse_time
from openbangkok.cli import cli
from openbangkok.model.catalog import load_catalog
from openbangkok.model.site_metadata import DATABASE
from openbangkok.model.sql_functions import register
from openbangkok.pipeline.check import validate
from openbangkok.thai import conversions as thai
from openbangkok.thai.redact import EMAIL_RE, find_personal_data

from .conftest import GENERATOR, copy_datasets, with_synthetic_complaints

DATA = Path(__file__).parent / "data"

# --- a dump written here, not by the generator --------------------------------------------------

PHONES = ["081-234-5678", "0898765432", "+66 91 234 5678", "02-123-4567", "๐๘๑๒๓๔๕๖๗๘"]
NATIONAL_IDS = ["3100600234561", "1-1005-00987-65-1"]
EMAILS = ["somchai.k@gmail.com", "noi_99@hotmail.co.th"]


def ticket(ticket_id, **cells):
    row = {
        "ticket_id": ticket_id,
        "type": "{ถนน}",
        "organization": "{สำนักงานเขตบางกะปิ}",
        "comment": "ถนนเป็นหลุม",
        "photo": "https://example.org/a.jpg",
        "photo_after": "",
        "coords": "100.64471,13.76591",
        "address": "ถนนลาดพร้าว แขวงคลองจั่น เขตบางกะปิ กรุงเทพมหานคร 10240",
        "subdistrict": "คลองจั่น",
        "district": "บางกะปิ",
        "province": "กรุงเทพมหานคร",
        "timestamp": "2023-03-01 02:03:04.5+00",
        "state": "เสร็จสิ้น",
        "star": "4.0",
        "count_reopen": "0",
        "last_activity": "2023-03-03 14:03:04.123456+00",
    }
    row.update(cells)
    return [row[c] for c in COLUMNS]


UNSEEN = [
    ticket("2023-MULTI1", type='{ถนน,ทางเท้า,"ป้ายจราจร"}', organization='{สำนักงานเขตบางกะปิ,"ฝ่ายโยธา เขตบางกะปิ"}'),
    ticket("2023-NOTYPE", type="{}", organization="{}"),
    ticket("2023-BLANKT", type="", comment="ไฟดับทั้งซอย มืดมาก"),
    ticket("2023-NOCRDS", coords=""),
    ticket("2023-PARENS", coords="(100.52345,13.73456)", district="เขตปทุมวัน", province="จังหวัดกรุงเทพมหานคร"),
    ticket("2023-LATFST", coords="13.81234,100.56789", district="จตุจักร", province="กทม."),
    ticket("2023-FARAWY", coords="98.98765,18.78901", province="Bangkok"),
    ticket(
        "2023-NONTHA",
        coords="100.49876,13.91234",
        district="ปากเกร็ด",
        province="นนทบุรี",
        subdistrict="ปากเกร็ด",
        address="ถนนแจ้งวัฒนะ ปากเกร็ด นนทบุรี 11120",
    ),
    ticket("2023-NONTH2", coords="100.51234,13.86543", district="เมืองนนทบุรี", province="จ.นนทบุรี"),
    ticket("2023-TYPO01", district="บางกะปี", province="กรุงเทพฯ"),
    ticket("2023-TYPO02", district="ลาดพร้า", province="กทม"),
    ticket("2023-PHONE1", comment=f"โทร {PHONES[0]} หรือ {PHONES[1]} ด่วน"),
    ticket("2023-PHONE2", comment=f"ติดต่อ {PHONES[2]}", address=f"บ้านเลขที่ 99/123 โทร {PHONES[3]}"),
    ticket(
        "2023-PHONE3",
        comment=f"เบอร์ {PHONES[4]} ค่ะ",
        photo="https://storage.example.org/attachment/2023-03/3f0812345679ab.jpg",
        photo_after=f"https://example.org/p.jpg?by={EMAILS[0]}&tel=0898765433",
    ),
    ticket("2023-IDCARD", comment=f"บัตรประชาชน {NATIONAL_IDS[0]} และ {NATIONAL_IDS[1]}"),
    ticket("2023-EMAIL1", comment=f"อีเมล {EMAILS[0]}", address=f"ส่งเอกสารที่ {EMAILS[1]}"),
    ticket("2023-HTML01", comment="<script>alert('x')</script><b>ขยะ</b>ล้นถัง"),
    ticket("2023-FORMUL", comment="=cmd|' /C calc'!A0 ขยะล้น", address="+SUM(1,2)"),
    ticket("2023-NEWLIN", comment='น้ำท่วมขัง\nหน้าบ้าน, "ด่วน"\nโทร 0812345678'),
    ticket("2023-FORWRD", state="ส่งต่อ"),
    ticket("2023-ODDST1", state="ไม่เกี่ยวข้อง", last_activity="2023-03-02 00:00:00+00"),
    ticket("2023-ODDST2", state="NEW STATE FROM 2026"),
    ticket("2023-BLANKS", state="", star="", count_reopen=""),
    ticket("2023-FISCAL", timestamp="2023-09-30 18:00:00+00", last_activity="2023-10-01 06:00:00.1+00"),
    ticket("2023-OFFSET", timestamp="2023-01-01 07:00:00+07"),
    ticket("2023-BADTIM", timestamp="yesterday", star="six", last_activity="โทร 0898765432"),
    ticket("2023-UNKTYP", type="{ถนน,ประเภทใหม่}"),
    ticket("2023-MULTI1", comment="a duplicate submission"),
    ticket("", comment="no ticket id"),
    ["2023-SHORT1", "{ถนน}", "{}", f"โทร {PHONES[1]}"],
    ticket("2023-LONG01") + ["an extra cell"],
    ticket("086-123-4567", comment="a phone number where the ticket id belongs"),
]
PERSONAL_TICKET_ID = "086-123-4567"
PUBLISHED_IDS = {r[0] for r in UNSEEN if len(r) == len(COLUMNS) and r[0]} - set()
PII = PHONES + NATIONAL_IDS + EMAILS + ["0812345678", PERSONAL_TICKET_ID]


def write_dump(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")  # as exported on Windows, for good measure
        writer.writerow(COLUMNS)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def unseen_datasets(tmp_path_factory) -> Path:
    """reference + complaints, with the dump above in place of the sample."""
    root = copy_datasets(tmp_path_factory.mktemp("unseen"), "reference", "complaints")
    write_dump(with_synthetic_complaints(root, rows=0), UNSEEN)
    return root


@pytest.fixture(scope="module")
def unseen_build(unseen_datasets, tmp_path_factory):
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("unseen-build") / "openbangkok.db"
    result = CliRunner().invoke(cli, ["build", "--datasets", str(unseen_datasets), "--out", str(out), "--full"])
    assert result.exit_code == 0, result.output
    return out, result.output


def rows(db: Path, sql: str, params=()):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    register(conn)
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_unseen_dump_every_ticket_published_or_rejected(unseen_build):
    db, output = unseen_build
    published = {r["ticket_id"] for r in rows(db, "select ticket_id from complaints")}
    rejected = rows(db, "select * from complaints_rejected order by source_row")
    written = [r[0] for r in UNSEEN]
    for ticket_id in filter(None, written[:-1]):
        assert (
            ticket_id in published
            or ticket_id in {r["ticket_id"] for r in rejected}
            or ticket_id in {r["raw_record"].split(",")[0] for r in rejected}
        ), ticket_id
    assert len(published) + len(rejected) == len(UNSEEN)
    reasons = {r["source_row"]: r["reason"] for r in rejected}
    assert any(r.startswith("duplicate ticket_id (first in row 2)") for r in reasons.values())
    assert "no ticket_id" in reasons.values()
    assert sum(r.startswith("unparseable row") for r in reasons.values()) == 2
    assert "ticket_id looks like personal data" in reasons.values()
    assert PERSONAL_TICKET_ID not in published | {r["ticket_id"] for r in rejected}
    assert PERSONAL_TICKET_ID not in " ".join(r["raw_record"] for r in rejected)
    assert published == {r[0] for r in UNSEEN[:-5]}
    assert f"{len(UNSEEN)} rows read = {len(published)} published in complaints + {len(rejected)} rejected" in output
    files = rows(db, "select * from build_files where table_name = 'complaints'")[0]
    assert (files["rows_read"], files["rows_published"], files["rows_rejected"]) == (
        len(UNSEEN),
        len(published),
        len(rejected),
    )


def test_unseen_dump_types_coords_places(unseen_build):
    db, _ = unseen_build
    got = {r["ticket_id"]: r for r in rows(db, "select * from complaints")}
    assert json.loads(got["2023-MULTI1"]["types"]) == ["ถนน", "ทางเท้า", "ป้ายจราจร"]
    assert json.loads(got["2023-MULTI1"]["organizations"]) == ["สำนักงานเขตบางกะปิ", "ฝ่ายโยธา เขตบางกะปิ"]
    assert json.loads(got["2023-NOTYPE"]["types"]) == [] == json.loads(got["2023-BLANKT"]["types"])
    assert json.loads(got["2023-UNKTYP"]["types"]) == ["ถนน", "ประเภทใหม่"]
    # latitude and longitude the right way round, whatever the dump did
    assert (got["2023-MULTI1"]["latitude"], got["2023-MULTI1"]["longitude"]) == (13.76591, 100.64471)
    assert (got["2023-PARENS"]["latitude"], got["2023-PARENS"]["longitude"]) == (13.73456, 100.52345)
    assert (got["2023-LATFST"]["latitude"], got["2023-LATFST"]["longitude"]) == (13.81234, 100.56789)
    assert got["2023-LATFST"]["coords_swapped_in_source"] == 1
    assert got["2023-NOCRDS"]["latitude"] is None and got["2023-NOCRDS"]["coords_outside_bangkok"] is None
    assert got["2023-FARAWY"]["coords_outside_bangkok"] == 1 and got["2023-FARAWY"]["latitude"] == 18.78901
    assert got["2023-MULTI1"]["coords_outside_bangkok"] == 0
    # provinces and districts
    assert got["2023-NONTHA"]["district_code"] is None and got["2023-NONTHA"]["province"] == "นนทบุรี"
    assert got["2023-NONTH2"]["province_code"] == "12" and got["2023-NONTH2"]["district_code"] is None
    assert got["2023-PARENS"]["district_code"] == "1007"
    assert got["2023-LATFST"]["district_code"] == "1030" and got["2023-LATFST"]["province"] == "กรุงเทพมหานคร"
    assert got["2023-TYPO01"]["district_code"] == "1006" and got["2023-TYPO02"]["district_code"] == "1038"
    assert got["2023-FARAWY"]["province_code"] == "10"


def test_unseen_dump_times_states(unseen_build):
    db, output = unseen_build
    got = {r["ticket_id"]: r for r in rows(db, "select * from complaints")}
    first = got["2023-MULTI1"]
    assert first["timestamp"] == "2023-03-01T02:03:04+00:00"
    assert first["last_activity"] == "2023-03-03T14:03:04+00:00"
    assert first["days_to_last_activity"] == 2.5
    assert (first["reported_month"], first["fiscal_year_ce"], first["fiscal_year_be"]) == ("2023-03", 2023, 2566)
    fiscal = got["2023-FISCAL"]  # 01:00 on 1 October in Bangkok
    assert (fiscal["reported_month"], fiscal["fiscal_year_ce"], fiscal["fiscal_year_be"]) == ("2023-10", 2024, 2567)
    assert got["2023-OFFSET"]["timestamp"] == "2023-01-01T00:00:00+00:00"
    assert got["2023-BADTIM"]["timestamp"] is None and got["2023-BADTIM"]["star"] is None
    assert got["2023-ODDST1"]["days_to_last_activity"] is None  # only finished tickets
    assert got["2023-ODDST2"]["state"] == "NEW STATE FROM 2026" and got["2023-ODDST2"]["state_en"] == "other"
    assert got["2023-FORWRD"]["state_en"] == "forwarded"
    assert got["2023-BLANKS"]["state"] is None and got["2023-BLANKS"]["count_reopen"] is None
    assert "warning:" in output and '"NEW STATE FROM 2026"' in output and '"ประเภทใหม่"' in output
    assert got["2023-NEWLIN"]["comment"].startswith('น้ำท่วมขัง\nหน้าบ้าน, "ด่วน"\n')
    assert got["2023-HTML01"]["comment"] == "<script>alert('x')</script><b>ขยะ</b>ล้นถัง"
    assert got["2023-FORMUL"]["comment"].startswith("=cmd|")


COMPLAINTS_TABLES = {
    "complaints",
    "complaints_rejected",
    "hotline_1555_monthly",
    "complaints_by_district_month_type",
    "complaints_median_days",
    "complaints_district_summary",
    "complaints_top_districts_by_type",
}


def all_text(db: Path, only: set[str] | None = None):
    """Every text value in every table of the database (or in the tables `only`, and their rows of
    the build's own tables)."""
    conn = sqlite3.connect(db)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "select name from sqlite_master where type = 'table' "
                "and name not like 'sqlite_%' and sql not like 'create virtual%'"
            )
        ]
        for table in tables:
            columns = [r[1] for r in conn.execute(f"pragma table_info([{table}])")]
            if only is not None and table not in only and "table_name" not in columns:
                continue
            for row in conn.execute(f"select * from [{table}]"):
                if only is not None and table not in only and row[columns.index("table_name")] not in only:
                    continue
                for value in row:
                    if isinstance(value, str):
                        yield table, value
    finally:
        conn.close()


def personal_data_in(value: str) -> list[str]:
    """As redaction sees it: the path of a URL may hold digits (file names), never an e-mail; a
    SHA-256 digest (build_files, build_datasets) is no phone number even when its digits look like one."""
    if re.fullmatch(r"[0-9a-f]{64}", value):
        return []
    if value.startswith(("https://", "http://")) and " " not in value:
        path, _, query = value.partition("?")
        return find_personal_data(query) + (["email"] if EMAIL_RE.search(path) else [])
    return find_personal_data(value)


def assert_no_personal_data(db: Path, known: list[str] = (), only: set[str] | None = None):
    leaks = [(table, value[:80]) for table, value in all_text(db, only) if personal_data_in(value)]
    assert leaks == []
    raw = db.read_bytes()
    for value in known:
        digits = "".join(str(int(c)) for c in value if c.isdigit())
        forms = {value, thai.arabic_digits(value)} | ({digits} if len(digits) >= 9 else set())
        for form in forms:
            assert form.encode() not in raw, form


def test_unseen_dump_no_personal_data_anywhere(unseen_build):
    db, output = unseen_build
    assert_no_personal_data(db, PII)
    got = {r["ticket_id"]: r for r in rows(db, "select * from complaints")}
    assert got["2023-PHONE1"]["comment"] == "โทร [โทรศัพท์] หรือ [โทรศัพท์] ด่วน"
    assert got["2023-PHONE2"]["address"] == "บ้านเลขที่ 99/123 โทร [โทรศัพท์]"
    assert got["2023-IDCARD"]["comment"] == "บัตรประชาชน [เลขบัตรประชาชน] และ [เลขบัตรประชาชน]"
    assert got["2023-EMAIL1"]["address"] == "ส่งเอกสารที่ [อีเมล]"
    assert got["2023-PHONE3"]["photo"].endswith("/3f0812345679ab.jpg")  # a file name, not a phone number
    assert got["2023-PHONE3"]["photo_after"] == "https://example.org/p.jpg?by=[อีเมล]&tel=[โทรศัพท์]"
    assert "PDPA redaction: 10 phone [โทรศัพท์], 2 national id [เลขบัตรประชาชน], 3 email [อีเมล]" in output


def test_personal_data_never_reaches_staging(unseen_datasets, tmp_path):
    staged = validate(load_catalog(unseen_datasets), tmp_path / "work", datasets={"reference", "complaints"})
    assert staged.report.ok
    assert staged.stats["complaints"]["redactions"] == {"phone": 10, "national_id": 2, "email": 3}
    assert_no_personal_data(staged.db_path, PII)


def test_missing_column_is_an_error(unseen_datasets, tmp_path, runner):
    broken = tmp_path / "datasets"
    shutil.copytree(unseen_datasets, broken)
    path = broken / "complaints" / "traffy_fondue.csv"
    text = path.read_text(encoding="utf-8").replace("count_reopen", "reopened", 1)
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["build", "--datasets", str(broken), "--out", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert "traffy_fondue.csv:1:count_reopen: missing-label" in result.output


def cut_rows(text: str) -> str:
    """The dump with every data row cut to its first ten cells."""
    records = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([records[0]] + [r[:10] for r in records[1:]])
    return out.getvalue()


def test_a_header_with_personal_data_is_published_redacted(unseen_datasets, tmp_path, runner):
    """An extra column is reported by its name (a warning kept in build_files): redacted there too."""
    broken = tmp_path / "datasets"
    shutil.copytree(unseen_datasets, broken)
    path = broken / "complaints" / "traffy_fondue.csv"
    records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    records = [records[0] + [f"ผู้แจ้ง {EMAILS[0]}"]] + [r + [""] for r in records[1:]]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(records)
    path.write_text(out.getvalue(), encoding="utf-8")
    db = tmp_path / "x.db"
    result = runner.invoke(cli, ["build", "--datasets", str(broken), "--out", str(db)])
    assert result.exit_code == 0, result.output
    (files,) = rows(db, "select warnings from build_files where table_name = 'complaints'")
    assert 'the column "ผู้แจ้ง [อีเมล]" is not part of the dump format' in files["warnings"]
    assert_no_personal_data(db, PII)


@pytest.mark.parametrize(
    "damage, expected",
    [
        # only the header: the published tickets would all be replaced by none
        (
            lambda text: text.splitlines(keepends=True)[0],
            "traffy_fondue.csv::: table-dimensions: the file has a header but no data rows",
        ),
        # a comma at the end of the header line: every row would be one cell short, and rejected
        (
            lambda text: text.replace("last_activity\n", "last_activity,\n", 1),
            "traffy_fondue.csv:1:: blank-label: the header has an empty column name (column 17)",
        ),
        # every row cells short: nothing could be published
        (cut_rows, "traffy_fondue.csv::: table-dimensions: none of the"),
        # saved with semicolons
        (
            lambda text: "".join(";".join(r) + "\n" for r in csv.reader(io.StringIO(text))),
            "traffy_fondue.csv:1:: format-error: the columns are separated by semicolons",
        ),
    ],
)
def test_a_dump_that_would_publish_no_ticket_is_an_error(unseen_datasets, tmp_path, runner, damage, expected):
    broken = tmp_path / "datasets"
    shutil.copytree(unseen_datasets, broken)
    path = broken / "complaints" / "traffy_fondue.csv"
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = runner.invoke(cli, ["build", "--datasets", str(broken), "--out", str(tmp_path / "x.db")])
    assert result.exit_code == 1, result.output
    assert expected in result.output, result.output


# --- the synthetic sample ----------------------------------------------------------------------


def test_sample_reconciles_and_is_labelled(synthetic_db):
    files = rows(synthetic_db, "select * from build_files where table_name = 'complaints'")[0]
    published = rows(synthetic_db, "select count(*) as n from complaints")[0]["n"]
    rejected = rows(synthetic_db, "select count(*) as n from complaints_rejected")[0]["n"]
    assert 2000 <= files["rows_read"] == published + rejected
    assert files["rows_rejected"] == rejected > 0
    assert rows(synthetic_db, "select count(*) as n from complaints where is_illustrative != 1")[0]["n"] == 0
    hotline = rows(synthetic_db, "select count(*) as n, sum(is_illustrative) as labelled from hotline_1555_monthly")[0]
    assert hotline["n"] == hotline["labelled"] > 0


def test_sample_has_the_known_dirt(synthetic_db):
    (stats,) = rows(
        synthetic_db,
        """
        select sum(types = '[]') as no_type, sum(json_array_length(types) > 1) as multi_type,
               sum(latitude is null) as no_coords, sum(coords_swapped_in_source) as swapped,
               sum(province_code = '12') as nonthaburi, sum(district_code is null) as no_district,
               sum(state_en = 'other') as odd_state, sum(comment like '%[โทรศัพท์]%') as phones,
               sum(comment like '%' || char(10) || '%') as newlines, sum(comment like '<%') as html
        from complaints""",
    )
    assert all(v > 0 for v in stats.values()), stats


def test_sample_database_holds_no_personal_data(synthetic_db):
    """The complaints tables (other datasets publish official office phone numbers, which is fine)."""
    assert_no_personal_data(synthetic_db, only=COMPLAINTS_TABLES)


def test_derived_statistics_add_up(synthetic_db):
    total = rows(synthetic_db, "select count(*) as n from complaints where district_code is not null")[0]["n"]
    summary = rows(synthetic_db, "select sum(tickets) as n, count(*) as districts from complaints_district_summary")[0]
    assert summary == {"n": total, "districts": 50}
    per_type = rows(
        synthetic_db,
        """select sum(tickets) as n from complaints_by_district_month_type
                                 where district_code is not null""",
    )[0]["n"]
    typed = rows(
        synthetic_db,
        """select sum(max(json_array_length(types), 1)) as n from complaints
                              where district_code is not null""",
    )[0]["n"]
    assert per_type == typed
    (check,) = rows(
        synthetic_db,
        """
        select m.median_days_to_last_activity as median, m.finished_tickets as n from complaints_median_days m
        where m.district_code = '1006' and m.type = '(ทุกประเภท / all types)'""",
    )
    days = sorted(
        r["d"]
        for r in rows(
            synthetic_db,
            """select days_to_last_activity as d from complaints
                                                   where district_code = '1006' and d is not null""",
        )
    )
    middle = (days[(len(days) - 1) // 2] + days[len(days) // 2]) / 2
    assert check == {"median": round(middle, 2), "n": len(days)}
    top = rows(synthetic_db, "select * from complaints_top_districts_by_type where type = 'ถนน' order by rank")
    assert top[0]["rank"] == 1 and top[0]["tickets"] >= top[-1]["tickets"]


# --- Thai search ------------------------------------------------------------------------------

QUERIES = yaml.safe_load((DATA / "thai_search_queries.yaml").read_text(encoding="utf-8"))


def expected_matches(texts: dict[str, list[str]], query: str) -> set[str]:
    """Tickets whose comment, address or a type holds every word of the query (plain substrings)."""
    words = [w for w in thai.arabic_digits(unicodedata.normalize("NFC", query)).strip('"').split()]
    if query.startswith('"'):
        words = [query.strip('"')]
    return {ticket for ticket, fields in texts.items() if all(any(w in f for f in fields) for w in words)}


async def search(ds, query: str) -> set[str]:
    found, url = set(), f"/{DATABASE}/complaints.json"
    params = {"_search": query, "_size": "max", "_col": "ticket_id", "_shape": "objects"}
    while url:
        data = (await ds.client.get(url, params=params)).json()
        assert "error" not in data or not data["error"], data
        found |= {r["ticket_id"] for r in data["rows"]}
        url, params = data.get("next_url"), None
        if url:
            url = url.split("://", 1)[-1].split("/", 1)[1]
            url = "/" + url
    return found


async def test_search_finds_a_two_letter_word_inside_a_run(synthetic_ds, synthetic_db):
    (row,) = rows(synthetic_db, "select ticket_id from complaints where comment like '%ไฟดับ%' limit 1")
    assert row["ticket_id"] in await search(synthetic_ds, "ไฟ")
    page = await synthetic_ds.client.get(f"/{DATABASE}/complaints", params={"_search": "ไฟ"})
    assert page.status_code == 200 and 'value="ไฟ"' in page.text


async def test_a_blank_search_is_no_search_and_punctuation_is_refused(synthetic_ds):
    """A lone quote in the search box gave FTS5's raw "syntax error"; then it silently showed every row.
    A blank box is no search; a search of no letter or digit is a 400 saying so."""
    everything = (await synthetic_ds.client.get(f"/{DATABASE}/complaints.json?_size=0")).json()[
        "filtered_table_rows_count"
    ]
    for typed in (" ", "   "):
        response = await synthetic_ds.client.get(
            f"/{DATABASE}/complaints.json", params={"_search": typed, "_size": "0"}
        )
        assert response.status_code == 200 and response.json()["filtered_table_rows_count"] == everything, typed
    for typed in ('"', '""', "*", "  -  "):
        response = await synthetic_ds.client.get(
            f"/{DATABASE}/complaints.json", params={"_search": typed, "_size": "0"}
        )
        assert response.status_code == 400 and "no letter or digit" in response.json()["error"], typed
        page = await synthetic_ds.client.get(f"/{DATABASE}/complaints", params={"_search": typed})
        assert page.status_code == 400 and "ไม่มีตัวอักษรหรือตัวเลข" in page.text, typed


async def test_the_search_index_storage_has_no_pages(synthetic_ds):
    """FTS5's shadow tables (blobs) were reachable from "hidden tables", their row links 404s."""
    database_page = (await synthetic_ds.client.get(f"/{DATABASE}")).text
    for shadow in ("data", "idx", "docsize", "config"):
        assert (await synthetic_ds.client.get(f"/{DATABASE}/complaints_fts_{shadow}")).status_code == 403
        assert f"complaints_fts_{shadow}" not in database_page
    found = await synthetic_ds.client.get(f"/{DATABASE}/complaints.json", params={"_search": "ไฟ", "_size": "0"})
    assert found.json()["filtered_table_rows_count"] > 0


@pytest.mark.slow
async def test_search_recall_and_precision(synthetic_ds, synthetic_db):
    assert len(QUERIES) >= 100
    texts = {
        r["ticket_id"]: [r["comment"] or "", r["address"] or "", *json.loads(r["types"])]
        for r in rows(synthetic_db, "select ticket_id, comment, address, types from complaints")
    }
    texts = {k: [thai.arabic_digits(unicodedata.normalize("NFC", f)) for f in v] for k, v in texts.items()}
    true_positive = expected_total = found_total = 0
    misses = []
    for query in QUERIES:
        expected = expected_matches(texts, query)
        assert expected, f"{query!r} matches nothing in the sample: not a useful test query"
        found = await search(synthetic_ds, query)
        true_positive += len(found & expected)
        expected_total += len(expected)
        found_total += len(found)
        if found != expected:
            misses.append((query, len(expected - found), len(found - expected)))
    recall, precision = true_positive / expected_total, true_positive / found_total
    print(
        f"\nThai search over {len(QUERIES)} queries: recall {recall:.4f}, precision {precision:.4f}; "
        f"queries not exact: {misses}"
    )
    assert recall >= 0.95
    assert precision >= 0.95


async def test_search_without_thai_is_datasette_own(synthetic_ds):
    from datasette.utils import escape_fts

    from openbangkok.thai.search import search_escape

    for query in ("PM2.5", 'a "b c" d', "x*", ""):
        assert search_escape(query) == (escape_fts(query) if query else query)
    # on the site, escape_fts() is the Thai-aware one (openbangkok/hooks/thai_search.py), for any FTS table
    response = await synthetic_ds.client.get(f"/{DATABASE}.json", params={"sql": "select escape_fts('ไฟดับ x') as q"})
    assert response.json()["rows"] == [['("ไฟ ฟด ดั ับ" OR "ไฟดับ") AND "x"']]


# --- pages and canned queries -----------------------------------------------------------------


async def test_ticket_page_and_facets(synthetic_ds, synthetic_db):
    (row,) = rows(synthetic_db, "select ticket_id from complaints limit 1")
    page = await synthetic_ds.client.get(f"/{DATABASE}/complaints/{row['ticket_id']}")
    assert page.status_code == 200 and row["ticket_id"] in page.text
    data = (await synthetic_ds.client.get(f"/{DATABASE}/complaints.json", params={"_size": 1})).json()
    assert {"district_code", "state", "types"} <= set(data["facet_results"])
    assert "sorted by timestamp descending" in data["human_description_en"]
    listing = await synthetic_ds.client.get(f"/{DATABASE}/complaints")
    assert "ILLUSTRATIVE" in listing.text and "datasette-cluster-map" in listing.text


async def test_canned_queries(synthetic_ds, synthetic_db):
    def get(name, **params):
        return synthetic_ds.client.get(f"/{DATABASE}/{name}.json", params={"_shape": "array", **params})

    league = (await get("complaints_district_league", month="2023-06")).json()
    assert len(league) == 50 and league[0]["rank"] == 1 and league[0]["month"] == "2023-06"
    expected = rows(
        synthetic_db,
        "select count(*) as n from complaints where reported_month = '2023-06' and district_code is not null",
    )[0]["n"]
    assert sum(r["tickets"] for r in league) == expected

    near = (await get("complaints_near_point", latitude="13.75", longitude="100.55", radius_m="3000")).json()
    assert near and all(r["distance_m"] <= 3000 for r in near)
    assert [r["distance_m"] for r in near] == sorted(r["distance_m"] for r in near)
    inside = rows(
        synthetic_db, "select count(*) as n from complaints where haversine(13.75, 100.55, latitude, longitude) <= 3000"
    )
    assert len(near) == inside[0]["n"]

    # more than a page: Datasette cuts at max_returned_rows and says so (a limit in the SQL said nothing)
    wide = (
        await synthetic_ds.client.get(
            f"/{DATABASE}/complaints_near_point.json",
            params={"latitude": "13.75", "longitude": "100.5", "radius_m": "40000"},
        )
    ).json()
    within = rows(
        synthetic_db, "select count(*) as n from complaints where haversine(13.75, 100.5, latitude, longitude) <= 40000"
    )
    assert within[0]["n"] > len(wide["rows"]) == synthetic_ds.setting("max_returned_rows") and wide["truncated"]

    old = (await get("complaints_unresolved", days="30", as_of="2024-01-01", district_code="1006")).json()
    assert old and all(r["state"] != "เสร็จสิ้น" and r["days_open"] > 30 and r["district"] == "เขตบางกะปิ" for r in old)


# --- pieces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, want",
    [
        ("{ถนน,ทางเท้า}", ["ถนน", "ทางเท้า"]),
        ("{}", []),
        ("", []),
        ('{"PM2.5","ป้าย จราจร",ถนน}', ["PM2.5", "ป้าย จราจร", "ถนน"]),
        ("{ถนน,ถนน}", ["ถนน"]),
        ("ถนน", ["ถนน"]),
    ],
)
def test_parse_set(text, want):
    assert parse_set(text) == want


@pytest.mark.parametrize(
    "text, want",
    [
        ("100.5,13.7", (13.7, 100.5, None)),
        ("(100.5,13.7)", (13.7, 100.5, "parentheses")),
        ("13.7,100.5", (13.7, 100.5, "swapped")),
        ("", (None, None, None)),
        ("abc", (None, None, "unreadable")),
        ("100.5, 13.7", (13.7, 100.5, None)),
        ("100.5 13.7", (13.7, 100.5, None)),
        ("nan,nan", (None, None, "unreadable")),
    ],
)
def test_parse_coords(text, want):
    assert parse_coords(text) == want


def test_parse_time_fractions():
    for text in (
        "2022-06-04 15:34:14+00",
        "2022-06-04 15:34:14.9+00",
        "2022-06-04 15:34:14.955151+00",
        "2022-06-04 15:34:14.1234567+00:00",
        "2022-06-04T15:34:14Z",
        "2022-06-04 22:34:14+07",
    ):
        assert parse_time(text).replace(microsecond=0).isoformat() == "2022-06-04T15:34:14+00:00", text
    assert parse_time("") is None and parse_time("not a time") is None


def test_generator_is_seeded_streaming_and_in_the_dump_format(tmp_path):
    run = [sys.executable, str(GENERATOR), "--rows", "300", "--seed", "5"]
    first = subprocess.run(run, capture_output=True, check=True).stdout
    second = subprocess.run([*run, "--out", str(tmp_path / "x.csv")], capture_output=True, check=True)
    assert second.returncode == 0 and (tmp_path / "x.csv").read_bytes() == first
    records = list(csv.reader(io.StringIO(first.decode("utf-8"))))
    assert records[0] == list(COLUMNS) and len(records) == 301


def test_every_statistic_says_how_many_of_its_tickets_are_samples(synthetic_db):
    """The statistics tables carried no mark that they were computed from illustrative tickets."""
    samples = rows(synthetic_db, "select count(*) as n from complaints where is_illustrative = 1")[0]["n"]
    assert samples > 0
    by_district = rows(synthetic_db, "select sum(illustrative_tickets) as n from complaints_district_summary")[0]["n"]
    in_bangkok = rows(
        synthetic_db, "select count(*) as n from complaints where is_illustrative = 1 and district_code is not null"
    )[0]["n"]
    assert by_district == in_bangkok
    for table, counted in (
        ("complaints_by_district_month_type", "tickets"),
        ("complaints_median_days", "finished_tickets"),
        ("complaints_top_districts_by_type", "tickets"),
    ):
        wrong = rows(
            synthetic_db,
            f"select count(*) as n from {table} where illustrative_tickets is null or illustrative_tickets > {counted}",
        )[0]["n"]
        assert wrong == 0, table
    per_month = rows(
        synthetic_db,
        "select type, sum(illustrative_tickets) as n from complaints_by_district_month_type "
        "where type = 'ถนน' group by type",
    )
    direct = rows(
        synthetic_db,
        "select count(*) as n from complaints, json_each(types) t where t.value = 'ถนน' and is_illustrative = 1",
    )[0]["n"]
    assert per_month and per_month[0]["n"] == direct
