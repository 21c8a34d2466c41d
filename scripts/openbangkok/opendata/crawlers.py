"""robots.txt and sitemap.xml for search engines.

Crawlers may read the pages (home, tables, rows, the API page) but not the machine endpoints or
the endless filtered/sorted/paginated variants of a page: every URL with a query string, the
JSON/CSV/Excel renderings and the database file are disallowed. The sitemap lists the home page,
the API page and every table and view page.

Why not datasette-block-robots: it blocks everything (or allows only the index), and an open-data
site wants its tables found. Why not datasette-sitemap: it needs a hand-written SQL query per site.
"""

from xml.sax.saxutils import escape

from datasette.utils.asgi import Response

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site import tables as site_info

DISALLOW = ["/*?", "/*.json", "/*.csv", "/*.xlsx", "/*.db", "/-/"]
ALLOW = ["/-/api", "/-/datapackage.json", "/-/dcat.jsonld", "/-/openapi.json"]


async def robots_txt(datasette, request):
    base_url = site_info.base_url(datasette, request)
    lines = ["User-agent: *"] + [f"Allow: {path}" for path in ALLOW] + [f"Disallow: {path}" for path in DISALLOW]
    lines += ["", f"Sitemap: {base_url}/sitemap.xml", ""]
    return Response.text("\n".join(lines))


async def sitemap_xml(datasette, request):
    base_url = site_info.base_url(datasette, request)
    urls = [f"{base_url}/", f"{base_url}/-/api", f"{base_url}/{DATABASE}"]
    urls += [f"{base_url}{datasette.urls.table(DATABASE, t.name)}" for t in await site_info.public_tables(datasette)]
    lastmod = (await site_info.built_at(datasette) or "")[:10]
    entries = "".join(
        f"<url><loc>{escape(url)}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}</url>\n" for url in urls
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</urlset>\n"
    )
    return Response(body, content_type="application/xml; charset=utf-8")
