"""What every stage agrees on: the datasets folder and its descriptors (catalog), the problems a
check reports and their words (problems, messages), Table Schema types in SQLite (sqlite_types),
the site's metadata (metadata.yml merged with the datasets', site_metadata), the SQL functions the
build and the site both register (sql_functions) and the tables in which a build records itself
(build_record).

Imports nothing of openbangkok but thai/ (the SQL functions read Thai dates and search text).
"""
