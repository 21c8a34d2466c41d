"""Downloads named for what they hold: table, filter, day (openbangkok.site.exports.filenames). Its
ASGI layer is placed by plugins/openbangkok.py's WRAPPERS."""

from openbangkok.site.exports.filenames import named_downloads


def wrapper(datasette):
    return named_downloads
