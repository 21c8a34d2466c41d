"""Cells a reader can read (the layout settings: openbangkok.site.pages.layout): a photo URL as a small
lazy thumbnail with its size given (no layout shift), a JSON list as labels (chips). HTML only:
JSON and CSV keep the value. A photo's host must be in the Content-Security-Policy's img-src
(openbangkok/site/security/headers.py adds the hosts of `image_hosts:` in the same settings).
"""

from __future__ import annotations

import json
from functools import lru_cache
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from openbangkok.site import internals
from openbangkok.site.internals import to_css_class
from openbangkok.site.pages.layout import config, ordered

THUMB_WIDTH, THUMB_HEIGHT = 96, 72


def image_hosts(datasette) -> set[str]:
    """Every `image_hosts:` entry of the layout settings (site-wide and every table's)."""
    hosts = set((datasette.plugin_config("openbangkok-layout") or {}).get("image_hosts") or [])
    for table in internals.metadata(datasette, "tables", database="openbangkok") or {}:
        hosts |= set(config(datasette, table).get("image_hosts") or [])
    return hosts


def thumbnail(url: str, hosts: set[str]) -> Markup:
    """A thumbnail linked to the photo when its host is allowed, else a "รูป" link."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return Markup("{}").format(url)
    if parts.hostname in hosts:
        return Markup(
            '<a class="thumb" href="{0}"><img src="{0}" loading="lazy" decoding="async" width="{1}" '
            'height="{2}" alt="รูป / photo"></a>'
        ).format(url, THUMB_WIDTH, THUMB_HEIGHT)
    return Markup('<a class="photo-link" href="{}">รูป / photo</a>').format(url)


def chips(value: str) -> Markup | None:
    try:
        items = json.loads(value)
    except ValueError:
        return None
    if not isinstance(items, list) or not all(isinstance(i, str | int | float) for i in items):
        return None
    if not items:
        return Markup('<span class="chip-none">-</span>')
    return Markup('<span class="chips">{}</span>').format(
        Markup("").join(Markup('<span class="chip">{}</span>').format(i) for i in items)
    )


def render(datasette, table: str | None, column: str, value) -> Markup | None:
    if not table or not isinstance(value, str) or not value:
        return None
    settings = config(datasette, table)
    if column in (settings.get("thumbnails") or ()):
        return thumbnail(value, set(settings.get("image_hosts") or ()))
    if column in (settings.get("chips") or ()) and value[:1] == "[":
        return chips(value)
    return None


css_class = lru_cache(maxsize=4096)(to_css_class)


def table_cells(row, order=None) -> Markup:
    """The <td> cells of a row; with `order` (layout's column_order) those columns first."""
    if order:
        row = ordered(row, order, lambda cell: cell["column"])
    return Markup(
        "".join(
            f'<td class="col-{css_class(cell["column"])} type-{cell["value_type"]}">{escape(cell["value"])}</td>'
            for cell in row
        )
    )
