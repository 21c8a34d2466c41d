"""SQL functions shared by the build (rules, derived tables) and the site (openbangkok/hooks/sql_functions.py)."""

from __future__ import annotations

import datetime as dt
import math
import sqlite3

from openbangkok.thai import conversions as thai
from openbangkok.thai import search as thai_search


def thai_fiscal_year(iso_date: str | None) -> int | None:
    """Thai fiscal year (ค.ศ.) of an ISO date: October to September."""
    if not iso_date:
        return None
    return thai.fiscal_year(dt.date(int(iso_date[:4]), int(iso_date[5:7]), 1))


def buddhist_year(year: int | None) -> int | None:
    return None if year is None else thai.buddhist_era_year(int(year))


# NACC ITA levels: (lowest score of the band, level), highest band first; below 50 is F.
ITA_LEVELS = ((95, "AA"), (85, "A"), (75, "B"), (65, "C"), (55, "D"), (50, "E"), (0, "F"))
ITA_PASS_MARK = 85


def ita_level(score: float | None) -> str | None:
    """ITA level of a total score (0-100, two decimals): AA 95-100, A 85-94.99, ... F below 50."""
    if score is None or not 0 <= float(score) <= 100:
        return None
    score = round(float(score), 2)
    return next(level for lowest, level in ITA_LEVELS if score >= lowest)


EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def haversine(lat1, lon1, lat2, lon2) -> float | None:
    """Great-circle distance in metres between two WGS84 points; None when a coordinate is missing."""
    if None in (lat1, lon1, lat2, lon2) or "" in (lat1, lon1, lat2, lon2):
        return None
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class Median:
    """median(x): the middle value of the group (the mean of the two middle values for an even
    count), NULLs left out. A statistic over a million complaints grouped by district and type
    takes half the time of numbering the rows with window functions."""

    def __init__(self) -> None:
        self.values: list = []

    def step(self, value) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self):
        values = sorted(self.values)
        if not values:
            return None
        count = len(values)
        return (values[(count + 1) // 2 - 1] + values[(count + 2) // 2 - 1]) / 2


AGGREGATES = {
    "median": (1, Median),
}

FUNCTIONS = {
    "thai_fiscal_year": (1, thai_fiscal_year),
    "buddhist_year": (1, buddhist_year),
    "ita_level": (1, ita_level),
    "haversine": (4, haversine),  # metres: haversine(lat1, lon1, lat2, lon2)
    "thai_index_text": (1, thai_search.index_text),  # text for a Thai FTS5 index (thai_search.py)
    "thai_fts_query": (1, thai_search.fts_query),  # MATCH expression for such an index
}


def register(conn: sqlite3.Connection) -> None:
    for name, (arity, function) in FUNCTIONS.items():
        conn.create_function(name, arity, function, deterministic=True)
    for name, (arity, aggregate) in AGGREGATES.items():
        conn.create_aggregate(name, arity, aggregate)
