"""/robots.txt and /sitemap.xml (openbangkok.opendata.crawlers)."""

from datasette import hookimpl

from openbangkok.opendata.crawlers import robots_txt, sitemap_xml


@hookimpl
def register_routes():
    return [(r"^/robots\.txt$", robots_txt), (r"^/sitemap\.xml$", sitemap_xml)]
