"""ETag, Last-Modified, 304, Cache-Control and gzip on every GET and HEAD, and /-/health for load
balancers (openbangkok.site.serving.http_cache).

Its place among the ASGI wrappers (plugins/openbangkok.py, WRAPPERS): outside every other but the
security headers', so it sees the body exactly as it will be sent, which it alone compresses, and
the final content type (the CSV's); and it strips the conditional headers before anything inside
can answer 304 on its own. Methods other than GET and HEAD (the CKAN API's POST) pass through it
untouched.
"""

import contextlib

from datasette import hookimpl

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.levers import lever_on
from openbangkok.site.serving import http_cache


@hookimpl
def startup(datasette):
    async def know_the_build():  # the database's SHA-256 once, before the first visitor (openbkk serve)
        if DATABASE not in datasette.databases:
            return
        with contextlib.suppress(*http_cache.UNREADABLE):  # /-/health says so; the pages answer as they can
            await http_cache.identity(datasette)

    return know_the_build


def wrapper(datasette):
    if not lever_on("http_cache"):  # benchmarks/http_layer.py: what the layer costs
        return lambda app: app
    return lambda app: http_cache.HttpCache(app, datasette)
