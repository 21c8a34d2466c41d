"""Reference data: the committed CSVs still match geothai and FACTS.md's district groups."""

import csv
from collections import Counter

import geothai

from openbangkok.model.catalog import DEFAULT_DATASETS
from openbangkok.thai.reference import DISTRICT_COLUMNS, district_office_rows, district_rows


def read(name):
    with (DEFAULT_DATASETS / "reference" / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_districts_csv_matches_geothai():
    committed = read("districts.csv")
    assert list(committed[0]) == DISTRICT_COLUMNS
    assert committed == district_rows()
    for row in committed:
        district = geothai.district(row["district_code"])
        assert (district.name_th, district.name_en) == (row["name_th"], row["name_en"])


def test_fifty_districts_in_six_groups():
    committed = read("districts.csv")
    assert [r["district_code"] for r in committed] == [str(code) for code in range(1001, 1051)]
    sizes = Counter(r["district_group_th"] for r in committed)
    assert sizes == {"กรุงเทพกลาง": 9, "กรุงเทพใต้": 10, "กรุงเทพเหนือ": 7, "กรุงเทพตะวันออก": 9, "กรุงธนเหนือ": 8, "กรุงธนใต้": 7}
    by_name = {r["short_name_th"]: r for r in committed}
    assert by_name["บางซื่อ"]["district_group_th"] == "กรุงเทพเหนือ"
    assert by_name["ทวีวัฒนา"]["district_code"] == "1048"
    assert by_name["บางบอน"]["district_code"] == "1050"


def test_district_offices_match_geothai():
    offices = [r for r in read("agencies.csv") if r["kind"] == "district office"]
    assert offices == district_office_rows()
    assert len(offices) == 50
    departments = [r for r in read("agencies.csv") if r["kind"] == "department"]
    assert any(r["name_th"] == "สำนักยุทธศาสตร์และประเมินผล" for r in departments)
