"""Open-data standards: the published data as a Frictionless data package and as a DCAT catalogue.

Both are built from the catalog (datasets/*/datapackage.yaml and the published Table Schemas), so
titles, descriptions, licences and sources are written once. The site serves them at
/-/datapackage.json and /-/dcat.jsonld (openbangkok/hooks/datapackage.py, openbangkok/hooks/dcat.py).

The data package points every resource at the table's full CSV download on this site, with the
schema of the columns exactly as that CSV has them (generated columns and `rowid` included), so
`frictionless validate <site>/-/datapackage.json` checks the published files against their schemas.

The DCAT catalogue carries the fields of the Thai government dataset metadata standard (DGA):
title, owner organisation, maintainer, objective, update frequency, geographic coverage, data
source, format, data category and licence. Site-wide defaults are in DGA_DEFAULTS; a dataset
overrides any of them with a `dga:` mapping in its datapackage.yaml, for example

    dga:
      objective: "..."
      updateFrequency: monthly      # a key of FREQUENCIES
      maintainer: "สำนักยุทธศาสตร์และประเมินผล / Strategy and Evaluation Department"
      ownerAgency: strategy-evaluation   # its agency_code (reference/agencies.csv)
"""

from __future__ import annotations

import re
from urllib.parse import quote

from openbangkok.model.catalog import Catalog, Dataset, Source
from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.tables import ServedTable

# Field keys of the Table Schema standard; anything else in our schemas stays out of the package.
FIELD_KEYS = (
    "name",
    "type",
    "format",
    "title",
    "description",
    "example",
    "constraints",
    "trueValues",
    "falseValues",
    "bareNumber",
    "groupChar",
    "decimalChar",
    "rdfType",
)
SCHEMA_KEYS = ("missingValues", "primaryKey", "foreignKeys")
SQLITE_TO_FIELD = {
    "INTEGER": "integer",
    "INT": "integer",
    "REAL": "number",
    "FLOAT": "number",
    "NUMERIC": "number",
    "DOUBLE": "number",
    "TEXT": "string",
    "": "any",
}

# EU frequency vocabulary (what DCAT-AP and ckanext-dcat use), with the Thai word the DGA form uses.
FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCIES = {
    "daily": ("DAILY", "รายวัน / daily"),
    "weekly": ("WEEKLY", "รายสัปดาห์ / weekly"),
    "monthly": ("MONTHLY", "รายเดือน / monthly"),
    "quarterly": ("QUARTERLY", "รายไตรมาส / quarterly"),
    "annual": ("ANNUAL", "รายปี / yearly"),
    "irregular": ("IRREG", "ไม่แน่นอน / irregular"),
    "continuous": ("CONT", "ตลอดเวลา / continuously updated"),
}
LANGUAGE_BASE = "http://publications.europa.eu/resource/authority/language/"

DGA_DEFAULTS = {
    "owner": "กรุงเทพมหานคร / Bangkok Metropolitan Administration (BMA)",
    "ownerUrl": "https://www.bangkok.go.th/",
    "ownerAgency": "bma",  # the owner's agency_code in the agencies table (the CKAN API's organization)
    "maintainer": "Open Bangkok, กรุงเทพมหานคร / Bangkok Metropolitan Administration",
    "objective": "เปิดเผยข้อมูลของกรุงเทพมหานครต่อประชาชน (Open Bangkok) / "
    "Open data of the BMA, published for the public (Open Bangkok)",
    "updateFrequency": "irregular",
    "geographicCoverage": "กรุงเทพมหานคร / Bangkok",
    "geographicCoverageUri": "https://sws.geonames.org/1609350/",
    "dataCategory": "ข้อมูลสาธารณะ / Public data",
    "language": ["th", "en"],
}
DGA_NAMESPACE = "urn:openbangkok:dga:"


# The complete downloads of a table, as the catalogue names them: (format, media type, address after
# the table's). Every one holds every row: the CSV, NDJSON and GeoJSON streams, and the workbook of
# a table within Excel's row limit (the site leaves the others out of a table's distributions).
DOWNLOADS = {
    "CSV": ("text/csv", ".csv?_stream=on&_size=max"),
    "JSON": ("application/x-ndjson", ".ndjson?_stream=on"),
    "GeoJSON": ("application/geo+json", ".geojson?_stream=on"),
    "XLSX": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}


