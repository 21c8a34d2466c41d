"""Codes that refer to reference data shown with their label, linked (openbangkok.site.pages.references;
metadata.yml's openbangkok-row-labels says which). Table pages pass expanded keys as {"value", "label"},
which are left to Datasette."""

from datasette import hookimpl

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.pages import references


@hookimpl
def render_cell(value, column, table, database, datasette):
    if (
        database != DATABASE
        or value is None
        or isinstance(value, dict)
        or not references.configured(datasette, table)
        or references.known_plain(datasette, table, column)
    ):
        return None

    async def inner():
        return await references.linked_label(datasette, table, column, value)

    return inner
