"""The serving levers (openbangkok.site.serving.serving, sql_rewrites, table_permissions), each of which can be
switched off for measuring what it is worth: OPENBANGKOK_SERVING_OFF is a comma-separated list of
lever names (benchmarks/serve.py --levers). The start-up self-check (openbangkok.site.internals)
switches off a lever whose Datasette internals are not as it expects (DISABLED)."""

from __future__ import annotations

import os

LEVERS = (
    "mmap",
    "fast_array_facet",
    "facet_memo",
    "next_page_facets",
    "stream_csv",
    "gc",
    "search_sql",
    "precomputed_facets",
    "permission_memo",
    "fast_rows",
    "site_facets",  # the site's column and array facets (serving.SiteColumnFacet, SiteArrayFacet)
    "tie_breaker",  # the primary key added to a sorted first page (openbangkok.site.serving.tie_breaker)
    "http_cache",
)  # the HTTP layer (openbangkok.site.serving.http_cache), off only to measure its cost


DISABLED: set[str] = set()  # switched off by the self-check


def lever_on(name: str) -> bool:
    assert name in LEVERS, name
    return name not in DISABLED and name not in {
        v.strip() for v in os.environ.get("OPENBANGKOK_SERVING_OFF", "").split(",")
    }
