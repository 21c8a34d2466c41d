"""How large an address the site reads (plugins/bad_requests.py refuses the rest before Datasette
does any work): 3,000 `_where=1` froze the site for 23.5 s and 300 `_facet=comment` took 39 s.

Every page of the site needs far less: a table has at most 40 columns (so `_col`, `_nocol`, filters
and sorts stay under REPEATS), a page has a few facets, and a SQL query typed into the form is a few
kilobytes. The search box's words are bounded too: each word is a term the search index looks up.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_to_bytes

QUERY_BYTES = 8192                  # the query string, as sent (percent-encoded)
PATH_BYTES = 2048
PARAMETERS = 100
REPEATS = 50                        # one parameter name, e.g. _col of every column
FACET_REPEATS = 10                  # each facet is a query over the table
FEW = {"_facet": FACET_REPEATS, "_facet_array": FACET_REPEATS, "_facet_date": FACET_REPEATS, "_where": 10}
SEARCH_CHARACTERS = 200             # ?_search= and ?_search_<column>=


def refusal(scope: dict) -> tuple[int, str, str] | None:
    """(status, message, title) for an address the site does not read, None for any other."""
    query = scope.get("query_string", b"")
    path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    if len(query) > QUERY_BYTES or len(path) > PATH_BYTES:
        return (414, (f"ที่อยู่ยาวเกินไป / The address is too long: at most {PATH_BYTES:,} bytes of path and "
                      f"{QUERY_BYTES:,} of query string. For long SQL, use the SQLite file (/openbangkok.db)."),
                "URI too long")
    if b"\x00" in unquote_to_bytes(path) or b"%00" in query or b"\x00" in query:
        return 400, "ที่อยู่มีอักขระ NUL / The address holds a NUL character (%00): remove it.", None
    pairs = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True)
    if len(pairs) > PARAMETERS:
        return 400, f"พารามิเตอร์มากเกินไป / Too many parameters: at most {PARAMETERS} in one address.", None
    counts: dict[str, int] = {}
    for name, value in pairs:
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > FEW.get(name, REPEATS):
            return (400, (f"พารามิเตอร์ {name} ซ้ำมากเกินไป / The parameter {name} is repeated too often: "
                          f"at most {FEW.get(name, REPEATS)} times in one address."), None)
        if name.startswith("_search") and name != "_searchmode" and len(value) > SEARCH_CHARACTERS:
            return (400, f"คำค้นยาวเกินไป / The search is too long: at most {SEARCH_CHARACTERS} characters.", None)
    return None
