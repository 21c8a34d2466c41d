"""Everything Datasette runs to serve the published database, the logic behind the hooks/ modules:

    app.py          make_datasette: the settings, the pinned database file, the templates
    security/       what a request may do: SQL authorizer and limits, address limits, cheap errors
    serving/        speed on a million rows: SQL rewrites, tie breaker, facet memos, HTTP cache
    pages/          what pages show beyond Datasette's: illustrative banners, canned-query forms
    exports/        streamed downloads: the .xlsx writer, pages of rows, CSV for Excel
    tables.py       what the running site publishes (the tables, their columns, canned queries)
    internals.py    the one door to Datasette's private API, with its start-up self-check
    levers.py, plugin_config.py, memo.py, pinned_file.py, package.py (openbkk package)

Imports model/, thai/ and Datasette; never pipeline/, opendata/ or hooks/ (tests/test_structure.py).
"""
