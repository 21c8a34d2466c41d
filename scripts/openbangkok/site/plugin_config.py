"""The site's settings in metadata.yml's `plugins:` (Datasette's documented plugin_config), read once
per Datasette: the metadata does not change while the site runs, and render_cell hooks read theirs
for every cell of a page."""

from __future__ import annotations

import weakref

_read: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plugin_config(datasette, name: str) -> dict:
    """metadata.yml's `plugins: {name: {...}}`, {} when it has none."""
    known = _read.setdefault(datasette, {})
    if name not in known:
        known[name] = datasette.plugin_config(name) or {}
    return known[name]
