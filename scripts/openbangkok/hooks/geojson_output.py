"""`.geojson` for any table, view or query with latitude/longitude columns (openbangkok.site.exports.geojson)."""

from datasette import hookimpl

from openbangkok.site.exports.geojson import can_render_geojson, render_geojson


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "geojson", "render": render_geojson, "can_render": can_render_geojson}
