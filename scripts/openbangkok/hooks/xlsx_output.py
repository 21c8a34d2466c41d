"""`.xlsx` downloads of every table, filtered view, row and query (openbangkok.site.exports.xlsx)."""

from datasette import hookimpl

from openbangkok.site.exports.xlsx import can_render, render_xlsx


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "xlsx", "render": render_xlsx, "can_render": can_render}
