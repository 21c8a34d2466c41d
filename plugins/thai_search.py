"""Thai full-text search through Datasette's own ?_search= box and API.

Datasette matches `?_search=` with the SQL function escape_fts(); this plugin registers, after
Datasette's own, a version that turns Thai words into the bigram phrases of tables indexed with
openbangkok.thai_search.index_text (complaints_fts). Queries of ASCII only are escaped exactly as
Datasette escapes them (others are also folded as the index text is), and a Thai term also matches
the way it did before.
"""

from datasette import hookimpl

from openbangkok.thai_search import search_escape


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, search_escape, deterministic=True)
