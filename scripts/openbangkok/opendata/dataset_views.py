"""The answers of /-/datasets (openbangkok.hooks.dataset_pages registers them): the index, a dataset's page
as HTML or JSON, its zip (site.exports.dataset_zip), its Atom feed (opendata.atom) and its original
files (site.pages.datasets)."""

from __future__ import annotations

import asyncio
import mimetypes
from urllib.parse import quote

from datasette.utils.asgi import NotFound, Response

from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.atom import feed
from openbangkok.opendata.datasets import dataset_info, find_dataset, original_file, summaries
from openbangkok.opendata.dga import data_package, field_from_sqlite
from openbangkok.site import internals
from openbangkok.site import tables as site_info
from openbangkok.site.exports.dataset_zip import DatasetZip
from openbangkok.site.exports.pages import StreamedResponse

CHUNK = 256 * 1024
MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".geojson": "application/geo+json",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _dataset(datasette, request):
    dataset = find_dataset(datasette, request.url_vars["name"])
    if dataset is None:
        raise NotFound(f"ไม่มีชุดข้อมูลชื่อนี้ / No dataset named {request.url_vars['name']}")
    return dataset


async def datasets_index(datasette, request):
    listed = summaries(datasette)
    if request.url_vars.get("format") == "json":
        base = site_info.base_url(datasette, request)
        return Response.json([{**d, "url": f"{base}/-/datasets/{d['name']}"} for d in listed])
    return Response.html(await datasette.render_template("datasets.html", {"datasets": listed}, request=request))


def _derived_resource(table, meta: dict, base_url: str, dataset: str) -> dict:
    """A table the dataset's SQL computes (statistics with `sources:` in metadata) as a resource of
    the zip's package: its served columns typed from SQLite, its metadata's title and sources."""
    sources = [
        {
            "title": s.get("title") or s.get("url"),
            "path": base_url + s["url"] if s.get("url", "").startswith("/") else s.get("url"),
        }
        for s in meta.get("sources") or []
    ]
    resource = {
        "profile": "tabular-data-resource",
        "name": table.name,
        "title": meta.get("title") or table.name,
        "description": (meta.get("description") or "").strip(),
        "path": f"{table.name}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": [field_from_sqlite(c, t, table.descriptions.get(c, "")) for c, t in table.columns]},
        "sources": [{k: v for k, v in s.items() if v} for s in sources],
        "homepage": f"{base_url}/{DATABASE}/{quote(table.name)}",
        "dataset": dataset,
    }
    return {k: v for k, v in resource.items() if v not in ("", [], None)}


async def _zip(datasette, request, dataset):
    """The dataset's resources and the tables its SQL derives from them, each a CSV, and a
    datapackage.json listing every CSV of the zip."""
    served = await site_info.served_tables(datasette)
    own = {s.name: served[s.name] for s in dataset.sources if s.name in served}
    derived = {
        t.name: served[t.name]
        for t in await site_info.public_tables(datasette)
        if t.dataset == dataset.name and t.name in served and t.name not in own
    }
    site = internals.metadata(datasette) or {}
    base = site_info.base_url(datasette, request)
    package = data_package(site_info.catalog(datasette), base, own, site, await site_info.built_at(datasette))
    package["name"] = dataset.name
    package["title"] = dataset.descriptor.get("title", dataset.name)
    for resource in package["resources"]:
        resource["path"] = f"{resource['name']}.csv"  # the CSV beside it in the zip
    for name, table in sorted(derived.items()):
        meta = internals.metadata(datasette, database=DATABASE, table=name, fallback=False) or {}
        package["resources"].append(_derived_resource(table, meta, base, dataset.name))
    columns = {name: [c for c, _ in table.columns] for name, table in {**own, **dict(sorted(derived.items()))}.items()}
    return DatasetZip(datasette, datasette.get_database(DATABASE).path, dataset.name, columns, package)


async def dataset_page(datasette, request):
    dataset = _dataset(datasette, request)
    kind = request.url_vars.get("format")
    if kind == "zip":
        return await _zip(datasette, request, dataset)
    info = await dataset_info(datasette, request, dataset)
    if kind == "json":
        return Response.json(info)
    if kind == "atom":
        return Response(feed(info, info["publisher"]), content_type="application/atom+xml; charset=utf-8")
    return Response.html(await datasette.render_template("dataset.html", {"dataset": info}, request=request))


async def dataset_file(datasette, request):
    dataset = _dataset(datasette, request)
    found = await original_file(datasette, dataset, request.url_vars["file"])
    if found is None:
        raise NotFound("ไม่มีไฟล์นี้ในชุดข้อมูล / No such original file in this dataset")

    async def produce(write):
        with found.path.open("rb") as f:
            while block := await asyncio.to_thread(f.read, CHUNK):
                await write(block)

    media_type = MEDIA_TYPES.get(found.path.suffix.lower()) or mimetypes.guess_type(found.path.name)[0]
    return StreamedResponse(
        produce,
        media_type or "application/octet-stream",
        {"content-disposition": f'attachment; filename="{found.path.name}"', "content-length": str(found.size)},
    )
