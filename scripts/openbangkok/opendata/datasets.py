"""A page per data package (/-/datasets/<name>, openbangkok.hooks.dataset_pages): what a journalist looks for
on a CKAN portal, from the catalog and the build's own record.

Title and description (Thai and English), publisher, maintainer, update frequency, last updated
(the dataset's build_files), licence, sources, its tables with row counts and every complete
download (opendata.dga.DOWNLOADS, as the DCAT catalogue lists them), and the agency's original files
as delivered, with their SHA-256 as build_files recorded it. An original file is served only when
it is a resource of the data package or a file inside a resource's folder: the address is looked up
in that list, never joined onto the datasets folder, so `..` or a link leads nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from openbangkok.model.build_record import CHANGES_TABLE, FILES_TABLE, delivered_files, file_key
from openbangkok.model.catalog import Dataset
from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.dga import DOWNLOADS, dataset_licence, dataset_sources, dga_fields, frequency, language_parts
from openbangkok.site import tables as site_info

PAGES = "/-/datasets"


@dataclass
class OriginalFile:
    """A file as the agency delivered it: where it is, its address on the site, what build_files says."""

    path: Path
    name: str  # its path in the dataset's folder: the last part of its address
    table: str
    size: int
    sha256: str | None  # of the file, or of the whole folder for a file of a folder resource
    whole_folder: bool


def find_dataset(datasette, name: str) -> Dataset | None:
    return next((d for d in site_info.catalog(datasette).datasets if d.name == name), None)


async def _recorded(datasette, dataset: str) -> dict[str, dict]:
    """build_files' rows of the dataset, by source_file."""
    db = datasette.get_database(DATABASE)
    if FILES_TABLE not in await db.table_names():
        return {}
    rows = await db.execute(
        f"select table_name, source_file, built_at, sha256 from {FILES_TABLE} where dataset = ?", [dataset]
    )
    return {r["source_file"]: dict(r) for r in rows}


async def original_files(datasette, dataset: Dataset) -> list[OriginalFile]:
    """Every file of the dataset's resources present on this server, in the order of the resources."""
    recorded = await _recorded(datasette, dataset.name)
    result = []
    for source, path, name in delivered_files(dataset):
        sha = (recorded.get(file_key(dataset.name, dataset.folder, source.path)) or {}).get("sha256")
        result.append(OriginalFile(path, name, source.name, path.stat().st_size, sha, source.path.is_dir()))
    return result


async def original_file(datasette, dataset: Dataset, name: str) -> OriginalFile | None:
    """The original file of that name, or None (never a path built from the address)."""
    return next((f for f in await original_files(datasette, dataset) if f.name == name), None)


async def last_updated(datasette, dataset: str) -> str | None:
    recorded = await _recorded(datasette, dataset)
    return max((r["built_at"] for r in recorded.values() if r["built_at"]), default=None)


async def changes(datasette, dataset: str, limit: int = 50) -> list[dict]:
    """The dataset's build_changes rows, newest build first."""
    db = datasette.get_database(DATABASE)
    if CHANGES_TABLE not in await db.table_names():
        return []
    rows = await db.execute(
        f"select * from {CHANGES_TABLE} where dataset = ? order by build desc, table_name limit {int(limit)}", [dataset]
    )
    return [dict(r) for r in rows]


def _both(text: str) -> dict:
    parts = language_parts(text)
    return {"th": parts[0], "en": parts[-1] if len(parts) > 1 else ""}


async def dataset_info(datasette, request, dataset: Dataset) -> dict:
    """Everything the dataset's page, its JSON and its feed show."""
    base = site_info.base_url(datasette, request)
    dga = dga_fields(dataset)
    licence = dataset_licence(dataset) or {}
    own = {s.name for s in dataset.sources}
    tables = []
    for table in await site_info.public_tables(datasette):
        if table.dataset != dataset.name and table.name not in own:
            continue
        url = f"{base}/{DATABASE}/{quote(table.name)}"
        tables.append(
            {
                "name": table.name,
                "title": table.title,
                "rows": table.count,
                "is_view": table.is_view,
                "url": url,
                "resource": table.name in own,
                "downloads": [
                    {"format": kind, "media_type": DOWNLOADS[kind][0], "url": url + DOWNLOADS[kind][1]}
                    for kind in site_info.downloads(table)
                ],
            }
        )
    tables.sort(key=lambda t: (not t["resource"], t["name"]))
    page = f"{base}{PAGES}/{quote(dataset.name)}"
    return {
        "name": dataset.name,
        "title": _both(dataset.descriptor.get("title", dataset.name)),
        "description": (dataset.descriptor.get("description") or "").strip(),
        "publisher": dga["owner"],
        "publisher_url": dga["ownerUrl"],
        "maintainer": dga["maintainer"],
        "update_frequency": frequency(dga)[1],
        "last_updated": await last_updated(datasette, dataset.name),
        "licence": {"title": licence.get("title") or licence.get("name"), "url": licence.get("path")},
        "sources": [{"title": s.get("title") or s.get("path"), "url": s.get("path")} for s in dataset_sources(dataset)],
        "tables": tables,
        "original_files": [
            {
                "name": f.name,
                "table": f.table,
                "bytes": f.size,
                "sha256": f.sha256,
                "sha256_of": "folder" if f.whole_folder else "file",
                "url": f"{page}/files/{quote(f.name)}",
            }
            for f in await original_files(datasette, dataset)
        ],
        "zip": f"{page}.zip",
        "atom": f"{page}.atom",
        "json": f"{page}.json",
        "url": page,
        "changes": await changes(datasette, dataset.name),
    }


def summaries(datasette) -> list[dict]:
    """Every dataset for the index page: name, titles and description."""
    return [
        {
            "name": d.name,
            "title": _both(d.descriptor.get("title", d.name)),
            "description": (d.descriptor.get("description") or "").strip(),
        }
        for d in site_info.catalog(datasette).datasets
    ]
