"""CKAN's catalogue actions: the site, its datasets (packages), their tables (resources), the
agencies that own them (organizations) and their keywords (tags), in CKAN 2.10's shapes.

Each action takes a Call and returns its `result`. Keys are those of CKAN 2.10's package_show,
resource_show and organization_show (https://docs.ckan.org/en/2.10/api/index.html); the Thai
government (DGA) metadata of /-/dcat.jsonld comes as the package's `extras`, as CKAN carries
fields beyond its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.ckan.envelope import NotFound, ValidationError, as_bool, as_int, as_list
from openbangkok.opendata.ckan.published import Organization, Package, Published, Resource, published, stable_id
from openbangkok.opendata.dga import (
    csv_url,
    dataset_licence,
    dga_fields,
    dga_record,
    formats_of,
    keywords,
    language_parts,
    plain_text,
)
from openbangkok.site import internals
from openbangkok.site.tables import downloads

CKAN_VERSION = "2.10.0"  # the version whose Action API this one answers as
# Frictionless / SPDX licence names -> CKAN's licence ids (CKAN's default licence list: all open)
LICENSE_IDS = {
    "ODC-By-1.0": "odc-by",
    "ODbL-1.0": "odc-odbl",
    "PDDL-1.0": "odc-pddl",
    "CC-BY-4.0": "cc-by",
    "CC-BY-SA-4.0": "cc-by-sa",
    "CC0-1.0": "cc-zero",
}
MAX_LIST = 1000  # rows of a list action at most, as CKAN's ckan.search.rows_max


@dataclass
class Call:
    """One call of an action: the site, the request and the parameters it was given."""

    datasette: object
    request: object
    base_url: str
    params: dict

    async def published(self) -> Published:
        return await published(self.datasette)

    @property
    def site(self) -> dict:
        return internals.metadata(self.datasette) or {}


# --- shapes ----------------------------------------------------------------------------------


def tag_dict(name: str) -> dict:
    return {"display_name": name, "id": stable_id("tag", name), "name": name, "state": "active", "vocabulary_id": None}


def tag_names(package: Package) -> list[str]:
    """The dataset's keywords (as /-/dcat.jsonld has them), each Thai or English part a tag."""
    tables = {r.table.name for r in package.resources}
    sources = [s for s in package.dataset.sources if s.name in tables]
    return list(dict.fromkeys(p for k in keywords(package.dataset, sources) for p in language_parts(k)))


