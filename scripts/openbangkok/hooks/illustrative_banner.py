"""A Thai + English banner on every table, row and query page whose rows include illustrative ones
(openbangkok.site.pages.illustrative); the template _illustrative_banner.html draws it, Thai first."""

from datasette import hookimpl

from openbangkok.site.pages.illustrative import BANNER_EN, BANNER_TH, MARK, illustrative_rows


def illustrative_banner(rows, columns) -> dict | None:
    """{'th', 'en', 'mark', 'count'} for the rows a page shows, or None when none is illustrative."""
    try:
        count, total = illustrative_rows(list(rows or ()), list(columns or ()))
    except TypeError:  # an undefined template variable: a page without rows
        return None
    if not count:
        return None
    return {
        "th": BANNER_TH.format(count=count, rows=total),
        "en": BANNER_EN.format(count=count, rows=total),
        "mark": MARK,
        "count": count,
    }


@hookimpl
def prepare_jinja2_environment(env):
    env.globals["illustrative_banner"] = illustrative_banner
