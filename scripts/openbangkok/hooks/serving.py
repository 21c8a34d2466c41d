"""Large tables served fast (openbangkok.site.serving.serving): SQLite reads through mmap, array facets without
Datasette's row-wide DISTINCT, whole-table facets of the immutable database computed once at
startup instead of at every request, searches and filtered pages answered with exactly equivalent
faster SQL (openbangkok.site.serving.rewrites), table permissions and rows with labels without Datasette's
per-request Python (openbangkok.site.serving.table_permissions, serving.iterate_rows_in_c), CSV streams in
whole pages and blocks of rows, pages sorted on repeated values that show every row once
(openbangkok.site.serving.tie_breaker), and the garbage collector tuned once the site has started.

The database file's hash (its ETag) is computed at startup, off the event loop, from the file the
site answers from (openbangkok.site.pinned_file); /-/databases.json lists the databases without the
path of their file on the server."""

import asyncio

from datasette import hookimpl

from openbangkok.site import internals_check
from openbangkok.site.serving import rewrites as sql_rewrites
from openbangkok.site.serving import serving, table_permissions, tie_breaker
from openbangkok.site.tables import databases_page


@hookimpl
def prepare_connection(conn):
    serving.configure_connection(conn)


@hookimpl(hookwrapper=True)
def register_facet_classes():
    outcome = yield
    outcome.force_result(serving.replace_facet_classes(outcome.get_result()))


@hookimpl
def startup(datasette):
    async def warm():
        if internals_check.is_probe(datasette):  # the self-check's own Datasette: Datasette's SQL as it is
            return
        await internals_check.self_check()  # first: a lever whose internals changed is switched off
        immutable = [db for db in datasette.databases.values() if not db.is_mutable and not db.is_memory]
        await asyncio.to_thread(lambda: [db.hash for db in immutable])  # read once, here, not on the event loop
        for db in datasette.databases.values():
            tie_breaker.installed(db)  # first: the rewrites below see Datasette's own SQL
        await sql_rewrites.find_precomputed(datasette)
        await serving.warm_facets(datasette)
        table_permissions.memoise(datasette)
        serving.iterate_rows_in_c()
        serving.tune_gc()

    return warm


def wrapper(datasette):
    return lambda app: serving.stream_csv(app, datasette)


@hookimpl
def register_routes():
    return [(r"/-/databases(\.(?P<format>json))?$", databases_page)]
