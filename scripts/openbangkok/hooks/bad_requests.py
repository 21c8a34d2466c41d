"""Bad requests answered early and in words, errors answered at no cost (openbangkok.site.security.errors,
openbangkok.site.security.limits).

- An address over the size limits (a query string over 8 KB, too many parameters, one parameter
  repeated too often, a NUL byte), or a table page's parameter naming no column of the table, is
  refused before Datasette reads it: 414 or 400.
- At most limits.STREAMS complete downloads (`?_stream=on`) at a time; beyond, 503 with Retry-After.
- Every exception is answered by openbangkok.site.security.errors.answer(), never by Datasette's own handler
  (which prints a traceback with locals through `rich`, on the event loop): this hook wraps the
  handle_exception hooks and keeps only this answer. A client's mistake is a 4xx.
- Datasette 0.65 answers an unknown column in ?_sort= or ?_sort_desc=, and a ?_next= on a view that
  is not a number (a view's pages are offsets), with a server error: they get words of their own.
"""

from datasette import hookimpl
from datasette.utils.asgi import Request

from openbangkok.site.security.errors import answer, refused
from openbangkok.site.security.limits import (
    BUSY_STREAMS,
    RETRY_AFTER_SECONDS,
    is_stream,
    refusal,
    sort_message,
    streams,
    unknown_column,
)

UNKNOWN_SORT = "Cannot sort table by "


def what_to_change(request, exception: Exception) -> str | None:
    """The reader's words for an address mistake, None for any other error."""
    message = str(exception)
    if message.startswith(UNKNOWN_SORT):
        return sort_message(message.removeprefix(UNKNOWN_SORT))
    if (
        isinstance(exception, ValueError)
        and "_next" in request.args
        and message.startswith("invalid literal for int()")
    ):
        return (
            "_next ต้องเป็นตัวเลข / _next must be a whole number here: the pages of a view are counted "
            "in rows; use the next_url of the page before."
        )
    return None


@hookimpl(hookwrapper=True)
def handle_exception(datasette, request, exception):
    outcome = yield
    outcome.force_result([lambda: answer(datasette, request, exception, what_to_change(request, exception))])


def wrapper(datasette):
    def wrap(app):
        async def refusing(scope, receive, send):
            refusing = refusal(scope) or await unknown_column(datasette, scope) if scope.get("type") == "http" else None
            if refusing is None and scope.get("type") == "http" and is_stream(scope):
                slots = streams(datasette)
                if not slots.locked():
                    async with slots:
                        return await app(scope, receive, send)
                refusing = 503, BUSY_STREAMS, None
            if refusing is None:
                return await app(scope, receive, send)
            response = await refused(datasette, Request(scope, receive), *refusing)
            if refusing[0] == 503:
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            await response.asgi_send(send)

        return refusing

    return wrap
