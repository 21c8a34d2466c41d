"""The answers of /-/datasets (openbangkok.hooks.dataset_pages registers them): the index, a dataset's page
as HTML or JSON, its zip (site.exports.dataset_zip), its Atom feed (opendata.atom) and its original
files (site.pages.datasets)."""

from __future__ import annotations

import asyncio
import mimetypes

from datasette.utils.asgi import NotFound, Response

from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.atom import feed
from openbangkok.opendata.datasets import dataset_info, find_dataset, original_file, summaries
from openbangkok.opendata.dga import data_package
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


async def _zip(datasette, request, dataset):
    served = await site_info.served_tables(datasette)
    own = {s.name: served[s.name] for s in dataset.sources if s.name in served}
    site = internals.metadata(datasette) or {}
    package = data_package(
        site_info.catalog(datasette),
        site_info.base_url(datasette, request),
        own,
        site,
        await site_info.built_at(datasette),
    )
    package["name"] = dataset.name
    package["title"] = dataset.descriptor.get("title", dataset.name)
    for resource in package["resources"]:
        resource["path"] = f"{resource['name']}.csv"  # the CSV beside it in the zip
    columns = {name: [c for c, _ in table.columns] for name, table in own.items()}
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
