"""Thai input conventions, converted once on input: Thai digits, Buddhist-era years, Thai month names."""

import datetime as dt
import re
import unicodedata

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
ZERO_WIDTH_FOUND = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
BUDDHIST_ERA_OFFSET = 543

# Full and abbreviated Thai month names, as agencies write them (with or without dots).
THAI_MONTHS = {
    1: ("มกราคม", "ม.ค."),
    2: ("กุมภาพันธ์", "ก.พ."),
    3: ("มีนาคม", "มี.ค."),
    4: ("เมษายน", "เม.ย."),
    5: ("พฤษภาคม", "พ.ค."),
    6: ("มิถุนายน", "มิ.ย."),
    7: ("กรกฎาคม", "ก.ค."),
    8: ("สิงหาคม", "ส.ค."),
    9: ("กันยายน", "ก.ย."),
    10: ("ตุลาคม", "ต.ค."),
    11: ("พฤศจิกายน", "พ.ย."),
    12: ("ธันวาคม", "ธ.ค."),
}
MONTH_BY_NAME = {name.replace(".", ""): number for number, names in THAI_MONTHS.items() for name in names}

ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
SLASH_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
THAI_NAME_DATE = re.compile(r"^(\d{1,2})\s*([\u0e00-\u0e7f.]+?)\s*(\d{2}|\d{4})$")
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def clean_text(text: str) -> str:
    """NFC, without zero-width characters."""
    text = unicodedata.normalize("NFC", text)
    return text.translate(ZERO_WIDTH) if ZERO_WIDTH_FOUND.search(text) else text  # translate is slow


def arabic_digits(text: str) -> str:
    return text.translate(THAI_DIGITS)


def plain_number(text: str) -> str:
    """'๔,๙๔๖' -> '4946'; anything that is not a number is returned with Thai digits converted only."""
    text = arabic_digits(text.strip())
    return text.replace(",", "") if THOUSANDS.match(text) else text


THAI_WRITTEN = re.compile("[\u0e00-\u0e7f]")
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
NUMBER_LIST = re.compile(r"^[\s\[\]\",+\-.\d]*\d[\s\[\]\",+\-.\d]*$")


def typed_value(text: str, many: bool = False) -> str:
    """A value a person typed to compare with the published data, read as the build reads files: a
    number in Thai digits ('๑๐๐๑', '๔,๙๔๖') or a date in Thai ('๑ ม.ค. ๒๕๖๖', '1/1/2566' is left: ASCII
    input is never rewritten) becomes what the database holds ('1001', '4946', '2023-01-01'); with
    `many`, a list of numbers ('๑๐๐๑,๑๐๐๒' or a JSON list). Any other text is returned as it was:
    Thai digits inside words are words ('ซอย ๕')."""
    if not THAI_WRITTEN.search(text):
        return text
    if many:
        converted = arabic_digits(text)
        return converted if NUMBER_LIST.match(converted) else text
    number = plain_number(text)
    if NUMBER.match(number):
        return number
    try:
        day = parse_date(text)
    except ValueError:  # a date that does not exist, or a two-digit year: compared as typed
        return text
    return day.isoformat() if day else text


class TwoDigitYear(ValueError):
    """A two-digit year where the schema does not say it is Buddhist era."""


def common_era_year(year: int, two_digit_years: bool = False) -> int:
    """A year as agencies write it (พ.ศ. 2566, ค.ศ. 2023, or, where allowed, two-digit พ.ศ. 66) -> ค.ศ."""
    if year < 100:
        if not two_digit_years:
            raise TwoDigitYear(f"two-digit year {year}")
        year += 2500
    return year - BUDDHIST_ERA_OFFSET if year > 2400 else year


def buddhist_era_year(year: int) -> int:
    return year + BUDDHIST_ERA_OFFSET


