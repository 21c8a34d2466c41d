"""What the site publishes, in CKAN's terms: datasets, their tables and the agencies that own them.

One CKAN package per dataset folder of the catalog, one resource per public table that dataset's
load made (its delivered tables, then the tables its SQL derives; views are not resources: they
have no row id). Ids are UUID5s of names, so they are the same in every build and on every
replica. Read once per site from the live Datasette (site_info) and the build's own record
(build_files: when each table was loaded), since the database is immutable while the site runs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from openbangkok.model.build_record import FILES_TABLE
from openbangkok.model.catalog import Dataset
from openbangkok.model.site_metadata import DATABASE
from openbangkok.opendata.dga import dga_fields
from openbangkok.site import tables as site_info
from openbangkok.site.tables import PublicTable

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:openbangkok:ckan")
CACHE_KEY = "ckan_published"
AGENCIES_TABLE = "agencies"


def stable_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


def ckan_time(iso: str | None) -> str | None:
    """An ISO timestamp as CKAN writes them: UTC without an offset (2026-12-07T13:47:40)."""
    if not iso:
        return None
    moment = dt.datetime.fromisoformat(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat()


@dataclass
class Resource:
    table: PublicTable
    package: Package
    position: int
    built_at: str | None

    @property
    def id(self) -> str:
        return stable_id("resource", self.table.name)


@dataclass
class Organization:
    code: str
    title: str
    url: str | None

    @property
    def id(self) -> str:
        return stable_id("organization", self.code)


@dataclass
class Package:
    dataset: Dataset
    organization: Organization
    resources: list[Resource] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.dataset.name

    @property
    def id(self) -> str:
        return stable_id("package", self.dataset.name)

    @property
    def modified(self) -> str | None:
        return max((r.built_at for r in self.resources if r.built_at), default=None)

    @property
    def created(self) -> str | None:
        return min((r.built_at for r in self.resources if r.built_at), default=None)


@dataclass
class Published:
    packages: list[Package]
    organizations: dict[str, Organization]
    built_at: str | None

    @property
    def resources(self) -> list[Resource]:
        return [r for p in self.packages for r in p.resources]

    def package(self, key: str) -> Package | None:
        return next((p for p in self.packages if key in (p.name, p.id)), None)

    def resource(self, key: str) -> Resource | None:
        """By its id or by its table's name."""
        return next((r for r in self.resources if key in (r.id, r.table.name)), None)

    def organization(self, key: str) -> Organization | None:
        return next((o for o in self.organizations.values() if key in (o.code, o.id)), None)


async def _built_at(db) -> dict[str, str]:
    if FILES_TABLE not in await db.table_names():
        return {}
    rows = (await db.execute(f"select table_name, built_at from {FILES_TABLE}")).rows
    return {table: ckan_time(at) for table, at in rows}


async def _agency_titles(db) -> dict[str, str]:
    """{agency_code: 'ชื่อไทย / English name'} from the reference table, where it is published."""
    if AGENCIES_TABLE not in await db.table_names():
        return {}
    rows = (await db.execute(f"select agency_code, name_th, name_en from {AGENCIES_TABLE}")).rows
    return {code: " / ".join(n for n in (th, en) if n) for code, th, en in rows}


async def published(datasette) -> Published:
    cache = site_info.cache(datasette)
    if CACHE_KEY in cache:
        return cache[CACHE_KEY]
    db = datasette.get_database(DATABASE)
    built = await _built_at(db)
    agencies = await _agency_titles(db)
    tables = [t for t in await site_info.public_tables(datasette) if not t.is_view and t.dataset]
    catalog = site_info.catalog(datasette)
    packages, organizations = [], {}
    for dataset in catalog.datasets:
        delivered = [s.name for s in dataset.sources]
        own = sorted(
            (t for t in tables if t.dataset == dataset.name),
            key=lambda t: (t.name not in delivered, delivered.index(t.name) if t.name in delivered else 0, t.name),
        )
        if not own:
            continue
        dga = dga_fields(dataset)
        code = dga["ownerAgency"]
        organization = organizations.setdefault(
            code, Organization(code, agencies.get(code) or dga["owner"], dga.get("ownerUrl"))
        )
        package = Package(dataset, organization)
        latest = max((built[t.name] for t in own if t.name in built), default=None)
        package.resources = [Resource(t, package, i, built.get(t.name, latest)) for i, t in enumerate(own)]
        packages.append(package)
    result = Published(packages, organizations, max(built.values(), default=None))
    cache[CACHE_KEY] = result
    return result
