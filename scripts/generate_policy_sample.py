"""Regenerate the sample CSVs of datasets/policies/: the governor's 216 policies.

Usage: python scripts/generate_policy_sample.py [DATASETS_DIR]

The real rows below are the policies and figures that five BMA press releases (2022-2024, cited by
their public address where one is known, else by publisher, title and date) and public reporting
state, each with its source. Everything else is an
ILLUSTRATIVE sample (is_illustrative = 1), generated with a fixed seed so it is the same on every
run: 24 policies per dimension (the real split across the 9 dimensions is not in our sources), each
with one or two made-up KPIs for fiscal year 2567 and a report every two months, some of which stop
reporting or stop moving so that the "stalled policies" page has something to show.

The schema in datasets/policies/*.schema.yaml, not this sample, is the product: an agency export
from BMA Digital Plans in that shape replaces these files.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

TOTAL_POLICIES = 216
PER_DIMENSION = TOTAL_POLICIES // 9
SEED = 216

# The press releases, as cited in every real row.
S000 = (
    'BMA press release "99 วัน ส่งการบ้านให้คนกรุง" (99 days: handing in the homework to Bangkokians), '
    "9 Sep 2022 (9 ก.ย. 65)"
)
S001 = (
    "BMA press release: review of 6 months 21 days of work (ทบทวนการทำงาน 6 เดือน 21 วัน), 21 Dec 2022 "
    "(21 ธ.ค. 65), https://pr-bangkok.com/?p=27019"
)
S002 = (
    "BMA press release after executive meeting 19/2566: Public Sector Excellence Awards (รางวัลเลิศรัฐ) "
    "and ITA, 4 Sep 2023 (4 ก.ย. 66), https://pr-bangkok.com/?p=178020"
)
S003 = (
    "BMA press release: first vertical integration meeting of the infrastructure and safety mission group "
    "(ประชุมแนวดิ่งบูรณาการกลุ่มภารกิจด้านโครงสร้างพื้นฐานและความปลอดภัย ครั้งที่ 1/2566), 1 Feb 2023 "
    "(1 ก.พ. 66)"
)
S004 = (
    'BMA press release on SMART NEWS: "ดร.ยุ้ย" ดัน 216 นโยบายปรับกลไกบริหาร กทม. (adviser Kesara '
    "Thanyalakphark on driving the 216 policies), date not stated in the article"
)
SIAMRATH = (
    "siamrath.co.th, 14 Sep 2023: Bangkok Pride Clinic had 24 sites in Sept 2023, 16 of them at health "
    "centres, https://siamrath.co.th/n/477357"
)
TEAM = "assigned by the Open Bangkok team, not stated in the source"
ILLUSTRATIVE = "ข้อมูลตัวอย่าง ไม่ใช่ข้อมูลของ กทม. / ILLUSTRATIVE sample made up by the Open Bangkok team, not BMA data"

DIMENSIONS = [
    # code, number, Thai, English
    ("safe", 1, "ปลอดภัยดี", "Safe"),
    ("travel", 2, "เดินทางดี", "Easy travel"),
    ("health", 3, "สุขภาพดี", "Healthy"),
    ("creative", 4, "สร้างสรรค์ดี", "Creative"),
    ("environment", 5, "สิ่งแวดล้อมดี", "Good environment"),
    ("infrastructure", 6, "โครงสร้างดี", "Good infrastructure"),
    ("learning", 7, "เรียนดี", "Good learning"),
    ("economy", 8, "เศรษฐกิจดี", "Good economy"),
    ("governance", 9, "บริหารจัดการดี", "Good governance"),
]
MISSION_GROUPS = [
    (1, "ด้านงบประมาณ แผน และบุคคล", "Budget, plans and personnel"),
    (2, "ด้านคุณภาพชีวิต", "Quality of life"),
    (3, "ด้านโครงสร้างพื้นฐานและความปลอดภัย", "Infrastructure and safety"),
]
PLAN_STRATEGIES = [
    (1, "มหานครปลอดภัย", "Safe metropolis"),
    (2, "มหานครสีเขียว สะดวกสบาย", "Green and convenient metropolis"),
    (3, "มหานครสำหรับทุกคน", "Metropolis for all"),
    (4, "มหานครกะทัดรัด", "Compact metropolis"),
    (5, "มหานครประชาธิปไตย", "Democratic metropolis"),
    (6, "มหานครแห่งเศรษฐกิจและการเรียนรู้", "Metropolis of economy and learning"),
    (7, "การบริหารจัดการ", "Management"),
]

POLICY_COLUMNS = [
    "policy_id",
    "title_th",
    "title_en",
    "dimension",
    "dimension_basis",
    "mission_group",
    "mission_group_basis",
    "plan_strategy",
    "plan_strategy_basis",
    "citizen_benefit",
    "status",
    "status_as_of",
    "is_illustrative",
    "source",
    "source_url",
]
AGENCY_COLUMNS = ["policy_id", "agency_code", "role", "is_illustrative", "source"]
KPI_COLUMNS = [
    "kpi_id",
    "policy_id",
    "name_th",
    "name_en",
    "unit",
    "target",
    "fiscal_year_be",
    "is_illustrative",
    "source",
]
UPDATE_COLUMNS = [
    "policy_id",
    "kpi_id",
    "report_month",
    "value",
    "progress_percent",
    "note",
    "is_illustrative",
    "source",
]


def policy(
    policy_id,
    title_th,
    title_en,
    dimension,
    dimension_basis,
    mission_group,
    mission_group_basis,
    plan_strategy,
    citizen_benefit,
    status_as_of,
    source,
    source_url="",
):
    return {
        "policy_id": policy_id,
        "title_th": title_th,
        "title_en": title_en,
        "dimension": dimension,
        "dimension_basis": dimension_basis,
        "mission_group": mission_group,
        "mission_group_basis": mission_group_basis,
        "plan_strategy": plan_strategy,
        "plan_strategy_basis": "team",
        "citizen_benefit": citizen_benefit,
        # 004: all 216 policies were started at once; no source declares any of these achieved.
        "status": "in progress",
        "status_as_of": status_as_of,
        "is_illustrative": 0,
        "source": source,
        "source_url": source_url,
    }


# The policies the press releases name (and Open Data, which the SMART NEWS release names as one of the 216).
REAL_POLICIES = [
    policy(
        "P001",
        "ฐานข้อมูลความเสี่ยงกรุงเทพมหานคร (BKK Risk Map) และแหล่งทรัพยากรฉุกเฉิน",
        "BKK Risk Map: a database of risk spots and emergency resources",
        "safe",
        "source",
        3,
        "source",
        1,
        "แผนที่จุดวิกฤติน้ำท่วม อาชญากรรม อัคคีภัย และตำแหน่งหัวจ่ายดับเพลิง (ประปาหัวแดง) ที่ประชาชนเข้าถึงได้ / "
        "A map of flood, crime and fire hot spots and of fire hydrants that people can look up",
        "2023-02",
        f"{S000} (dimension ปลอดภัยดี); {S003} (discussed at the infrastructure and safety mission group meeting)",
    ),
    policy(
        "P002",
        "คลินิกหลากหลายทางเพศ (Bangkok Pride Clinic)",
        "Bangkok Pride Clinic (gender-diversity clinics)",
        "health",
        "source",
        2,
        "team",
        3,
        "บริการสุขภาพสำหรับคนหลากหลายทางเพศที่ศูนย์บริการสาธารณสุขและโรงพยาบาลสังกัด กทม. / "
        "Health services for LGBTQ+ people at BMA public health centres and hospitals",
        "2023-09",
        f"{S000} (dimension สุขภาพดี); {S001}; {SIAMRATH}",
    ),
    policy(
        "P003",
        "พัฒนาระบบการจัดการโรคติดต่อ (โควิด-19): คลินิกวันเสาร์ วัคซีนเชิงรุก และคลินิก Long COVID",
        "Communicable-disease (COVID-19) management: Saturday clinics, proactive vaccination and Long COVID clinics",
        "health",
        "source",
        2,
        "team",
        1,
        "คลินิกวันเสาร์ วัคซีนเชิงรุกสำหรับกลุ่ม 608 และคลินิก Long COVID ในโรงพยาบาลสังกัด กทม. / "
        "Saturday clinics, vaccination brought to the 608 risk group and Long COVID clinics in BMA hospitals",
        "2022-09",
        f"{S000} (dimension สุขภาพดี)",
    ),
    policy(
        "P004",
        "ศูนย์บริการบัตรคนพิการแบบเบ็ดเสร็จ (One Stop Service)",
        "One-stop disability card service centres",
        "health",
        "source",
        2,
        "team",
        3,
        "ขึ้นทะเบียนและทำบัตรคนพิการได้ในที่เดียวที่โรงพยาบาลสังกัด กทม. / "
        "Register as a person with disabilities and get the card in one place, at BMA hospitals",
        "2022-12",
        f"{S000} (dimension สุขภาพดี); {S001}",
    ),
    policy(
        "P005",
        "Sandbox เชื่อมระบบสาธารณสุขปฐมภูมิ ทุติยภูมิ และตติยภูมิ (ดุสิตโมเดล, ราชพิพัฒน์ sandbox)",
        "Primary-care sandboxes linking primary, secondary and tertiary care (Dusit model, Ratchaphiphat sandbox)",
        "health",
        "source",
        2,
        "team",
        3,
        "เข้าถึงบริการทางการแพทย์ได้ตั้งแต่ที่บ้าน โดยเชื่อมศูนย์สุขภาพปฐมภูมิกับโรงพยาบาล / "
        "Medical care from home onwards, with primary-care centres linked to hospitals",
        "2022-09",
        f"{S000} (dimension สุขภาพดี)",
    ),
    policy(
        "P006",
        "พัฒนาระบบบริการออนไลน์ Bangkok One Stop Service (BKK OSS)",
        "BKK One Stop Service: online services and requests",
        "governance",
        "source",
        1,
        "team",
        7,
        "ยื่นคำขอและใช้บริการของ กทม. ทางออนไลน์ / Apply for and use BMA services online",
        "2022-09",
        f"{S000} (dimension บริหารจัดการดี)",
    ),
    policy(
        "P007",
        "จัดทำงบประมาณฐานศูนย์ (Zero-Based Budgeting)",
        "Zero-based budgeting",
        "governance",
        "team",
        1,
        "team",
        7,
        "ประชาชนได้ประโยชน์สูงสุดจากงบประมาณ: พิจารณางบทุกรายการใหม่ ไม่ใช้งบปีก่อนเป็นฐาน / "
        "People get the most from the budget: every item is considered afresh instead of last year's "
        "budget plus an increase",
        "2022-12",
        f"{S001}; {S004}",
        "https://www.chadchart.com/policy/6217314a4e43cd8b4760bc72",
    ),
    policy(
        "P008",
        "โครงการ BKK Food Bank ส่งต่ออาหารให้กลุ่มเปราะบาง",
        "BKK Food Bank: food passed on to vulnerable groups",
        "economy",
        "team",
        2,
        "team",
        3,
        "อาหารส่วนเกินถูกส่งต่อให้กลุ่มเปราะบาง / Surplus food passed on to vulnerable groups",
        "",
        S004,
    ),
    policy(
        "P009",
        "โครงการนำร่องผ้าอนามัยฟรีในโรงเรียนสังกัด กทม.",
        "Free sanitary pads pilot in BMA schools",
        "health",
        "team",
        2,
        "team",
        3,
        "นักเรียนโรงเรียนสังกัด กทม. ได้รับผ้าอนามัยฟรี (โครงการนำร่อง) / Pupils of BMA schools get free sanitary pads (a pilot)",
        "",
        S004,
    ),
    policy(
        "P010",
        "สนับสนุนการพัฒนาที่อยู่อาศัยตามแนวคิดบ้านมั่นคง ร่วมกับสถาบันพัฒนาองค์กรชุมชน (พอช.)",
        "Support for Baan Mankong community housing with CODI",
        "economy",
        "team",
        2,
        "team",
        3,
        "ผู้มีรายได้น้อยเข้าถึงโครงการบ้านมั่นคงของ พอช. ได้ง่ายขึ้น กทม. สนับสนุนข้อมูลแปลงที่ดินและการประสานงาน / "
        "Low-income households reach CODI's Baan Mankong housing more easily; the BMA supplies land-plot data "
        "and coordination rather than building itself",
        "",
        S004,
    ),
    policy(
        "P011",
        "บริการทางการแพทย์ผ่านระบบโทรเวชกรรม (Telemedicine)",
        "Telemedicine at BMA hospitals",
        "health",
        "team",
        2,
        "team",
        3,
        "ปรึกษาแพทย์ของโรงพยาบาลสังกัด กทม. ทางไกล / See a doctor of a BMA hospital remotely",
        "2022-12",
        S001,
    ),
    policy(
        "P012",
        "โครงการ Smart OPD",
        "Smart OPD: hospital services on smartphones for all 11 BMA hospitals",
        "health",
        "team",
        2,
        "team",
        3,
        "นัดหมาย บริการการแพทย์ฉุกเฉิน และข้อมูลสุขภาพของโรงพยาบาลเครือข่าย กทม. ผ่านสมาร์ตโฟน (iOS, Android) / "
        "Hospital appointments, emergency medical services and personal health data of the BMA hospitals "
        "on a smartphone (iOS, Android)",
        "2023-09",
        S002,
    ),
    policy(
        "P013",
        "เปิดเผยข้อมูลของกรุงเทพมหานคร (Open Data: Open Bangkok)",
        "Open data: opening Bangkok (Open Bangkok) to the people",
        "governance",
        "team",
        1,
        "team",
        5,
        "ข้อมูลของ กทม. เปิดให้ทุกคนค้นหาและดาวน์โหลดได้ / The BMA's data open for everyone to search and download",
        "",
        f"{S004}; {S002} (open data is the first of the 7 aspects of Open Governance)",
    ),
]

REAL_AGENCIES = [
    # policy, agency, role, from the source?, source
    ("P001", "fire-rescue", "H", False, f"{TEAM}: the official H/R assignment is in the BMA's Action Plans"),
    ("P001", "city-planning", "R", False, f"{TEAM}: GIS data"),
    ("P002", "health", "H", False, f"{TEAM}: the clinics are at public health centres (Health Department), {S000}"),
    ("P002", "medical-service", "R", False, f"{TEAM}: 5 of the sites are BMA hospitals (Medical Service Department)"),
    ("P003", "medical-service", "H", False, f"{TEAM}: Long COVID clinics are in BMA hospitals"),
    ("P003", "health", "R", False, f"{TEAM}: vaccination and Saturday clinics at health centres"),
    ("P004", "medical-service", "H", False, f"{TEAM}: the centres are at BMA hospitals, {S001}"),
    ("P004", "social-development", "R", False, TEAM),
    ("P005", "health", "H", False, f"{TEAM}: primary-care centres"),
    ("P005", "medical-service", "R", False, f"{TEAM}: BMA hospitals (Ratchaphiphat)"),
    ("P006", "permanent-secretary", "H", False, TEAM),
    ("P007", "budget", "H", False, f"{TEAM}: the Budget Department"),
    ("P007", "strategy-evaluation", "R", False, TEAM),
    ("P008", "social-development", "H", False, TEAM),
    ("P009", "education", "H", False, f"{TEAM}: a pilot in BMA schools"),
    ("P009", "health", "R", False, TEAM),
    ("P010", "city-planning", "H", False, f"{TEAM}: the BMA's part is land-plot data and planning law, {S004}"),
    ("P010", "social-development", "R", False, TEAM),
    ("P011", "medical-service", "H", False, f"{TEAM}: BMA hospitals"),
    ("P012", "medical-service", "H", True, f"{S002}: 'โครงการ Smart OPD โดย สำนักการแพทย์'"),
    ("P013", "strategy-evaluation", "H", False, TEAM),
    ("P013", "permanent-secretary", "R", False, TEAM),
]

REAL_KPIS = [
    # kpi, policy, Thai, English, unit, target, fiscal year (BE), source
    (
        "K0001",
        "P002",
        "จุดให้บริการ Bangkok Pride Clinic",
        "Bangkok Pride Clinic sites open",
        "แห่ง (sites)",
        16,
        2566,
        f"{S001}: 16 sites planned by Dec 2022 (ธันวาคม 2565, fiscal year 2566)",
    ),
    (
        "K0002",
        "P003",
        "โรงพยาบาลสังกัด กทม. ที่เปิดคลินิก Long COVID",
        "BMA hospitals with a Long COVID clinic",
        "แห่ง (hospitals)",
        None,
        2565,
        f"{S000}; no target stated",
    ),
    (
        "K0003",
        "P003",
        "ผู้รับบริการคลินิกวันเสาร์",
        "People served by the Saturday clinics",
        "คน (people)",
        None,
        2565,
        f"{S000}; no target stated",
    ),
    (
        "K0004",
        "P003",
        "ผู้ได้รับวัคซีนเชิงรุก กลุ่ม 608",
        "People of the 608 risk group vaccinated proactively",
        "คน (people)",
        None,
        2565,
        f"{S000}; no target stated",
    ),
    (
        "K0005",
        "P004",
        "ศูนย์บริการคนพิการแบบเบ็ดเสร็จที่เปิดให้บริการ",
        "One-stop disability centres open",
        "แห่ง (hospitals)",
        11,
        2566,
        f"{S001}: 2 more in 2566 to reach all 11 BMA hospitals",
    ),
    (
        "K0006",
        "P005",
        "เขตในพื้นที่ sandbox ระบบสุขภาพปฐมภูมิ",
        "Districts covered by a primary-care sandbox",
        "เขต (districts)",
        None,
        2565,
        f"{S000}; no target stated",
    ),
    (
        "K0007",
        "P006",
        "งานบริการด้านทะเบียนที่เพิ่มใน BKK OSS",
        "Registration services added to BKK OSS",
        "งาน (services)",
        None,
        2565,
        f"{S000}; no target stated",
    ),
    (
        "K0008",
        "P006",
        "แบบฟอร์มออนไลน์ที่เพิ่มใน BKK OSS",
        "Online forms added to BKK OSS",
        "แบบ (forms)",
        None,
        2565,
        f"{S000}; no target stated",
    ),
    (
        "K0009",
        "P011",
        "โรงพยาบาลสังกัด กทม. ที่ให้บริการ Telemedicine",
        "BMA hospitals offering telemedicine",
        "แห่ง (hospitals)",
        11,
        2566,
        f"{S001}: 9 hospitals and 2 more in 2566",
    ),
    (
        "K0010",
        "P012",
        "โรงพยาบาลสังกัด กทม. ที่เชื่อมกับ Smart OPD",
        "BMA hospitals linked to Smart OPD",
        "แห่ง (hospitals)",
        11,
        2566,
        f"{S002}: linked to the systems of all 11 hospitals",
    ),
]

REAL_UPDATES = [
    # policy, kpi, month, value, progress (computed from the source's value and target), note, source
    (
        "P002",
        "K0001",
        "2022-09",
        11,
        68.75,
        "6 public health centres (one per district group) and 5 BMA hospitals; progress = 11 of the 16 planned",
        S000,
    ),
    (
        "P002",
        "K0001",
        "2022-12",
        11,
        68.75,
        "11 sites open Jul-Nov 2022, 5 more to open by Dec 2022; progress = 11 of 16",
        S001,
    ),
    (
        "P002",
        "K0001",
        "2023-09",
        24,
        100,
        "24 sites, 16 of them at health centres: more than the target of 16, so progress is shown as 100",
        SIAMRATH,
    ),
    ("P003", "K0002", "2022-09", 9, None, "Long COVID clinics in 9 BMA hospitals", S000),
    ("P003", "K0003", "2022-09", 4946, None, "Saturday clinics, Jul-Aug 2022", S000),
    ("P003", "K0004", "2022-09", 16961, None, "Proactive vaccination of the 608 risk group", S000),
    ("P004", "K0005", "2022-09", 9, 81.82, "9 one-stop disability card centres; progress = 9 of 11", S000),
    (
        "P004",
        "K0005",
        "2022-12",
        9,
        81.82,
        "9 open, 2 more in 2566 to reach all 11 BMA hospitals; progress = 9 of 11",
        S001,
    ),
    (
        "P005",
        "K0006",
        "2022-09",
        4,
        None,
        "Dusit model: Dusit, Phra Nakhon, Bang Phlat and Bang Sue. The Ratchaphiphat sandbox is to cover "
        "5 more (Taling Chan, Bang Khae, Nong Khaem, Phasi Charoen, Thawi Watthana), not counted here",
        S000,
    ),
    ("P006", "K0007", "2022-09", 4, None, "4 registration services added to an existing service", S000),
    ("P006", "K0008", "2022-09", 4, None, "4 online forms added", S000),
    ("P011", "K0009", "2022-12", 9, 81.82, "Telemedicine in 9 BMA hospitals, 2 more in 2566; progress = 9 of 11", S001),
    ("P012", "K0010", "2023-09", 11, 100, "Linked to the hospital information systems of all 11 BMA hospitals", S002),
]

# Illustrative sample: plausible lead and supporting departments for each dimension.
LEADS = {
    "safe": ["fire-rescue", "city-law-enforcement", "traffic-transport"],
    "travel": ["traffic-transport", "public-works"],
    "health": ["health", "medical-service"],
    "creative": ["culture-sports-tourism", "city-planning"],
    "environment": ["environment", "drainage-sewerage"],
    "infrastructure": ["public-works", "drainage-sewerage", "city-planning"],
    "learning": ["education", "culture-sports-tourism"],
    "economy": ["social-development", "finance", "city-law-enforcement"],
    "governance": ["permanent-secretary", "strategy-evaluation", "budget", "finance"],
}
MISSION_GROUP_OF = {
    "safe": 3,
    "travel": 3,
    "infrastructure": 3,
    "environment": 2,
    "health": 2,
    "creative": 2,
    "learning": 2,
    "economy": 2,
    "governance": 1,
}
STRATEGY_OF = {
    "safe": 1,
    "travel": 2,
    "environment": 2,
    "health": 3,
    "creative": 6,
    "infrastructure": 4,
    "learning": 6,
    "economy": 6,
    "governance": 7,
}
UNITS = [
    ("แห่ง (sites)", 5, 60, True),
    ("ครั้ง (times)", 12, 400, True),
    ("คน (people)", 500, 20000, True),
    ("กิโลเมตร (km)", 5, 120, False),
    ("ร้อยละ (percent)", 50, 100, False),
]
# Reports every two months of fiscal year 2567 (Oct 2023 - Sep 2024).
REPORT_MONTHS = ["2023-10", "2023-12", "2024-02", "2024-04", "2024-06", "2024-08"]


def illustrative(rng: random.Random, real: list[dict]):
    policies, agencies, kpis, updates = [], [], [], []
    departments = sorted({a for leads in LEADS.values() for a in leads})
    districts = [f"district-office-{code}" for code in range(1001, 1051)]
    number = len(real)
    kpi_number = len(REAL_KPIS)
    for code, _, name_th, name_en in DIMENSIONS:
        have = sum(1 for p in real if p["dimension"] == code)
        for _ in range(PER_DIMENSION - have):
            number += 1
            policy_id = f"P{number:03d}"
            fate = rng.choices(["moving", "achieved", "flat", "silent", "not started"], [70, 8, 9, 8, 5])[0]
            lead = rng.choice(LEADS[code])
            supporters = rng.sample([d for d in departments if d != lead], rng.randint(0, 2))
            supporters += rng.sample(districts, rng.choice([0, 0, 1, 3]))
            policy_updates = []
            policy_kpis = []
            for k in range(rng.choice([1, 1, 2])):
                kpi_number += 1
                kpi_id = f"K{kpi_number:04d}"
                unit, low, high, whole = rng.choice(UNITS)
                target = rng.randint(low, high) if whole else round(rng.uniform(low, high), 1)
                policy_kpis.append(
                    {
                        "kpi_id": kpi_id,
                        "policy_id": policy_id,
                        "name_th": f"ตัวชี้วัดตัวอย่าง {k + 1} ของ {policy_id} (สมมติ)",
                        "name_en": f"Illustrative KPI {k + 1} of {policy_id}",
                        "unit": unit,
                        "target": target,
                        "fiscal_year_be": 2567,
                        "is_illustrative": 1,
                        "source": ILLUSTRATIVE,
                    }
                )
                if fate == "not started":
                    continue
                months = REPORT_MONTHS[: rng.randint(2, 4)] if fate == "silent" else REPORT_MONTHS
                progress = rng.uniform(0, 25)
                for i, month in enumerate(months):
                    if i:
                        if fate == "achieved":
                            progress += rng.uniform(15, 35)
                        elif fate == "flat" and i >= len(months) - 3:
                            pass  # no progress in the last three reports
                        else:
                            progress += rng.uniform(0, 18)
                    progress = min(progress, 100.0)
                    if fate == "achieved" and i == len(months) - 1:
                        progress = 100.0
                    value = target * progress / 100
                    policy_updates.append(
                        {
                            "policy_id": policy_id,
                            "kpi_id": kpi_id,
                            "report_month": month,
                            "value": round(value) if whole else round(value, 1),
                            "progress_percent": round(progress, 1),
                            "note": "ตัวอย่าง / illustrative",
                            "is_illustrative": 1,
                            "source": ILLUSTRATIVE,
                        }
                    )
            status = {"not started": "not started", "achieved": "achieved"}.get(fate, "in progress")
            if fate == "silent" and rng.random() < 0.3:
                status = "on hold"
            policies.append(
                {
                    "policy_id": policy_id,
                    "title_th": f"นโยบายตัวอย่าง {number:03d} (สมมติ / illustrative)",
                    "title_en": f"Illustrative policy {number:03d}",
                    "dimension": code,
                    "dimension_basis": "illustrative",
                    "mission_group": MISSION_GROUP_OF[code],
                    "mission_group_basis": "illustrative",
                    "plan_strategy": STRATEGY_OF[code],
                    "plan_strategy_basis": "illustrative",
                    "citizen_benefit": f"ข้อความตัวอย่าง: สิ่งที่ประชาชนได้รับจากนโยบายด้าน{name_th} / "
                    f"Illustrative text: what citizens get ({name_en})",
                    "status": status,
                    "status_as_of": max((u["report_month"] for u in policy_updates), default="2023-10"),
                    "is_illustrative": 1,
                    "source": ILLUSTRATIVE,
                    "source_url": "",
                }
            )
            agencies.append(
                {"policy_id": policy_id, "agency_code": lead, "role": "H", "is_illustrative": 1, "source": ILLUSTRATIVE}
            )
            agencies += [
                {"policy_id": policy_id, "agency_code": a, "role": "R", "is_illustrative": 1, "source": ILLUSTRATIVE}
                for a in supporters
            ]
            kpis += policy_kpis
            updates += policy_updates
    return policies, agencies, kpis, updates


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)


def main(datasets: Path) -> None:
    folder = datasets / "policies"
    source_001 = f"{S001}: the 9 dimensions (9 ด้าน 9 ดี) in this order"
    write_csv(
        folder / "policy_dimensions.csv",
        ["dimension_code", "dimension_number", "name_th", "name_en", "source"],
        [
            dict(zip(["dimension_code", "dimension_number", "name_th", "name_en"], d), source=source_001)
            for d in DIMENSIONS
        ],
    )
    write_csv(
        folder / "policy_mission_groups.csv",
        ["mission_group", "name_th", "name_en", "source"],
        [dict(zip(["mission_group", "name_th", "name_en"], g), source=S003) for g in MISSION_GROUPS],
    )
    write_csv(
        folder / "plan_strategies.csv",
        ["strategy_number", "name_th", "name_en", "source"],
        [
            dict(
                zip(["strategy_number", "name_th", "name_en"], s),
                source=f"{S001}: the 7 strategic dimensions of the BMA 20-year plan 2556-2575",
            )
            for s in PLAN_STRATEGIES
        ],
    )
    rng = random.Random(SEED)
    policies, agencies, kpis, updates = illustrative(rng, REAL_POLICIES)
    write_csv(folder / "policies.csv", POLICY_COLUMNS, REAL_POLICIES + policies)
    write_csv(
        folder / "policy_agencies.csv",
        AGENCY_COLUMNS,
        [dict(zip(AGENCY_COLUMNS, (p, a, r, 0 if real else 1, s))) for p, a, r, real, s in REAL_AGENCIES] + agencies,
    )
    write_csv(
        folder / "policy_kpis.csv", KPI_COLUMNS, [dict(zip(KPI_COLUMNS, (*k[:7], 0, k[7]))) for k in REAL_KPIS] + kpis
    )
    write_csv(
        folder / "policy_updates.csv",
        UPDATE_COLUMNS,
        [dict(zip(UPDATE_COLUMNS, (*u[:6], 0, u[6]))) for u in REAL_UPDATES] + updates,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "datasets")
