"""The build, in the order a row travels: read -> check -> stage -> publish.

    read.py          files as delivered -> clean UTF-8 copies (encoding.py: the one encoding rule;
                     csv_rules.py: the limits and header checks of every CSV reader; workbooks.py:
                     Excel files; csv_pieces.py: a large CSV cut at record ends)
    check.py         frictionless's checks of each copy and the descriptors' SQL rules: problems
    stage.py         the staging database each checked row is written into (adapters stage their
                     own formats through it)
    derived_sql.py   the datasets' SQL files, one form for a full build and an update in place
                     (temp.<table>_delta: every row, or the old and new versions of the rows changed)
    publish.py       the published file, from the staging database: tables, derived SQL, indexes,
                     the build's own record (build_files, build_sql, build_columns: profile.py;
                     build_changes: changes.py, rows added, changed and removed since the last build)
    build.py         the whole build: lock.py, incremental.py (what changed), check, publish, rename
                     (file_copy.py: the published file copied for an update, beside the staging)
    changes.py       within a dataset: the rows that changed (diff) applied in place to a source's
                     published table, for an adapter that can keep its search index up to date
    search_index.py  a full-text index built in a process of its own while rows are staged
    processes.py, freed_memory.py   how helper processes start, end and keep their memory

Imports model/, thai/ and adapters/ (through the Adapter protocol: check.py and publish.py call an
adapter's stage() and publish()). An adapter may import only ADAPTER_TOOLS, the modules that run no
stage and import none that does: the staging interface (stage.py) and the tools of reading a file;
nothing here imports site/, opendata/ or Datasette (tests/test_structure.py checks both).
"""

ADAPTER_TOOLS = (
    "stage",
    "csv_rules",
    "csv_pieces",
    "encoding",
    "search_index",
    "processes",
    "freed_memory",
    "in_place",
)
