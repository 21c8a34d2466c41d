"""What the synthetic Traffy Fondue tickets say (benchmarks/generate_traffy.py draws from it): the
short sample's sentences by type, places, roads and endings; text a spreadsheet or a web page could
take for code; made-up personal data as citizens write it (for the PDPA redaction to find); and the
real tickets' words and comment lengths (RealText), read from the API's pages and redacted first.

Every value here is made up, or recombined from the real pages' redacted words.
"""

from __future__ import annotations

import functools
import gzip
import json
import random
from pathlib import Path

ROADS = [
    "ลาดพร้าว",
    "พหลโยธิน",
    "สุขุมวิท",
    "รามอินทรา",
    "เพชรเกษม",
    "จรัญสนิทวงศ์",
    "พระราม 9",
    "รัชดาภิเษก",
    "งามวงศ์วาน",
    "ศรีนครินทร์",
    "บางนา-ตราด",
    "วิภาวดีรังสิต",
    "ประชาอุทิศ",
    "เอกชัย",
    "สาทรใต้",
]
PLACES = [
    "หน้าบ้าน",
    "ปากซอย",
    "หน้าตลาด",
    "หน้าโรงเรียน",
    "ข้างวัด",
    "ใต้สะพาน",
    "หน้าร้านสะดวกซื้อ",
    "ริมคลอง",
    "ป้ายรถเมล์",
    "หน้าคอนโด",
    "ทางเข้าหมู่บ้าน",
    "ในซอย",
]
PROBLEMS = {
    "ถนน": [
        "ถนนเป็นหลุมเป็นบ่อ รถสัญจรลำบาก",
        "ถนนทรุดตัว อันตรายต่อผู้ขับขี่",
        "ยางมะตอยหลุดร่อน",
        "ฝาท่อบนถนนยุบ",
        "ถนนชำรุดหลังการก่อสร้าง",
    ],
    "ทางเท้า": [
        "ทางเท้าชำรุด กระเบื้องแตก",
        "ทางเท้าไม่เรียบ คนเดินสะดุดล้ม",
        "มีรถจอดบนทางเท้า",
        "ร้านค้าวางของบนทางเท้า เดินไม่ได้",
        "ทางเท้าทรุดเป็นแอ่งน้ำ",
    ],
    "แสงสว่าง": [
        "ไฟดับทั้งซอย มืดมาก",
        "ไฟฟ้าส่องสว่างเสีย ไม่ติดหลายวัน",
        "โคมไฟกระพริบตลอดคืน",
        "ไฟทางดับ เปลี่ยวและอันตราย",
        "เสาไฟไม่มีหลอด",
    ],
    "ความปลอดภัย": ["มีคนมั่วสุมตอนกลางคืน", "กล้องวงจรปิดเสีย", "ฝาท่อหาย อันตราย", "มีการลักขโมยบ่อย"],
    "ความสะอาด": [
        "ขยะล้นถัง ส่งกลิ่นเหม็น",
        "ไม่มีรถเก็บขยะมาเก็บหลายวัน",
        "มีคนทิ้งขยะริมถนน",
        "ขยะกองใหญ่ส่งกลิ่นเหม็น",
        "น้ำเสียส่งกลิ่นเหม็นมาก",
    ],
    "น้ำท่วม": ["น้ำท่วมขังหลังฝนตก", "น้ำท่วมสูง รถเล็กผ่านไม่ได้", "ฝนตกนิดเดียวน้ำก็ท่วม", "น้ำท่วมขังนานไม่ระบาย"],
    "กีดขวาง": ["มีสิ่งของกีดขวางทางเดิน", "รถจอดกีดขวางทางเข้าออก", "ป้ายโฆษณากีดขวางทางเท้า", "วัสดุก่อสร้างวางกีดขวาง"],
    "ท่อระบายน้ำ": ["ท่อระบายน้ำอุดตัน", "ฝาท่อระบายน้ำแตก", "ท่อระบายน้ำส่งกลิ่นเหม็น", "ขอให้ลอกท่อระบายน้ำ"],
    "จราจร": ["รถติดมาก สัญญาณไฟจราจรเสีย", "ไฟจราจรไม่ทำงาน", "รถย้อนศร อันตราย", "ขอเจ้าหน้าที่มาอำนวยการจราจร"],
    "สะพาน": ["สะพานลอยชำรุด", "ราวสะพานหัก", "สะพานข้ามคลองผุ"],
    "สายไฟ": ["สายไฟห้อยต่ำ รถสูงเกี่ยว", "สายสื่อสารรกรุงรัง", "สายไฟขาดพาดถนน"],
    "เสียงรบกวน": ["เสียงดังจากร้านอาหารกลางดึก", "ก่อสร้างเสียงดังทั้งคืน", "เสียงรบกวนจากรถแต่ง"],
    "คลอง": ["คลองมีผักตบชวาเต็ม", "น้ำในคลองเน่าเหม็น", "มีคนทิ้งขยะลงคลอง"],
    "ต้นไม้": ["กิ่งไม้หักพาดสายไฟ", "ต้นไม้ใหญ่จะล้ม", "ขอให้ตัดแต่งกิ่งไม้", "ต้นไม้บังป้ายจราจร"],
    "ร้องเรียน": ["เจ้าหน้าที่ไม่มาดำเนินการ", "แจ้งแล้วหลายครั้งยังไม่แก้ไข", "ร้องเรียนการให้บริการ"],
    "ป้าย": ["ป้ายโฆษณาผิดกฎหมาย", "ป้ายหาเสียงค้างอยู่", "ป้ายชื่อซอยหาย"],
    "สัตว์จรจัด": ["สุนัขจรจัดไล่กัดคน", "แมวจรจัดจำนวนมาก", "สุนัขจรจัดส่งเสียงดัง"],
    "สอบถาม": ["สอบถามความคืบหน้าเรื่องที่แจ้งไว้", "สอบถามวิธีขออนุญาต"],
    "PM2.5": ["ฝุ่น PM2.5 สูงมาก", "มีการเผาขยะ ควันเต็มซอย", "รถปล่อยควันดำ"],
    "เสนอแนะ": ["เสนอให้ติดตั้งไฟเพิ่ม", "เสนอให้ปลูกต้นไม้เพิ่ม", "อยากให้มีถังขยะแยกประเภท"],
    "คนจรจัด": ["มีคนเร่ร่อนนอนป้ายรถเมล์", "คนไร้บ้านอาศัยใต้สะพาน"],
    "การเดินทาง": ["รถเมล์ไม่จอดป้าย", "ท่าเรือชำรุด", "ไม่มีรถโดยสารช่วงกลางคืน"],
    "ห้องน้ำ": ["ห้องน้ำสาธารณะสกปรก", "ห้องน้ำปิดไม่ให้ใช้"],
    "ป้ายจราจร": ["ป้ายจราจรล้ม", "ป้ายบอกทางชำรุด", "ป้ายจราจรถูกต้นไม้บัง"],
}
TAILS = [
    "",
    "",
    "",
    " ขอบคุณค่ะ",
    " ขอบคุณครับ",
    " รบกวนด้วยครับ",
    " ช่วยด่วนค่ะ",
    " แจ้งซ้ำครั้งที่ 2",
    " เป็นมา 3 วันแล้ว",
    " ตั้งแต่เมื่อวาน",
]
# Text that a spreadsheet or a web page could take for code; the site must show it as text.
ODD_TEXT = [
    "<b>ด่วน</b> ",
    "<script>alert('x')</script>",
    '=HYPERLINK("http://example.com","ดูรูป") ',
    "+ขอด่วน ",
    "-ไม่มีใครมาดู ",
    "@เจ้าหน้าที่ ",
    "=1+1 ",
    "<img src=x onerror=alert(1)> ",
]
REAL_PAGES = Path(__file__).resolve().parents[1] / "datasets" / "complaints" / "traffy_api"
FIRST_NAMES = ["somchai", "malee", "kittipong", "suda", "anan", "pim", "wichai", "nok"]
MAIL_DOMAINS = ["gmail.com", "hotmail.com", "yahoo.co.th", "outlook.com"]


