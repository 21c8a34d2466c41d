"""What the site publishes about itself, for catalogues and programs: the DGA Data Package and DCAT
(dga), the OpenAPI description (openapi, openapi_parameters, api_schemas), the /-/api page and its
examples (api_pages, api_examples), the dataset pages and catalogue search, and CKAN's
Action API, read-only (ckan/).

Imports model/, thai/ and site/ (what the running site serves: site/tables.py); site/ never
imports it (tests/test_structure.py).
"""
