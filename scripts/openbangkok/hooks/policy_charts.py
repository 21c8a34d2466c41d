"""Policy charts (the pages are named in metadata.yml): on the policies table page, a bar chart of progress by dimension; on a policy's row
page, its KPIs, a line chart of progress over time per KPI and the full timeline of progress reports;
on a policy tracker KPI's row page, its results month by month (tracker-charts.js).

Drawn in the browser from the site's own JSON API by one dependency-free ES module served from
plugins/static/policy-charts/ (at /assets/policy-charts/), loaded on those two pages only. No inline
script and no third-party asset, so both work under the site's strict Content-Security-Policy.

Why not a charting plugin: datasette-plot 0.1 requires Datasette 1.0 alphas and draws only charts a
visitor configures by hand; datasette-dashboards bundles Vega (which needs 'unsafe-eval') behind inline
scripts, on pages of its own rather than on table and row pages; datasette-vega dates from 2018.
"""

from datasette import hookimpl

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.plugin_config import plugin_config

ASSETS = "/assets/policy-charts/"
CONFIG = "openbangkok-policy-charts"  # metadata.yml: {table: {view: the module that draws its charts}}


def chart_module(datasette, database, table, view_name) -> str | None:
    """The chart module of a page, or None."""
    return (plugin_config(datasette, CONFIG).get(table) or {}).get(view_name) if database == DATABASE else None


@hookimpl
def extra_js_urls(database, table, view_name, datasette):
    module = chart_module(datasette, database, table, view_name)
    if module:
        return [{"url": datasette.urls.path(ASSETS + module), "module": True}]


@hookimpl
def extra_css_urls(database, table, view_name, datasette):
    if chart_module(datasette, database, table, view_name):
        return [datasette.urls.path(ASSETS + "policy-charts.css")]
