"""Table Schema field types -> SQLite column types, and frictionless cell values -> SQLite values."""

from __future__ import annotations

import datetime as dt
import decimal
import json

SQLITE_TYPES = {
    "integer": int,
    "number": float,
    "boolean": int,
    "year": int,
}


def column_types(schema: dict) -> dict[str, type]:
    """{column: python type} as sqlite-utils expects it: int -> INTEGER, float -> REAL, str -> TEXT."""
    return {f["name"]: SQLITE_TYPES.get(f.get("type", "string"), str) for f in schema.get("fields", [])}


def to_sqlite(value):
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, tuple) and hasattr(value, "month"):  # frictionless yearmonth
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
