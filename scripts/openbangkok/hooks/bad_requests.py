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

from openbangkok.site.security.errors import answer
from openbangkok.site.security.limits import refusing_early, what_to_change


@hookimpl(hookwrapper=True)
def handle_exception(datasette, request, exception):
    outcome = yield
    outcome.force_result([lambda: answer(datasette, request, exception, what_to_change(request, exception))])


def wrapper(datasette):
    return refusing_early(datasette)
