"""Every connection of the site guarded (openbangkok.sql_guard): SQLite's limits, an authorizer with
allow lists of functions, table-valued functions and pragmas, and a bound on the bytes of an answer."""

from datasette import hookimpl

from openbangkok.sql_guard import guard


@hookimpl(hookwrapper=True)
def prepare_connection(conn, database):
    yield   # after every other plugin's functions and pragmas: the authorizer would refuse a pragma
    guard(conn, database)
