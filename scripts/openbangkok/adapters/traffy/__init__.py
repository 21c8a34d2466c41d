"""Traffy Fondue tickets, from either of the formats the platform publishes them in.

    dump_csv    the public dump (bangkok_traffy.csv): one CSV row per ticket; large, read by
                worker processes in pieces
    api_pages   the public API's pages (share/teamchadchart/search?offset=N), saved in a folder

Both hand each record to the one normalisation (normalise.py: types, agencies, coordinates, province
and district codes, UTC times with the Bangkok-time month and fiscal year, PDPA redaction;
columns.py names the columns and their known values, parse.py reads each text) and stage it through
the same machinery (staging.py: each ticket once, every record published in `complaints` or rejected
in `complaints_rejected` with its reason; digests.py: the records unchanged since the published
file, not parsed again; publishing.py: the tables and the Thai search index published, or updated in
place), then report the file the same way (report.py). encoding.py decides how a file is decoded.
"""
