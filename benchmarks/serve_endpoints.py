"""The endpoints the serving benchmark asks for (benchmarks/serve.py), each with the SQL stock
Datasette runs for it (the floor) and its address on stock Datasette (the peer)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
from serve_setup import (
    DB,
    FACETS,
    MAP_QUERY,
    MAX_ROWS,
    PAGE,
    SEARCHES,
    STATE,
    TABLE,
    TARGET_P95_MS,
    TARGET_SEARCH_P95_MS,
    TYPES,
    Sample,
)

from openbangkok.site.serving import precomputed_facets as precomputing
from openbangkok.thai.search import search_escape


def columns_of(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    names = [r[1] for r in conn.execute(f"pragma table_info({TABLE})")]
    conn.close()
    return ", ".join(names)


def column_facet(column: str, sql: str) -> str:
    """Datasette 0.65's column facet query."""
    return (
        f"select {column} as value, count(*) as count from ({sql}) where {column} is not null "
        f"group by {column} order by count desc, value limit 31"
    )


def table_request(
    cols: str,
    where: str = "",
    params: dict | None = None,
    size: int = PAGE,
    order: str = "timestamp desc",
    filter_where: str | None = None,
) -> list[tuple[str, dict]]:
    """The SQL of a table page: its rows, the count and the three default facets (both over
    `filter_where`, the filter without a page's cursor), the district labels."""
    params = params or {}
    where_sql = f"where {where} " if where else ""
    filter_where = where if filter_where is None else filter_where
    filter_sql = f"where {filter_where} " if filter_where else ""
    inner = f"select {cols} from {TABLE} {filter_sql}"
    return [
        (f"select {cols} from {TABLE} {where_sql}order by {order} limit {size + 1}", params),
        (f"select count(*) from {TABLE} {filter_sql}", params),
        (column_facet("district_code", inner), params),
        (column_facet("state", inner), params),
        (precomputing.array_facet_sql("types", inner, 31, filtered=bool(filter_where)), params),
        (
            "select district_code, name_th from districts where district_code in "
            "(select district_code from districts limit 50)",
            {},
        ),
    ]


def search_where(term: str) -> tuple[str, dict]:
    return (
        "rowid in (select rowid from complaints_fts where complaints_fts match :search)",
        {"search": search_escape(term)},
    )


@dataclass
class Endpoint:
    name: str
    site: Callable[[int], str]
    floor: Callable[[int], list[tuple[str, dict]]] | None
    peer: Callable[[int], str] | None = None
    kind: str = "html"  # html, json, row
    target_ms: float | None = TARGET_P95_MS
    ratio_target: bool = True
    facets: tuple[str, ...] = FACETS  # facets the site's answer must carry (json)
    note: str = ""


