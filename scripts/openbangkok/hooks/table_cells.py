"""The cells of a table row as one piece of HTML (`{{ row|table_cells }}` in _table.html).

Datasette's _table.html writes each cell with three template expressions (the column's CSS class,
the value's type, the value); in Jinja's async mode each is awaited and yielded on its own, about a
third of the time of a 100-row page of complaints (28 columns). This filter writes the same <td>
elements in one Python pass: the same classes (datasette.utils.to_css_class, remembered per
column name) and the value escaped as Jinja would (a renderer's Markup is kept as it is).
"""

from datasette import hookimpl

from openbangkok.site.pages.cells import table_cells


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["table_cells"] = table_cells
