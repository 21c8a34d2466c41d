"""The CKAN Action API, read-only, at /api/3/action/<name> and /api/action/<name> (openbangkok.opendata.ckan)."""

from datasette import hookimpl

from openbangkok.opendata.ckan.actions import ROUTES


@hookimpl
def register_routes():
    return ROUTES
