"""The scripts and styles a canned query's page loads besides Datasette's (openbangkok.hooks.query_pages):
the monthly trend's bar chart and the list of services to pick from on nearest_service. Each script
fetches what it shows as JSON from this site and builds its DOM without innerHTML or inline code, so
it runs under the site's Content-Security-Policy (as the ITA chart does)."""

from __future__ import annotations

from openbangkok.model.site_metadata import DATABASE

ASSETS = "/assets/query-pages/"
PAGES = {
    "complaints_monthly_trend": (["trend-chart.js"], ["query-pages.css"]),
    "nearest_service": (["service-list.js"], []),
}


def _assets(database, view_name, request) -> tuple[list[str], list[str]]:
    if (
        request is None or database != DATABASE or view_name not in ("query", "table")
    ):  # a canned query is served by the table view
        return [], []
    return PAGES.get(request.url_vars.get("table"), ([], []))


def js_urls(datasette, database, view_name, request) -> list[dict]:
    return [{"url": datasette.urls.path(ASSETS + name)} for name in _assets(database, view_name, request)[0]]


def css_urls(datasette, database, view_name, request) -> list[str]:
    return [datasette.urls.path(ASSETS + name) for name in _assets(database, view_name, request)[1]]
