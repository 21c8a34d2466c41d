"""What the site publishes about itself, for catalogues and programs: the DGA Data Package and DCAT
(dga), the OpenAPI description and the /-/api page's examples (openapi, api_schemas), and CKAN's
Action API, read-only (ckan/).

Imports model/, thai/ and site/ (what the running site serves: site/tables.py); site/ never
imports it (tests/test_structure.py).
"""
