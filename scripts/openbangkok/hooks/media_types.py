"""CSV and newline-delimited JSON served with their own media types (openbangkok.site.exports.media_types).
Its ASGI layer is placed by plugins/openbangkok.py's WRAPPERS."""

from openbangkok.site.exports.media_types import correct_media_types


def wrapper(datasette):
    return correct_media_types(datasette)
