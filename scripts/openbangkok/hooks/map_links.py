"""A `map_url` column (as the nearest_service query returns) shows as a link to the place on the map.

Only site-relative paths of this database are linked, and both the path and the label are escaped.
"""

from datasette import hookimpl
from markupsafe import Markup

LABEL = "แผนที่ / map"


@hookimpl
def render_cell(value, column, database, datasette):
    if column != "map_url" or not isinstance(value, str) or not value.startswith(f"/{database}/"):
        return None
    return Markup('<a href="{}">{}</a>').format(datasette.urls.path(value), LABEL)