def endpoints(db: Path, s: Sample, peer_db: str, league_sql: str, next_token: dict) -> list[Endpoint]:
    cols = columns_of(db)
    d = lambda i: s.districts[i % len(s.districts)]  # noqa: E731
    t = lambda i: s.tickets[i % len(s.tickets)]  # noqa: E731
    ty = lambda i: TYPES[i % len(TYPES)]  # noqa: E731
    table, peer_table = f"/{DB}/{TABLE}", f"/{peer_db}/{TABLE}"
    facet_query = "_facet=district_code&_facet=state&_facet_array=types"
    result = [
        Endpoint(
            "table, first page",
            lambda i: table,
            lambda i: table_request(cols),
            lambda i: peer_table,
            note="HTML, newest first, 3 default facets",
        ),
        Endpoint(
            "table, first page (JSON)",
            lambda i: f"{table}.json",
            lambda i: table_request(cols),
            lambda i: f"{peer_table}.json",
            kind="json",
        ),
        Endpoint(
            "facets district, state, types (JSON)",
            lambda i: f"{table}.json?{facet_query}",
            lambda i: table_request(cols),
            lambda i: f"{peer_table}.json?{facet_query}",
            kind="json",
            note="whole table",
        ),
        Endpoint(
            "filtered: one district",
            lambda i: f"{table}?district_code={d(i)}",
            lambda i: table_request(cols, "district_code = :d", {"d": d(i)}),
            lambda i: f"{peer_table}?district_code={d(i)}",
            note="10 districts in turn, ~2% of rows each",
        ),
        Endpoint(
            "filtered: one district (JSON)",
            lambda i: f"{table}.json?district_code={d(i)}",
            lambda i: table_request(cols, "district_code = :d", {"d": d(i)}),
            lambda i: f"{peer_table}.json?district_code={d(i)}",
            kind="json",
        ),
        Endpoint(
            "filtered: state รอรับเรื่อง (JSON)",
            lambda i: f"{table}.json?state={quote(STATE)}",
            lambda i: table_request(cols, "state = :s", {"s": STATE}),
            lambda i: f"{peer_table}.json?state={quote(STATE)}",
            kind="json",
            note="~10% of rows",
        ),
        Endpoint(
            "filtered: one type (JSON)",
            lambda i: f"{table}.json?types__arraycontains={quote(ty(i))}",
            lambda i: table_request(cols, f':t in (select value from json_each("{TABLE}"."types"))', {"t": ty(i)}),
            lambda i: f"{peer_table}.json?types__arraycontains={quote(ty(i))}",
            kind="json",
            note="a click in the types facet: 5 common types in turn, ~3-4% of rows each",
        ),
    ]
    if next_token:
        ts, pk = next_token["timestamp"], next_token["ticket_id"]
        keyset = "(timestamp < :p1 or timestamp is null or (timestamp = :p1 and ((ticket_id > :p0))))"
        result.append(
            Endpoint(
                "next page",
                lambda i: f"{table}?_next={quote(next_token['token'])}",
                lambda i: table_request(
                    cols, keyset, {"p0": pk, "p1": ts}, order="timestamp desc, ticket_id", filter_where=""
                ),
                (lambda i: f"{peer_table}?_next={quote(next_token['peer'])}") if next_token.get("peer") else None,
                note="page 2 of the whole table; its facets are page 1's (the site's choice, see the levers)",
            )
        )
    for term in SEARCHES:
        where, params = search_where(term)
        result.append(
            Endpoint(
                f"search {term}",
                lambda i, term=term: f"{table}?_search={quote(term)}",
                lambda i, where=where, params=params: table_request(cols, where, params),
                None,
                target_ms=TARGET_SEARCH_P95_MS,
                ratio_target=False,
                note="stock Datasette finds no FTS table for a contentless index: n/a",
            )
        )
    where, params = search_where(SEARCHES[0])
    result.append(
        Endpoint(
            f"search {SEARCHES[0]} in one district",
            lambda i: f"{table}?_search={quote(SEARCHES[0])}&district_code={d(i)}",
            lambda i: table_request(cols, f"district_code = :d and {where}", {**params, "d": d(i)}),
            None,
            target_ms=TARGET_SEARCH_P95_MS,
            ratio_target=False,
            note="not an endpoint of the issue: a search within a filter, as a journalist narrows one down; "
            "judged as a search",
        )
    )
    result += [
        Endpoint(
            "row page",
            lambda i: f"{table}/{t(i)}",
            lambda i: [
                (f"select {cols} from {TABLE} where ticket_id = :t", {"t": t(i)}),
                ("select district_code, name_th from districts where district_code = :d", {"d": "1001"}),
            ],
            lambda i: f"{peer_table}/{t(i)}",
            kind="row",
            note="200 tickets in turn; floor: the row's select and a district label, the SQL Datasette runs for it",
        ),
        Endpoint(
            "map data (cluster map's request)",
            lambda i: f"{table}.json?{MAP_QUERY}",
            lambda i: table_request(cols, size=MAX_ROWS),
            lambda i: f"{peer_table}.json?{MAP_QUERY}",
            kind="json",
            note="1,000 rows with labels, as datasette-cluster-map 0.18 asks",
        ),
        Endpoint(
            "canned query: district league",
            lambda i: f"/{DB}/complaints_district_league",
            lambda i: [(league_sql, {"month": ""})],
            lambda i: f"/{peer_db}?{urlencode({'sql': league_sql, 'month': ''})}",
            kind="query",
            facets=(),
            note="the newest month; peer runs the same SQL as arbitrary SQL",
        ),
    ]
    return result


def check(endpoint: Endpoint, response: httpx.Response, site: bool) -> str | None:
    """What is wrong with an answer, or None."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    if endpoint.kind == "html" and b"facets-timed-out" in response.content:
        return "facets timed out"
    if endpoint.kind == "json" and site and endpoint.facets:
        missing = set(endpoint.facets) - set(response.json().get("facet_results", {}))
        if missing:
            return "facets missing: " + ", ".join(sorted(missing))
    return None
