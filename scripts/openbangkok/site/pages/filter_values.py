"""Table filters typed the Thai way: `?district_code=๑๐๐๑`, `?amount__gt=๔,๙๙๙` and
`?day__gte=๑ ม.ค. ๒๕๖๖` filter as `1001`, `4999` and `2023-01-01` do (thai.conversions.typed_value).
Datasette compared the text as typed, so these matched nothing and the page said 0 rows.

Only the operators that compare a value: contains, like, glob and the others search text, where Thai
digits are text. ASCII input is never rewritten.
"""

from __future__ import annotations

from openbangkok.thai.conversions import typed_value

ONE_VALUE = frozenset({"exact", "not", "gt", "gte", "lt", "lte", "date"})
LIST_OF_VALUES = frozenset({"in", "notin"})


# U+0E00-U+0E7F in UTF-8 starts E0 B8 or E0 B9, sent as is or percent-encoded
THAI_LEAD_BYTES = (b"\xe0\xb8", b"\xe0\xb9", b"%E0%B8", b"%E0%B9")


def may_hold_thai(query: bytes) -> bool:
    """Whether a raw query string may hold a Thai character: the others are passed on unparsed."""
    upper = query.upper()
    return any(lead in upper for lead in THAI_LEAD_BYTES)


def operator_of(name: str) -> str:
    """Datasette's reading of `column__operator`: the last `__` splits, no operator means exact."""
    return name.rsplit("__", 1)[1] if "__" in name else "exact"


def read_filters(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The query string's pairs with each filter value as the database holds it."""
    read = []
    for name, value in pairs:
        operator = None if name.startswith("_") else operator_of(name)
        if operator in ONE_VALUE:
            value = typed_value(value)
        elif operator in LIST_OF_VALUES:
            value = typed_value(value, many=True)
        read.append((name, value))
    return read
