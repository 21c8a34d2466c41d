"""Validation: every resource checked by frictionless as it is read, then the SQL rules.

validate() makes one pass over the catalog: files that are no file are refused unread and every
plain file is read into a clean UTF-8 copy (read.py); frictionless checks each copy, and hands each
row it reads to the resource's staging table (stage.py); a resource with an adapter is checked and
staged by its adapter. Then the rules run over the staged tables. `openbkk validate` and the build
both call it: the rules are SQL, so checking needs the rows staged; only a build also starts the
search indexes (Staged.for_build).

A problem is reported as FILE:ROW:COLUMN: TYPE: message, with frictionless's error types. Rules
declared in a resource's descriptor are SQL conditions over the staged tables:

    rules:
      - column: level
        type: constraint-error
        when: "level != ita_level(score)"          # selects the rows that break the rule
        message: "level {level} does not match the score {score}"
        message_th: "ระดับ {level} ไม่ตรงกับคะแนน {score}"
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import sqlite_utils
from frictionless import FrictionlessException, Package, Schema

from openbangkok.adapters import adapter
from openbangkok.model import messages
from openbangkok.model.catalog import Catalog, Source, display_path
from openbangkok.model.problems import Problem, Report
from openbangkok.model.sqlite_types import to_sqlite
from openbangkok.pipeline import read
from openbangkok.pipeline.stage import (
    PREVIOUS,
    ROW_COLUMN,
    Staged,
    attach_read_only,
    no_data_rows,
    open_staging,
    stage_table,
)

BATCH = 1000  # rows handed to the staging table at a time


def in_excel_terms(problem: Problem, schema: Schema) -> Problem:
    """Cell problems of a workbook also name the column letter the agency sees in Excel."""
    if not problem.column or not schema.has_field(problem.column):
        return problem
    letter = read.excel_column(schema.field_names.index(problem.column) + 1)
    return dataclasses.replace(
        problem,
        message=f"{problem.message} (column {letter} in Excel)",
        message_th=f"{problem.message_th} (คอลัมน์ {letter} ใน Excel)",
    )


def schema_file(catalog: Catalog, source: Source) -> str:
    """The file that holds a resource's Table Schema, as the person who ran the command names it."""
    schema = source.descriptor.get("schema")
    name = schema if isinstance(schema, str) else "datapackage.yaml"
    return str(Path(catalog.root) / source.dataset / name)


def descriptor_problem(catalog: Catalog, source: Source, descriptor: dict, work: Path) -> Problem | None:
    """A schema frictionless cannot read (a type it does not know, a constraint of another version of
    the standard such as exclusiveMinimum) stopped the whole check with a traceback: it is one problem
    that names the schema's file, and its resource is left out of the check."""
    try:
        Package(
            {"resources": [{**descriptor, "schema": {**descriptor["schema"], "foreignKeys": []}}]}, basepath=str(work)
        )
    except FrictionlessException as e:
        said = "; ".join(r.message for r in e.reasons) or e.error.message
        return Problem(
            schema_file(catalog, source),
            None,
            None,
            "schema-error",
            f"the Table Schema of {source.name} cannot be read: {said}. Fix the schema file"
            + (" (Table Schema v1: use minimum/maximum)" if "datapackage v2" in said else ""),
            f"อ่าน Table Schema ของ {source.name} ไม่ได้: {said} กรุณาแก้ไขไฟล์ schema",
        )
    return None


def frictionless_package(
    catalog: Catalog, copies: dict[str, Path], work: Path, report: Report, refused: set[str]
) -> Package:
    """The clean copies as one frictionless package (so that foreign keys are checked). The foreign
    keys that point at a file that was refused (unread) are left out: the files that refer to
    it are checked for everything else, and say so."""
    resources = []
    for name, clean in copies.items():
        source = catalog.source(name)
        descriptor = {k: v for k, v in source.descriptor.items() if k not in ("rules", "adapter", "sheet")}
        descriptor.update(
            path=str(clean.relative_to(work)),
            schema=source.schema,
            format="csv",
            encoding="utf-8",
            mediatype="text/csv",
        )
        problem = descriptor_problem(catalog, source, descriptor, work)
        if problem is None:
            resources.append(descriptor)
        else:
            report.add(problem)
            refused.add(name)
    for descriptor in resources:
        keys = descriptor["schema"].get("foreignKeys", [])
        unchecked = [k for k in keys if k["reference"].get("resource") in refused]
        if unchecked:
            descriptor["schema"] = {**descriptor["schema"], "foreignKeys": [k for k in keys if k not in unchecked]}
            source = catalog.source(descriptor["name"])
            for key in unchecked:
                target = key["reference"]["resource"]
                report.add(
                    Problem(
                        display_path(catalog, source),
                        None,
                        ", ".join(key["fields"]),
                        "foreign-key",
                        f"not checked against {target}: that file was refused (its problem above); "
                        f"fix it and check again",
                        f"ยังไม่ได้ตรวจกับ {target} เพราะไฟล์นั้นถูกปฏิเสธ กรุณาแก้ไขแล้วตรวจอีกครั้ง",
                        "warning",
                    )
                )
    return Package({"resources": resources}, basepath=str(work))


