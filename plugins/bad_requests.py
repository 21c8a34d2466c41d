"""Mistakes in a page's address answered 400 with what to change, not 500: Datasette 0.65 answers
an unknown column in ?_sort= or ?_sort_desc=, and a ?_next= on a view that is not a number (a view's
pages are offsets), with a server error."""

from datasette import hookimpl
from datasette.handle_exception import handle_exception as datasette_error_page
from datasette.utils.asgi import BadRequest

UNKNOWN_SORT = "Cannot sort table by "


def what_to_change(request, exception: Exception) -> str | None:
    """The reader's words for an address mistake, None for any other error."""
    message = str(exception)
    if message.startswith(UNKNOWN_SORT):
        column = message.removeprefix(UNKNOWN_SORT)
        return (f"ไม่มีคอลัมน์ {column} ให้เรียงลำดับ / There is no column {column!r} to sort by: "
                "_sort and _sort_desc take the name of one of the table's columns.")
    if isinstance(exception, ValueError) and "_next" in request.args and message.startswith("invalid literal for int()"):
        return ("_next ต้องเป็นตัวเลข / _next must be a whole number here: the pages of a view are counted "
                "in rows; use the next_url of the page before.")
    return None


@hookimpl
def handle_exception(datasette, request, exception):
    message = what_to_change(request, exception)
    return None if message is None else datasette_error_page(datasette, request, BadRequest(message))
