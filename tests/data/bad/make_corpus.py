"""Writes the bad-input corpus: each file is one way real agency files go wrong.

Each file replaces one file of tests/data/valid/sample; manifest.yaml says which, and the
ROW:COLUMN:TYPE the build must report. Run it again after changing a case: python make_corpus.py. (The 10 MB single field is written by
the test itself, tests/test_bad_input.py, to keep the repository small.)
"""

from pathlib import Path

import yaml

HERE = Path(__file__).parent
PLACES = "place_id,name_th,kind_code,visitors,status,phone_code,opened_on,closed_on"
GOOD = "1,สวนลุมพินี,park,12,open,02,2023-09-04,"
GOOD2 = "2,สวนจตุจักร,park,40,open,02,2023-09-04,"
SITES = "site_id,name_th,latitude,longitude,visited_on"


def lines(*rows, end="\n"):
    return (end.join(rows) + end).encode("utf-8")


CASES = {
    # name: (replaces, content bytes, "ROW:COLUMN:TYPE")
    "utf16-without-bom": ("places.csv", lines(PLACES, GOOD).decode().encode("utf-16-le"), "1::encoding-error"),
    "not-utf8-not-thai": (
        "places.csv",
        PLACES.encode() + b"\n1,\x8f\xdb\xfc,park,1,open,02,2023-09-04,\n",
        "2::encoding-error",
    ),
    "header-typo": ("places.csv", lines(PLACES.replace("visitors", "visiters"), GOOD), "1:visiters:incorrect-label"),
    "missing-column": ("places.csv", lines(PLACES.rsplit(",", 1)[0], GOOD[:-1]), "1:closed_on:missing-label"),
    "extra-column": ("places.csv", lines(PLACES + ",note", GOOD + ",x"), "1:note:extra-label"),
    "duplicate-header": (
        "places.csv",
        lines(PLACES.replace("closed_on", "opened_on"), GOOD + "2023-09-04"),
        "1:opened_on:duplicate-label",
    ),
    "blank-header": ("places.csv", lines(PLACES.replace("status", ""), GOOD), "1:status:blank-label"),
    "duplicated-key": (
        "places.csv",
        lines(PLACES, GOOD, GOOD.replace("สวนลุมพินี", "สวนเบญจกิติ")),
        "3:place_id:primary-key",
    ),
    "empty-key": ("places.csv", lines(PLACES, GOOD, "," + GOOD2.split(",", 1)[1]), "3:place_id:constraint-error"),
    "foreign-key-to-nothing": ("places.csv", lines(PLACES, GOOD.replace("park", "zoo")), "2:kind_code:foreign-key"),
    "foreign-key-wrong-case": ("places.csv", lines(PLACES, GOOD.replace("park", "Park")), "2:kind_code:foreign-key"),
    "number-with-letters": ("places.csv", lines(PLACES, GOOD.replace(",12,", ",12a,")), "2:visitors:type-error"),
    "number-with-unit": ("places.csv", lines(PLACES, GOOD.replace(",12,", ",12 คน,")), "2:visitors:type-error"),
    "excel-error-value": ("places.csv", lines(PLACES, GOOD.replace(",12,", ",#N/A,")), "2:visitors:type-error"),
    "bad-thousands-separator": ("places.csv", lines(PLACES, GOOD.replace(",12,", ',"4,94",')), "2:visitors:type-error"),
    "thai-digits-with-letter": ("places.csv", lines(PLACES, GOOD.replace(",12,", ",๑๒ก,")), "2:visitors:type-error"),
    "negative-count": ("places.csv", lines(PLACES, GOOD.replace(",12,", ",-5,")), "2:visitors:constraint-error"),
    "over-maximum": ("places.csv", lines(PLACES, GOOD.replace(",12,", ",100001,")), "2:visitors:constraint-error"),
    "enum-wrong-case": ("places.csv", lines(PLACES, GOOD.replace(",open,", ",Open,")), "2:status:constraint-error"),
    "enum-thai-instead": ("places.csv", lines(PLACES, GOOD.replace(",open,", ",เปิด,")), "2:status:constraint-error"),
    "pattern-leading-zero-lost": (
        "places.csv",
        lines(PLACES, GOOD.replace(",02,", ",2,")),
        "2:phone_code:constraint-error",
    ),
    "required-only-spaces": ("places.csv", lines(PLACES, GOOD.replace("สวนลุมพินี", "   ")), "2:name_th:constraint-error"),
    "duplicate-unique-name": (
        "places.csv",
        lines(PLACES, GOOD, GOOD2.replace("สวนจตุจักร", "สวนลุมพินี")),
        "3:name_th:unique-error",
    ),
    "date-does-not-exist": (
        "places.csv",
        lines(PLACES, GOOD.replace("2023-09-04", "31/02/2566")),
        "2:opened_on:type-error",
    ),
    "date-february-29-not-leap": (
        "places.csv",
        lines(PLACES, GOOD.replace("2023-09-04", "29/02/2566")),
        "2:opened_on:type-error",
    ),
    "date-month-first": (
        "places.csv",
        lines(PLACES, GOOD.replace("2023-09-04", "12/25/2566")),
        "2:opened_on:type-error",
    ),
    "date-with-time": (
        "places.csv",
        lines(PLACES, GOOD.replace("2023-09-04", "2023-09-04 10:00")),
        "2:opened_on:type-error",
    ),
    "date-unknown-month-name": (
        "places.csv",
        lines(PLACES, GOOD.replace("2023-09-04", "4 ก.ข. 66")),
        "2:opened_on:type-error",
    ),
    "closed-before-opened": ("places.csv", lines(PLACES, GOOD + "2023-01-01"), "2:closed_on:row-constraint"),
    "coordinates-swapped": (
        "sites.csv",
        lines(SITES, "S1,ศาลาว่าการ,100.5017,13.7532,2023-09-04"),
        "2:latitude:constraint-error",
    ),
    "two-digit-year-not-declared": (
        "sites.csv",
        lines(SITES, "S1,ศาลาว่าการ,13.7532,100.5017,4/9/66"),
        "2:visited_on:type-error",
    ),
    "coordinate-with-comma-decimal": (
        "sites.csv",
        lines(SITES, 'S1,ศาลาว่าการ,"13,7532",100.5017,2023-09-04'),
        "2:latitude:type-error",
    ),
    "empty-file": ("places.csv", b"", "::source-error"),
    "whitespace-only-file": ("places.csv", b"\n\n  \n", "::source-error"),
    "header-only": ("places.csv", lines(PLACES), "::table-dimensions"),
    "nul-byte": ("places.csv", lines(PLACES, GOOD, GOOD2).replace(b"park", b"pa\x00rk", 1), "2::encoding-error"),
    "unclosed-quote": (
        "places.csv",
        lines(PLACES, GOOD, '2,"สวนจตุจักร,park,40,open,02,2023-09-04,', GOOD2.replace("2,", "3,", 1)),
        "3::format-error",
    ),
    "semicolon-separated": ("places.csv", lines(PLACES.replace(",", ";"), GOOD.replace(",", ";")), "1::format-error"),
    "tab-separated": ("places.csv", lines(PLACES.replace(",", "\t"), GOOD.replace(",", "\t")), "1::format-error"),
    "web-page-saved-as-csv": (
        "places.csv",
        b"<!DOCTYPE html><html><body>Session expired</body></html>\n",
        "1::format-error",
    ),
    "workbook-renamed-csv": ("places.csv", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "::format-error"),
    "stray-comma-extra-cell": ("places.csv", lines(PLACES, GOOD + ",,"), "2::extra-cell"),
    "missing-cell": ("places.csv", lines(PLACES, GOOD.rsplit(",", 1)[0]), "2:closed_on:missing-cell"),
    "blank-row-in-middle": ("places.csv", lines(PLACES, GOOD, ",,,,,,,", GOOD2.replace("2,", "3,", 1)), "3::blank-row"),
    # Fixable dirt that is converted; the one real error after it proves row numbers stay right.
    "mixed-line-ends-then-error": (
        "places.csv",
        (PLACES + "\r\n" + GOOD + "\n" + GOOD2.replace(",40,", ",4o,") + "\r\n").encode(),
        "3:visitors:type-error",
    ),
    "bom-then-error": (
        "places.csv",
        b"\xef\xbb\xbf" + lines(PLACES, GOOD, GOOD2.replace("park", "zoo")),
        "3:kind_code:foreign-key",
    ),
    "windows-874-then-error": (
        "places.csv",
        lines(PLACES, GOOD, GOOD2.replace(",open,", ",shut,")).decode().encode("cp874"),
        "3:status:constraint-error",
    ),
    "crlf-quoted-newline-then-error": (
        "places.csv",
        lines(PLACES, GOOD.replace("สวนลุมพินี", '"สวน\r\nลุมพินี"'), GOOD2.replace(",40,", ",x,"), end="\r\n"),
        "3:visitors:type-error",
    ),
    "trailing-blank-lines-then-error": (
        "places.csv",
        lines(PLACES, GOOD.replace(",02,", ",2,")) + b"\n\n",
        "2:phone_code:constraint-error",
    ),
    "zero-width-in-key-then-error": (
        "places.csv",
        lines(PLACES, GOOD.replace("park", "pa\u200brk"), GOOD2.replace(",open,", ",?,")),
        "3:status:constraint-error",
    ),
}


def main():
    manifest = {}
    for name, (replaces, content, expected) in CASES.items():
        filename = f"{name}.csv"
        (HERE / filename).write_bytes(content)
        manifest[filename] = {"replaces": replaces, "expect": expected}
    (HERE / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=True), encoding="utf-8")


if __name__ == "__main__":
    main()