def csv_url(base_url: str, table: str) -> str:
    return f"{base_url}/{DATABASE}/{quote(table)}{DOWNLOADS['CSV'][1]}"


def field_from_sqlite(name: str, sqlite_type: str, description: str) -> dict:
    field = {"name": name, "type": SQLITE_TO_FIELD.get(sqlite_type.upper().split("(")[0], "any")}
    if name == "rowid":
        field["description"] = "SQLite row id (the table has no primary key) / ลำดับแถวในฐานข้อมูล"
    elif description:
        field["description"] = description
    return field


def published_schema(source: Source, served: ServedTable) -> dict:
    """The source's published Table Schema, in the served CSV's column order, with extra columns added."""
    schema = source.published_schema
    declared = {f["name"]: f for f in schema.get("fields", [])}
    fields = []
    for name, sqlite_type in served.columns:
        if name in declared:
            fields.append({k: v for k, v in declared[name].items() if k in FIELD_KEYS})
        else:
            fields.append(field_from_sqlite(name, sqlite_type, served.descriptions.get(name, "")))
    result = {"fields": fields}
    names = {f["name"] for f in fields}
    for key in SCHEMA_KEYS:
        if key in schema:
            result[key] = schema[key]
    result["foreignKeys"] = [fk for fk in result.get("foreignKeys", []) if set(_as_list(fk["fields"])) <= names]
    if not result["foreignKeys"]:
        del result["foreignKeys"]
    return result


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _licenses(*descriptors: dict) -> list[dict]:
    for descriptor in descriptors:
        if descriptor.get("licenses"):
            return [{k: v for k, v in lic.items() if k in ("name", "title", "path")} for lic in descriptor["licenses"]]
    return []


def _sources(*descriptors: dict) -> list[dict]:
    result = []
    for descriptor in descriptors:
        for source in descriptor.get("sources", []):
            entry = {k: v for k, v in source.items() if k in ("title", "path", "email")}
            if entry not in result:
                result.append(entry)
    return result


def data_package(
    catalog: Catalog, base_url: str, served: dict[str, ServedTable], site: dict, built_at: str | None = None
) -> dict:
    """The Frictionless data package of every published catalog table.

    `served` maps each table present in the database to its served columns; catalog resources
    that are not in the database (not built yet) are left out. `site` is Datasette's top-level
    metadata (title, description, license, source).
    """
    resources = []
    foreign_keys_to = set()
    for dataset in catalog.datasets:
        for source in dataset.sources:
            if source.name not in served:
                continue
            descriptor = source.descriptor
            resource = {
                "profile": "tabular-data-resource",
                "name": source.name,
                "title": descriptor.get("title", source.name),
                "description": descriptor.get("description", "").strip(),
                "path": csv_url(base_url, source.name),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
                "schema": published_schema(source, served[source.name]),
                "licenses": _licenses(descriptor, dataset.descriptor),
                "sources": _sources(descriptor, dataset.descriptor),
                "homepage": f"{base_url}/{DATABASE}/{quote(source.name)}",
                "dataset": dataset.name,
            }
            foreign_keys_to |= {
                fk["reference"].get("resource") or source.name for fk in resource["schema"].get("foreignKeys", [])
            }
            resources.append({k: v for k, v in resource.items() if v not in ("", [], None)})
    # A foreign key may only point at a resource of the package.
    names = {r["name"] for r in resources}
    for resource in resources:
        keys = resource["schema"].get("foreignKeys")
        if keys:
            resource["schema"]["foreignKeys"] = [
                fk for fk in keys if (fk["reference"].get("resource") or resource["name"]) in names
            ]
            if not resource["schema"]["foreignKeys"]:
                del resource["schema"]["foreignKeys"]
    package = {
        "profile": "tabular-data-package",
        "name": DATABASE,
        "title": site.get("title", "Open Bangkok"),
        "description": plain_text(site.get("description") or site.get("description_html") or ""),
        "homepage": f"{base_url}/",
        "licenses": [{"name": "ODC-By-1.0", "title": site["license"], "path": site.get("license_url")}]
        if site.get("license")
        else [],
        "sources": [{"title": site["source"], "path": site.get("source_url")}] if site.get("source") else [],
        "contributors": [{"title": DGA_DEFAULTS["owner"], "path": DGA_DEFAULTS["ownerUrl"], "role": "publisher"}],
        "keywords": ["Bangkok", "กรุงเทพมหานคร", "open data", "ข้อมูลเปิด"],
        "created": built_at,
        "resources": resources,
    }
    return {k: v for k, v in package.items() if v not in ("", [], None)}


