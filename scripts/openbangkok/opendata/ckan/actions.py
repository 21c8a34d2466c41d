"""The action API's door: `/api/3/action/<name>` and `/api/action/<name>` (what ckanapi calls).

A read action answers GET and POST; any action CKAN defines as a write (package_create,
datastore_upsert, ...) answers 403 Authorization Error, so ckanapi raises NotAuthorized; a name
CKAN would not know answers 400 `Bad request - Action name not known: <name>` in the envelope.
POST is let through the site's read-only guard (openbangkok/hooks/read_only.py) for these paths only.
"""

from __future__ import annotations

import inspect
import re
import sys
import traceback

from datasette.utils.asgi import Response

from openbangkok.opendata.ckan import actions_catalog as catalog
from openbangkok.opendata.ckan.actions_datastore import datastore_info, datastore_search
from openbangkok.opendata.ckan.datastore_sql import datastore_search_sql
from openbangkok.opendata.ckan.envelope import (
    ActionError,
    BadRequest,
    NotAuthorized,
    NotFound,
    answer,
    parameters,
    preflight,
)
from openbangkok.opendata.ckan.package_search import package_search
from openbangkok.site import tables as site_info

ACTION_PATH = re.compile(r"^/api/(?:3/)?action/(?P<action>[^/]+)$")
# CKAN's write actions by the words of their names (ckan/logic/action/create.py, update.py,
# patch.py, delete.py; ckanext/datastore): *_create, *_update, *_patch, *_delete, *_purge, ...
WRITE_WORDS = re.compile(
    r"(?:^|_)(?:create|update|patch|delete|purge|upsert|revise|reorder|revoke|invite|clear|"
    r"cancel|follow|unfollow|run_triggers|generate_apikey|mark_activities_old|"
    r"send_email_notifications|update_many|rate)(?:_|$)"
)


async def api_version(datasette, request):
    """/api/3: the API's version, as CKAN answers it."""
    return Response.json({"version": 3}, headers={"Access-Control-Allow-Origin": "*"})


async def help_show(call: catalog.Call):
    """Return the help string of an action. Parameter: name."""
    name = str(catalog.required(call.params, "name"))
    if name not in ACTIONS:
        raise NotFound(f"Action function not found: {name} / ไม่มีคำสั่งนี้")
    return inspect.getdoc(ACTIONS[name])


ACTIONS = {
    f.__name__: f
    for f in (
        catalog.site_read,
        catalog.status_show,
        catalog.package_list,
        catalog.current_package_list_with_resources,
        catalog.package_show,
        catalog.resource_show,
        catalog.organization_list,
        catalog.organization_show,
        catalog.group_list,
        catalog.tag_list,
        package_search,
        datastore_search,
        datastore_search_sql,
        datastore_info,
        help_show,
    )
}


def is_write(name: str) -> bool:
    return bool(WRITE_WORDS.search(name))


def is_action_path(path: str, base_url: str = "/") -> bool:
    """Whether `path` (as the server received it, under the site's base_url) is an action's."""
    prefix = base_url.rstrip("/")
    return path.startswith(prefix + "/") and bool(ACTION_PATH.match(path[len(prefix) :]))


async def action_view(datasette, request):
    if request.method == "OPTIONS":
        return preflight()
    name = request.url_vars["action"]
    base_url = site_info.base_url(datasette, request)
    try:
        if name not in ACTIONS:
            if is_write(name):
                raise NotAuthorized(f"{name}: this site is read-only / เว็บไซต์นี้อ่านได้อย่างเดียว")
            raise BadRequest(f"Action name not known: {name}")
        call = catalog.Call(datasette, request, base_url, await parameters(request))
        result = await ACTIONS[name](call)
    except ActionError as e:
        return answer(base_url, name, error=e)
    except Exception:  # noqa: BLE001 -- as CKAN: an envelope with no detail; the traceback to the log
        traceback.print_exc(file=sys.stderr)
        return answer(base_url, name, error=ActionError())
    ttl = datasette.setting("default_cache_ttl") if request.method == "GET" else 0
    return answer(base_url, name, result, cache_seconds=ttl)


ROUTES = [(ACTION_PATH.pattern, action_view), (r"^/api(?:/3)?/?$", api_version)]
