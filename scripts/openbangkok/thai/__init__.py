"""Thai and PDPA: what the project knows of Thai writing and places, used by every stage.

    conversions   Thai digits, Buddhist-era years, Thai month names, dates as agencies write them,
                  the Thai fiscal year (the one function that computes it)
    places        province and district names as people write them -> DOPA codes (geothai)
    reference     Bangkok's 50 districts, their groups and district offices
    redact        PDPA: phone numbers, national ID numbers and e-mails in free text -> markers
    search        Thai full-text search with SQLite FTS5 (bigram tokens, query escaping)

Imports nothing of openbangkok: the bottom layer, beside model/.
"""
