"""Downloads named for what they hold: table, filter, day (openbangkok.site.exports.filenames)."""

from datasette import hookimpl

from openbangkok.site.exports.filenames import named_downloads


@hookimpl
def asgi_wrapper():
    return named_downloads
