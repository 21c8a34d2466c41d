"""The build's SQL functions (openbangkok.model.sql_functions.FUNCTIONS) on the site too, so canned queries,
views and arbitrary SQL can call them: ita_level(score), thai_fiscal_year(date), buddhist_year(year)."""

from datasette import hookimpl

from openbangkok.model.sql_functions import register


@hookimpl
def prepare_connection(conn):
    register(conn)
