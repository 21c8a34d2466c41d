"""Photos as thumbnails and JSON lists as labels on HTML pages (openbangkok.site.pages.cells)."""

from datasette import hookimpl

from openbangkok.site.pages import cells


@hookimpl(tryfirst=True)
def render_cell(value, column, table, datasette):
    return cells.render(datasette, table, column, value)
