"""SQL functions shared by the build (rules, derived tables) and the site (plugins/sql_functions.py)."""

from __future__ import annotations

import sqlite3

from . import thai


def thai_fiscal_year(iso_date: str | None) -> int | None:
    """Thai fiscal year (ค.ศ.) of an ISO date: October to September."""
    if not iso_date:
        return None
    year, month = int(iso_date[:4]), int(iso_date[5:7])
    return year + 1 if month >= 10 else year


def buddhist_year(year: int | None) -> int | None:
    return None if year is None else thai.buddhist_era_year(int(year))


FUNCTIONS = {
    "thai_fiscal_year": (1, thai_fiscal_year),
    "buddhist_year": (1, buddhist_year),
}


def register(conn: sqlite3.Connection) -> None:
    for name, (arity, function) in FUNCTIONS.items():
        conn.create_function(name, arity, function, deterministic=True)
