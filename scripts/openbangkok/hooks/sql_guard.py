"""Every connection of the site guarded (openbangkok.site.security.sql_guard): SQLite's limits, an authorizer with
allow lists of functions, table-valued functions and pragmas, and a bound on the bytes of an answer.
At startup every SQL thread opens (and guards) its connection, and the error page is rendered once:
the first requests of a flood do not pay for them."""

import asyncio
import threading

from datasette import hookimpl
from datasette.utils.asgi import Request

from openbangkok.site.security.errors import render
from openbangkok.site.security.sql_guard import guard


@hookimpl(hookwrapper=True)
def prepare_connection(conn, database):
    yield  # after every other plugin's functions and pragmas: the authorizer would refuse a pragma
    guard(conn, database)


@hookimpl
def startup(datasette):
    async def connect():
        threads = datasette.setting("num_sql_threads")
        for db in [db for db in datasette.databases.values() if not db.is_memory and threads]:
            barrier = threading.Barrier(threads, timeout=30)  # each call holds its thread till all have one
            await asyncio.gather(
                *(db.execute_fn(lambda conn, barrier=barrier: barrier.wait()) for _ in range(threads)),
                return_exceptions=True,
            )
        await render(datasette, Request.fake("/"), 404, "")

    return connect
