"""Adapters for source formats that need more than a Table Schema.

A resource names its adapter with the key `adapter:` (model/catalog.py), a module of this package:
`adapter: traffy.dump_csv` is openbangkok.adapters.traffy.dump_csv. An adapter reads its own file
(or folder) instead of frictionless, and is a module with two functions (the Adapter protocol):

    stage(catalog, source, db, staged)   check the source and write its rows into the staging
                                         database `db`, reporting every problem in staged.report
                                         (nothing written when the source is refused)
    publish(db, source, staged) -> int   create the published table(s) in `db` from the staged
                                         rows (attached as pipeline.stage.STAGING); the number of rows

and may have two more, to be updated in place when its input changes (pipeline.in_place):

    update(db, source, staged) -> (int, Changes)   apply to the published table(s) already in `db`
                                         only the rows that changed; the rows and the changes
    kept_tables(db, source) -> list      the tables update() keeps (the build drops the others)

The pipeline calls them (pipeline/check.py, pipeline/publish.py) and hands them what they need:
the staging database and `staged` (pipeline.stage.Staged: the report, the statistics, the search
index a build wants). The calls go one way: an adapter imports model/, thai/, its own helpers and,
of the pipeline, only the tools no stage of it is run by (pipeline.ADAPTER_TOOLS: stage, csv_rules,
csv_pieces, encoding, search_index, processes, freed_memory, in_place): never read, check, publish or build,
which run the stages (tests/test_structure.py checks it).

Adapters of one kind of data share their rules in a subpackage (traffy/: the Traffy Fondue dump
and the API's pages, one normalisation).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Protocol, runtime_checkable

import sqlite_utils


@runtime_checkable
class Adapter(Protocol):
    """What validate and build call on an adapter module."""

    def stage(self, catalog, source, db: sqlite_utils.Database, staged) -> None: ...

    def publish(self, db: sqlite_utils.Database, source, staged) -> int: ...


def adapter(name: str) -> ModuleType:
    """The adapter module `name` (as a resource's `adapter:` writes it), checked to be an Adapter."""
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as e:
        raise ValueError(f"adapter: {name!r} is no adapter of openbangkok.adapters ({e})") from e
    if not isinstance(module, Adapter):
        raise TypeError(f"adapter: {name!r} lacks stage() or publish()")
    return module
