"""PDPA redaction: personal phone numbers, national ID numbers and e-mail addresses in free text.

Citizens write their own contact details into complaint texts. Before anything is written to a
database (staging included), every match is replaced by a visible marker:

    [โทรศัพท์]          Thai mobile (06/08/09 + 8 digits) and landline numbers (02 + 7 digits,
                        03x-07x + 6 digits), with or without dashes or spaces, and +66 / 66 forms
    [เลขบัตรประชาชน]    13-digit national ID numbers whose check digit is right, written together
                        or grouped 1-4-5-2-1 (with dashes or spaces)
    [อีเมล]             e-mail addresses

Digits may be Arabic or Thai (๐-๙). Numbers that are not one of these are left alone: prices,
dates, times, house numbers such as 99/123, ticket ids such as 2022-FYJTFP, 13-digit numbers with
a wrong check digit, short hotlines such as 1555. The corpus in tests/data/pdpa_cases.yaml holds
the cases this module must get right.
"""

from __future__ import annotations

import re
from collections import Counter

PHONE = "[โทรศัพท์]"
NATIONAL_ID = "[เลขบัตรประชาชน]"
EMAIL = "[อีเมล]"
KINDS = {"phone": PHONE, "national_id": NATIONAL_ID, "email": EMAIL}

# \d matches Thai digits too; int() reads them. Dashes: the hyphen-minus and the Unicode hyphens
# and dashes (en dash, em dash, minus sign...) a word processor puts in their place.
DASHES = "\\-\u2010-\u2015\u2212"
# Between two groups of digits: a space, or a dash with or without a space either side.
GROUP_BREAK = f"(?: ?[{DASHES}] ?| )?"
EMAIL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# 13 digits, together or as 1-4-5-2-1 groups (the check digit decides).
NATIONAL_ID_RE = re.compile(
    rf"(?<!\d)(\d){GROUP_BREAK}(\d{{4}}){GROUP_BREAK}(\d{{5}}){GROUP_BREAK}(\d{{2}}){GROUP_BREAK}(\d)(?!\d)")
# A run of 9-12 digits that may be a Thai number: a trunk 0 or the country code (66, +66, (+66),
# +66 (0)), each digit optionally after a bracket, a space, or a dash with or without a space either
# side (GROUP_BREAK); _phone_digits() decides.
PHONE_RE = re.compile(rf"(?<![\d+])(?:\+ ?|\(\+?)?\d(?:\)?{GROUP_BREAK}\(?\d){{8,11}}(?!\d)")
PHONE_DOTTED_RE = re.compile(r"(?<![\d.])0(?:[689]\d|2)\.\d{3}\.\d{4}(?!\d|\.\d)")
# Every pattern above needs nine digits with at most three separator characters between two of
# them; a text without such a run is returned at once (most texts: house numbers, dates, prices).
NINE_DIGITS = re.compile(rf"\d(?:[ .()+{DASHES}]{{0,3}}\d){{8}}")
FIRST_GROUP = re.compile(r"\D*\d+")
SEPARATORS = re.compile(rf"[ ()+{DASHES}]")


def national_id_valid(digits: str) -> bool:
    """The last of 13 digits is (11 - sum(digit_i * (13 - i)) mod 11) mod 10."""
    values = [int(d) for d in digits]
    if len(values) != 13:
        return False
    total = sum(v * (13 - i) for i, v in enumerate(values[:12]))
    return (11 - total % 11) % 10 == values[12]


def _phone_digits(match: str) -> str | None:
    """The number as 0XXXXXXXX(X) when `match` is a Thai phone number, else None."""
    groups = [g for g in SEPARATORS.split(match) if g]
    if len(groups) > 5:
        return None  # a list of small numbers, not one phone number
    digits = "".join(str(int(d)) for d in "".join(groups))
    if digits.startswith("66"):
        digits = digits[2:] if digits[2:3] == "0" else "0" + digits[2:]
    elif not digits.startswith("0"):
        return None
    if len(digits) == 10 and digits[1] in "689":
        return digits  # mobile
    if len(digits) == 9 and digits[1] in "234567":
        return digits  # landline: 02 + 7 digits, 03x-07x + 6 digits
    return None


class Redactor:
    """Replaces personal data in text and counts what it replaced, per kind."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def _email(self, match: re.Match) -> str:
        self.counts["email"] += 1
        return EMAIL

    def _national_id(self, match: re.Match) -> str:
        digits = "".join(match.group(1, 2, 3, 4, 5))
        if national_id_valid(digits):
            self.counts["national_id"] += 1
            return NATIONAL_ID
        return match.group(0)

    def _phone(self, match: re.Match) -> str:
        text = match.group(0)
        if _phone_digits(text) is None:
            # the run may start with another number, as in "ซอย 5 0812345678": try after its first group
            first = FIRST_GROUP.match(text)
            rest = text[first.end():]
            return text[:first.end()] + PHONE_RE.sub(self._phone, rest) if len(rest) >= 9 else text
        self.counts["phone"] += 1
        return PHONE

    def _dotted(self, match: re.Match) -> str:
        self.counts["phone"] += 1
        return PHONE

    def redact(self, text: str | None, numbers: bool = True) -> str | None:
        """`text` with every phone number, national ID and e-mail replaced by its marker.

        numbers=False leaves digits alone (for machine-made text such as the path of a URL).
        """
        if not text:
            return text
        if "@" in text:
            text = EMAIL_RE.sub(self._email, text)
        if not numbers or not NINE_DIGITS.search(text):
            return text
        text = NATIONAL_ID_RE.sub(self._national_id, text)
        text = PHONE_DOTTED_RE.sub(self._dotted, text)
        return PHONE_RE.sub(self._phone, text)


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
