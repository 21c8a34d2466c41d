"""The complaints' search index uses FTS5's ascii tokenizer (faster) on folded text: on the index
text it must give the tokens unicode61 (diacritics kept, the Thai marks as token characters: the
tokenizer it replaced) gives, and answer every query the same way, whatever script or symbol the
text holds; and a query must find what it names however it is typed (Thai digits, the baht sign,
decomposed accents)."""

import sqlite3
import unicodedata

import pytest

from openbangkok.thai.search import TOKENIZE, fold, fts_query, index_text, search_escape

THAI_MARKS = "".join(chr(c) for c in range(0x0E01, 0x0E4F) if unicodedata.category(chr(c)).startswith("M"))
UNICODE61 = f"unicode61 remove_diacritics 0 tokenchars '{THAI_MARKS}'"

TEXTS = [
    "ไฟดับ ถนนพระราม๙ ซอย ๑๒",
    "Café “ไฟดับ” ที่ ÉCOLE – ขยะล้น…",
    "น้ำ\u00a0ท่วม\u200bขัง ราคา฿100 ๆ ฯลฯ",
    "北京 Ⅻ straße ΣΟΦΙΑ 🙂 ทางเท้า",
    "e\u0301 (combining) ä ǅ ๏ ๚ ๛ ไฟ",
    "PM2.5 ฝุ่น_ละออง co-op O'Brien",
]
QUERIES = [
    "ไฟ",
    "ไฟดับ",
    "café",
    "CAFÉ",
    "école",
    "ขยะล้น…",
    "ราคา",
    "100",
    "straße",
    "σοφια",
    "ΣΟΦΙΑ",
    "北京",
    "ทางเท้า straße",
    "ǆ",
    "“ไฟดับ”",
    "ฝุ่น",
    "co-op",
    "ท่วม ขัง",
    "ๆ",
    "ä",
    "pm2.5",
    "฿๑๐๐",
    "๑๒",
    "฿100",
    "cafe\u0301",
]


def tokens(conn, table: str) -> list[tuple]:
    conn.execute(f"create virtual table if not exists {table}_v using fts5vocab({table}, instance)")
    return conn.execute(f"select doc, col, offset, term from {table}_v order by 1, 2, 3").fetchall()


@pytest.fixture(scope="session")  # session, not module: the tests spread over the workers
def conn():
    conn = sqlite3.connect(":memory:")
    for table, tokenizer in (("ascii_fts", TOKENIZE), ("unicode_fts", UNICODE61)):
        conn.execute(f"create virtual table {table} using fts5(comment, content='', tokenize=\"{tokenizer}\")")
        conn.executemany(
            f"insert into {table} (rowid, comment) values (?, ?)", [(i, index_text(t)) for i, t in enumerate(TEXTS, 1)]
        )
    return conn


def test_the_index_uses_the_ascii_tokenizer():
    assert TOKENIZE == "ascii"


def test_same_tokens_as_unicode61(conn):
    ascii_tokens, unicode_tokens = tokens(conn, "ascii_fts"), tokens(conn, "unicode_fts")
    assert len(ascii_tokens) > 60
    assert ascii_tokens == unicode_tokens


@pytest.mark.parametrize("query", QUERIES)
def test_same_answers_as_unicode61(conn, query):
    for expression in (search_escape(query), fts_query(query)):
        found = {
            table: [
                r
                for (r,) in conn.execute(
                    f"select rowid from {table} where {table} match ? order by rowid", (expression,)
                )
            ]
            for table in ("ascii_fts", "unicode_fts")
        }
        assert found["ascii_fts"] == found["unicode_fts"], expression
    assert conn.execute("select count(*) from ascii_fts where ascii_fts match ?", (search_escape(query),)).fetchone()[0]


def test_fold_leaves_ascii_and_thai_alone():
    text = 'ไฟดับ "PM2.5" x* AND y'
    assert fold(text) is text
    assert fold("Café\u00a0ÉCOLE ฿🙂") == "Café éCOLE   "  # ASCII letters: the tokenizer folds them
