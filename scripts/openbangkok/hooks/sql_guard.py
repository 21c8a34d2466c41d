"""Every connection of the site guarded (openbangkok.site.security.sql_guard): SQLite's limits, an authorizer with
allow lists of functions, table-valued functions and pragmas, and a bound on the bytes of an answer.
At startup every SQL thread opens (and guards) its connection, and the error page is rendered once:
the first requests of a flood do not pay for them."""

from datasette import hookimpl

from openbangkok.site.security.sql_guard import connect_every_thread, guard


@hookimpl(wrapper=True)
def prepare_connection(conn, database):
    # after every other plugin's functions and pragmas (the authorizer would refuse a pragma); a new-style
    # wrapper, so that a file that is no database raises to Datasette as an error, not a pluggy warning
    result = yield
    guard(conn, database)
    return result


@hookimpl
def startup(datasette):
    return lambda: connect_every_thread(datasette)
