"""A page per data package, its zip, Atom feed and original files (openbangkok.opendata.dataset_views),
and the search across the catalogue (openbangkok.opendata.catalogue_search)."""

from datasette import hookimpl

from openbangkok.opendata import catalogue_search, dataset_views

NAME = r"(?P<name>[a-z0-9][a-z0-9_-]*)"


@hookimpl
def register_routes():
    return [
        (r"^/-/datasets(\.(?P<format>json))?$", dataset_views.datasets_index),
        (rf"^/-/datasets/{NAME}(\.(?P<format>json|zip|atom))?$", dataset_views.dataset_page),
        (rf"^/-/datasets/{NAME}/files/(?P<file>.+)$", dataset_views.dataset_file),
        (r"^/-/search(\.(?P<format>json))?$", catalogue_search.search_page),
    ]


@hookimpl
def menu_links(datasette):
    return [
        {"href": datasette.urls.path("/-/datasets"), "label": "ชุดข้อมูล / Datasets"},
        {"href": datasette.urls.path("/-/search"), "label": "ค้นหา / Search"},
    ]
