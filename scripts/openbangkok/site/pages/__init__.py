"""What the site's pages show beyond Datasette's: the banner of illustrative rows (illustrative),
canned-query forms that read Buddhist-era years and Thai digits (query_forms), Thai and English
labels (labels), the reader's layout (layout, cells), codes named by the reference data they point
at (references) and a filtered table's line in Thai (filter_words)."""
