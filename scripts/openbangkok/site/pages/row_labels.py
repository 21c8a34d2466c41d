"""Foreign keys as labels on the row pages of the policy tables (metadata.yml names them): Datasette 0.65 shows a row page's
foreign-key cells as bare codes ("medical-service"), so a policy's page would not name its lead
agency or dimension. There the cell becomes a link to the referenced row with its label,
"สำนักการแพทย์ medical-service", as table pages already show it (they pass expanded keys as
{"value", "label"}, which are left to Datasette). Text is escaped by Markup.format. The database is
immutable, so foreign keys and labels are looked up once per Datasette instance.
"""

import weakref

from datasette.utils import tilde_encode
from markupsafe import Markup

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.plugin_config import plugin_config

CONFIG = "openbangkok-row-labels"  # metadata.yml: {tables: [the tables whose row pages label foreign keys]}
_caches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def cache(datasette) -> dict:
    """{"fks": {table: {...}}, "labels": {(table, value): label}} of one Datasette instance."""
    return _caches.setdefault(datasette, {"fks": {}, "labels": {}})


async def foreign_keys(datasette, table) -> dict[str, tuple[str, str, str | None]]:
    """{column: (other table, other column, its label column)} of a table."""
    known = cache(datasette)["fks"]
    if table not in known:
        db = datasette.get_database(DATABASE)
        known[table] = {
            fk["column"]: (fk["other_table"], fk["other_column"], await db.label_column_for_table(fk["other_table"]))
            for fk in await db.foreign_keys_for_table(table)
        }
    return known[table]


async def label(datasette, other_table, other_column, label_column, value) -> str | None:
    labels = cache(datasette)["labels"]
    key = (other_table, str(value))
    if key not in labels:
        rows = await datasette.get_database(DATABASE).execute(
            f"select [{label_column}] from [{other_table}] where [{other_column}] = ?", [value]
        )
        row = rows.first()
        labels[key] = None if row is None else row[0]
    return labels[key]


def labelled_cell(value, column, table, database, datasette):
    """The render_cell answer for a row page's foreign-key cell, or None to leave it to others."""
    if (
        database != DATABASE
        or value is None
        or isinstance(value, dict)
        or table not in plugin_config(datasette, CONFIG).get("tables", ())
    ):
        return None

    async def inner():
        fk = (await foreign_keys(datasette, table)).get(column)
        if fk is None or fk[2] is None:
            return None
        other_table, other_column, label_column = fk
        text = await label(datasette, other_table, other_column, label_column, value)
        if text is None:
            return None
        href = datasette.urls.row(DATABASE, other_table, tilde_encode(str(value)))
        return Markup('<a href="{}">{}</a>&nbsp;<em>{}</em>').format(href, text, value)

    return inner
