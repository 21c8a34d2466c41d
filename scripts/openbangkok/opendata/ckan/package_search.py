"""CKAN's package_search over the site's datasets, with the Solr query syntax clients send.

- `q`: words, in Thai or English, found as the site's search finds them (openbangkok.thai.search:
  the same bigram index, in an in-memory FTS5 table of the datasets' titles, descriptions, tags,
  tables and DGA fields); `*:*` is every dataset; `field:value` clauses as in `fq`.
- `fq` (and `fq_list`): `field:value`, `field:"quoted value"`, `field:(a OR b)`, `field:*`,
  `field:prefix*`, `field:[from TO to]` (dates, counts; `*` open), `-field:value` to exclude,
  over organization, owner_org, tags, res_format, res_name, groups, license_id, name, id, ...
- `rows` (default 10, at most 1000), `start`, `sort` (`score desc, metadata_modified desc` by
  default; name, title, title_string, metadata_modified, metadata_created, num_resources,
  num_tags), `facet.field` (a JSON list), `facet.limit` (default 50, -1 for all),
  `facet.mincount` (default 1), `fl` (the fields of each result).
The result has CKAN 2.10's keys: count, facets, results, sort, search_facets.
"""

from __future__ import annotations

import re
import sqlite3

from openbangkok.opendata.ckan.actions_catalog import Call, package_dict
from openbangkok.opendata.ckan.envelope import SearchError, as_int, as_json, as_list
from openbangkok.site import tables as site_info
from openbangkok.thai.search import TOKENIZE, fts_query, index_text

ROWS_DEFAULT, ROWS_MAX = 10, 1000
FACET_LIMIT = 50
DEFAULT_SORT = "score desc, metadata_modified desc"
INDEX_KEY = "ckan_search_index"
TEXT_KEYS = ("name", "title", "notes", "author", "maintainer")
SORTABLE = {
    "score",
    "name",
    "title",
    "title_string",
    "metadata_modified",
    "metadata_created",
    "num_resources",
    "num_tags",
    "id",
}
NUMERIC = {"num_resources", "num_tags"}
FIELDS = {
    "id",
    "name",
    "title",
    "title_string",
    "notes",
    "type",
    "state",
    "capacity",
    "organization",
    "owner_org",
    "tags",
    "groups",
    "license_id",
    "res_format",
    "res_name",
    "res_description",
    "res_id",
    "metadata_modified",
    "metadata_created",
    "num_resources",
    "num_tags",
    "maintainer",
    "author",
    "extras",
}
CLAUSE = re.compile(
    r'(?P<sign>[+-]?)(?P<field>[A-Za-z_][\w.]*):(?P<value>"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}'
    r"|\([^)]*\)|[^\s()]+)"
)
PHRASE = re.compile(r'"(?:[^"\\]|\\.)*"|\S+')
RANGE = re.compile(r"^[\[{]\s*(?P<low>\S+)\s+TO\s+(?P<high>\S+)\s*[\]}]$")


def fields_of(package: dict) -> dict[str, list[str]]:
    """A package's values per search field, as CKAN indexes them in Solr."""
    resources = package["resources"]
    return {
        "id": [package["id"]],
        "name": [package["name"]],
        "title": [package["title"]],
        "title_string": [package["title"]],
        "notes": [package["notes"]],
        "type": [package["type"]],
        "state": [package["state"]],
        "capacity": ["public"],
        "organization": [package["organization"]["name"]],
        "owner_org": [package["owner_org"]],
        "tags": [t["name"] for t in package["tags"]],
        "groups": [g["name"] for g in package["groups"]],
        "license_id": [package["license_id"] or ""],
        "res_format": [r["format"] for r in resources],
        "res_name": [r["name"] for r in resources],
        "res_description": [r["description"] for r in resources],
        "res_id": [r["id"] for r in resources],
        "metadata_modified": [package["metadata_modified"] or ""],
        "metadata_created": [package["metadata_created"] or ""],
        "num_resources": [str(package["num_resources"])],
        "num_tags": [str(package["num_tags"])],
        "maintainer": [package["maintainer"] or ""],
        "author": [package["author"] or ""],
        "extras": [e["value"] for e in package["extras"]],
    }


