"""The columns of a Traffy Fondue ticket: the texts a format hands over (RAW_FIELDS), the columns
published (PUBLISHED), and the values Traffy's columns are known to take (states, API statuses,
types). normalise.py turns the one into the other; anything not known is kept and reported.
"""

from __future__ import annotations

# The texts a format hands over, in this order ("" for a field the format does not have); the API's
# `status` is passed on its own (values(raw, number, status)): the dump has none.
RAW_FIELDS = (
    "ticket_id",
    "type",
    "organization",
    "comment",
    "photo",
    "photo_after",
    "coords",
    "address",
    "subdistrict",
    "district",
    "province",
    "timestamp",
    "state",
    "star",
    "count_reopen",
    "last_activity",
)
# The published columns in the order Normaliser.values() returns them (complaints.schema.yaml).
PUBLISHED = (
    "ticket_id",
    "types",
    "organizations",
    "comment",
    "photo",
    "photo_after",
    "address",
    "subdistrict",
    "district",
    "district_code",
    "province",
    "province_code",
    "latitude",
    "longitude",
    "coords_outside_bangkok",
    "coords_swapped_in_source",
    "timestamp",
    "last_activity",
    "reported_month",
    "fiscal_year_ce",
    "fiscal_year_be",
    "days_to_last_activity",
    "state",
    "state_en",
    "status",
    "star",
    "count_reopen",
    "is_illustrative",
    "source",
)

# Known values; anything else is kept and reported once as a warning (the lists grow over time).
STATES = {
    "เสร็จสิ้น": "finished",
    "กำลังดำเนินการ": "in progress",
    "รอรับเรื่อง": "waiting",
    "ส่งต่อ": "forwarded",
    "ส่งต่อ(ใหม่)": "forwarded (new)",
    "ไม่เกี่ยวข้อง": "not relevant",
}
FINISHED = "เสร็จสิ้น"
STATUSES = frozenset({"report", "inprogress", "finish"})  # the API's workflow status beside `state`
TYPE_NAMES = (  # the types Traffy Fondue offers (benchmarks/generate_traffy.py draws from them in this order)
    "ถนน",
    "ทางเท้า",
    "แสงสว่าง",
    "ความปลอดภัย",
    "ความสะอาด",
    "น้ำท่วม",
    "กีดขวาง",
    "ท่อระบายน้ำ",
    "จราจร",
    "สะพาน",
    "สายไฟ",
    "เสียงรบกวน",
    "คลอง",
    "ต้นไม้",
    "ร้องเรียน",
    "ป้าย",
    "สัตว์จรจัด",
    "สอบถาม",
    "PM2.5",
    "เสนอแนะ",
    "คนจรจัด",
    "การเดินทาง",
    "ห้องน้ำ",
    "ป้ายจราจร",
)
TYPES = frozenset(TYPE_NAMES)
