"""The tables in which a build records itself, written by the pipeline and read by the site."""

FILES_TABLE = "build_files"        # one row per source file: size, SHA-256, rows read/published/rejected, notes
SQL_TABLE = "build_sql"            # the SQL each derived table and view is computed with
PROFILE_TABLE = "build_columns"    # one row per column of every table and view: blanks, distinct, min, max
STATE_TABLE = "build_datasets"     # each dataset's fingerprint at its last load and the tables it made
CHANGES_TABLE = "build_changes"     # one row per build and rebuilt table: rows added, changed and removed
SITE_KEY = "(site)"                # build_datasets' row for what is not a dataset: metadata.yml and the code
