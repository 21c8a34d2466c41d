"""Foreign keys as labels on the row pages of the policy tables (openbangkok.site.pages.row_labels)."""

from datasette import hookimpl

from openbangkok.site.pages.row_labels import labelled_cell


@hookimpl
def render_cell(value, column, table, database, datasette):
    return labelled_cell(value, column, table, database, datasette)
