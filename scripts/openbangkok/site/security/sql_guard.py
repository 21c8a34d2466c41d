"""What SQL the public site runs, and how large one answer may be (SECURITY.md).

Every connection the site opens is guarded (guard(), from openbangkok/hooks/sql_guard.py's prepare_connection):

- SQLite's own limits (LIMITS, Connection.setlimit): no value over VALUE_BYTES, no ATTACH, short
  LIKE patterns, shallow expressions; a value that would be larger is an error, not an allocation;
  and at most HEAP_BYTES of memory for SQLite in the whole process.
- An authorizer with allow lists, derived by running every page, facet, search, canned query and
  README example of the site (tests/security/test_sql_surface.py does it again): reading the tables
  and views the database has when the connection opens (it is immutable), the functions of ALLOWED_FUNCTIONS, the table-valued functions of ALLOWED_TABLE_FUNCTIONS,
  the pragmas of READ_PRAGMAS. Everything else is refused: fts3_tokenizer() (with Debian's
  ENABLE_FTS3_TOKENIZER it returns a pointer and, given one, makes the process jump there),
  fts3tokenize, dbstat, sqlite_dbpage, load_extension(), zeroblob(), writing, ATTACH, transactions.
- A count of the bytes a statement returns (AnswerSize): a row over ROW_BYTES or an answer over
  ANSWER_BYTES stops the statement with an error, before Python holds more.
- Linear versions of the core functions whose C versions take time quadratic in their arguments'
  length in one step, which the SQL time limit cannot interrupt (LINEAR_FUNCTIONS).

Datasette's own bookkeeping connections (`_internal`, and the in-memory one /-/versions probes) get
the limits and the function allow list but may write, as Datasette needs; no visitor reaches them.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import weakref

VALUE_BYTES = 1_000_000  # the build admits cells of 100,000 characters: at most 400 KB of UTF-8
ROW_BYTES = 4_000_000
ANSWER_BYTES = 20_000_000  # a page is 1,000 rows; 1,000 complaints are about 2 MB
# All of SQLite's memory in the site's process (a process-wide limit): a search of every prefix at once
# (ก* OR ข* OR ...) holds the doclists of most of the index in memory; past this
# a query fails with "out of memory" (HTTP 400) instead of the process growing without bound.
HEAP_BYTES = 1 << 30

LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: VALUE_BYTES,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,
    sqlite3.SQLITE_LIMIT_COLUMN: 200,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 200,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 20,
    sqlite3.SQLITE_LIMIT_VDBE_OP: 250_000,
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 100,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    # a LIKE or GLOB is one step of the time limit: a long pattern on a long value ran for seconds
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 300,
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 1000,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 0,
    sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
}

# Functions SQL on the site may call. Needed by the site's pages, facets, search, canned queries and
# views (marked *, seen when every page was run), and the core scalar, date, aggregate, window, math
# and JSON functions a reader of SECURITY.md may expect, none of which can leak memory, load code,
# or take more than linear time or VALUE_BYTES per value. Not allowed: fts3_tokenizer, fts5 (pointer
# functions), load_extension, zeroblob and randomblob (a gigabyte at once), sqlite_compileoption_*,
# sqlite_offset, rtree checks, soundex, median (keeps every value in Python: unbounded memory).
ALLOWED_FUNCTIONS = frozenset(
    """
    abs char* coalesce* glob hex ifnull iif instr length like* likelihood likely lower ltrim max* min*
    nullif* printf format quote random replace round* rtrim sign substr substring trim* typeof unicode
    unlikely upper* sqlite_version*
    date time datetime julianday* unixepoch strftime
    avg* count* group_concat sum* total
    row_number* rank* dense_rank percent_rank cume_dist ntile lag* lead first_value last_value nth_value
    acos acosh asin asinh atan atan2 atanh ceil ceiling cos cosh degrees exp floor ln log log10 log2
    mod pi pow power radians sin sinh sqrt tan tanh trunc
    json* json_array json_array_length json_extract json_insert json_object json_patch json_quote
    json_remove json_replace json_set json_type json_valid json_group_array json_group_object -> ->>
    match* snippet highlight bm25 escape_fts*
    thai_fiscal_year buddhist_year ita_level haversine* thai_index_text thai_fts_query