def check_source(
    catalog: Catalog, source: Source, package: Package, rows_to: Callable[[list[dict]], None], staged: Staged
) -> None:
    """frictionless's checks of a resource's clean copy; each row read is handed to `rows_to` (its
    staging table), BATCH at a time; problems and the file's statistics go to `staged`."""
    display = display_path(catalog, source)
    started = time.perf_counter()
    resource = package.get_resource(source.name)
    schema = Schema.from_descriptor(source.schema)
    buffer: list[dict] = []
    rows_read = 0
    with (Path(package.basepath) / resource.path).open("rb") as f:
        total_rows = max(sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - 1, 0)

    def on_row(row):
        nonlocal rows_read
        rows_read += 1
        values = {name: to_sqlite(value) for name, value in row.to_dict().items() if name in schema.field_names}
        buffer.append({ROW_COLUMN: row.row_number, **values})
        if len(buffer) >= BATCH:
            rows_to(buffer)
            buffer.clear()
            staged.progress(source.name, rows_read, total_rows)

    report = resource.validate(on_row=on_row, limit_errors=10_000)
    rows_to(buffer)
    problems = []
    for task in report.tasks:
        for error in task.errors:
            if error.type == "primary-key" and any(
                p.type == "blank-row" and p.row == getattr(error, "row_number", None) for p in problems
            ):
                continue  # a blank row is reported once, as blank-row
            problems.append(messages.from_error(display, error, schema))
    if source.descriptor.get("sheet") or source.path.suffix.lower() in read.WORKBOOK_SUFFIXES:
        problems = [in_excel_terms(p, schema) for p in problems]
    if rows_read == 0 and not source.descriptor.get("allowEmpty"):
        problems.append(no_data_rows(display))
    staged.report.extend(problems)
    staged.stats[source.name] = {
        "file": display,
        "rows_read": rows_read,
        "seconds": time.perf_counter() - started,
    }


def run_rules(catalog: Catalog, sources: list[Source], db: sqlite_utils.Database, report: Report) -> None:
    """The descriptors' rules over the staged tables: each row a rule selects is a problem."""
    for source in sources:
        display = display_path(catalog, source)
        for rule in source.rules:
            sql = f"select * from [{source.name}] where {rule['when']} order by {ROW_COLUMN}"
            try:
                rows = list(db.query(sql))
            except sqlite3.Error as e:
                report.add(
                    Problem(
                        display,
                        None,
                        None,
                        "schema-error",
                        f"the rule {rule['when']!r} in the descriptor is not valid SQL: {e}",
                        "กฎตรวจสอบในไฟล์คำอธิบายข้อมูลไม่ถูกต้อง",
                    )
                )
                continue
            for row in rows:
                values = {k: ("" if v is None else v) for k, v in row.items()}
                report.add(
                    Problem(
                        display,
                        row[ROW_COLUMN],
                        rule.get("column"),
                        rule.get("type", "row-constraint"),
                        rule["message"].format(**values),
                        rule.get("message_th", "").format(**values),
                        rule.get("severity", "error"),
                    )
                )


def validate(
    catalog: Catalog,
    work: Path,
    only: set[Path] | None = None,
    datasets: set[str] | None = None,
    previous_db: Path | None = None,
    progress=None,
    for_build: bool = False,
    updated_in_place: set[str] = frozenset(),
) -> Staged:
    """Checks the resources of the catalog; with `only`, reports the problems of those files only.

    `datasets` limits the checks to those datasets (an incremental build); their rules then see the
    other datasets' tables in `previous_db`, the database published before. Every checked resource
    is staged into the staging database in `work`, which the build publishes from; those named in
    `updated_in_place` without a new search index (pipeline.in_place).
    """
    work.mkdir(parents=True, exist_ok=True)
    staged = Staged(
        work / "staging.db", for_build=for_build, updated_in_place=set(updated_in_place), previous_db=previous_db
    )
    if progress is not None:
        staged.progress = progress
    db = open_staging(staged.db_path)
    if previous_db is not None:
        attach_read_only(db, PREVIOUS, previous_db)
    no_files = read.unreadable_files(catalog)
    staged.report.extend(no_files.values())
    refused = set(no_files)
    copies = read.clean_copies(catalog, work, staged.report, refused)
    package = frictionless_package(catalog, copies, work, staged.report, refused)
    unreadable = {p.file for p in staged.report.errors}
    checked = [s for s in catalog.sources if datasets is None or s.dataset in datasets]
    for source in checked:
        if source.name in refused:
            continue
        if source.adapter:
            adapter(source.adapter).stage(catalog, source, db, staged)
        elif display_path(catalog, source) not in unreadable:
            check_source(catalog, source, package, stage_table(db, source, source.schema).insert_all, staged)
    if staged.report.ok:
        run_rules(catalog, checked, db, staged.report)
    db.conn.commit()
    db.close()
    if only is not None:
        wanted = {display_path(catalog, catalog.find_by_path(path)) for path in only}
        staged.report.problems = [
            p for p in staged.report.problems if p.file in wanted or p.file.rpartition("/")[0] in wanted
        ]  # a folder's file
    return staged
