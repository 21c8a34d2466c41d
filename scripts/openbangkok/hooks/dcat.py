"""/-/dcat.jsonld: a DCAT catalogue (JSON-LD) of the datasets, with the Thai government (DGA)
metadata fields, for CKAN catalogues (ckanext-dcat) and other harvesters (openbangkok.opendata.dga)."""

import json

from datasette import hookimpl
from datasette.utils.asgi import Response

from openbangkok.opendata.dga import dcat_catalog
from openbangkok.site import internals
from openbangkok.site import tables as site_info


async def dcat_jsonld(datasette, request):
    tables = {t.name: site_info.downloads(t) for t in await site_info.public_tables(datasette)}
    document = dcat_catalog(
        site_info.catalog(datasette),
        site_info.base_url(datasette, request),
        tables,
        internals.metadata(datasette) or {},
        await site_info.built_at(datasette),
    )
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/ld+json; charset=utf-8",
        headers={"Access-Control-Allow-Origin": "*"},
    )


@hookimpl
def register_routes():
    return [(r"^/-/dcat\.jsonld$", dcat_jsonld)]