def national_id(rng: random.Random) -> str:
    digits = [rng.randint(1, 8)] + [rng.randint(0, 9) for _ in range(11)]
    check = (11 - sum(d * (13 - i) for i, d in enumerate(digits)) % 11) % 10
    return "".join(map(str, digits + [check]))


def personal_data(rng: random.Random) -> str:
    """A contact detail as citizens write it: a phone number, an ID or an e-mail (all made up)."""
    kind = rng.random()
    if kind < 0.55:
        number = f"0{rng.choice('689')}{rng.randint(0, 99_999_999):08d}"
        form = rng.randrange(5)
        if form == 0:
            return f"โทร {number}"
        if form == 1:
            return f"ติดต่อ {number[:3]}-{number[3:6]}-{number[6:]}"
        if form == 2:
            return f"เบอร์ {number[:3]} {number[3:6]} {number[6:]}"
        if form == 3:
            return f"โทร +66 {number[1:3]} {number[3:6]} {number[6:]}"
        return "โทร " + number.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    if kind < 0.7:
        return f"บ้าน 02-{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"
    if kind < 0.85:
        pid = national_id(rng)
        return rng.choice([f"เลขบัตร {pid}", f"บัตรประชาชน {pid[0]}-{pid[1:5]}-{pid[5:10]}-{pid[10:12]}-{pid[12]}"])
    return f"อีเมล {rng.choice(FIRST_NAMES)}{rng.randint(1, 999)}@{rng.choice(MAIL_DOMAINS)}"


class RealText:
    """Words, lengths and shares of the real comments and addresses (the API's pages, redacted)."""

    def __init__(self):
        from openbangkok.thai.redact import redact  # the project's own redaction (run with its .venv)

        comments, addresses = [], []
        for page in sorted(REAL_PAGES.glob("*.json.gz")):
            for record in json.loads(gzip.decompress(page.read_bytes()))["results"]:
                comments.append(record.get("comment") or "")
                addresses.append(record.get("address") or "")
        redacted = [redact(c) for c in comments]
        self.lengths = [len(c) for c in comments]
        self.personal_share = sum(r != c for r, c in zip(redacted, comments)) / len(comments)
        self.newline_share = sum("\n" in c for c in comments) / len(comments)
        # words (what lies between spaces and line breaks) without the redaction's placeholders
        self.words = [w for text in redacted for w in text.split() if "[" not in w]
        self.streets = [
            words[:-5]
            for a in addresses
            if len(words := (redact(a) or "").split()) > 5 and "[" not in " ".join(words[:-5])
        ]

    def comment(self, rng: random.Random) -> str:
        length = rng.choice(self.lengths)
        if not length:
            return ""
        words, size = [], -1
        while size < length:
            word = rng.choice(self.words)
            words.append(word)
            size += len(word) + 1
        separator = "\n" if rng.random() < self.newline_share else " "
        text = " ".join(words[:-1]) + separator + words[-1] if len(words) > 1 else words[0]
        return text[:length]

    def street(self, rng: random.Random) -> str:
        return " ".join(rng.choice(self.streets))


@functools.cache
def real_text() -> RealText:
    return RealText()