""".replace("*", "").split()
)

# Table-valued functions (eponymous virtual tables) SQL on the site may read: JSON arrays (array
# facets, `?types__arraycontains=`) and the schema pragmas Datasette offers its users.
ALLOWED_TABLE_FUNCTIONS = frozenset(
    {
        "json_each",
        "json_tree",
        "pragma_table_info",
        "pragma_table_xinfo",
        "pragma_index_list",
        "pragma_index_info",
        "pragma_index_xinfo",
        "pragma_foreign_key_list",
        "pragma_database_list",
        "pragma_function_list",
        "pragma_module_list",
        "pragma_pragma_list",
        "pragma_table_list",
    }
)

# Pragmas read (never set): the schema pragmas take a table or index name as their argument.
NAMED_PRAGMAS = frozenset({"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"})
READ_PRAGMAS = NAMED_PRAGMAS | frozenset(
    {
        "database_list",
        "function_list",
        "module_list",
        "pragma_list",
        "table_list",
        "page_count",
        "page_size",
        "schema_version",
        "data_version",
    }
)
SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"})
DATASETTE_OWN = frozenset({"_internal", "_memory"})  # Datasette's bookkeeping: it writes there

READ_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_PRAGMA,
    sqlite3.SQLITE_RECURSIVE,
}


class AnswerTooLarge(sqlite3.DataError):
    """A statement's rows grew past ROW_BYTES or ANSWER_BYTES."""


class AnswerSize:
    """Counts the bytes of the rows a connection returns, per statement (cursor).

    Datasette decodes every text value with a Python text_factory already; this one also counts, and
    the row_factory (sqlite3.Row, as Datasette's) adds the blobs and checks the row and the total.
    `streamed` (a with block): rows handed on batch by batch, not held, are not totalled.
    """

    def __init__(self):
        self.pending = 0
        self.total = 0
        self.cursor = None
        self.streaming = False

    def text(self, data: bytes) -> str:
        self.pending += len(data)
        return str(data, "utf-8", "replace")

    def row(self, cursor, values, _bytes=bytes, _row=sqlite3.Row):
        size, self.pending = self.pending, 0
        if _bytes in map(type, values):
            size += sum(len(v) for v in values if type(v) is _bytes)
        if self.cursor is None or self.cursor() is not cursor:
            self.cursor, self.total = weakref.ref(cursor), 0
        self.total += size
        if size > ROW_BYTES or (self.total > ANSWER_BYTES and not self.streaming):
            self.total = 0
            raise AnswerTooLarge(
                f"the answer is too large: more than {(ROW_BYTES if size > ROW_BYTES else ANSWER_BYTES):,} bytes "
                f"{'in one row' if size > ROW_BYTES else 'in one page'}; select fewer columns or rows, or download "
                f"the table as CSV (?_stream=on) / คำตอบใหญ่เกินไป กรุณาเลือกคอลัมน์หรือแถวให้น้อยลง"
            )
        return _row(cursor, values)


@contextlib.contextmanager
def streamed(conn):
    """Rows read in batches and written out as they come (the .xlsx export of a query): the answer's
    total is not bounded by ANSWER_BYTES, each row still is by ROW_BYTES."""
    size = getattr(conn.row_factory, "__self__", None)
    if not isinstance(size, AnswerSize):
        yield
        return
    size.streaming = True
    try:
        yield
    finally:
        size.streaming = False


# Functions whose SQLite version compares every character of one argument with every character of
# the other in a single step (seconds for long arguments, never interrupted by the time limit):
# Python's string methods are linear.
def _as_text(value):
    if value is None or isinstance(value, str):
        return value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _checked(text: str) -> str:
    if len(text.encode("utf-8")) > VALUE_BYTES:
        raise sqlite3.DataError("string or blob too big")
    return text


def _trim(left: bool, right: bool):
    def trim(text, characters):
        text, characters = _as_text(text), _as_text(characters)
        if text is None or characters is None:
            return None
        trimmed = set(characters)
        start, end = 0, len(text)
        while left and start < end and text[start] in trimmed:
            start += 1
        while right and end > start and text[end - 1] in trimmed:
            end -= 1
        return text[start:end]

    return trim


def _instr(haystack, needle):
    if haystack is None or needle is None:
        return None
    if isinstance(haystack, bytes) and isinstance(needle, bytes):
        return haystack.find(needle) + 1
    return _as_text(haystack).find(_as_text(needle)) + 1