def search_text(fields: dict[str, list[str]], organization_title: str) -> str:
    keys = (*TEXT_KEYS, "tags", "res_name", "res_description", "extras")
    return "\n".join([organization_title] + [v for k in keys for v in fields[k] if v])


class SearchIndex:
    """The datasets' text in an in-memory FTS5 table, indexed as the site's search indexes text."""

    def __init__(self, packages: list[dict]):
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.execute(f"create virtual table docs using fts5(text, tokenize='{TOKENIZE}')")
        self.conn.executemany(
            "insert into docs (rowid, text) values (?, ?)",
            [(i, index_text(search_text(fields_of(p), p["organization"]["title"]))) for i, p in enumerate(packages)],
        )

    def scores(self, text: str) -> dict[int, float]:
        """{package position: relevance} of the packages the words match (alternatives joined by OR)."""
        alternatives = [fts_query(" ".join(t for t in part.split() if t != "AND")) for part in text.split(" OR ")]
        expression = " OR ".join(f"({a})" for a in alternatives if a)
        if not expression:
            return {}
        try:
            return {
                rowid: -rank
                for rowid, rank in self.conn.execute("select rowid, rank from docs where docs match ?", (expression,))
            }
        except sqlite3.OperationalError as e:
            raise SearchError(f"cannot search for {text!r}: {e} / ค้นหาคำนี้ไม่ได้") from e


def _unquote(value: str) -> str:
    return value[1:-1].replace('\\"', '"') if len(value) > 1 and value[0] == value[-1] == '"' else value


def _matches(values: list[str], field: str, value: str) -> bool:
    if value == "*":
        return any(values)
    if value.startswith("(") and value.endswith(")"):
        options = [o for o in PHRASE.findall(value[1:-1]) if o not in ("OR", "AND")]
        return any(_matches(values, field, o) for o in options)
    m = RANGE.match(value)
    if m:
        low, high = (None if b == "*" else b.rstrip("Z") for b in (m["low"], m["high"]))
        key = (lambda v: float(v)) if field in NUMERIC else (lambda v: v)
        try:
            return any(
                v and (low is None or key(v) >= key(low)) and (high is None or key(v) <= key(high)) for v in values
            )
        except ValueError as e:
            raise SearchError(f"{field}: {value} is no range of numbers / ช่วงค่าไม่ถูกต้อง") from e
    wanted = _unquote(value).casefold()
    if wanted.endswith("*") and not value.startswith('"'):
        return any(v.casefold().startswith(wanted[:-1]) for v in values)
    return any(v.casefold() == wanted for v in values)


def parse(query: str) -> tuple[list[tuple[str, str, str]], str]:
    """([(sign, field, value)], the free text left) of a Solr query."""
    clauses = [(m["sign"], m["field"], m["value"]) for m in CLAUSE.finditer(query)]
    text = CLAUSE.sub(" ", query)
    if text.count('"') % 2 or text.count("(") != text.count(")"):
        raise SearchError(f"cannot parse {query!r}: unbalanced quotes or brackets / วงเล็บหรือเครื่องหมายคำพูดไม่ครบคู่")
    return clauses, " ".join(text.replace("(", " ").replace(")", " ").split())


def _sort_key(field: str, fields: list[dict], scores: dict | None):
    """The sort key of a result (its index in `fields`) for one field of `sort`."""
    if field == "score":
        return lambda i: (scores or {}).get(i, 0.0)
    if field in NUMERIC:
        return lambda i: int(fields[i][field][0])
    return lambda i: fields[i][field][0].casefold()


