"""Column profiles of the published tables, computed in SQL over the built database (as csvstat
reports them: blanks, distinct values, min, max), for the data-quality page."""

from __future__ import annotations

import sqlite_utils

PROFILE_TABLE = "build_columns"


def profile_rows(db: sqlite_utils.Database, table: str):
    total = db[table].count
    for column in db[table].columns:
        name = f"[{column.name}]"
        blanks, distinct, lowest, highest, longest = db.execute(
            f"select sum({name} is null or {name} = ''), count(distinct {name}), min({name}), max({name}), "
            f"max(length({name})) from [{table}]"
        ).fetchone()
        yield {
            "table_name": table,
            "column_name": column.name,
            "sqlite_type": column.type,
            "rows": total,
            "blanks": blanks or 0,
            "distinct_values": distinct,
            "min_value": lowest,
            "max_value": highest,
            "max_length": longest,
        }


def record_profiles(db: sqlite_utils.Database, tables) -> None:
    rows = [row for table in tables for row in profile_rows(db, table)]
    db[PROFILE_TABLE].insert_all(rows, pk=("table_name", "column_name"), replace=True)
