"""CKAN's Action API (v3), read-only, over the published database: code written for a CKAN portal
(ckanapi, harvesters calling package_search and package_show, dashboards calling
datastore_search) works on this site with only the base URL changed.

    envelope.py          parameters in, {"help", "success", "result" | "error"} out
    published.py         the catalog in CKAN's terms: packages, resources, organizations, stable ids
    actions_catalog.py   status_show, package_list, package_show, resource_show, organization_*, tag_list
    package_search.py    package_search: q (Thai search), fq (Solr syntax), sort, facets
    actions_datastore.py datastore_search, datastore_info: a table's rows, by Datasette's connection
    datastore_sql.py     datastore_search_sql: one read-only SELECT under the site's limits
    actions.py           the routes: read actions, 403 for writes, 400 for unknown names

openbangkok/hooks/ckan_api.py registers the routes; openbangkok/hooks/read_only.py lets POST reach them and nothing else.
"""
