"""Codes that refer to reference data shown with their label, linked (openbangkok.site.pages.references;
metadata.yml's openbangkok-row-labels says which)."""

from datasette import hookimpl

from openbangkok.site.pages.references import labelled_cell


@hookimpl
def render_cell(value, column, table, database, datasette):
    return labelled_cell(value, column, table, database, datasette)
