"""What the site's pages show beyond Datasette's: the banner of illustrative rows (illustrative) and
canned-query forms that read Buddhist-era years and Thai digits (query_forms)."""
