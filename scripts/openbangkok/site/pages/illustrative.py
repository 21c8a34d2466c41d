"""Rows that are illustrative samples, recognised wherever the site shows or exports them.

A row is illustrative when its `is_illustrative` is 1; a statistic computed from samples says how
many it counts (`illustrative_tickets`, `illustrative_rows` above 0). Table, row and query pages
carry a Thai + English banner when the rows they show include one (openbangkok/hooks/illustrative_banner.py),
and so does the .xlsx of such rows (openbangkok/site/exports/xlsx.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

COLUMNS = ("is_illustrative", "illustrative_tickets", "illustrative_rows")
MARK = "ข้อมูลตัวอย่าง / ILLUSTRATIVE"
SHEET_TITLE = "ข้อมูลตัวอย่าง ILLUSTRATIVE"  # the first sheet of a workbook of such rows
BANNER_TH = (
    "ข้อมูลตัวอย่าง: {count} จาก {rows} แถวที่แสดงเป็นข้อมูลสมมติหรือคำนวณจากข้อมูลสมมติ "
    "ไม่ใช่ข้อมูลจริงของกรุงเทพมหานคร (แถวที่ is_illustrative = 1 หรือ illustrative_* มากกว่า 0)"
)
BANNER_EN = (
    "ILLUSTRATIVE: {count} of the {rows} rows shown are made-up sample data, or figures computed "
    "from it, not real BMA data (rows with is_illustrative = 1 or illustrative_* above 0)."
)


def banner(count: int, rows: int) -> list[str]:
    """The mark and the Thai and English banner lines for `count` illustrative rows of `rows`."""
    return [MARK, BANNER_TH.format(count=count, rows=rows), BANNER_EN.format(count=count, rows=rows)]


def flag_positions(columns: Sequence) -> list[int]:
    """Where the illustrative columns are among `columns` (names, or Datasette's column dicts)."""
    names = [c.get("name") if isinstance(c, dict) else c for c in columns or ()]
    return [i for i, name in enumerate(names) if name in COLUMNS]


def flagged(row, positions: list[int]) -> bool:
    """Whether a row (a sequence in the columns' order) is illustrative, given flag_positions()."""
    return any(_flagged(row[i]) for i in positions if i < len(row))


def illustrative_rows(rows: Iterable, columns: Sequence) -> tuple[int, int]:
    """(illustrative rows, rows) among rows given as sequences in `columns` order, or as mappings."""
    positions = flag_positions(columns)
    names = [c.get("name") if isinstance(c, dict) else c for c in columns or ()]
    count = total = 0
    for row in rows or ():
        total += 1
        if isinstance(row, dict):
            row = [row.get(name) for name in names]
        count += flagged(row, positions)
    return count, total


def _flagged(value) -> bool:
    if isinstance(value, dict):  # a labelled cell
        value = value.get("value")
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False


def illustrative_banner(rows, columns) -> dict | None:
    """{'th', 'en', 'mark', 'count'} for the rows a page shows, or None when none is illustrative."""
    try:
        count, total = illustrative_rows(list(rows or ()), list(columns or ()))
    except TypeError:  # an undefined template variable: a page without rows
        return None
    if not count:
        return None
    return {
        "th": BANNER_TH.format(count=count, rows=total),
        "en": BANNER_EN.format(count=count, rows=total),
        "mark": MARK,
        "count": count,
    }