def parse_date(text: str, two_digit_years: bool = False) -> dt.date | None:
    """Reads a date as Thai agencies write it; None when it is no date we know.

    '2566-09-04', '2023-09-04', '4/9/2566', '4 กันยายน 2566', and with two_digit_years (where the
    schema says so) '04/09/66', '4 ก.ย. 66'. Day first always; a year above 2400 is Buddhist era; a
    two-digit year is Buddhist era. Raises ValueError for a date that does not exist, such as
    31/02/2566, and TwoDigitYear for a two-digit year that is not allowed.
    """
    text = arabic_digits(clean_text(text).strip())
    if m := ISO_DATE.match(text):
        year, month, day = (int(g) for g in m.groups())
    elif m := SLASH_DATE.match(text):
        day, month, year = (int(g) for g in m.groups())
    elif (m := THAI_NAME_DATE.match(text)) and m.group(2).replace(".", "") in MONTH_BY_NAME:
        day, year = int(m.group(1)), int(m.group(3))
        month = MONTH_BY_NAME[m.group(2).replace(".", "")]
    else:
        return None
    return dt.date(common_era_year(year, two_digit_years), month, day)


YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
MONTH_YEAR = re.compile(r"^(\d{1,2})/(\d{2}|\d{4})$")
THAI_MONTH_YEAR = re.compile(r"^([\u0e00-\u0e7f.]+?)\s*(\d{2}|\d{4})$")


def parse_year_month(text: str, two_digit_years: bool = False) -> tuple[int, int] | None:
    """(year ค.ศ., month) from '2566-09', '2023-09', '9/2566', 'กันยายน 2566' (and, with two_digit_years,
    'ก.ย. 66'); None if no month we know."""
    text = arabic_digits(clean_text(text).strip())
    if m := YEAR_MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := MONTH_YEAR.match(text):
        month, year = int(m.group(1)), int(m.group(2))
    elif (m := THAI_MONTH_YEAR.match(text)) and m.group(1).replace(".", "") in MONTH_BY_NAME:
        month, year = MONTH_BY_NAME[m.group(1).replace(".", "")], int(m.group(2))
    else:
        return None
    return (common_era_year(year, two_digit_years), month) if 1 <= month <= 12 else None


def fiscal_year(day: dt.date) -> int:
    """Thai government fiscal year (ค.ศ.), October to September: 2023-10-01 is in FY 2024. The one
    place it is computed: the build's SQL (thai_fiscal_year) and the Traffy tickets use it."""
    return day.year + 1 if day.month >= 10 else day.year


# How a reader sees a date, a month or a time on the site's HTML pages (JSON and CSV keep ISO).
ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
THAI_TIME = dt.timezone(dt.timedelta(hours=7))  # Bangkok, no daylight saving


def thai_date(day: dt.date) -> str:
    """2023-09-04 -> '4 ก.ย. 2566'."""
    return f"{day.day} {THAI_MONTHS[day.month][1]} {buddhist_era_year(day.year)}"


def thai_month(year: int, month: int) -> str:
    """(2022, 12) -> 'ธ.ค. 2565'."""
    return f"{THAI_MONTHS[month][1]} {buddhist_era_year(year)}"


def thai_label(value: str) -> str | None:
    """The Thai reading of an ISO value: '2023-09-04' -> '4 ก.ย. 2566'; '2022-12' -> 'ธ.ค. 2565';
    '2023-09-04T03:12:00+00:00' -> '4 ก.ย. 2566 10:12 น.' (Bangkok time); None for anything else."""
    try:
        if found := ISO_MONTH.match(value):
            year, month = int(found[1]), int(found[2])
            return thai_month(year, month) if 1 <= month <= 12 and 1900 <= year < 2200 else None
        if ISO_DATE.match(value) and len(value) == 10:
            return thai_date(dt.date.fromisoformat(value))
        if ISO_DATETIME.match(value):
            text = re.sub(r"(\.\d{6})\d+", r"\1", value.replace(" ", "T", 1))
            when = dt.datetime.fromisoformat(text).astimezone(THAI_TIME)
            return f"{thai_date(when.date())} {when:%H:%M} น."
    except ValueError:
        return None
    return None


def with_thai(value: str) -> str:
    """'2022-12' -> '2022-12 (ธ.ค. 2565)': ISO with its Thai reading beside it, as text."""
    label = thai_label(value)
    return f"{value} ({label})" if label else value
