"""Thai and English labels, titles and the catalogue on every page (openbangkok.site.pages.template_vars)."""

from datasette import hookimpl

from openbangkok.site.pages.template_vars import page_vars


@hookimpl
def extra_template_vars(datasette, view_name, table, columns, request):
    return page_vars(datasette, view_name, table, columns, request)
