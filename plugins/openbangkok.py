"""Open Bangkok's Datasette plugin: the one file Datasette loads from plugins/ (make_datasette's
plugins_dir). It registers the hook modules of openbangkok.hooks in a fixed order and adds ONE
asgi_wrapper, which composes the project's ASGI wrappers in the order WRAPPERS lists.

Without this file Datasette loaded each hook module from plugins/ in the order the filesystem
listed them, so the order of the ASGI wrappers and of hooks whose order shows (render_cell: the
first answer wins; the export links; the CSS and JS of a page) was an accident of the disk.

HOOK_MODULES is in the order pluggy calls the modules' hooks, first called first (pluggy calls the
module registered last first, so they are registered in reverse), grouped by concern; the modules
whose hooks' order shows keep the order they were called in before (from this machine's disk):
- render_cell takes the first value a hook returns: thai_dates, then reference_labels, map_links;
- register_output_renderer: the export links of a page in order, xlsx, geojson, ndjson;
- extra_css_urls and extra_js_urls: the order of a page's stylesheets and scripts;
- startup hooks are awaited in turn: sql_guard connects every SQL thread, serving warms the facets
  and rewrites, http_cache hashes the database.
Hooks that must run last or first whatever the order say so themselves (hookwrapper, trylast).
The templates and static files stay in plugins/templates and plugins/static.
"""

from datasette import hookimpl
from datasette.plugins import pm

from openbangkok.hooks import (
    api_docs,
    bad_requests,
    bilingual,
    ckan_api,
    crawlers,
    datapackage,
    dataset_pages,
    dcat,
    download_names,
    excel_csv,
    geojson_output,
    http_cache,
    illustrative_banner,
    ita_chart,
    map_links,
    media_types,
    ndjson_output,
    policy_charts,
    public_url,
    query_pages,
    query_params,
    read_only,
    readable_cells,
    reader_layout,
    reference_labels,
    security_headers,
    serving,
    sql_functions,
    sql_guard,
    table_cells,
    thai_dates,
    thai_search,
    xlsx_output,
)

HOOK_MODULES = [
    # security: what a request and a connection may do
    sql_guard,
    security_headers,
    bad_requests,
    read_only,
    query_params,
    # serving speed: SQL functions, the rewrites and memos, HTTP caching, media types
    serving,
    sql_functions,
    thai_search,
    http_cache,
    media_types,
    # pages: the Jinja filters, bilingual labels, Thai dates, row labels, map links, charts
    table_cells,
    illustrative_banner,
    bilingual,
    thai_dates,
    reference_labels,
    map_links,
    ita_chart,
    policy_charts,
    query_pages,
    readable_cells,
    reader_layout,
    # exports
    xlsx_output,
    geojson_output,
    ndjson_output,
    excel_csv,
    # open data: DCAT, Data Package, robots and sitemap, the API page, the CKAN Action API, the dataset
    # pages and the catalogue's search
    dcat,
    datapackage,
    crawlers,
    api_docs,
    ckan_api,
    dataset_pages,
]

# Outermost first: a request passes them top to bottom, an answer bottom to top.
WRAPPERS = [
    # the site's public URL in place of the request's Host, before anything reads either
    public_url.wrapper,
    # on every answer, the 304, 400, 405 and 414 the wrappers below give themselves included
    security_headers.wrapper,
    # ETag, 304, Cache-Control and gzip: sees the body as it is sent, the outermost body transformer,
    # and strips the conditional headers before anything inside could answer 304 on its own
    http_cache.wrapper,
    # oversized addresses and unknown columns refused before any wrapper below reads the request
    bad_requests.wrapper,
    # writes refused with 405 before anything runs (POST to the CKAN actions only let through)
    read_only.wrapper,
    # request rewrites: a ?_search= of nothing dropped, the canned queries' Thai parameters read
    thai_search.wrapper,
    media_types.wrapper,
    # Content-Disposition named for the table, filter and day: a header of the answer, before the body
    download_names.wrapper,
    query_params.wrapper,
    # CSV for Excel: BOM and formula guard over the CSV blocks the wrapper below streams
    excel_csv.wrapper,
    # next to Datasette, so the wrappers above see a CSV in blocks, not one message per row
    serving.wrapper,
]

for module in reversed(HOOK_MODULES):
    # checked: each Datasette started in one process (the tests start many) runs this file again
    if pm.get_plugin(module.__name__) is None:
        pm.register(module, name=module.__name__)


@hookimpl
def asgi_wrapper(datasette):
    layers = [layer(datasette) for layer in WRAPPERS]

    def wrap(app):
        for layer in reversed(layers):
            app = layer(app)
        return app

    return wrap
