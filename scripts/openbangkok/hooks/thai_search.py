"""Thai full-text search through Datasette's own ?_search= box and API.

Datasette matches `?_search=` with the SQL function escape_fts(); this plugin registers, after
Datasette's own, a version that turns Thai words into the bigram phrases of tables indexed with
openbangkok.thai.search.index_text (complaints_fts). Queries of ASCII only are escaped exactly as
Datasette escapes them (others are also folded as the index text is), and a Thai term also matches
the way it did before. A blank search (spaces only) is no search, as an empty one is: FTS5 refused it
with a raw "syntax error" page. A search of punctuation only (a lone quote, `*`) is refused with words
before it gets here (openbangkok.site.security.limits).
"""

from urllib.parse import unquote_plus

from datasette import hookimpl

from openbangkok.thai.search import search_escape


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, search_escape, deterministic=True)


def blank_search(part: bytes) -> bool:
    key, _, value = part.partition(b"=")
    return key.startswith(b"_search") and key != b"_searchmode" and not unquote_plus(value.decode("latin-1")).strip()


def wrapper(datasette):
    def wrap(app):
        async def searching(scope, receive, send):
            query = scope.get("query_string", b"") if scope.get("type") == "http" else b""
            if b"_search" in query:
                scope = {**scope, "query_string": b"&".join(p for p in query.split(b"&") if not blank_search(p))}
            await app(scope, receive, send)

        return searching

    return wrap
