"""Table permission checks answered from memory: the same answers, without copying the metadata.

Datasette 0.65.5 decides `view-table` by walking the site's whole metadata for the table's `allow`
blocks (Datasette._table_permission_allows), deep-copying it first, twice per table page (what that
costs: benchmarks/README.md, Serving, table permissions from memory). The answer depends only on the database, the table and
the metadata, which does not change while the site runs (no plugin here implements get_metadata;
the metadata is given once, to the Datasette constructor). So it is computed once per table and
kept in a bounded LRU (table names come from URLs), forgotten if the metadata object is replaced.

If Datasette no longer has that method, a plugin supplies metadata at run time, or the lever
permission_memo is off (openbangkok.site.levers), nothing is changed. tests/test_table_permissions.py
checks that every table gets Datasette's own answer and that an `allow` block still refuses.
"""

from __future__ import annotations

import copy
import functools

from openbangkok.site import internals
from openbangkok.site.levers import lever_on

MEMO_SIZE = 1024
METHOD = internals.TABLE_PERMISSIONS_METHOD


def memoise(datasette) -> bool:
    """Replaces datasette's table permission lookup by a memo of it; False when it cannot."""
    original = getattr(datasette, METHOD, None)
    if (
        not lever_on("permission_memo")
        or original is None
        or getattr(original, "memoised", False)
        or internals.metadata_hooks()
    ):
        return False

    @functools.lru_cache(maxsize=MEMO_SIZE)
    def answer(database: str, table: str) -> list:
        return original(database, table)

    answered_for = [internals.local_metadata(datasette)]

    def allows(database, table):
        if internals.local_metadata(datasette) is not answered_for[0]:
            answer.cache_clear()
            answered_for[0] = internals.local_metadata(datasette)
        # a copy: the caller gets its own list of allow blocks, as from Datasette
        return copy.deepcopy(answer(database, table))

    allows.memoised = True
    allows.original = original
    setattr(datasette, METHOD, allows)
    return True