def plain_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- DCAT ------------------------------------------------------------------------------------

DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dga": DGA_NAMESPACE,
}


def dga_fields(dataset: Dataset) -> dict:
    """The DGA metadata of a dataset: the site defaults, overridden by its `dga:` mapping."""
    return {**DGA_DEFAULTS, **(dataset.descriptor.get("dga") or {})}


def keywords(dataset: Dataset, sources: list[Source]) -> list[str]:
    """The dataset's Frictionless `keywords`, its tables' titles and its name."""
    found = list(dataset.descriptor.get("keywords") or []) + [s.descriptor.get("title", s.name) for s in sources]
    return list(dict.fromkeys(found + [dataset.name]))


def dataset_sources(dataset: Dataset) -> list[dict]:
    """The sources (title, path) the dataset and its resources cite, each once."""
    return _sources(dataset.descriptor, *(s.descriptor for s in dataset.sources))


def language_parts(text: str) -> list[str]:
    """'ไทย / English' as ['ไทย', 'English']; text in one language as itself."""
    return [part["@value"] for part in _texts(text)]


def dataset_licence(dataset: Dataset) -> dict | None:
    """The dataset's first licence (name, title, path), None if it names none."""
    return (_licenses(dataset.descriptor) or [None])[0]


def frequency(dga: dict) -> tuple[str, str]:
    """(EU frequency vocabulary key, Thai/English label) of a dataset's update frequency."""
    return FREQUENCIES.get(dga["updateFrequency"], FREQUENCIES["irregular"])


def formats_of(downloads) -> list[str]:
    """The kinds of complete download (keys of DOWNLOADS, in its order) any of `downloads` (each a
    table's list of them) offers."""
    downloads = list(downloads)
    return [kind for kind in DOWNLOADS if any(kind in table for table in downloads)]


def dga_record(dataset: Dataset, sources: list[Source], site: dict, formats: list[str]) -> dict:
    """The DGA fields of a dataset as the Thai government catalogue form names them (`dga:` keys),
    for the DCAT catalogue and the CKAN API's extras; `formats`: its complete downloads (formats_of)."""
    dga = dga_fields(dataset)
    sources_meta = _sources(dataset.descriptor, *(s.descriptor for s in sources))
    return {
        "dga:title": dataset.descriptor.get("title", dataset.name),
        "dga:ownerOrganisation": dga["owner"],
        "dga:maintainer": dga["maintainer"],
        "dga:objective": dga["objective"],
        "dga:updateFrequency": frequency(dga)[1],
        "dga:geographicCoverage": dga["geographicCoverage"],
        "dga:dataSource": "; ".join(s.get("title") or s.get("path", "") for s in sources_meta),
        "dga:format": formats,
        "dga:dataCategory": dga["dataCategory"],
        "dga:license": (dataset_licence(dataset) or {}).get("title", site.get("license", "")),
    }


def _language(text: str) -> str:
    return "th" if any("\u0e00" <= c <= "\u0e7f" for c in text) else "en"


def _texts(text: str) -> list[dict]:
    """'ไทย / English' (or 'English · ไทย') as language-tagged literals, each tagged by its script."""
    text = " ".join(str(text).split())
    parts = re.split(r" / | · ", text, maxsplit=1)
    if len(parts) == 2 and _language(parts[0]) != _language(parts[1]):
        return [{"@value": part, "@language": _language(part)} for part in parts]
    return [{"@value": text, "@language": _language(text)}]


def _html_texts(html: str) -> list[dict]:
    """<p lang="th">...</p><p lang="en">...</p> as language-tagged literals."""
    found = re.findall(r'<p lang="(\w+)">(.*?)</p>', html, flags=re.DOTALL)
    return [{"@value": plain_text(body), "@language": lang} for lang, body in found] or _texts(plain_text(html))