def _replace(text, old, new):
    text, old, new = _as_text(text), _as_text(old), _as_text(new)
    if text is None or old is None or new is None:
        return None
    if not old:
        return text
    if len(new) > len(old) and len(text) + text.count(old) * (len(new) - len(old)) > VALUE_BYTES:
        raise sqlite3.DataError("string or blob too big")
    return _checked(text.replace(old, new))


LINEAR_FUNCTIONS = {
    ("trim", 2): _trim(True, True),
    ("ltrim", 2): _trim(True, False),
    ("rtrim", 2): _trim(False, True),
    ("instr", 2): _instr,
    ("replace", 3): _replace,
}


def _known_tables(conn) -> frozenset:
    return frozenset(name for (name,) in conn.execute("select name from sqlite_master where type in ('table', 'view')"))


def _warm(conn) -> None:
    """A virtual table (the search index, a table-valued function) declares itself to the connection the
    first time it is read there, as an UPDATE of sqlite_master, which the authorizer refuses: each one
    is read once here, before the authorizer is installed."""
    for name in sorted(ALLOWED_TABLE_FUNCTIONS):
        argument = "'[]'" if name.startswith("json_") else ("'sqlite_master'" if name[7:] in NAMED_PRAGMAS else "")
        conn.execute(f"select * from {name}({argument}) limit 0").fetchall()
    for (name,) in conn.execute("select name from sqlite_master where type = 'table' and sql like 'create virtual%'"):
        conn.execute(f"select * from [{name}] limit 0").fetchall()


def authorizer(tables: frozenset, strict: bool):
    """The authorizer: True `strict` for the databases visitors query (reads only)."""
    ok, deny = sqlite3.SQLITE_OK, sqlite3.SQLITE_DENY
    readable = tables | SCHEMA_TABLES | ALLOWED_TABLE_FUNCTIONS

    def authorize(action, first, second, database, trigger):
        if action == sqlite3.SQLITE_FUNCTION:
            return ok if second in ALLOWED_FUNCTIONS else deny
        if not strict:
            return ok if action != sqlite3.SQLITE_READ or first not in DENIED_MODULES else deny
        if action == sqlite3.SQLITE_SELECT or action == sqlite3.SQLITE_RECURSIVE:
            return ok
        if action == sqlite3.SQLITE_READ:  # a common table expression's own rows have no database
            return ok if (database == "main" and first in readable) or database is None else deny
        if action == sqlite3.SQLITE_PRAGMA:
            return ok if first in READ_PRAGMAS and (second is None or first in NAMED_PRAGMAS) else deny
        return deny

    return authorize


# Modules that are never read, also on Datasette's own connections (which may read their own tables).
DENIED_MODULES = frozenset({"fts3tokenize", "dbstat", "sqlite_dbpage", "sqlite_stmt"})


def guard(conn, database: str) -> None:
    """Limits, authorizer and answer size on a connection the site opened to `database`."""
    # Datasette turns callback tracebacks on when imported: every query a limit of these functions
    # refused (replace() past 1 MB, ...) printed a traceback to the log, a page of text per request
    # anyone can send. The client still gets its error, and the site logs it in one line.
    sqlite3.enable_callback_tracebacks(False)
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)
    conn.execute(f"pragma hard_heap_limit = {HEAP_BYTES}")
    for (name, arity), function in LINEAR_FUNCTIONS.items():
        conn.create_function(name, arity, function, deterministic=True)
    strict = database not in DATASETTE_OWN
    tables = _known_tables(conn) if strict else frozenset()
    if strict:
        _warm(conn)
    size = AnswerSize()
    conn.text_factory = size.text
    conn.row_factory = size.row
    conn.set_authorizer(authorizer(tables, strict))


async def connect_every_thread(datasette) -> None:
    """At startup: every SQL thread opens (and guards) its connection, and the error page is rendered
    once, so the first requests of a flood do not pay for them."""
    from datasette.utils.asgi import Request

    from openbangkok.site.security.errors import render

    threads = datasette.setting("num_sql_threads")
    for db in [db for db in datasette.databases.values() if not db.is_memory and threads]:
        barrier = threading.Barrier(threads, timeout=30)  # each call holds its thread till all have one
        await asyncio.gather(
            *(db.execute_fn(lambda conn, barrier=barrier: barrier.wait()) for _ in range(threads)),
            return_exceptions=True,
        )
    await render(datasette, Request.fake("/"), 404, "")
