"""Thai full-text search with SQLite FTS5: overlapping character bigrams.

Thai is written without spaces between words, and SQLite's tokenizers cannot split it (unicode61
keeps a whole run of Thai as one token and even drops the vowel and tone marks). So a Thai run is
indexed as its overlapping two-character pieces plus its last character:

    index_text("ไฟดับ")   -> "ไฟ ฟด ดั ับ บ"
    fts_query("ไฟดับ")    -> '"ไฟ ฟด ดั ับ"'      (a phrase: the pieces next to each other)
    fts_query("ไฟ")       -> '"ไฟ"'
    fts_query("ก")        -> '"ก"*'               (one character: any piece that starts with it)

A phrase of adjacent bigrams matches exactly where the query is a substring of a Thai run, so
search finds short words (ไฟ, ขยะ) and words inside longer runs, and never matches across a space
or across two fields. Words separated by spaces are ANDed (`น้ำ ท่วม`), text in double quotes is
one phrase. Latin words and numbers are left to the tokenizer, as usual.

The FTS table must use TOKENIZE (below): FTS5's `ascii` tokenizer, which splits only at ASCII
spaces and punctuation and keeps every other character in its token. It indexes a million
complaints in two thirds of the time unicode61 takes (unicode61 looks up the Unicode class of every
character, and the bigram text is 2.7 times as long as the complaint). So that it splits words as
unicode61 (case folded, diacritics kept, the Thai marks as token characters) would, the text and
the queries are first folded the same way (fold()): outside the Thai runs, letters and digits of
other scripts are lower-cased and every other character is a space. That is unicode61's reading
for the text the complaints hold, not for every character: a combining mark inside a Latin word
separates it here (unicode61 keeps some in the word), and Python's lower-casing and Unicode tables
are not SQLite's. Text and queries are folded alike, so none of these makes a search miss.
Datasette's `?_search=` goes through escape_fts(); openbangkok/hooks/thai_search.py replaces that SQL
function on the site with search_escape(), which equals Datasette's own for text with no Thai and
nothing but ASCII in it (other text composed, folded and its Thai digits read as 0-9, as the index
text is).
"""

from __future__ import annotations

import re
import unicodedata

from openbangkok.thai import conversions as thai

# Thai letters, vowels, tone marks, ๆ and ฯ; not Thai digits (they become 0-9), the baht sign or
# punctuation.
THAI_LETTERS = "\u0e01-\u0e3a\u0e40-\u0e4e"
THAI_RUN = re.compile(f"[{THAI_LETTERS}]+")
THAI_CHAR = re.compile(f"[{THAI_LETTERS}]")
TOKENIZE = "ascii"
# What the ascii tokenizer would read differently from unicode61: any other non-ASCII character.
FOLDED = re.compile(f"[^\\x00-\\x7f{THAI_LETTERS}]")
# Datasette's escape_fts() splits the same way: quoted phrases, and terms between spaces.
TERMS = re.compile(r'\s+|(".*?")')


THAI_RUN_SPLIT = re.compile(f"([{THAI_LETTERS}]+)")
THAI_DIGIT = re.compile(r"[\u0e50-\u0e59]")
# The build indexes a million texts: the pieces of a Thai run are remembered (runs repeat: road,
# subdistrict and district names, common words), and so are whole short texts (types, names).
RUN_CACHE_SIZE = 100_000
_run_cache: dict[str, str] = {}
SHORT_TEXT = 24
SHORT_CACHE_SIZE = 20_000
_short_cache: dict[str, str] = {}


def _fold_character(m: re.Match) -> str:
    c = m.group(0)
    category = unicodedata.category(c)
    return c.lower() if category[0] in "LN" or category == "Co" else " "


def fold(text: str) -> str:
    """`text` with the characters outside ASCII and the Thai runs as unicode61 tokenizes them:
    letters and digits lower-cased, anything else a space (a separator)."""
    return FOLDED.sub(_fold_character, text) if FOLDED.search(text) else text


def _pieces(run: str) -> str:
    if len(run) < 2:
        return f" {run} "
    return " " + " ".join(map(str.__add__, run[:-1], run[1:])) + f" {run[-1]} "


