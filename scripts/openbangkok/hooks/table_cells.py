"""The cells of a table row as one piece of HTML (`{{ row|table_cells }}` in _table.html).

Datasette's _table.html writes each cell with three template expressions (the column's CSS class,
the value's type, the value); in Jinja's async mode each is awaited and yielded on its own, about a
third of the time of a 100-row page of complaints (28 columns). This filter writes the same <td>
elements in one Python pass: the same classes (datasette.utils.to_css_class, remembered per
column name) and the value escaped as Jinja would (a renderer's Markup is kept as it is).
"""

from functools import lru_cache

from datasette import hookimpl
from markupsafe import Markup, escape

from openbangkok.site.internals import to_css_class
from openbangkok.site.pages.layout import ordered

css_class = lru_cache(maxsize=4096)(to_css_class)


def table_cells(row, order=None) -> Markup:
    """The <td> cells of a row; with `order` (layout's column_order) those columns first."""
    if order:
        row = ordered(row, order, lambda cell: cell["column"])
    return Markup(
        "".join(
            f'<td class="col-{css_class(cell["column"])} type-{cell["value_type"]}">{escape(cell["value"])}</td>'
            for cell in row
        )
    )


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["table_cells"] = table_cells