def _sort_keys(sort: str) -> list[tuple[str, bool]]:
    keys = []
    for part in sort.split(","):
        field, _, direction = part.strip().partition(" ")
        direction = direction.strip().lower() or "asc"
        if field not in SORTABLE or direction not in ("asc", "desc"):
            raise SearchError(
                f"cannot sort by {part.strip()!r} / เรียงลำดับแบบนี้ไม่ได้: {', '.join(sorted(SORTABLE))} asc|desc"
            )
        keys.append((field, direction == "desc"))
    return keys


def _index(datasette, packages: list[dict]) -> SearchIndex:
    cache = site_info.cache(datasette)
    if INDEX_KEY not in cache:
        cache[INDEX_KEY] = SearchIndex(packages)
    return cache[INDEX_KEY]


def facets_of(found: list[dict], fields: list[dict], names: list[str], limit: int, mincount: int):
    facets, search_facets = {}, {}
    titles = {
        "organization": {p["organization"]["name"]: p["organization"]["title"] for p in found},
        "license_id": {p["license_id"]: p["license_title"] for p in found},
    }
    for name in names:
        if name not in FIELDS:
            raise SearchError(f"cannot facet by {name!r} / แจกแจงตามฟิลด์นี้ไม่ได้")
        counts: dict[str, int] = {}
        for doc in fields:
            for value in set(doc.get(name, [])):
                if value:
                    counts[value] = counts.get(value, 0) + 1
        ordered = sorted(((v, c) for v, c in counts.items() if c >= mincount), key=lambda vc: (-vc[1], vc[0]))
        if limit >= 0:
            ordered = ordered[:limit]
        facets[name] = dict(ordered)
        search_facets[name] = {
            "title": name,
            "items": [{"count": c, "display_name": titles.get(name, {}).get(v) or v, "name": v} for v, c in ordered],
        }
    return facets, search_facets


async def package_search(call: Call):
    """Search the datasets. Parameters: q, fq, fq_list, rows, start, sort, facet.field, facet.limit,
    facet.mincount, fl (see openbangkok.opendata.ckan.package_search)."""
    params = call.params
    state = await call.published()
    packages = [package_dict(p, call.base_url, call.site) for p in state.packages]
    fields = [fields_of(p) for p in packages]
    q = str(params.get("q") or "").strip()
    filters = [str(f) for f in [params.get("fq") or ""] + (as_list(params, "fq_list") or [])]
    clauses, text = parse("" if q in ("*:*", "*") else q)
    for fq in filters:
        more, leftover = parse(fq)
        clauses += more
        text = f"{text} {leftover}".strip()
    for _, field, _ in clauses:
        if field not in FIELDS:
            raise SearchError(f"undefined field {field} / ไม่มีฟิลด์ {field}")
    scores = _index(call.datasette, packages).scores(text) if text else None
    found = [
        i
        for i, doc in enumerate(fields)
        if (scores is None or i in scores)
        and all(_matches(doc.get(f, []), f, v) != (sign == "-") for sign, f, v in clauses)
    ]
    sort = str(params.get("sort") or DEFAULT_SORT)
    for field, descending in reversed(_sort_keys(sort)):
        found.sort(key=_sort_key(field, fields, scores), reverse=descending)
    facet_fields = as_json(params, "facet.field") or []
    if isinstance(facet_fields, str):
        facet_fields = [facet_fields]
    if not isinstance(facet_fields, list) or not all(isinstance(f, str) for f in facet_fields):
        raise SearchError("facet.field: a list of field names / ต้องเป็นรายการชื่อฟิลด์")
    facets, search_facets = facets_of(
        [packages[i] for i in found],
        [fields[i] for i in found],
        facet_fields,
        as_int(params, "facet.limit", FACET_LIMIT, minimum=-1),
        as_int(params, "facet.mincount", 1),
    )
    start, rows = as_int(params, "start", 0), min(as_int(params, "rows", ROWS_DEFAULT), ROWS_MAX)
    results = [packages[i] for i in found[start : start + rows]]
    wanted = as_list(params, "fl")
    if wanted and wanted != ["*"]:
        results = [{k: r.get(k) for k in wanted} for r in results]
    return {"count": len(found), "facets": facets, "results": results, "sort": sort, "search_facets": search_facets}
