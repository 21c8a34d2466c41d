"""Large tables served fast, with Datasette's answers: faster SQL of the same result (rewrites,
precomputed_facets), sorted pages that show every row once (tie_breaker), facet memos and streams
(serving), table permissions from memory (table_permissions), validators, caching and compression
(http_cache). Each can be switched off (site/levers.py); benchmarks/README.md has the measurements."""
