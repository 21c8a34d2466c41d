"""`.ndjson`: rows as newline-delimited JSON (openbangkok.site.exports.ndjson)."""

from datasette import hookimpl

from openbangkok.site.exports.ndjson import render_ndjson


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "ndjson", "render": render_ndjson}
