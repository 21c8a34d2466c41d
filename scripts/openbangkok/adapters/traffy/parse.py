"""One raw text of a Traffy Fondue ticket read into a value: the types' set literal, a timestamp,
the coordinates (perhaps in parentheses or latitude first), a count, a time written back in ISO
seconds. Functions of the text alone (no state): normalise.py calls them and tallies what they could
not read.
"""

from __future__ import annotations

import csv
import datetime as dt

from openbangkok.thai import conversions as thai
from openbangkok.thai.redact import find_personal_data, may_hold_personal_data

# Thailand's latitudes and longitudes do not overlap: a pair that fits only the other way round was
# written latitude first.
THAILAND = {"latitude": (5.5, 20.5), "longitude": (97.3, 105.7)}
ZERO = dt.timedelta(0)  # UTC's offset


def parse_set(text: str) -> list[str]:
    """A PostgreSQL array literal as Traffy writes it: '{ถนน,ทางเท้า}', '{}', '{"a b",c}'; plain
    comma-joined names ('ถนน,ทางเท้า', the API's `type`) read the same."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if not text:
        return []
    items = next(csv.reader([text], skipinitialspace=True)) if '"' in text else text.split(",")
    seen = {}
    for item in items:
        item = item.strip()
        if item and item.upper() != "NULL":
            seen.setdefault(item, None)
    return list(seen)


def parse_time(text: str) -> dt.datetime | None:
    """A Traffy timestamp ('2022-06-04 15:34:14.955151+00', any fraction, UTC when no offset)."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC) if moment.utcoffset() else moment


def parse_coords(text: str) -> tuple[float | None, float | None, str | None]:
    """(latitude, longitude, note) from 'longitude,latitude', perhaps in parentheses.

    note: None, "parentheses", "swapped" (written latitude first: unmistakable in Thailand, where
    latitudes are 5-21 and longitudes 97-106) or "unreadable".
    """
    text = text.strip()
    if not text:
        return None, None, None
    note = None
    if text[0] in "([" and text[-1] in ")]":
        text, note = text[1:-1], "parentheses"
    parts = text.replace(" ", ",").split(",") if "," not in text else text.split(",")
    try:
        if len(parts) == 2:  # float() refuses a blank part, as the filter below would
            longitude, latitude = float(parts[0]), float(parts[1])
        else:
            longitude, latitude = (float(p) for p in parts if p.strip())
    except ValueError:
        return None, None, "unreadable"
    lat_range, lon_range = THAILAND["latitude"], THAILAND["longitude"]
    if lat_range[0] <= longitude <= lat_range[1] and lon_range[0] <= latitude <= lon_range[1]:
        return longitude, latitude, "swapped"
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):  # also false for NaN
        return None, None, "unreadable"
    return latitude, longitude, note


def parse_count(text: str, low: int, high: int | None) -> int | None | str:
    """An integer written as '3' or '3.0'; 'bad' when it is something else, or a phone or ID number
    (count_reopen=0678901234 was published as 678901234)."""
    text = text.strip()
    if not text:
        return None
    if may_hold_personal_data(text) and find_personal_data(text):
        return "bad"
    try:
        number = float(thai.arabic_digits(text))
    except ValueError:
        return "bad"
    if number != int(number) or number < low or (high is not None and number > high):
        return "bad"
    return int(number)


def iso_seconds(moment: dt.datetime, written: str) -> str:
    """moment.replace(microsecond=0).isoformat() for a moment parse_time() read from `written`;
    cut from the text when it is written Traffy's usual way ('2022-06-04 15:34:14.955151+00')."""
    if written[10:11] == " " and written.endswith("+00") and written[19:20] in ".+" and moment.utcoffset() == ZERO:
        return f"{written[:10]}T{written[11:19]}+00:00"
    return moment.replace(microsecond=0).isoformat()
