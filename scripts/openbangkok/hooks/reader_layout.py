"""The page layout for readers (openbangkok.site.pages.layout): column order, the row page's fields
and map, and datasette-cluster-map's counter in Thai (a script beside the plugin's, no copy of it)."""

from datasette import hookimpl

from openbangkok.site.pages import layout


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["ordered_columns"] = layout.ordered_columns
    env.filters["ordered_cells"] = layout.ordered_cells
    env.filters["location_columns"] = layout.location_columns


@hookimpl
def extra_js_urls(view_name, columns, datasette):
    """The Thai counter of the cluster map, on the pages that show one."""
    if view_name in ("table", "database") and layout.location_columns(columns):
        return [{"url": datasette.urls.path("/assets/publishing/map-counter.js")}]
    return []