def _distributions(
    base_url: str, source: Source, formats: list[str], licence: dict | None, modified: str | None
) -> list[dict]:
    table_url = f"{base_url}/{DATABASE}/{quote(source.name)}"
    title = source.descriptor.get("title", source.name)
    result = []
    for fmt in formats:
        media_type, suffix = DOWNLOADS[fmt]
        entry = {
            "@id": f"{table_url}#{fmt.lower()}",
            "@type": "dcat:Distribution",
            "dct:title": _texts(f"{title} ({fmt})"),
            "dcat:accessURL": {"@id": table_url},
            "dcat:downloadURL": {"@id": table_url + suffix},
            "dct:format": fmt,
            "dcat:mediaType": media_type,
            "dga:format": fmt,
        }
        if licence and licence.get("path"):
            entry["dct:license"] = {"@id": licence["path"]}
        if modified:
            entry["dct:modified"] = {"@value": modified, "@type": "xsd:dateTime"}
        result.append(entry)
    return result


def dcat_catalog(
    catalog: Catalog, base_url: str, tables: dict[str, list[str]], site: dict, built_at: str | None = None
) -> dict:
    """A DCAT catalogue (JSON-LD) of every dataset with at least one published table; `tables` maps
    each published table to its complete downloads (keys of DOWNLOADS)."""
    datasets = []
    for dataset in catalog.datasets:
        sources = [s for s in dataset.sources if s.name in tables]
        if not sources:
            continue
        dga = dga_fields(dataset)
        licence = dataset_licence(dataset)
        frequency_key, _ = frequency(dga)
        sources_meta = _sources(dataset.descriptor, *(s.descriptor for s in sources))
        dataset_url = f"{base_url}/-/dcat.jsonld#{dataset.name}"
        node = {
            "@id": dataset_url,
            "@type": "dcat:Dataset",
            "dct:identifier": f"{DATABASE}-{dataset.name}",
            "dct:title": _texts(dataset.descriptor.get("title", dataset.name)),
            "dct:description": _texts(dataset.descriptor.get("description", "").strip() or dataset.name),
            "dct:publisher": {
                "@type": ["foaf:Organization", "foaf:Agent"],
                "foaf:name": _texts(dga["owner"]),
                "foaf:homepage": {"@id": dga["ownerUrl"]},
            },
            "dcat:contactPoint": {
                "@type": "vcard:Organization",
                "vcard:fn": dga["maintainer"],
                "vcard:hasURL": {"@id": f"{base_url}/"},
            },
            "dct:accrualPeriodicity": {"@id": FREQUENCY_BASE + frequency_key},
            "dct:spatial": {
                "@id": dga["geographicCoverageUri"],
                "@type": "dct:Location",
                "skos:prefLabel": _texts(dga["geographicCoverage"]),
            },
            "dct:source": list(dict.fromkeys(s.get("path") or s.get("title") for s in sources_meta)),
            "dct:language": [{"@id": LANGUAGE_BASE + {"th": "THA", "en": "ENG"}[code]} for code in dga["language"]],
            "dcat:keyword": keywords(dataset, sources),
            "dcat:landingPage": {"@id": f"{base_url}/{DATABASE}/{quote(sources[0].name)}"},
            "dcat:distribution": [
                d for s in sources for d in _distributions(base_url, s, tables[s.name], licence, built_at)
            ],
            **dga_record(dataset, sources, site, formats_of(tables[s.name] for s in sources)),
        }
        if licence and licence.get("path"):
            node["dct:license"] = {"@id": licence["path"]}
        if built_at:
            node["dct:modified"] = {"@value": built_at, "@type": "xsd:dateTime"}
        datasets.append(node)
    catalogue = {
        "@context": DCAT_CONTEXT,
        "@id": f"{base_url}/-/dcat.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": _texts(site.get("title", "Open Bangkok")),
        "dct:description": _html_texts(site.get("description_html") or site.get("description") or ""),
        "dct:publisher": {
            "@type": ["foaf:Organization", "foaf:Agent"],
            "foaf:name": _texts(DGA_DEFAULTS["owner"]),
            "foaf:homepage": {"@id": DGA_DEFAULTS["ownerUrl"]},
        },
        "foaf:homepage": {"@id": f"{base_url}/"},
        "dct:license": {"@id": site["license_url"]} if site.get("license_url") else None,
        "dcat:dataset": datasets,
    }
    return {k: v for k, v in catalogue.items() if v is not None}
