"""The datasets folder: one sub-folder per dataset, each with a Frictionless data package descriptor.

datasets/<dataset>/datapackage.yaml   resources[] with path, schema (file or inline), and
                                      optionally `rules` (SQL checks), `adapter` (a module of
                                      openbangkok.adapters for source formats that need one)
                                      and `sheet` (for workbooks)
datasets/<dataset>/*.schema.yaml      Table Schemas
datasets/<dataset>/*.sql              derived tables and views, run after every load
datasets/<dataset>/metadata.yml       optional Datasette metadata for the dataset's tables
"""

from __future__ import annotations

import json
import pickle
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DESCRIPTOR_NAMES = ("datapackage.yaml", "datapackage.yml", "datapackage.json")
PACKAGE = Path(__file__).resolve().parents[1]  # scripts/openbangkok: the code, fingerprinted by builds and the site
PROJECT_ROOT = PACKAGE.parents[1]
DEFAULT_DATASETS = PROJECT_ROOT / "datasets"
DEFAULT_DB = PROJECT_ROOT / "build" / "openbangkok.db"  # what `openbkk build` writes and `serve` serves
# libyaml's safe loader where PyYAML has it: schemas are read many times per command (catalog
# ordering, validation, build), and the pure-Python loader took most of a small dataset's validation.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PARSED_TEXTS = 1000  # descriptors remembered by their text
_parsed: dict[tuple[str, str], bytes] = {}


class CatalogError(Exception):
    """A descriptor that cannot be read; its message names the file."""


def read_descriptor(path: Path) -> dict:
    """The descriptor in `path`, a copy of its own (the same text is parsed once: a build reads the
    same schemas hundreds of times; benchmarks/README.md, Build)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a named pipe would be waited on for ever
            raise CatalogError(f"{path}: a descriptor must be a regular file")
        text = path.read_text(encoding="utf-8")
        kept = _parsed.get((path.suffix, text))
        if kept is None:
            data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=YAML_LOADER)
            if len(_parsed) < PARSED_TEXTS:
                _parsed[(path.suffix, text)] = pickle.dumps(data)
        else:
            data = pickle.loads(kept)  # a copy of its own, far cheaper than parsing again
    except (OSError, ValueError, yaml.YAMLError) as e:
        raise CatalogError(f"{path}: cannot read the descriptor: {e}") from e
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: a descriptor must be a mapping")
    return data


@dataclass
class Source:
    """One resource of a dataset: a file an agency delivered and the table it becomes."""

    dataset: str
    folder: Path
    descriptor: dict

    @property
    def name(self) -> str:
        return self.descriptor["name"]

    @property
    def path(self) -> Path:
        return self.folder / self.descriptor["path"]

    @property
    def schema(self) -> dict:
        schema = self.descriptor.get("schema", {})
        return read_descriptor(self.folder / schema) if isinstance(schema, str) else schema

    @property
    def published_schema(self) -> dict:
        """The table as published; differs from `schema` only where an adapter reshapes the file."""
        schema = self.descriptor.get("publishedSchema")
        if schema is None:
            return self.schema
        return read_descriptor(self.folder / schema) if isinstance(schema, str) else schema

    @property
    def adapter(self) -> str | None:
        return self.descriptor.get("adapter")

    @property
    def rules(self) -> list[dict]:
        return self.descriptor.get("rules", [])

    @property
    def referenced_tables(self) -> set[str]:
        return {
            fk["reference"]["resource"]
            for fk in self.published_schema.get("foreignKeys", [])
            if fk["reference"].get("resource") not in (None, "", self.name)
        }


@dataclass
class Dataset:
    name: str
    folder: Path
    descriptor: dict
    sources: list[Source] = field(default_factory=list)

    @property
    def sql_files(self) -> list[Path]:
        return sorted(self.folder.glob("*.sql"))

    @property
    def metadata(self) -> dict:
        path = self.folder / "metadata.yml"
        return read_descriptor(path) if path.exists() else {}


@dataclass
class Catalog:
    root: Path
    datasets: list[Dataset]

    @property
    def sources(self) -> list[Source]:
        """Every resource, referenced tables before the tables that point at them."""
        pending = [s for d in self.datasets for s in d.sources]
        done: list[Source] = []
        while pending:
            names = {s.name for s in done}
            ready = [s for s in pending if s.referenced_tables <= names] or pending[:1]
            done.append(ready[0])
            pending.remove(ready[0])
        return done

    @property
    def datasets_in_order(self) -> list[Dataset]:
        """The datasets, each after the datasets its tables point at by foreign key: the order their
        derived SQL runs in, so that it may read the columns those datasets' SQL adds."""
        owner = {s.name: s.dataset for s in self.sources}
        needs = {
            d.name: {owner.get(t) for s in d.sources for t in s.referenced_tables} - {d.name, None}
            for d in self.datasets
        }
        pending, done = list(self.datasets), []
        while pending:
            names = {d.name for d in done}
            ready = next((d for d in pending if needs[d.name] <= names), pending[0])  # a cycle: as listed
            done.append(ready)
            pending.remove(ready)
        return done

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def find_by_path(self, path: Path) -> Source | None:
        """The resource of a file (or of a file in a resource's folder, such as a page of the API)."""
        path = path.resolve()
        return next((s for s in self.sources if s.path.resolve() in (path, *path.parents)), None)


def display_path(catalog: Catalog, source: Source) -> str:
    """The file as the person who ran the command named it: <datasets dir>/<dataset>/<file>[#sheet]."""
    path = str(Path(catalog.root) / source.dataset / source.descriptor["path"])
    sheet = source.descriptor.get("sheet")
    return f"{path}#{sheet}" if sheet else path


def load_catalog(root: Path = DEFAULT_DATASETS) -> Catalog:
    root = Path(root)
    if not root.is_dir():
        raise CatalogError(f"{root}: no such datasets folder")
    datasets = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        descriptor_path = next((folder / n for n in DESCRIPTOR_NAMES if (folder / n).exists()), None)
        if descriptor_path is None:
            continue
        descriptor = read_descriptor(descriptor_path)
        dataset = Dataset(folder.name, folder, descriptor)
        for resource in descriptor.get("resources", []):
            if "name" not in resource or "path" not in resource:
                raise CatalogError(f"{descriptor_path}: every resource needs a name and a path")
            dataset.sources.append(Source(folder.name, folder, resource))
        datasets.append(dataset)
    names = [s.name for d in datasets for s in d.sources]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise CatalogError(f"{root}: table names used by more than one resource: {sorted(duplicates)}")
    return Catalog(root, datasets)
