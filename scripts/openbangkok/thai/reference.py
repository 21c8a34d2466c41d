"""Reference data generated from the geothai package: Bangkok's 50 districts and their offices.

The district groups (กลุ่มเขต) are the six groups of the BMA GIS district layer (its z_code 1-6,
datasets/reference/bma_gis_districts.csv; the build checks that they agree); geothai does not
carry them, so they are the only part written here.
"""

import geothai

BANGKOK_PROVINCE_CODE = "10"
DISTRICT_PREFIX_TH = "เขต"
GEOTHAI_SOURCE = f"geothai {geothai.DATA_VERSION} (DOPA district codes), https://pypi.org/project/geothai/"
GROUPS_SOURCE = "district group (กลุ่มเขต): the BMA GIS district layer (z_code), https://bmagis.bangkok.go.th/"

# (Thai name, English name) of each group, and its districts' Thai short names.
DISTRICT_GROUPS = {
    ("กรุงเทพกลาง", "Central Bangkok"): ("พระนคร ดุสิต ป้อมปราบศัตรูพ่าย สัมพันธวงศ์ ดินแดง ห้วยขวาง วังทองหลาง ราชเทวี พญาไท"),
    ("กรุงเทพใต้", "South Bangkok"): ("ปทุมวัน บางรัก สาทร บางคอแหลม ยานนาวา คลองเตย วัฒนา พระโขนง สวนหลวง บางนา"),
    ("กรุงเทพเหนือ", "North Bangkok"): "จตุจักร ลาดพร้าว บางซื่อ หลักสี่ ดอนเมือง สายไหม บางเขน",
    ("กรุงเทพตะวันออก", "East Bangkok"): ("บางกะปิ สะพานสูง บึงกุ่ม คันนายาว ลาดกระบัง มีนบุรี หนองจอก คลองสามวา ประเวศ"),
    ("กรุงธนเหนือ", "North Thonburi"): ("ธนบุรี คลองสาน จอมทอง บางกอกใหญ่ บางกอกน้อย บางพลัด ตลิ่งชัน ทวีวัฒนา"),
    ("กรุงธนใต้", "South Thonburi"): "ภาษีเจริญ บางแค หนองแขม บางขุนเทียน บางบอน ราษฎร์บูรณะ ทุ่งครุ",
}

DISTRICT_COLUMNS = [
    "district_code",
    "name_th",
    "short_name_th",
    "name_en",
    "district_group_th",
    "district_group_en",
    "source",
]


def short_name(name_th: str) -> str:
    """'เขตพระนคร' -> 'พระนคร'."""
    return name_th.removeprefix(DISTRICT_PREFIX_TH)


def group_of(short_name_th: str) -> tuple[str, str]:
    for group, members in DISTRICT_GROUPS.items():
        if short_name_th in members.split():
            return group
    raise LookupError(f"district {short_name_th!r} is in no district group")


def bangkok_districts():
    """geothai's 50 Bangkok districts, sorted by code."""
    return geothai.districts(BANGKOK_PROVINCE_CODE)


def district_rows() -> list[dict]:
    rows = []
    for district in bangkok_districts():
        short = short_name(district.name_th)
        group_th, group_en = group_of(short)
        rows.append(
            {
                "district_code": district.code,
                "name_th": district.name_th,
                "short_name_th": short,
                "name_en": district.name_en,
                "district_group_th": group_th,
                "district_group_en": group_en,
                "source": f"{GEOTHAI_SOURCE}; {GROUPS_SOURCE}",
            }
        )
    return rows


def district_office_rows() -> list[dict]:
    """One agency row per district office (สำนักงานเขต), in the agencies table's columns."""
    return [
        {
            "agency_code": f"district-office-{district.code}",
            "name_th": f"สำนักงาน{district.name_th}",
            "name_en": f"{district.name_en} District Office",
            "kind": "district office",
            "district_code": district.code,
            "source": GEOTHAI_SOURCE,
        }
        for district in bangkok_districts()
    ]
