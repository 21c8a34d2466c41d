"""Dates for Thai readers: on HTML pages an ISO date, month or timestamp cell shows its Thai reading
with the Buddhist-era year beside it, "2023-09-04 (4 ก.ย. 2566)", "2022-12 (ธ.ค. 2565)"; timestamps
also show Thai time (UTC+7). JSON and CSV keep the ISO value: render_cell only affects HTML.
"""

from datasette import hookimpl
from markupsafe import Markup, escape

from openbangkok.thai.conversions import thai_label


@hookimpl
def render_cell(value):
    if not isinstance(value, str) or len(value) > 40 or not value[:4].isdigit():
        return None
    label = thai_label(value)
    if label is None:
        return None
    return Markup('{} <span class="thai-date" lang="th">({})</span>').format(escape(value), label)
