"""/-/datapackage.json: the published data as a Frictionless data package (openbangkok.opendata.dga).

Every resource points at its table's full CSV download on this site, so
`frictionless validate https://<site>/-/datapackage.json` checks what the site really serves.
"""

from datasette import hookimpl
from datasette.utils.asgi import Response

from openbangkok.opendata.dga import data_package
from openbangkok.site import internals
from openbangkok.site import tables as site_info


async def datapackage_json(datasette, request):
    package = data_package(
        site_info.catalog(datasette),
        site_info.base_url(datasette, request),
        await site_info.served_tables(datasette),
        internals.metadata(datasette) or {},
        await site_info.built_at(datasette),
    )
    response = Response.json(package)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@hookimpl
def register_routes():
    return [(r"^/-/datapackage\.json$", datapackage_json)]
