"""Adapters for source formats that need more than a Table Schema: one module per format.

Each module provides `stage(catalog, source, db, staged)` and `publish(db, source, staged) -> int`
(see the resource key `adapter:` in catalog.py).
"""
