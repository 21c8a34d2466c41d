"""Canned query pages with a chart or a list to pick from (openbangkok.site.pages.query_assets)."""

from datasette import hookimpl

from openbangkok.site.pages import query_assets


@hookimpl
def extra_js_urls(database, view_name, request, datasette):
    return query_assets.js_urls(datasette, database, view_name, request)


@hookimpl
def extra_css_urls(database, view_name, request, datasette):
    return query_assets.css_urls(datasette, database, view_name, request)