def organization_summary(org: Organization, created: str | None) -> dict:
    return {
        "id": org.id,
        "name": org.code,
        "title": org.title,
        "type": "organization",
        "description": "",
        "image_url": "",
        "created": created,
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def resource_dict(resource: Resource, base_url: str) -> dict:
    table = resource.table
    return {
        "cache_last_updated": None,
        "cache_url": None,
        "created": resource.built_at,
        "datastore_active": True,
        "description": table.description,
        "format": "CSV",
        "hash": "",
        "id": resource.id,
        "last_modified": resource.built_at,
        "metadata_modified": resource.built_at,
        "mimetype": "text/csv",
        "mimetype_inner": None,
        "name": table.title,
        "package_id": resource.package.id,
        "position": resource.position,
        "resource_type": None,
        "size": None,
        "state": "active",
        "url": csv_url(base_url, table.name),
        "url_type": None,
    }


def licence_fields(package: Package, site: dict) -> dict:
    licence = dataset_licence(package.dataset) or {
        "name": "",
        "title": site.get("license"),
        "path": site.get("license_url"),
    }
    license_id = LICENSE_IDS.get(licence.get("name", ""), (licence.get("name") or "").lower() or None)
    return {
        "isopen": license_id in LICENSE_IDS.values(),
        "license_id": license_id,
        "license_title": licence.get("title"),
        "license_url": licence.get("path"),
    }


def package_dict(package: Package, base_url: str, site: dict) -> dict:
    descriptor, dga = package.dataset.descriptor, dga_fields(package.dataset)
    tables = {r.table.name for r in package.resources}
    sources = [s for s in package.dataset.sources if s.name in tables]
    formats = formats_of(downloads(r.table) for r in package.resources)
    tags = [tag_dict(name) for name in tag_names(package)]
    extras = [
        {"key": k, "value": ", ".join(v) if isinstance(v, list) else v}
        for k, v in sorted(dga_record(package.dataset, sources, site, formats).items())
    ]
    return {
        "author": dga["owner"],
        "author_email": None,
        "creator_user_id": None,
        "extras": extras,
        "groups": [],
        "id": package.id,
        **licence_fields(package, site),
        "maintainer": dga["maintainer"],
        "maintainer_email": None,
        "metadata_created": package.created,
        "metadata_modified": package.modified,
        "name": package.name,
        "notes": " ".join(descriptor.get("description", "").split()),
        "num_resources": len(package.resources),
        "num_tags": len(tags),
        "organization": organization_summary(package.organization, package.created),
        "owner_org": package.organization.id,
        "private": False,
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "resources": [resource_dict(r, base_url) for r in package.resources],
        "state": "active",
        "tags": tags,
        "title": descriptor.get("title", package.name),
        "type": "dataset",
        "url": f"{base_url}/{DATABASE}/{quote(package.resources[0].table.name)}",
        "version": None,
    }


def organization_dict(org: Organization, state: Published, full: bool) -> dict:
    packages = [p for p in state.packages if p.organization is org]
    created = min((p.created for p in packages if p.created), default=None)
    result = {
        **organization_summary(org, created),
        "display_name": org.title,
        "image_display_url": "",
        "num_followers": 0,
        "package_count": len(packages),
    }
    if full:
        result.update(
            {"extras": [{"key": "url", "value": org.url}] if org.url else [], "groups": [], "tags": [], "users": []}
        )
    return dict(sorted(result.items()))


def page(items: list, call: Call, limit_default: int | None = None) -> list:
    limit = as_int(call.params, "limit", limit_default)
    offset = as_int(call.params, "offset", 0)
    return items[offset : offset + min(limit, MAX_LIST)] if limit is not None else items[offset:]


# --- actions ---------------------------------------------------------------------------------


async def site_read(call: Call):
    """Return ``True``: the site can be read."""
    return True


async def status_show(call: Call):
    """Return a dictionary with information about the site's configuration."""
    site = call.site
    return {
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "extensions": ["datastore"],
        "locale_default": "th",
        "site_description": plain_text(site.get("description") or site.get("description_html") or ""),
        "site_title": site.get("title") or "Open Bangkok",
        "site_url": call.base_url,
    }


async def package_list(call: Call):
    """Return the names of the site's datasets (packages), sorted. Parameters: limit, offset."""
    return page(sorted(p.name for p in (await call.published()).packages), call)


async def current_package_list_with_resources(call: Call):
    """Return the datasets with their resources, most recently modified first. Parameters: limit,
    offset (or page)."""
    state = await call.published()
    packages = sorted(state.packages, key=lambda p: (p.modified or "", p.name), reverse=True)
    if "offset" not in call.params and "page" in call.params and "limit" in call.params:
        call.params["offset"] = (as_int(call.params, "page", 1, minimum=1) - 1) * as_int(call.params, "limit", 0)
    return [package_dict(p, call.base_url, call.site) for p in page(packages, call)]


async def package_show(call: Call):
    """Return a dataset (package) and its resources. Parameter: id (its id or name)."""
    package = (await call.published()).package(str(required(call.params, "id")))
    if package is None:
        raise NotFound("dataset / ไม่พบชุดข้อมูล")
    return package_dict(package, call.base_url, call.site)


async def resource_show(call: Call):
    """Return a resource (one published table). Parameter: id (its id, or the table's name)."""
    resource = (await call.published()).resource(str(required(call.params, "id")))
    if resource is None:
        raise NotFound("Resource was not found. / ไม่พบตารางนี้")
    return resource_dict(resource, call.base_url)


async def organization_list(call: Call):
    """Return the agencies that publish the datasets: names, or dicts with all_fields. Parameters:
    sort (name, title or package_count, asc or desc; default title asc), limit, offset,
    organizations (names to keep), q (part of a name or title), all_fields."""
    state = await call.published()
    orgs = list(state.organizations.values())
    wanted = as_list(call.params, "organizations")
    if wanted:
        orgs = [o for o in orgs if o.code in wanted]
    q = str(call.params.get("q") or "").casefold()
    orgs = [o for o in orgs if q in o.code.casefold() or q in o.title.casefold()]
    field, _, direction = str(call.params.get("sort") or "title asc").strip().partition(" ")
    keys = {
        "name": lambda o: o.code,
        "title": lambda o: o.title,
        "package_count": lambda o: sum(p.organization is o for p in state.packages),
    }
    if field not in keys:
        raise ValidationError({"sort": [f"Cannot sort by field `{field}` / เรียงตามนี้ไม่ได้"]})
    orgs.sort(key=keys[field], reverse=direction.strip().lower() == "desc")
    orgs = page(orgs, call)
    if as_bool(call.params, "all_fields", False):
        return [organization_dict(o, state, full=False) for o in orgs]
    return [o.code for o in orgs]


async def organization_show(call: Call):
    """Return an agency that publishes datasets. Parameters: id (its id or name), include_datasets."""
    state = await call.published()
    org = state.organization(str(required(call.params, "id")))
    if org is None:
        raise NotFound("Organization was not found. / ไม่พบหน่วยงาน")
    result = organization_dict(org, state, full=True)
    if as_bool(call.params, "include_datasets", False):
        result["packages"] = [
            package_dict(p, call.base_url, call.site) for p in state.packages if p.organization is org
        ]
    return result


async def group_list(call: Call):
    """Return the site's groups: none, the datasets are not grouped by theme."""
    return []


async def tag_list(call: Call):
    """Return the tags of the datasets. Parameters: query (part of a tag), all_fields."""
    if call.params.get("vocabulary_id"):
        return []
    names = sorted({t for p in (await call.published()).packages for t in tag_names(p)})
    query = str(call.params.get("query") or call.params.get("q") or "").casefold()
    names = [n for n in names if query in n.casefold()]
    return [tag_dict(n) for n in names] if as_bool(call.params, "all_fields", False) else names


def required(params: dict, name: str):
    value = params.get(name)
    if value in (None, ""):
        raise ValidationError({name: ["Missing value / ต้องระบุค่า"]})
    return value
