"""Content-Security-Policy, X-Content-Type-Options and Referrer-Policy on every answer, and the
`csp_script()` the templates mark their inline scripts with (openbangkok.site.security.headers)."""

from datasette import hookimpl

from openbangkok.site.security.headers import csp_script_marker, secure_headers


@hookimpl
def extra_template_vars(request):
    return {"csp_script": csp_script_marker(request)}


def wrapper(datasette):
    return secure_headers(datasette)
