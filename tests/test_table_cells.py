"""openbangkok.site.pages.cells.table_cells writes a row's cells as Datasette's _table.html did, in one pass."""

import jinja2
from datasette.utils import to_css_class
from markupsafe import Markup

from openbangkok.site.pages.cells import table_cells

# the cell loop of Datasette 0.65's _table.html, which the filter replaces
DATASETTE_CELLS = (
    '{% for cell in row %}<td class="col-{{ cell.column|to_css_class }} type-{{ cell.value_type }}">'
    "{{ cell.value }}</td>{% endfor %}"
)


def test_cells_are_those_of_datasettes_template():
    env = jinja2.Environment(autoescape=True)
    env.filters["to_css_class"] = to_css_class
    row = [
        {
            "column": "ticket_id",
            "value": Markup('<a href="/openbangkok/complaints/2022-AB">2022-AB</a>'),
            "value_type": "pk",
        },
        {"column": "comment", "value": 'ถนน <b>"ชำรุด"</b> & น้ำท่วม', "value_type": "str"},
        {
            "column": "timestamp",
            "value": Markup('2022-06-04 <span class="thai-date" lang="th">(4 มิ.ย. 2565)</span>'),
            "value_type": "str",
        },
        {"column": "star", "value": 5, "value_type": "int"},
        {"column": "latitude", "value": 13.75, "value_type": "float"},
        {"column": "ชื่อ เขต", "value": Markup("&nbsp;"), "value_type": "none"},  # a class made with md5
    ]
    expected = env.from_string(DATASETTE_CELLS).render(row=row)
    assert str(table_cells(row)) == expected
    assert "&lt;b&gt;&#34;ชำรุด&#34;&lt;/b&gt; &amp;" in expected  # text escaped, renderers' Markup kept
