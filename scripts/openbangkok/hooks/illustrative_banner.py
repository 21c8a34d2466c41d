"""A Thai + English banner on every table, row and query page whose rows include illustrative ones
(openbangkok.site.pages.illustrative); the template _illustrative_banner.html draws it, Thai first."""

from datasette import hookimpl

from openbangkok.site.pages.illustrative import illustrative_banner


@hookimpl
def prepare_jinja2_environment(env):
    env.globals["illustrative_banner"] = illustrative_banner
