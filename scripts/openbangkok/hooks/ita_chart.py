"""The ITA ranking chart: on the ita_ranking canned-query page only (metadata.yml names it), a script (served from
plugins/static/ita-chart/) fetches the page's own JSON and draws the ranking as an SVG bar chart.
No inline script and no third-party asset, so it works under a strict Content-Security-Policy."""

from datasette import hookimpl

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.plugin_config import plugin_config

CONFIG = "openbangkok-ita-chart"  # metadata.yml: {queries: [the canned queries that draw the chart]}
ASSETS = "/assets/ita-chart/"


def on_ranking_page(datasette, database, view_name, request) -> bool:
    return (
        request is not None
        and database == DATABASE
        and view_name in ("query", "table")
        and request.url_vars.get("table") in plugin_config(datasette, CONFIG).get("queries", ())
    )


@hookimpl
def extra_js_urls(database, view_name, request, datasette):
    if on_ranking_page(datasette, database, view_name, request):
        return [{"url": datasette.urls.path(ASSETS + "ita-chart.js")}]


@hookimpl
def extra_css_urls(database, view_name, request, datasette):
    if on_ranking_page(datasette, database, view_name, request):
        return [datasette.urls.path(ASSETS + "ita-chart.css")]
