"""A bounded memo: what the site remembers of answers keyed on what a request says (a table name in
SQL, a filter) is kept for the most recently used keys only, so no sequence of requests grows it
without bound (tie_breaker's memo grew with every request naming a new table)."""

from __future__ import annotations

from collections import OrderedDict


class Memo(OrderedDict):
    """A dict of at most `size` items; the least recently read or written goes first."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def __getitem__(self, key):
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
