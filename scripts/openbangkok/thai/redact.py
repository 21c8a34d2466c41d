"""PDPA redaction: personal phone numbers, national ID numbers and e-mail addresses in free text.

Citizens write their own contact details into complaint texts. Before anything is written to a
database (staging included), every match is replaced by a visible marker:

    [โทรศัพท์]          Thai mobile (06/08/09 + 8 digits) and landline numbers (02 + 7 digits,
                        03x-07x + 6 digits) with a trunk 0 or the country code (+66, 0066, 66),
                        and any number written with a + and 8 to 15 digits
    [เลขบัตรประชาชน]    13-digit national ID numbers whose check digit is right
    [อีเมล]             e-mail addresses

The text is read as a reader would, not as it is typed: digits may be Arabic, Thai (๐-๙),
fullwidth or any other decimal digits, and between two groups of digits there may be any
whitespace (double spaces, no-break spaces, tabs, line breaks), invisible characters (zero-width
spaces, joiners, soft hyphens), dashes of every kind, dots, slashes and brackets, in groups of any
size (`0 9 1 2 3 4 5 6 7 8`, `093/456/7890`, `1.1017.00230.70.8`). E-mails may be written with
a fullwidth `＠`, fullwidth letters or invisible characters inside.

How numbers are found (numbers()): a run of digits and separators is cut into its groups of
digits; a number is one or more whole groups (a group is never cut), the whole run or a part of
it that meets the rest of the run at a space, slash, dash or bracket (never at a dot: times such
as 09.00-12.00 13.00-16.00 hold one). A part that starts with a date (09/12/66 12.00) is no
phone number, nor is an 11-digit case number after `นร` (the Prime Minister's
Office's numbering) or a government letter's number after its agency's code (ที่ กท 0303/12345);
a number printed in the layout of an ID card (1-4-5-2-1) is an ID number or nothing. Everything
else stays as it is: prices, times, house numbers such as 99/123,
ticket ids such as 2022-FQPL93, coordinates, 13-digit numbers with a wrong check digit, hotlines
such as 1555. The corpus in tests/data/pdpa_cases.yaml holds the cases this module must get right,
tests/test_complaints_redact.py generates more.

Most texts hold no nine digits and no @: may_hold_personal_data() returns them at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

PHONE = "[โทรศัพท์]"
NATIONAL_ID = "[เลขบัตรประชาชน]"
EMAIL = "[อีเมล]"
KINDS = {"phone": PHONE, "national_id": NATIONAL_ID, "email": EMAIL}

# What may stand between two digits of one number. Invisible: format characters (zero-width space,
# joiners, soft hyphen, direction marks, BOM), variation selectors and combining marks (keycaps).
INVISIBLE = (
    "\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufe00-\ufe0f\u0300-\u036f\u20d0-\u20ff"
)
DASHES = "\\-\u2010-\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
DOTS = ".\u00b7\u2024\u2027\u30fb\uff0e\uff61"
SLASHES = "/\u2044\u2215\uff0f"
BRACKETS = "()\\[\\]\uff08\uff09\uff3b\uff3d"
SEPARATOR = rf"\s{INVISIBLE}{DASHES}{DOTS}{SLASHES}{BRACKETS}"
PLUS = "+\uff0b\ufe62\u207a"

# Nine digits with only separators between them (the shortest number redacted, a landline), as a quick
# check that admits a little more: its first character is looked for in a small class (the digits of
# the scripts of the Basic Multilingual Plane, and the whole range that holds every other script's
# digits), which a regular expression searches for at C speed, where a \d first is tried at every
# character (twice as slow on the real comments; a lookahead for \d undoes the gain).
DIGIT_ZEROS = (
    0x30,
    0x660,
    0x6F0,
    0x7C0,
    0x966,
    0x9E6,
    0xA66,
    0xAE6,
    0xB66,
    0xBE6,
    0xC66,
    0xCE6,
    0xD66,
    0xDE6,
    0xE50,
    0xED0,
    0xF20,
    0x1040,
    0x1090,
    0x17E0,
    0x1810,
    0x1946,
    0x19D0,
    0x1A80,
    0x1A90,
    0x1B50,
    0x1BB0,
    0x1C40,
    0x1C50,
    0xA620,
    0xA8D0,
    0xA900,
    0xA9D0,
    0xA9F0,
    0xAA50,
    0xABF0,
    0xFF10,
)
FIRST_DIGIT = "".join(f"{chr(z)}-{chr(z + 9)}" for z in DIGIT_ZEROS) + "\U000104a0-\U0001fbf9"
NINE_DIGITS = re.compile(rf"[{FIRST_DIGIT}](?:[{SEPARATOR}]*\d){{8}}")
RUN = re.compile(rf"\d(?:[{SEPARATOR}]*\d)*")
GROUP = re.compile(r"\d+")
SPACES = re.compile(" +")
INVISIBLE_RE, DASH_RE = re.compile(f"[{INVISIBLE}]"), re.compile(f"[{DASHES}]")
PLUS_BEFORE = re.compile(rf"[{PLUS}][\s(\[\uff08\uff3b]*$")
OPEN_BEFORE = re.compile(rf"[(\[\uff08\uff3b][\s{PLUS}]*$")
CLOSING = ")]"
SEPARATOR_CHARACTERS = 3  # between two groups, once whitespace is folded: " - ", ") (", "/"
MOST_DIGITS = 15  # +66 (0) and 9 digits; 0066 and 9; E.164 numbers
ID_LAYOUT = [1, 4, 5, 2, 1]  # how a national ID number is printed on the card

EMAIL_RE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*\s?@\s?[A-Za-z0-9][A-Za-z0-9\-]*"
    r"(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
# characters an e-mail may be disguised with: read as their ASCII forms (fold()) before EMAIL_RE
DISGUISED = re.compile(rf"[\uff01-\uff5e\ufe6b{INVISIBLE}]")

# what may follow a date's four digits that makes them a time, an amount or a count, not a phone's end
UNIT_AFTER = re.compile(r"\s*(?:น\.|นาฬิกา|โมง|บาท|บ\.|ราย|คน|ครั้ง|ชม|ชั่วโมง|นาที|ปี|[.:,%]\d|hrs?\b|h\b|baht|THB)", re.I)
DAY_OR_MONTH = {str(n) for n in range(1, 32)} | {f"{n:02d}" for n in range(1, 32)}
# An 11-digit case number of the Prime Minister's Office after นร; a government letter's number after the
# two letters of its agency's code (ที่ กท 0303/12345: the office's 4 digits, a slash, the letter's number)
CASE_NUMBER_BEFORE = re.compile(r"นร\s*\.?\s*$")
AGENCY_CODE_BEFORE = re.compile(r"(?:^|[^\u0e00-\u0e7f])[\u0e01-\u0e2e]{2}\s*\.?\s*$")


def national_id_valid(digits: str) -> bool:
    """The last of 13 digits is (11 - sum(digit_i * (13 - i)) mod 11) mod 10."""
    values = [int(d) for d in digits]
    if len(values) != 13:
        return False
    total = sum(v * (13 - i) for i, v in enumerate(values[:12]))
    return (11 - total % 11) % 10 == values[12]


def ascii_digits(group: str) -> str:
    return group if group.isascii() else "".join(str(unicodedata.decimal(c)) for c in group)


@lru_cache(maxsize=4096)
def fold(character: str) -> str:
    """How a character reads: whitespace a space, invisible characters nothing, dashes '-', fullwidth
    and other compatibility forms their ASCII character; anything else itself."""
    if character.isspace():
        return " "
    if INVISIBLE_RE.match(character):
        return ""
    if DASH_RE.match(character):
        return "-"
    plain = unicodedata.normalize("NFKC", character)
    return plain if plain.isascii() else character


def folded(text: str) -> str:
    """A separator as it reads: its characters folded, each run of whitespace one space."""
    return SPACES.sub(" ", "".join(map(fold, text)))


def national_phone(digits: str, plus: bool) -> str | None:
    """The number as 0XXXXXXXX(X) when `digits` is a Thai phone number (the country code and a
    trunk 0 after it dropped), else None."""
    if digits.startswith(("0066", "66")):
        rest = digits[4:] if digits.startswith("0066") else digits[2:]
        digits = rest if rest.startswith("0") else "0" + rest
    elif plus or not digits.startswith("0"):
        return None
    if len(digits) == 10 and digits[1] in "689":
        return digits  # mobile
    if len(digits) == 9 and digits[1] in "234567":
        return digits  # landline: 02 + 7 digits, 03x-07x + 6 digits
    return None


class Run:
    """A run of digits and separators: its groups of digits (as ASCII) and the separators between
    them (folded), and the numbers made of whole groups it holds (see the module's text)."""

    def __init__(self, text: str, start: int, end: int):
        self.text = text
        self.spans = [m.span() for m in GROUP.finditer(text, start, end)]
        self.digits = [ascii_digits(text[a:b]) for a, b in self.spans]
        self.separators = [folded(text[a:b]) for (_, a), (b, _) in zip(self.spans, self.spans[1:])]
        # a number may end at a separator holding more than dots, and span separators of a few characters
        self.ends = [bool(sep.strip(DOTS)) or len(sep) > 1 for sep in self.separators] + [True]
        self.joins = [len(sep) <= SEPARATOR_CHARACTERS for sep in self.separators]
        before = text[max(0, start - 12) : start]
        self.plus = PLUS_BEFORE.search(before) is not None
        # groups that belong to a case or letter number, never to a phone or ID number
        self.kept = (
            {k for k, d in enumerate(self.digits) if len(d) == 11} if CASE_NUMBER_BEFORE.search(before) else set()
        )
        if (
            AGENCY_CODE_BEFORE.search(before)
            and len(self.digits) > 1
            and len(self.digits[0]) == 4
            and self.separators[0] in ("/", ".")
        ):
            self.kept |= {0, 1}
        self.dated = self.dates()  # in no phone number; a valid ID's check digit outweighs them

    def dates(self) -> set[int]:
        """The groups that are a date, day/month/year (09/12/66, 2-1-2500, 31.12.2566) before a space
        or at the end: never part of a phone number (09/12/66 12.00 holds the digits of one)."""
        groups, separators, found = self.digits, self.separators + [" "], set()
        for k in range(len(groups) - 2):
            if (
                separators[k] == separators[k + 1]
                and separators[k] in ("/", "-", ".")
                and groups[k] in DAY_OR_MONTH
                and groups[k + 1] in DAY_OR_MONTH
                and int(groups[k + 1]) <= 12
                and len(groups[k + 2]) in (2, 4)
                and separators[k + 2].startswith(" ")
                and not self.phone_after(k)
            ):
                found |= {k, k + 1, k + 2}
        return found

    def phone_after(self, k: int) -> bool:
        """08/12/34 5678: a mobile number written as a date and four digits, the run's last group with
        no unit after it (09/12/66 1200 บาท is a date and a price)."""
        last = len(self.digits) - 1
        if (
            last != k + 3
            or len(self.digits[k + 2]) != 2
            or len(self.digits[last]) != 4
            or self.separators[k + 2] != " "
        ):
            return False
        after = self.text[self.spans[last][1] : self.spans[last][1] + 12]
        return national_phone("".join(self.digits[k:]), False) is not None and not UNIT_AFTER.match(after)

    def kind(self, i: int, j: int, digits: str) -> str | None:
        """What groups i..j (their digits: `digits`) are: "phone", "national_id" or None."""
        if self.kept and not self.kept.isdisjoint(range(i, j + 1)):
            return None
        plus = self.plus and i == 0
        if (national_phone(digits, plus) is not None or plus and len(digits) >= 9) and (
            not self.dated or self.dated.isdisjoint(range(i, j + 1))
        ):
            return "phone"
        return "national_id" if len(digits) == 13 and national_id_valid(digits) else None

    def windows(self, i: int):
        """(j, digits) of the numbers that may start at group i: whole groups, joined by short
        separators, ending where a number may end, of 9 to MOST_DIGITS digits."""
        if i and not self.ends[i - 1]:
            return
        digits = ""
        for j in range(i, len(self.digits)):
            digits += self.digits[j]
            if len(digits) > MOST_DIGITS:
                return
            if len(digits) >= 9 and self.ends[j]:
                yield j, digits
            if j < len(self.joins) and not self.joins[j]:
                return

    def numbers(self):
        """(start, end, kind) of each number in the run, left to right, the longest at each group."""
        i, count = 0, len(self.digits)
        if [len(d) for d in self.digits] == ID_LAYOUT:  # an ID's layout is an ID or nothing
            kind = self.kind(0, count - 1, "".join(self.digits))
            if kind:
                yield self.start_of(0, count - 1), self.spans[-1][1], kind
            return
        while i < count:
            found = None
            for j, digits in self.windows(i):
                kind = self.kind(i, j, digits)
                if kind:
                    found = (j, kind)
            # a bare 66 before a number that is one by itself is another number (ซอย 66 0812345678)
            if (
                found
                and self.digits[i] in ("66", "0066")
                and not (self.plus and i == 0)
                and any(j == found[0] and self.kind(i + 1, j, digits) == found[1] for j, digits in self.windows(i + 1))
            ):
                found = None
            if not found:
                i += 1
                continue
            j, kind = found
            end = self.spans[j][1]
            while end < len(self.text) and INVISIBLE_RE.match(self.text[end]):  # a keycap's marks
                end += 1
            yield self.start_of(i, j), end, kind
            i = j + 1

    def start_of(self, i: int, j: int) -> int:
        """Where the replacement starts: the first digit, or an opening bracket before it that the
        number's own separators close ("(081) 234 5678", "(+66) 81 ..."), or the + of "+66 ..."."""
        start = self.spans[i][0]
        before_from = self.spans[i - 1][1] if i else max(0, start - 12)
        before = self.text[before_from:start]
        if any(c in CLOSING for sep in self.separators[i:j] for c in sep):
            opening = OPEN_BEFORE.search(before)
            if opening:
                return before_from + opening.start()
        plus = PLUS_BEFORE.search(before) if i == 0 and self.plus else None
        return before_from + plus.start() if plus else start


class Redactor:
    """Replaces personal data in text and counts what it replaced, per kind."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def _emails(self, text: str) -> str:
        if DISGUISED.search(text):
            folded, origin = [], []
            for index, character in enumerate(text):
                plain = fold(character) if not character.isascii() else character
                folded.append(plain)
                origin.extend([index] * len(plain))
            matches = [(origin[m.start()], origin[m.end() - 1] + 1) for m in EMAIL_RE.finditer("".join(folded))]
        else:
            matches = [m.span() for m in EMAIL_RE.finditer(text)]
        for start, end in reversed(matches):
            self.counts["email"] += 1
            text = text[:start] + EMAIL + text[end:]
        return text

    def _numbers(self, text: str) -> str:
        found = []
        for run in RUN.finditer(text):
            if run.end() - run.start() >= 9 and sum(map(str.isdigit, run.group())) >= 9:
                found.extend(Run(text, *run.span()).numbers())
        for start, end, kind in reversed(found):
            self.counts[kind] += 1
            text = text[:start] + KINDS[kind] + text[end:]
        return text

    def redact(self, text: str | None, numbers: bool = True) -> str | None:
        """`text` with every phone number, national ID and e-mail replaced by its marker.

        numbers=False leaves digits alone (for machine-made text such as the path of a URL).
        """
        if not text:
            return text
        digits = numbers and NINE_DIGITS.search(text) is not None
        if "@" in text or "\uff20" in text or "\ufe6b" in text:
            text = self._emails(text)
        if digits:
            text = self._numbers(text)
        return text


def may_hold_personal_data(text: str) -> bool:
    """False for most texts, at once: no nine digits and no @ (the check redaction starts with)."""
    return bool(text) and ("@" in text or "\uff20" in text or "\ufe6b" in text or NINE_DIGITS.search(text) is not None)


def redact(text: str | None) -> str | None:
    """One-off redaction, without counting."""
    return Redactor().redact(text)


def find_personal_data(text: str, numbers: bool = True) -> list[str]:
    """What redaction would replace in `text` (empty for clean text): for checks, tests and audits."""
    redactor = Redactor()
    redactor.redact(text, numbers)
    return sorted(redactor.counts.elements())


def find_personal_data_in_code(value: str) -> list[str]:
    """find_personal_data() of a code or a link, which is published as it is: in a link (http:// or
    https://) numbers count in its query string only (the digits of a file name such as
    /files/0812345678.pdf are no phone number), e-mails anywhere."""
    if value.startswith(("https://", "http://")):
        path, _, query = value.partition("?")
        return sorted(find_personal_data(path, numbers=False) + find_personal_data(query))
    return find_personal_data(value)
