"""Canned query forms read Buddhist-era years and Thai digits, and refuse what they cannot read
(openbangkok.site.pages.query_forms): the query's `param_kinds` in metadata say which kind each value is."""

from openbangkok.site.pages.query_forms import reading_query_params


def wrapper(datasette):
    return reading_query_params(datasette)
