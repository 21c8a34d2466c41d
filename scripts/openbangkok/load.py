"""Published tables: created from their Table Schema with sqlite-utils, filled from the staging tables."""

from __future__ import annotations

import sqlite_utils

from openbangkok.model.catalog import Source
from openbangkok.model.sqlite_types import column_types
from openbangkok.validate import ROW_COLUMN

STAGING = "staging"


def create_table(db: sqlite_utils.Database, schema: dict, name: str) -> sqlite_utils.db.Table:
    fields = schema.get("fields", [])
    pk = schema.get("primaryKey")
    foreign_keys = [
        (fk["fields"][0], fk["reference"]["resource"] or name, fk["reference"]["fields"][0])
        for fk in schema.get("foreignKeys", [])
        if len(fk["fields"]) == 1
    ]
    return db[name].create(
        column_types(schema),
        pk=(pk[0] if isinstance(pk, list) and len(pk) == 1 else tuple(pk) if pk else None),
        not_null={f["name"] for f in fields if f.get("constraints", {}).get("required")},
        foreign_keys=foreign_keys,
    )


def publish(db: sqlite_utils.Database, source: Source) -> int:
    """Copies the staged rows of `source` into its published table, in file order; returns the count."""
    schema = source.published_schema
    create_table(db, schema, source.name)
    columns = ", ".join(f"[{f['name']}]" for f in schema.get("fields", []))
    db.execute(
        f"insert into main.[{source.name}] ({columns}) "
        f"select {columns} from {STAGING}.[{source.name}] order by {ROW_COLUMN}"
    )
    return db[source.name].count


def leading_columns(db: sqlite_utils.Database, table: str) -> set[str]:
    """Columns that an index (or the primary key) of the table starts with; none for a view."""
    if table in db.view_names():
        return set()
    return {i.columns[0] for i in db[table].indexes if i.columns} | set(db[table].pks[:1]) - {"rowid"}


def index_columns(db: sqlite_utils.Database, table: str, columns) -> None:
    """An index on each column, unless the primary key or an index already starts with it."""
    leading = leading_columns(db, table)
    for column in dict.fromkeys(columns):
        if column in db[table].columns_dict and column not in leading:
            db[table].create_index([column], if_not_exists=True)
