"""For developers: /-/api (every table's endpoints with copy-paste examples, Thai and English, and
the CKAN Action API's) and /-/openapi.json (OpenAPI 3 description of the table endpoints), from
openbangkok.opendata.openapi."""

from datasette.utils.asgi import Response

from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.api_examples import ckan_examples, examples
from openbangkok.opendata.openapi import openapi
from openbangkok.site import internals
from openbangkok.site import tables as site_info
from openbangkok.site.serving.http_cache import HTML_TTL


async def openapi_json(datasette, request):
    document = openapi(
        await site_info.public_tables(datasette),
        await site_info.canned_queries(datasette),
        site_info.base_url(datasette, request),
        datasette.settings_dict(),
        internals.metadata(datasette) or {},
    )
    response = Response.json(document)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def api_page(datasette, request):
    base_url = site_info.base_url(datasette, request)
    tables = await site_info.public_tables(datasette)
    # not "base_url": Datasette's render_template sets that to its base_url setting ("/")
    return Response.html(
        await datasette.render_template(
            "api.html",
            {
                "site_url": base_url,
                "database": DATABASE,
                "tables": [{"table": t, "examples": examples(t, base_url)} for t in tables],
                "ckan": ckan_examples(tables, base_url),
                "settings": datasette.settings_dict(),
                "html_ttl": HTML_TTL,
                "site": internals.metadata(datasette) or {},
            },
            request=request,
        )
    )
