"""Large tables served fast (openbangkok.serving): SQLite reads through mmap, array facets without
Datasette's row-wide DISTINCT, whole-table facets of the immutable database computed once at
startup instead of at every request, searches and filtered pages answered with exactly equivalent
faster SQL (openbangkok.sql_rewrites), table permissions and rows with labels without Datasette's
per-request Python (openbangkok.table_permissions, serving.iterate_rows_in_c), CSV streams in
whole pages and blocks of rows, pages sorted on repeated values that show every row once
(openbangkok.tie_breaker), and the garbage collector tuned once the site has started."""

from datasette import hookimpl

from openbangkok import serving, sql_rewrites, table_permissions, tie_breaker


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
        for db in datasette.databases.values():
            tie_breaker.installed(db)   # first: the rewrites below see Datasette's own SQL
        await sql_rewrites.find_precomputed(datasette)
        await serving.warm_facets(datasette)
        table_permissions.memoise(datasette)
        serving.iterate_rows_in_c()
        serving.tune_gc()

    return warm


@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    # tryfirst: applied first, so it sits next to Datasette and the other wrappers see blocks, not rows
    return lambda app: serving.stream_csv(app, datasette)
