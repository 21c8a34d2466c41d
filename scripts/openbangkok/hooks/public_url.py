"""Every request answered as addressed to the site's public URL, when it has one
(openbangkok.site.security.public_url): links never follow a forged Host header."""

from openbangkok.site.security.public_url import as_public


def wrapper(datasette):
    return as_public(datasette)
