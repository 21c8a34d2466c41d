"""Datasette metadata: metadata.yml, merged with each dataset's metadata.yml and its descriptor.

Table titles, descriptions, licences, sources and column descriptions are written once, in the
Frictionless descriptor; metadata.yml and the datasets' metadata.yml add what Datasette needs
(facets, sort orders, canned queries, plugin settings) and override where they say so.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from openbangkok.model.catalog import PROJECT_ROOT, Catalog, Dataset, Source

DATABASE = "openbangkok"
METADATA_FILE = PROJECT_ROOT / "metadata.yml"


def deep_merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _licence(descriptor: dict) -> dict:
    licences = descriptor.get("licenses") or []
    if not licences:
        return {}
    first = licences[0]
    return {"license": first.get("title") or first.get("name"), "license_url": first.get("path")}


def _source(descriptor: dict) -> dict:
    """Each source with its own link (`sources`: the pages show them all); `source` and `source_url`
    for what reads Datasette's single source: every title, and the first link there is."""
    sources = [
        {"title": s.get("title") or s.get("path") or s.get("url", ""), "url": s.get("path") or s.get("url")}
        for s in descriptor.get("sources") or []
    ]
    if not sources:
        return {}
    links = [s["url"] for s in sources if s["url"]]
    return {
        "source": "; ".join(s["title"] for s in sources),
        "source_url": links[0] if links else None,
        "sources": sources,
    }


def table_metadata(dataset: Dataset, source: Source) -> dict:
    descriptor = source.descriptor
    entry = {
        "title": descriptor.get("title", source.name),
        "description": descriptor.get("description", "").strip(),
        **_licence(dataset.descriptor),
        **_licence(descriptor),
        **_source(dataset.descriptor),
        **_source(descriptor),
        "columns": {
            f["name"]: " - ".join(x for x in (f.get("title"), f.get("description")) if x)
            for f in source.published_schema.get("fields", [])
        },
    }
    return {k: v for k, v in entry.items() if v not in (None, "", {})}


def site_metadata(catalog: Catalog, metadata_file: Path = METADATA_FILE) -> dict:
    base = yaml.safe_load(metadata_file.read_text(encoding="utf-8")) if metadata_file.exists() else {}
    generated: dict = {"databases": {DATABASE: {"tables": {}}}}
    tables = generated["databases"][DATABASE]["tables"]
    for dataset in catalog.datasets:
        for source in dataset.sources:
            tables[source.name] = table_metadata(dataset, source)
        generated = deep_merge(generated, {"databases": {DATABASE: dataset.metadata}})
        tables = generated["databases"][DATABASE]["tables"]
    merged = deep_merge(generated, base or {})
    for entry in merged["databases"][DATABASE]["tables"].values():
        if entry.get("sources") and not entry.get("source"):  # a table metadata.yml describes (derived)
            entry.update(_source(entry))
    return merged


def facet_columns(metadata: dict) -> dict[str, list[str]]:
    """{table: [columns faceted by default]}, for the indexes the build creates."""
    tables = metadata.get("databases", {}).get(DATABASE, {}).get("tables", {})
    result = {}
    for table, entry in tables.items():
        columns = []
        for facet in entry.get("facets", []):
            columns.append(facet if isinstance(facet, str) else next(iter(facet.values())))
        if entry.get("sort_desc") or entry.get("sort"):
            columns.append(entry.get("sort_desc") or entry.get("sort"))
        result[table] = columns
    return result
