"""Regenerate datasets/clinics/clinics.csv and health_service_figures.csv from the source extracts below.

Usage: python scripts/generate_clinics.py [DATASETS_DIR]

Every fact here is copied from a public source named next to it; nothing is typed from memory.
Where a source gives a count but not the sites (Long COVID clinics "in 9 BMA hospitals", ...), the
sites chosen here are an ILLUSTRATIVE assignment, marked as such in the row (is_illustrative,
services_basis) and on the site. Locations: the 69 health centres are at their surveyed points in
the BMA GIS layer RISK_ADMIN_Health_Center (datasets/clinics/bma_gis_health_centers.json, matched by
centre number; a centre or point that does not match stops the script, and the build checks the
match again); one hospital has coordinates from a source; the other hospitals get the reference
point of their subdistrict (แขวง) or district from a public table of Bangkok subdistrict points,
labelled approximate in location_precision. District codes come from geothai.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import geothai
from generate_reference import write_csv  # scripts/ is on sys.path when run as a script

LAST_CHECKED = "2026-12-07"

# --- sources ------------------------------------------------------------------------------------
UMSC = "UMSC (ศูนย์สนับสนุนบริการสุขภาพเวชศาสตร์เขตเมือง), directory of the 69 BMA health centres with แขวง and เขต (undated)"
PRACHACHAT_69 = (
    "prachachat.net, 23 Mar 2022: BMA has 69 public health service centres, primary-care "
    "units, https://www.prachachat.net/general/news-893577"
)
SIAMRATH_PRIDE = (
    "siamrath.co.th, 14 Sep 2023: BKK Pride Clinic grows from 21 to 24 sites, 16 health "
    "centres (named with district and phone) and 8 hospitals, https://siamrath.co.th/n/477357"
)
THEACTIVE_KLANG = (
    "The Active (Thai PBS), 17 Jun 2023: BKK Pride Clinic at Klang Hospital, "
    "https://theactive.net/video/gender-20230617/"
)
SEED_000 = 'BMA press release "99 วัน ส่งการบ้านให้คนกรุง" (99 days: handing in the homework), 9 Sep 2022'
SEED_001 = (
    "BMA press release: review of 6 months 21 days of work (ทบทวนการทำงาน 6 เดือน 21 วัน), 21 Dec 2022, "
    "https://pr-bangkok.com/?p=27019"
)
SEED_002 = (
    "BMA press release after executive meeting 19/2566 (รางวัลเลิศรัฐ), 4 Sep 2023, https://pr-bangkok.com/?p=178020"
)
NATION_11 = (
    "nationthailand.com, 27 Mar 2025: the 11 hospitals of the BMA Medical Service Department, "
    "https://www.nationthailand.com/thailand/bangkok/40047958"
)
POINTS = (
    "Bangkok subdistrict reference points (3 decimals) in the public GitHub file "
    "PeteSHJJ/map-demo src/components/data.js"
)
GIS_LAYER_NAME = "RISK_ADMIN_Health_Center"
GIS_LAYER = (
    "BMA GIS layer RISK_ADMIN_Health_Center (surveyed points of the 69 health centres), "
    "https://bmagis.bangkok.go.th/arcgis/rest/services/riskbkk/RISK_ADMIN_Health_Center/FeatureServer/0"
)
GIS_FILE = "bma_gis_health_centers.json"
SURVEYED = f"surveyed (BMA GIS layer {GIS_LAYER_NAME})"
CENTRE_NUMBER = re.compile(r"^ศูนย[์๋]บริการสาธารณสุข\s*(\d+)\s*(.*)$")  # the layer writes ศูนย๋ once

# --- the 69 public health service centres: number, name, district (เขต), subdistrict (แขวง) -------
# Names as BMA writes them ("ศูนย์บริการสาธารณสุข N <place>"); เขต/แขวง from UMSC; the districts of
# centres 3, 4, 9, 21, 22, 23, 25, 26, 28 agree with siamrath (14 Sep 2023). Where the BMA GIS layer
# puts a centre in another district (51), the layer's name and district are used (see gis_points).
HEALTH_CENTRES = """
1|สะพานมอญ|พระนคร|วังบูรพาภิรมย์
2|วัดมักกะสัน|ราชเทวี|มักกะสัน
3|บางซื่อ|บางซื่อ|บางซื่อ
4|ดินแดง|ดินแดง|ดินแดง
5|จุฬาลงกรณ์|ปทุมวัน|วังใหม่
6|สโมสรวัฒนธรรมหญิง|ดุสิต|สี่แยกมหานาค
7|บุญมีปุรุราชรังสรรค์|ยานนาวา|บางโพงพาง
8|บุญรอด รุ่งเรือง|บางนา|บางนาเหนือ
9|ประชาธิปไตย|พระนคร|บ้านพานถม
10|สุขุมวิท|คลองเตย|คลองตัน
11|ประดิพัทธ์|พญาไท|สามเสนใน
12|จันทร์เที่ยง เนตรวิเศษ|บางคอแหลม|บางโคล่
13|ไมตรีวานิช|สัมพันธวงศ์|จักรวรรดิ
14|แก้ว สีบุญเรือง|บางคอแหลม|วัดพระยาไกร
15|ลาดพร้าว|ห้วยขวาง|สามเสนนอก
16|ลุมพินี|ปทุมวัน|ลุมพินี
17|ประชานิเวศน์|จตุจักร|ลาดยาว
18|มงคล-วอน วังตาล|บางคอแหลม|บางโคล่
19|วงศ์สว่าง|บางซื่อ|วงศ์สว่าง
20|ป้อมปราบศัตรูพ่าย|ป้อมปราบศัตรูพ่าย|วัดโสมนัส
21|วัดธาตุทอง|วัฒนา|พระโขนงเหนือ
22|วัดปากบ่อ|สวนหลวง|สวนหลวง
23|สี่พระยา|บางรัก|สี่พระยา
24|บางเขน|จตุจักร|ลาดยาว
25|ห้วยขวาง|ห้วยขวาง|ห้วยขวาง
26|เจ้าคุณพระประยุรวงศ์|ธนบุรี|วัดกัลยาณ์
27|จันทร์ฉิมไพบูลย์|ธนบุรี|บางยี่เรือ
28|กรุงธนบุรี|คลองสาน|บางลำภูล่าง
29|ช่วง นุชเนตร|จอมทอง|บางค้อ
30|วัดเจ้าอาม|บางกอกน้อย|บางขุนนนท์
31|เอิบ-จิตร ทังสุบุตร|บางพลัด|บางอ้อ
32|มาริษ ตินตมุสิก|พระโขนง|พระโขนงใต้
33|วัดหงส์รัตนาราม|บางกอกใหญ่|วัดอรุณ
34|โพธิ์ศรี|พระโขนง|พระโขนงใต้
35|หัวหมาก|บางกะปิ|หัวหมาก
36|บุคคโล|ธนบุรี|ดาวคะนอง
37|ประสงค์-สุดสาคร|สวนหลวง|สวนหลวง
38|จี๊ด-ทองคำบำเพ็ญ|ดุสิต|ถนนนครไชยศรี
39|ราษฎร์บูรณะ|ราษฎร์บูรณะ|ราษฎร์บูรณะ
40|บางแค|บางแค|บางแคเหนือ
41|คลองเตย|คลองเตย|คลองเตย
42|ถนอม ทองสิมา|บางขุนเทียน|แสมดำ
43|มีนบุรี|มีนบุรี|มีนบุรี
44|ลำผักชี หนองจอก|หนองจอก|ลำผักชี
45|ร่มเกล้า ลาดกระบัง|ลาดกระบัง|คลองสองต้นนุ่น
46|กันตารัติอุทิศ|ลาดกระบัง|ลาดกระบัง
47|คลองขวาง|ภาษีเจริญ|คลองขวาง
48|นาควัชระ อุทิศ|หนองแขม|หนองแขม
49|วัดชัยพฤกษมาลา|ตลิ่งชัน|ตลิ่งชัน
50|บึงกุ่ม|บึงกุ่ม|คลองกุ่ม
51|จตุจักร|จตุจักร|จอมพล
52|สามเสนนอก|ดินแดง|ดินแดง
53|ทุ่งสองห้อง|หลักสี่|ทุ่งสองห้อง
54|ทัศน์เอี่ยม|ทุ่งครุ|บางมด
55|เตชะสัมพันธ์|ยานนาวา|ช่องนนทรี
56|ทับเจริญ|บึงกุ่ม|นวลจันทร์
57|บุญเรือง ล้ำเลิศ|ประเวศ|หนองบอน
58|ล้อม-พิมเสน ฟักอุดม|ราษฎร์บูรณะ|บางปะกอก
59|ทุ่งครุ|ทุ่งครุ|ทุ่งครุ
60|รสสุคนธ์ มโนชญากร|ดอนเมือง|ดอนเมือง
61|สังวาลย์ ทัสนารมย์|สายไหม|สายไหม
62|ตวงรัชฎ์ ศศะนาวิน|ภาษีเจริญ|บางหว้า
63|สมาคมแต้จิ๋วแห่งประเทศไทย|สาทร|ทุ่งวัดดอน
64|คลองสามวา|คลองสามวา|บางชัน
65|รักษาศุข บางบอน|บางบอน|บางบอนใต้
66|ตำหนักพระแม่กวนอิม|ลาดพร้าว|ลาดพร้าว
67|ทวีวัฒนา|ทวีวัฒนา|ทวีวัฒนา
68|สะพานสูง|สะพานสูง|สะพานสูง
69|คันนายาว|คันนายาว|คันนายาว
"""

# Office phone numbers of the centres, as siamrath (14 Sep 2023) prints them.
PHONES = {
    3: "02-587-0618",
    4: "02-246-1553",
    9: "02-282-0473",
    21: "02-391-6082",
    22: "02-349-1816",
    23: "02-233-6329",
    25: "02-277-2660",
    26: "02-465-0014",
    28: "02-860-8210",
}

# --- the 11 hospitals of the BMA Medical Service Department (NATION_11) ------------------------------
HOSPITALS = [
    # id, name_th, name_en, district, subdistrict or "", address, source of the address
    (
        "klang",
        "โรงพยาบาลกลาง",
        "BMA General Hospital (Klang Hospital)",
        "ป้อมปราบศัตรูพ่าย",
        "ป้อมปราบ",
        "514 ถนนหลวง แขวงป้อมปราบ เขตป้อมปราบศัตรูพ่าย กรุงเทพมหานคร 10100",
        "Wikipedia: Bangkok Metropolitan Administration General Hospital, "
        "https://en.wikipedia.org/wiki/Bangkok_Metropolitan_Administration_General_Hospital",
    ),
    (
        "taksin",
        "โรงพยาบาลตากสิน",
        "Taksin Hospital",
        "คลองสาน",
        "คลองสาน",
        "543 ถนนสมเด็จเจ้าพระยา แขวงคลองสาน เขตคลองสาน กรุงเทพมหานคร 10600",
        "Wikipedia: Taksin Hospital, https://en.wikipedia.org/wiki/Taksin_Hospital",
    ),
    (
        "charoenkrung",
        "โรงพยาบาลเจริญกรุงประชารักษ์",
        "Charoenkrung Pracharak Hospital",
        "บางคอแหลม",
        "บางคอแหลม",
        "8 ถนนเจริญกรุง แขวงบางคอแหลม เขตบางคอแหลม กรุงเทพมหานคร 10120",
        "Wikipedia: Charoenkrung Pracharak Hospital (address and coordinates 13.694388 N 100.494648 E), "
        "read in the Kiwix copy of English Wikipedia (2023-10), "
        "https://iiab.me/kiwix/content/wikipedia_en_all_maxi_2023-10/A/Charoenkrung_Pracharak_Hospital",
    ),
    (
        "luangphor",
        "โรงพยาบาลหลวงพ่อทวีศักดิ์ ชุตินฺธโร อุทิศ",
        "Luangphor Taweesak Chutintharo Uthit Hospital",
        "หนองแขม",
        "",
        "เขตหนองแขม กรุงเทพมหานคร",
        "pr-bangkok.com, 20 May 2024: 35th anniversary at the hospital, เขตหนองแขม, https://pr-bangkok.com/?p=322313",
    ),
    (
        "wetchakarun",
        "โรงพยาบาลเวชการุณย์รัศมิ์",
        "Wetchakarunrasm Hospital",
        "หนองจอก",
        "",
        "เขตหนองจอก กรุงเทพมหานคร",
        "newswit.com (BMA press release, 17 Aug): 'โรงพยาบาลเวชการุณรัศมิ์ (หนองจอก)', "
        "https://newswit.com/th/izc0q40tr2ijnbm3yx7e3aonyr6g01xh",
    ),
    (
        "nakharaphiban",
        "โรงพยาบาลนคราภิบาล",
        "Nakharaphiban Hospital",
        "ลาดกระบัง",
        "",
        "เขตลาดกระบัง กรุงเทพมหานคร",
        "formerly โรงพยาบาลลาดกระบังกรุงเทพมหานคร: BMA release of 9 Mar 2012 on Lat Krabang "
        "Hospital, http://urai-anuntasin.blogspot.com/2012/03/24.html",
    ),
    (
        "ratchaphiphat",
        "โรงพยาบาลราชพิพัฒน์",
        "Ratchaphiphat Hospital",
        "ทวีวัฒนา",
        "",
        "เขตทวีวัฒนา กรุงเทพมหานคร",
        "PR Bangkok (BMA), 10 Apr 2021: 'Ratchaphiphat Hospital in Thawi Watthana district', "
        "https://prbangkok-eng.com/index.php/2021/04/10/bma-field-hospitals-are-ready-to-accommodate-covid-19-patients/ "
        "(sources disagree: sattahip.net, 11 Jul 2023, writes เขตบางแค)",
    ),
    (
        "sirindhorn",
        "โรงพยาบาลสิรินธร",
        "Sirindhorn Hospital",
        "ประเวศ",
        "ประเวศ",
        "20 ซอยอ่อนนุช 90 แขวงประเวศ เขตประเวศ กรุงเทพมหานคร 10250",
        "Wikipedia: Sirindhorn Hospital (20 Soi On Nut 90, Prawet), read in a translated copy, "
        "https://jablog.org/%E3%82%B7%E3%83%AA%E3%83%B3%E3%83%88%E3%83%BC%E3%83%B3%E7%97%85%E9%99%A2/Sirindhorn_Hospital",
    ),
    (
        "geriatric",
        "โรงพยาบาลผู้สูงอายุบางขุนเทียน",
        "Bangkhunthian Geriatric Hospital",
        "บางขุนเทียน",
        "",
        "ถนนบางขุนเทียน-ชายทะเล เขตบางขุนเทียน กรุงเทพมหานคร",
        "Bangkok Post, Jul 2019: on the Bang Khunthian-Chai Talay road, Bang Khunthian district, "
        "https://www.bangkokpost.com/thailand/general/1713484/citys-first-hospital-for-elderly-to-open-this-year",
    ),
    (
        "khlongsamwa",
        "โรงพยาบาลคลองสามวา",
        "Khlong Sam Wa Hospital",
        "คลองสามวา",
        "",
        "เขตคลองสามวา กรุงเทพมหานคร",
        "BMA Medical Service Department news (OPD opening), http://msd.bangkok.go.th/news%20250960.html; "
        "land in เขตคลองสามวา, https://thailand4.com/th/5ZFi",
    ),
    (
        "bangna",
        "โรงพยาบาลบางนากรุงเทพมหานคร",
        "Bangkok Metropolitan Administration Bangna Hospital",
        "บางนา",
        "",
        "ถนนสรรพาวุธ เขตบางนา กรุงเทพมหานคร",
        "dailynews.co.th, 22 Aug 2019: next to the Bang Na district office, https://www.dailynews.co.th/bangkok/727305; "
        "Thairath: ถ.สรรพาวุธ, https://thairath.plus/news/local/bangkok/1454785",
    ),
]
EXACT = {"charoenkrung": (13.694388, 100.494648)}

# --- Bangkok subdistrict reference points (POINTS); blank entries of the source are left out ---------
SUBDISTRICT_POINTS = """
พระนคร|พระบรมมหาราชวัง 13.751 100.492|วังบูรพาภิรมย์ 13.744 100.499|วัดราชบพิธ 13.75 100.499|สำราญราษฎร์ 13.751 100.503|ศาลเจ้าพ่อเสือ 13.754 100.497|เสาชิงช้า 13.753 100.5|บวรนิเวศ 13.757 100.501|ตลาดยอด 13.76 100.498|ชนะสงคราม 13.762 100.495|บ้านพานถม 13.762 100.503|บางขุนพรหม 13.765 100.505|วัดสามพระยา 13.768 100.499
ดุสิต|ดุสิต 13.772 100.513|วชิรพยาบาล 13.778 100.505|สวนจิตรลดา 13.767 100.52|สี่แยกมหานาค 13.758 100.517|ถนนนครไชยศรี 13.789 100.522
หนองจอก|กระทุ่มราย 13.823 100.897|หนองจอก 13.869 100.885|คลองสิบ 13.914 100.82|คลองสิบสอง 13.914 100.88|โคกแฝด 13.84 100.836|คู้ฝั่งเหนือ 13.872 100.81|ลำผักชี 13.797 100.844|ลำต้อยติ่ง 13.781 100.877
บางรัก|มหาพฤฒาราม 13.734 100.52|สีลม 13.73 100.525|สุริยวงศ์ 13.724 100.53|บางรัก 13.727 100.527|สี่พระยา 13.725 100.514
บางเขน|อนุสาวรีย์ 13.868 100.606|ท่าแร้ง 13.866 100.65
บางกะปิ|คลองจั่น 13.786 100.635|หัวหมาก 13.756 100.66
ปทุมวัน|รองเมือง 13.744 100.52|วังใหม่ 13.742 100.526|ปทุมวัน 13.74 100.535|ลุมพินี 13.736 100.546
ป้อมปราบศัตรูพ่าย|ป้อมปราบ 13.743 100.514|วัดเทพศิรินทร์ 13.749 100.512|คลองมหานาค 13.753 100.513|บ้านบาตร 13.752 100.507|วัดโสมนัส 13.759 100.511
พระโขนง|บางจาก 13.692 100.626
มีนบุรี|มีนบุรี 13.804 100.723|แสนแสบ 13.812 100.774
ลาดกระบัง|ลาดกระบัง 13.723 100.771|คลองสองต้นนุ่น 13.753 100.723|คลองสามประเวศ 13.753 100.754|ลำปลาทิว 13.765 100.817|ทับยาว 13.728 100.815|ขุมทอง 13.736 100.855
ยานนาวา|ช่องนนทรี 13.682 100.533|บางโพงพาง 13.697 100.544
สัมพันธวงศ์|จักรวรรดิ 13.741 100.504|สัมพันธวงศ์ 13.739 100.511|ตลาดน้อย 13.734 100.513
พญาไท|สามเสนใน 13.782 100.545
ธนบุรี|วัดกัลยาณ์ 13.737 100.493|หิรัญรูจี 13.731 100.49|บางยี่เรือ 13.72 100.482|บุคคโล 13.707 100.486|ตลาดพลู 13.715 100.473
บางกอกใหญ่|วัดอรุณ 13.743 100.486|วัดท่าพระ 13.733 100.475
ห้วยขวาง|ห้วยขวาง 13.769 100.577|บางกะปิ 13.752 100.586|สามเสนนอก 13.796 100.579
คลองสาน|สมเด็จเจ้าพระยา 13.731 100.497|คลองสาน 13.735 100.504|บางลำภูล่าง 13.715 100.501|คลองต้นไทร 13.725 100.508
ตลิ่งชัน|คลองชักพระ 13.76 100.456|ตลิ่งชัน 13.789 100.459|ฉิมพลี 13.786 100.432|บางพรม 13.752 100.442|บางระมาด 13.767 100.431|บางเชือกหนัง 13.751 100.419
บางกอกน้อย|ศิริราช 13.759 100.481|บ้านช่างหล่อ 13.752 100.477|บางขุนนนท์ 13.774 100.466|บางขุนศรี 13.76 100.463|อรุณอมรินทร์ 13.772 100.477
บางขุนเทียน|ท่าข้าม 13.555 100.434|แสมดำ 13.605 100.395
ภาษีเจริญ|บางหว้า 13.714 100.443|บางด้วน 13.723 100.437|บางจาก 13.727 100.45|บางแวก 13.736 100.445|คลองขวาง 13.738 100.423|ปากคลองภาษีเจริญ 13.722 100.464|คูหาสวรรค์ 13.727 100.457
หนองแขม|หนองแขม 13.68 100.358|หนองค้างพลู 13.714 100.351
ราษฎร์บูรณะ|ราษฎร์บูรณะ 13.67 100.51|บางปะกอก 13.675 100.491
บางพลัด|บางพลัด 13.791 100.487|บางอ้อ 13.802 100.512|บางบำหรุ 13.781 100.482|บางยี่ขัน 13.774 100.492
ดินแดง|ดินแดง 13.778 100.567
บึงกุ่ม|คลองกุ่ม 13.808 100.65
สาทร|ทุ่งวัดดอน 13.71 100.532|ยานนาวา 13.714 100.514|ทุ่งมหาเมฆ 13.718 100.541
บางซื่อ|บางซื่อ 13.82 100.529
จตุจักร|ลาดยาว 13.826 100.565
บางคอแหลม|บางคอแหลม 13.696 100.494|วัดพระยาไกร 13.706 100.508|บางโคล่ 13.694 100.516
ประเวศ|ประเวศ 13.719 100.664|หนองบอน 13.687 100.656|ดอกไม้ 13.68 100.689
คลองเตย|คลองเตย 13.71 100.57|คลองตัน 13.723 100.571|พระโขนง 13.707 100.595
สวนหลวง|สวนหลวง 13.726 100.628
จอมทอง|บางขุนเทียน 13.694 100.45|บางค้อ 13.702 100.476|บางมด 13.672 100.468|จอมทอง 13.693 100.468
ดอนเมือง|สีกัน 13.925 100.593
ราชเทวี|ทุ่งพญาไท 13.763 100.53|ถนนพญาไท 13.757 100.538|ถนนเพชรบุรี 13.752 100.559|มักกะสัน 13.752 100.528
ลาดพร้าว|ลาดพร้าว 13.811 100.612|จรเข้บัว 13.84 100.6
วัฒนา|คลองเตยเหนือ 13.743 100.56|คลองตันเหนือ 13.736 100.576|พระโขนงเหนือ 13.719 100.596
บางแค|บางแค 13.698 100.409|บางแคเหนือ 13.72 100.4|บางไผ่ 13.741 100.385|หลักสอง 13.683 100.396
หลักสี่|ทุ่งสองห้อง 13.883 100.564|ตลาดบางเขน 13.871 100.58
สายไหม|สายไหม 13.921 100.654|ออเงิน 13.896 100.672|คลองถนน 13.898 100.63
คันนายาว|คันนายาว 13.821 100.677
สะพานสูง|สะพานสูง 13.761 100.688
วังทองหลาง|วังทองหลาง 13.779 100.609
คลองสามวา|สามวาตะวันตก 13.889 100.708|สามวาตะวันออก 13.896 100.76|บางชัน 13.839 100.7|ทรายกองดิน 13.854 100.745|ทรายกองดินใต้ 13.861 100.786
บางนา|บางนา 13.672 100.616
ทวีวัฒนา|ทวีวัฒนา 13.758 100.348|ศาลาธรรมสพน์ 13.783 100.39
ทุ่งครุ|บางมด 13.651 100.51|ทุ่งครุ 13.614 100.497
บางบอน|บางบอน 13.646 100.37
"""

# --- services ---------------------------------------------------------------------------------------
PRIDE, LONG_COVID, DISABILITY = "Pride clinic", "Long COVID clinic", "Disability certificate one-stop"
TELEMEDICINE, SMART_OPD, PRIMARY_CARE = "Telemedicine", "Smart OPD", "Primary care"

PRIDE_CENTRES_NAMED = {3, 4, 9, 21, 22, 23, 25, 26, 28, 29}  # siamrath, 14 Sep 2023
PRIDE_CENTRES_ILLUSTRATIVE = {17, 35, 39, 40, 43, 53}  # the other 6 of the 16: not named
PRIDE_HOSPITALS_NAMED = {"klang"}  # The Active, Jun 2023
PRIDE_HOSPITALS_ILLUSTRATIVE = {
    "taksin",
    "charoenkrung",
    "luangphor",
    "wetchakarun",
    "nakharaphiban",
    "ratchaphiphat",
    "sirindhorn",
}  # the other 7 of the 8: not named
NINE_HOSPITALS_ILLUSTRATIVE = {h[0] for h in HOSPITALS} - {"khlongsamwa", "bangna"}

CLINIC_COLUMNS = [
    "id",
    "name_th",
    "name_en",
    "kind",
    "services",
    "services_basis",
    "is_illustrative",
    "district_code",
    "address",
    "phone",
    "opening_hours",
    "latitude",
    "longitude",
    "location_precision",
    "outside_bangkok_box",
    "source",
    "last_checked",
]

FIGURE_COLUMNS = [
    "figure_id",
    "service",
    "service_th",
    "as_of",
    "status",
    "sites_stated",
    "hospitals_stated",
    "health_centres_stated",
    "people_served",
    "represented_in_clinics",
    "source",
    "note",
]

FIGURES = [
    (
        "pride-2022-09",
        PRIDE,
        "คลินิกสุขภาพเพศหลากหลาย (BKK Pride Clinic)",
        "2022-09-09",
        "in service",
        11,
        5,
        6,
        None,
        False,
        SEED_000,
        "6 health centres, one in each of the 6 district groups, and 5 BMA hospitals",
    ),
    (
        "pride-2022-11",
        PRIDE,
        "คลินิกสุขภาพเพศหลากหลาย (BKK Pride Clinic)",
        "2022-11-30",
        "in service",
        11,
        None,
        None,
        None,
        False,
        SEED_001,
        "11 sites opened July-November 2022",
    ),
    (
        "pride-2022-12-plan",
        PRIDE,
        "คลินิกสุขภาพเพศหลากหลาย (BKK Pride Clinic)",
        "2022-12-31",
        "planned",
        16,
        None,
        None,
        None,
        False,
        SEED_001,
        "5 more sites planned, 16 in all",
    ),
    (
        "pride-2023-09",
        PRIDE,
        "คลินิกสุขภาพเพศหลากหลาย (BKK Pride Clinic)",
        "2023-09-14",
        "in service",
        24,
        8,
        16,
        None,
        True,
        SIAMRATH_PRIDE,
        "the network shown in the clinics table: 10 of the 16 centres and "
        "1 of the 8 hospitals are named by a source, the others are an illustrative assignment",
    ),
    (
        "long-covid-2022-09",
        LONG_COVID,
        "คลินิกลองโควิด (Long COVID)",
        "2022-09-09",
        "in service",
        9,
        9,
        None,
        None,
        True,
        SEED_000,
        "which 9 of the 11 hospitals is not stated: the assignment in clinics is illustrative",
    ),
    (
        "disability-2022-09",
        DISABILITY,
        "ศูนย์บริการคนพิการแบบเบ็ดเสร็จ (บัตรคนพิการ)",
        "2022-09-09",
        "in service",
        9,
        None,
        None,
        None,
        False,
        SEED_000,
        "9 one-stop disability card centres",
    ),
    (
        "disability-2022-12",
        DISABILITY,
        "ศูนย์บริการคนพิการแบบเบ็ดเสร็จ (บัตรคนพิการ)",
        "2022-12-21",
        "in service",
        9,
        9,
        None,
        None,
        True,
        SEED_001,
        "9 hospitals; which 9 is not stated: the assignment in clinics is illustrative",
    ),
    (
        "disability-2023-plan",
        DISABILITY,
        "ศูนย์บริการคนพิการแบบเบ็ดเสร็จ (บัตรคนพิการ)",
        "2023-12-31",
        "planned",
        11,
        11,
        None,
        None,
        False,
        SEED_001,
        "2 more in 2023, all 11 BMA hospitals",
    ),
    (
        "telemedicine-2022-12",
        TELEMEDICINE,
        "โทรเวชกรรม (Telemedicine)",
        "2022-12-21",
        "in service",
        9,
        9,
        None,
        None,
        True,
        SEED_001,
        "which 9 of the 11 hospitals is not stated: the assignment in clinics is illustrative",
    ),
    (
        "telemedicine-2023-plan",
        TELEMEDICINE,
        "โทรเวชกรรม (Telemedicine)",
        "2023-12-31",
        "planned",
        11,
        11,
        None,
        None,
        False,
        SEED_001,
        "2 more hospitals in 2023",
    ),
    (
        "smart-opd-2023-09",
        SMART_OPD,
        "Smart OPD",
        "2023-09-04",
        "in service",
        11,
        11,
        None,
        None,
        True,
        SEED_002,
        "linked to the information systems of all 11 BMA hospitals",
    ),
    (
        "primary-care-2022-03",
        PRIMARY_CARE,
        "บริการปฐมภูมิ (ศูนย์บริการสาธารณสุข)",
        "2022-03-23",
        "in service",
        69,
        None,
        69,
        None,
        True,
        PRACHACHAT_69,
        "the 69 public health service centres are primary-care units",
    ),
    (
        "saturday-clinic-2022-08",
        "Saturday clinic",
        "คลินิกวันเสาร์",
        "2022-08-31",
        "in service",
        None,
        None,
        None,
        4946,
        False,
        SEED_000,
        "July-August 2022; the sites are not stated, so no clinic row carries it",
    ),
    (
        "vaccination-608-2022-09",
        "Proactive vaccination (608 group)",
        "ฉีดวัคซีนเชิงรุก กลุ่ม 608",
        "2022-09-09",
        "in service",
        None,
        None,
        None,
        16961,
        False,
        SEED_000,
        "people vaccinated; the sites are not stated, so no clinic row carries it",
    ),
]


def subdistrict_points() -> dict[str, dict[str, tuple[float, float]]]:
    points: dict[str, dict[str, tuple[float, float]]] = {}
    for line in SUBDISTRICT_POINTS.strip().splitlines():
        district, *entries = line.split("|")
        for entry in entries:
            name, lat, lon = entry.rsplit(" ", 2)
            points.setdefault(district, {})[name] = (float(lat), float(lon))
    return points


def locate(district: str, subdistrict: str, points) -> tuple[float | None, float | None, str, str]:
    """(latitude, longitude, location_precision, note) from the subdistrict or district reference point."""
    in_district = points.get(district, {})
    if subdistrict in in_district:
        lat, lon = in_district[subdistrict]
        return lat, lon, "subdistrict (approximate)", f"location: reference point of แขวง{subdistrict} ({POINTS})"
    if in_district:
        lat = round(sum(p[0] for p in in_district.values()) / len(in_district), 4)
        lon = round(sum(p[1] for p in in_district.values()) / len(in_district), 4)
        return (
            lat,
            lon,
            "district (approximate)",
            (f"location: mean of the reference points of เขต{district}'s subdistricts ({POINTS})"),
        )
    return None, None, "unknown", "location: not known from a source"


def gis_points(folder: Path) -> dict[int, dict]:
    """{centre number: {name, place, district_code, latitude, longitude}} of the BMA GIS layer's
    features, matched by the N of "ศูนย์บริการสาธารณสุข N ..." (spaces and the layer's typos aside)."""
    layer = json.loads((folder / GIS_FILE).read_text(encoding="utf-8"))
    points = {}
    for feature in layer["features"]:
        name = " ".join(feature["attributes"]["NAME"].split())
        match = CENTRE_NUMBER.match(name)
        if match is None:
            raise SystemExit(f"{GIS_FILE}: {name!r} is not named ศูนย์บริการสาธารณสุข N: no centre number to match")
        number = int(match.group(1))
        if number in points:
            raise SystemExit(f"{GIS_FILE}: centre {number} has two points")
        points[number] = {
            "place": match.group(2),
            "district_code": feature["attributes"]["DCODE"],
            "latitude": round(feature["geometry"]["y"], 6),
            "longitude": round(feature["geometry"]["x"], 6),
        }
    return points


def district_codes() -> dict[str, str]:
    return {d.name_th.removeprefix("เขต"): d.code for d in geothai.districts("10")}


def check_subdistrict(codes: dict[str, str], district: str, subdistrict: str) -> None:
    names = {s.name_th for s in geothai.subdistricts(codes[district])}
    if subdistrict and subdistrict not in names:
        raise SystemExit(f"แขวง{subdistrict} is not a subdistrict of เขต{district} in geothai")


def basis(sourced: list[str], illustrative: list[str]) -> str:
    parts = []
    if sourced:
        parts.append("named by a source: " + ", ".join(sourced))
    if illustrative:
        parts.append("ILLUSTRATIVE assignment (the source gives a count, not the sites): " + ", ".join(illustrative))
    return "; ".join(parts)


def clinic_row(
    row_id, name_th, name_en, kind, sourced, illustrative, district_code, address, phone, location, sources
) -> dict:
    lat, lon, precision = location
    return {
        "id": row_id,
        "name_th": name_th,
        "name_en": name_en,
        "kind": kind,
        "services": json.dumps(sourced + illustrative, ensure_ascii=False),
        "services_basis": basis(sourced, illustrative),
        "is_illustrative": "true" if illustrative else "false",
        "district_code": district_code,
        "address": address,
        "phone": phone,
        "opening_hours": "",
        "latitude": lat,
        "longitude": lon,
        "location_precision": precision,
        "outside_bangkok_box": "false",
        "source": "; ".join(sources),
        "last_checked": LAST_CHECKED,
    }


def centre_rows(codes, surveyed: dict[int, dict]) -> list[dict]:
    rows = []
    names = {code: name for name, code in codes.items()}
    listed = set()
    for line in HEALTH_CENTRES.strip().splitlines():
        number, place, district, subdistrict = line.split("|")
        number = int(number)
        listed.add(number)
        check_subdistrict(codes, district, subdistrict)
        point = surveyed.get(number)
        if point is None:
            raise SystemExit(f"centre {number} ({place}) has no point in the BMA GIS layer ({GIS_FILE})")
        sources = [UMSC, PRACHACHAT_69]
        address = f"แขวง{subdistrict} เขต{district} กรุงเทพมหานคร"
        if point["district_code"] != codes[district]:  # the surveyed point is in another district: the layer's
            print(
                f"centre {number}: {place} in เขต{district} (UMSC) is {point['place']} in "
                f"เขต{names[point['district_code']]} in the BMA GIS layer: the layer's name and district are used"
            )
            place, district = point["place"], names[point["district_code"]]
            address, sources = f"เขต{district} กรุงเทพมหานคร", [f"name and district: {GIS_LAYER}", PRACHACHAT_69]
        sourced, illustrative = [PRIMARY_CARE], []
        if number in PRIDE_CENTRES_NAMED:
            sourced.append(PRIDE)
            sources.append(SIAMRATH_PRIDE)
        elif number in PRIDE_CENTRES_ILLUSTRATIVE:
            illustrative.append(PRIDE)
        rows.append(
            clinic_row(
                f"hc-{number:02d}",
                f"ศูนย์บริการสาธารณสุข {number} {place}",
                f"BMA Public Health Service Centre {number}",
                "public health service centre",
                sourced,
                illustrative,
                codes[district],
                address,
                PHONES.get(number, ""),
                (point["latitude"], point["longitude"], SURVEYED),
                sources + [f"location: {GIS_LAYER}"],
            )
        )
    unmatched = sorted(set(surveyed) - listed)
    if unmatched:
        raise SystemExit(f"the BMA GIS layer has points for centres no row describes: {unmatched}")
    return rows


def hospital_rows(codes, points) -> list[dict]:
    rows = []
    for hospital_id, name_th, name_en, district, subdistrict, address, address_source in HOSPITALS:
        check_subdistrict(codes, district, subdistrict)
        sourced, illustrative, sources = [SMART_OPD], [], [NATION_11, address_source, SEED_002]
        if hospital_id in PRIDE_HOSPITALS_NAMED:
            sourced.append(PRIDE)
            sources.append(THEACTIVE_KLANG)
        elif hospital_id in PRIDE_HOSPITALS_ILLUSTRATIVE:
            illustrative.append(PRIDE)
        if hospital_id in NINE_HOSPITALS_ILLUSTRATIVE:
            illustrative += [LONG_COVID, DISABILITY, TELEMEDICINE]
        if hospital_id in EXACT:
            (lat, lon), precision, where = EXACT[hospital_id], "exact (from source)", "location: from the source"
        else:
            lat, lon, precision, where = locate(district, subdistrict, points)
        rows.append(
            clinic_row(
                f"hosp-{hospital_id}",
                name_th,
                name_en,
                "BMA hospital",
                sourced,
                illustrative,
                codes[district],
                address,
                "",
                (lat, lon, precision),
                sources + [where],
            )
        )
    return rows


def figure_rows() -> list[dict]:
    rows = []
    for values in FIGURES:
        row = dict(zip(FIGURE_COLUMNS, values))
        row["represented_in_clinics"] = "true" if row["represented_in_clinics"] else "false"
        rows.append({k: ("" if v is None else v) for k, v in row.items()})
    return rows


def main(datasets: Path) -> None:
    codes, points = district_codes(), subdistrict_points()
    folder = datasets / "clinics"
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(
        folder / "clinics.csv", CLINIC_COLUMNS, centre_rows(codes, gis_points(folder)) + hospital_rows(codes, points)
    )
    write_csv(folder / "health_service_figures.csv", FIGURE_COLUMNS, figure_rows())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "datasets")
