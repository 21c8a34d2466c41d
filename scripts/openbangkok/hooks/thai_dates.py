"""Dates for Thai readers: on HTML pages an ISO date or timestamp cell shows the Thai date with
its Buddhist-era year beside it, "2023-09-04 (4 ก.ย. 2566)"; timestamps also show Thai time
(UTC+7). JSON and CSV keep the ISO value: render_cell only affects HTML.
"""

import datetime as dt
import re

from datasette import hookimpl
from markupsafe import Markup, escape

from openbangkok.thai.conversions import THAI_MONTHS, buddhist_era_year

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
THAI_TIME = dt.timezone(dt.timedelta(hours=7))


def thai_date(day: dt.date) -> str:
    return f"{day.day} {THAI_MONTHS[day.month][1]} {buddhist_era_year(day.year)}"


def thai_label(value: str) -> str | None:
    """'2023-09-04' -> '4 ก.ย. 2566'; '2023-09-04T03:12:00+00:00' -> '4 ก.ย. 2566 10:12 น.'; else None."""
    try:
        if ISO_DATE.match(value):
            return thai_date(dt.date.fromisoformat(value))
        if ISO_DATETIME.match(value):
            text = re.sub(r"(\.\d{6})\d+", r"\1", value.replace(" ", "T", 1))
            when = dt.datetime.fromisoformat(text).astimezone(THAI_TIME)
            return f"{thai_date(when.date())} {when:%H:%M} น."
    except ValueError:
        return None
    return None


@hookimpl
def render_cell(value):
    if not isinstance(value, str) or len(value) > 40 or not value[:4].isdigit():
        return None
    label = thai_label(value)
    if label is None:
        return None
    return Markup('{} <span class="thai-date" lang="th">({})</span>').format(escape(value), label)
