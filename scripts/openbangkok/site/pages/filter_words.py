"""What a filtered table page shows, said in Thai: Datasette's line "1,234 rows where district_code =
1006" names the raw column and code in English only; the table template puts this one first,
"ที่ รหัสเขต = เขตบางกะปิ (1006)", with the columns' Thai titles (labels.py), coded values named
(references.py, value_labels) and Datasette's English beside it. A filter on a year column
(`year_columns:` of openbangkok-labels) that finds no row says which years have data.
"""

from __future__ import annotations

import sqlite3

from datasette.database import QueryInterrupted

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.internals import escape_sqlite
from openbangkok.site.pages import labels, references

# Datasette 0.65's filter lookups (datasette.filters.Filters._filters), in Thai words
LOOKUPS = {
    "exact": "=",
    "not": "≠",
    "contains": "มีคำว่า",
    "endswith": "ลงท้ายด้วย",
    "startswith": "ขึ้นต้นด้วย",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "like": "ตรงกับแบบ (like)",
    "notlike": "ไม่ตรงกับแบบ (not like)",
    "glob": "ตรงกับแบบ (glob)",
    "in": "เป็นหนึ่งใน",
    "notin": "ไม่ใช่หนึ่งใน",
    "arraycontains": "มีรายการ",
    "arraynotcontains": "ไม่มีรายการ",
    "date": "วันที่",
}
YEARS_TIME_LIMIT_MS = 500
MAX_YEARS = 100
NO_VALUE = {"isnull": "ว่าง (null)", "notnull": "ไม่ว่าง (not null)", "isblank": "ว่าง", "notblank": "ไม่ว่าง"}


def thai_title(datasette, table: str, column: str) -> str:
    """The Thai half of a column's "ไทย / English" title, else the column's name."""
    title = labels.column_labels(datasette, table).get(column) or ""
    return title.split(" / ", 1)[0].strip() or column


async def _value(datasette, table: str, column: str, value) -> str:
    coded = labels.value_labels(datasette).get(column, {}).get(str(value))
    if coded:
        return f"{coded.split(' / ', 1)[0]} ({value})"
    return await references.named_value(datasette, table, column, value)


async def thai_where(datasette, table: str, request, selections, sort=None, sort_desc=None) -> str:
    """ "ที่ รหัสเขต = เขตบางกะปิ (1006) และ ..., ค้นหา "..." เรียงตาม ..." for the page's filters and its
    sort order (Datasette's, the table's default included; "" for none)."""
    parts = []
    for column, lookup, value in selections:
        title = thai_title(datasette, table, column)
        if lookup in NO_VALUE:
            parts.append(f"{title} {NO_VALUE[lookup]}")
        else:
            parts.append(f"{title} {LOOKUPS.get(lookup, lookup)} {await _value(datasette, table, column, value)}")
    text = f"ที่ {' และ '.join(parts)}" if parts else ""
    search = (request.args.get("_search") or "").strip() if request else ""
    if search:
        text += f' ค้นหา "{search}"'
    if sort or sort_desc:
        text += f" เรียงตาม {thai_title(datasette, table, sort or sort_desc)}{' มากไปน้อย' if sort_desc else ''}"
    return text.strip()


async def years_with_data(datasette, table: str, selections, count) -> dict | None:
    """{"column", "asked", "years"} when the page found no row and filters a year column on a year
    (`fiscal_year_be=2570`), else None. The distinct years are read within YEARS_TIME_LIMIT_MS: a
    table too large to answer in time says nothing more than it did."""
    if count != 0:
        return None
    year_columns = set((datasette.plugin_config(labels.PLUGIN) or {}).get("year_columns") or ())
    asked = [
        (column, str(value)) for column, lookup, value in selections if lookup == "exact" and column in year_columns
    ]
    if not asked:
        return None
    column, value = asked[0]
    try:
        rows = await datasette.get_database(DATABASE).execute(
            f"select distinct {escape_sqlite(column)} from {escape_sqlite(table)} "
            f"where {escape_sqlite(column)} is not null order by 1 limit {MAX_YEARS}",
            custom_time_limit=YEARS_TIME_LIMIT_MS,
        )
    except (QueryInterrupted, sqlite3.DatabaseError):
        return None
    years = [str(row[0]) for row in rows]
    return None if value in years else {"column": column, "asked": value, "years": years}