def _cached_pieces(run: str) -> str:
    pieces = _run_cache.get(run)
    if pieces is None:
        pieces = _pieces(run)
        if len(_run_cache) < RUN_CACHE_SIZE:
            _run_cache[run] = pieces
    return pieces


def index_text(text: str | None) -> str | None:
    """The text to put in the FTS table in place of `text`."""
    if not text or text.isascii():
        return text
    if len(text) <= SHORT_TEXT:
        cached = _short_cache.get(text)
        if cached is None:
            if len(_short_cache) >= SHORT_CACHE_SIZE:
                _short_cache.clear()
            cached = _short_cache[text] = _index_text(text)
        return cached
    return _index_text(text)


def _as_indexed(text: str) -> str:
    """`text` composed (NFC) and with Thai digits as 0-9, as the index and the queries read it."""
    text = unicodedata.normalize("NFC", text)
    return thai.arabic_digits(text) if THAI_DIGIT.search(text) else text


def _index_text(text: str) -> str:
    text = fold(_as_indexed(text))
    parts = THAI_RUN_SPLIT.split(text)
    if len(parts) == 1:
        return text
    runs = parts[1::2]
    pieces = list(map(_run_cache.get, runs))
    if None in pieces:
        pieces = [p if p is not None else _cached_pieces(r) for p, r in zip(pieces, runs)]
    parts[1::2] = pieces
    return "".join(parts)


def _term_query(term: str) -> str:
    """One FTS5 phrase for a term: the pieces of its Thai runs and its other words, in order."""
    runs = list(THAI_RUN.finditer(term))
    if not runs:
        return '"{}"'.format(term.replace('"', ""))
    parts, position = [], 0
    for number, m in enumerate(runs):
        parts.append(term[position : m.start()])
        run, last = m.group(0), number == len(runs) - 1
        at_end = last and not term[m.end() :].strip()
        if len(run) == 1:
            parts.append(f" {run} ")
        else:
            pieces = [run[i : i + 2] for i in range(len(run) - 1)]
            # a run followed by more of the term must end where the indexed run ends
            parts.append(" " + " ".join(pieces if at_end else pieces + [run[-1]]) + " ")
        position = m.end()
    parts.append(term[position:])
    phrase = " ".join("".join(parts).replace('"', "").split())
    # one character at the end: it is the start of a piece (a prefix), not a piece of its own
    prefix = len(runs[-1].group(0)) == 1 and not term[runs[-1].end() :].strip()
    return f'"{phrase}"*' if prefix else f'"{phrase}"'


def fts_query(query: str | None) -> str:
    """An FTS5 MATCH expression for what a person typed: terms ANDed, "quoted text" one phrase."""
    if not query:
        return query or ""
    query = _as_indexed(query)
    if query.count('"') % 2:
        query += '"'
    terms = [t for t in TERMS.split(query) if t and t.strip('"').strip()]
    return fold(" AND ".join(_term_query(t.strip('"')) for t in terms))


PLAIN_TERMS = re.compile(r'\s+|(".*?")')


def plain_escape(query: str) -> str:
    """Datasette's escape_fts() rule: each term, or each "quoted phrase", in double quotes (its
    helper is undocumented; tests/test_internals.py checks both still agree)."""
    if query.count('"') % 2:
        query += '"'
    bits = [b for b in PLAIN_TERMS.split(query) if b and b != '""']
    return " ".join(b if b.startswith('"') else f'"{b}"' for b in bits)


def search_escape(query: str | None) -> str:
    """Datasette's escape_fts() for the site: the same result unless the query holds Thai.

    With Thai, each term matches either its bigram pieces (tables indexed with index_text) or the
    term as Datasette would have matched it, so tables indexed without bigrams find what they
    found before.
    """
    if not query or not THAI_CHAR.search(query):  # (NFC adds or removes no Thai letter)
        return fold(plain_escape(_as_indexed(query))) if query else query
    query = unicodedata.normalize("NFC", query)
    if query.count('"') % 2:
        query += '"'
    terms = [t for t in TERMS.split(query) if t and t.strip('"').strip()]
    expressions = []
    for term in terms:
        plain = '"{}"'.format(term.strip('"').replace('"', ""))
        pieces = _term_query(thai.arabic_digits(term.strip('"')))
        expressions.append(plain if pieces == plain else f"({pieces} OR {plain})")
    return fold(" AND ".join(expressions))
