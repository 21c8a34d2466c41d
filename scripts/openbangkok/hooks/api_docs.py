"""For developers: /-/api and /-/openapi.json (openbangkok.opendata.api_pages), and the menu's link to them."""

from datasette import hookimpl

from openbangkok.opendata.api_pages import api_page, openapi_json


@hookimpl
def register_routes():
    return [(r"^/-/openapi\.json$", openapi_json), (r"^/-/api$", api_page)]


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/api"), "label": "API สำหรับนักพัฒนา / API for developers"}]
