"""Validation: every resource checked by frictionless, staged into SQLite, then the SQL rules run.

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
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils
from frictionless import Package, Schema

from openbangkok import prepare
from openbangkok.adapters import adapter
from openbangkok.model import messages
from openbangkok.model.catalog import Catalog, Source
from openbangkok.model.problems import Problem, Report
from openbangkok.model.sql_functions import register
from openbangkok.model.sqlite_types import column_types, to_sqlite

ROW_COLUMN = "_source_row"
BATCH = 1000


@dataclass
class Staged:
    """What validation leaves behind for the build: a staging database and per-table statistics."""

    db_path: Path
    report: Report = field(default_factory=Report)
    stats: dict[str, dict] = field(default_factory=dict)
    progress: Callable[[str, int, int], None] = lambda table, done, total: None  # (table, done, total)
    for_build: bool = False  # validating for a build: adapters may also stage what only the build needs
    # Work an adapter leaves running in the background for the build (a search index): objects with
    # complete(db_path), called once the rest of the database is written, and wait(), called when
    # the build stops early.
    deferred: list = field(default_factory=list)
    # Staged tables an adapter publishes record for record (insert ... select *): the build reads
    # their column profiles from here, in the background, while it writes the published file.
    as_published: set[str] = field(default_factory=set)


def display_path(catalog: Catalog, source: Source) -> str:
    """The file as the person who ran the command named it: <datasets dir>/<dataset>/<file>[#sheet]."""
    path = str(Path(catalog.root) / source.dataset / source.descriptor["path"])
    sheet = source.descriptor.get("sheet")
    return f"{path}#{sheet}" if sheet else path


def in_excel_terms(problem: Problem, schema: Schema) -> Problem:
    """Cell problems of a workbook also name the column letter the agency sees in Excel."""
    if not problem.column or not schema.has_field(problem.column):
        return problem
    letter = prepare.excel_column(schema.field_names.index(problem.column) + 1)
    return dataclasses.replace(problem, message=f"{problem.message} (column {letter} in Excel)",
                               message_th=f"{problem.message_th} (คอลัมน์ {letter} ใน Excel)")


def stage_table(db: sqlite_utils.Database, source: Source, schema: dict) -> sqlite_utils.db.Table:
    columns = {ROW_COLUMN: int, **column_types(schema)}
    return db[source.name].create(columns, replace=True)


def check_source(catalog: Catalog, source: Source, package: Package, db: sqlite_utils.Database,
                 staged: Staged) -> None:
    display = display_path(catalog, source)
    started = time.perf_counter()
    resource = package.get_resource(source.name)
    schema = Schema.from_descriptor(source.schema)
    table = stage_table(db, source, source.schema)
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
            table.insert_all(buffer)
            buffer.clear()
            staged.progress(source.name, rows_read, total_rows)

    report = resource.validate(on_row=on_row, limit_errors=10_000)
    table.insert_all(buffer)
    problems = []
    for task in report.tasks:
        for error in task.errors:
            if error.type == "primary-key" and any(
                p.type == "blank-row" and p.row == getattr(error, "row_number", None) for p in problems
            ):
                continue  # a blank row is reported once, as blank-row
            problems.append(messages.from_error(display, error, schema))
    if source.descriptor.get("sheet") or source.path.suffix.lower() in prepare.WORKBOOK_SUFFIXES:
        problems = [in_excel_terms(p, schema) for p in problems]
    if rows_read == 0 and not source.descriptor.get("allowEmpty"):
        problems.append(no_data_rows(display))
    staged.report.extend(problems)
    staged.stats[source.name] = {
        "file": display, "rows_read": rows_read, "seconds": time.perf_counter() - started,
    }


def no_data_rows(display: str) -> Problem:
    """A file with a header and no rows is refused: it would replace the published rows with none."""
    return Problem(display, None, None, "table-dimensions",
                   "the file has a header but no data rows: export the rows too "
                   "(or mark the resource allowEmpty in its descriptor)",
                   "ไฟล์มีแต่หัวตาราง ไม่มีข้อมูล กรุณาส่งออกข้อมูลด้วย")


def run_rules(catalog: Catalog, sources: list[Source], db: sqlite_utils.Database, staged: Staged) -> None:
    for source in sources:
        display = display_path(catalog, source)
        for rule in source.rules:
            sql = f"select * from [{source.name}] where {rule['when']} order by {ROW_COLUMN}"
            try:
                rows = list(db.query(sql))
            except sqlite3.Error as e:
                staged.report.add(Problem(display, None, None, "schema-error",
                                          f"the rule {rule['when']!r} in the descriptor is not valid SQL: {e}",
                                          "กฎตรวจสอบในไฟล์คำอธิบายข้อมูลไม่ถูกต้อง"))
                continue
            for row in rows:
                values = {k: ("" if v is None else v) for k, v in row.items()}
                staged.report.add(Problem(
                    display, row[ROW_COLUMN], rule.get("column"), rule.get("type", "row-constraint"),
                    rule["message"].format(**values), rule.get("message_th", "").format(**values),
                    rule.get("severity", "error"),
                ))


def open_staging(path: Path) -> sqlite_utils.Database:
    path.unlink(missing_ok=True)
    # URI file names, so that the published database can be attached read-only (attach_read_only)
    db = sqlite_utils.Database(sqlite3.connect(path.resolve().as_uri(), uri=True))
    # large pages: a million staged rows are written in 30,000 pages instead of 500,000 (each
    # written to the write-ahead log with its own checksum while the search index reads them)
    db.conn.execute("pragma page_size = 65536")
    db.conn.execute("pragma journal_mode = off")
    db.conn.execute("pragma synchronous = off")
    register(db.conn)
    return db


def attach_read_only(db: sqlite_utils.Database, alias: str, path: Path) -> None:
    """`path` attached so that nothing done on the connection can write it (the published database,
    which a running server holds open and a failed build must leave as it was): an unqualified
    DROP or PRAGMA meant for the staging database fails instead of reaching it."""
    db.execute(f"attach ? as [{alias}]", [f"{Path(path).resolve().as_uri()}?mode=ro"])


FILE_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)", "ไปป์"), (stat.S_ISCHR, "a device", "อุปกรณ์"),
              (stat.S_ISBLK, "a device", "อุปกรณ์"), (stat.S_ISSOCK, "a socket", "ซ็อกเก็ต"),
              (stat.S_ISDIR, "a folder", "โฟลเดอร์"))


def unreadable_file(catalog: Catalog, path: Path, display: str) -> Problem | None:
    """Why `path` is not read, or None: a file the build reads must be a regular file inside the datasets
    folder. A named pipe or a device (a link to /dev/zero) held the build for ever; a link to a file
    elsewhere (/etc/passwd) was read and its lines quoted in the problems. Nothing of it is read here."""
    root = Path(catalog.root).resolve()
    try:
        inside = path.resolve().is_relative_to(root)
        mode = path.stat().st_mode
    except (OSError, RuntimeError):
        return None   # a missing file, or a loop of links: reading it reports that
    if not inside:
        return Problem(display, None, None, "scheme-error",
                       "the file (or the link it is) leads outside the datasets folder: copy the file itself in",
                       "ไฟล์นี้ (หรือลิงก์) ชี้ออกไปนอกโฟลเดอร์ datasets กรุณาคัดลอกไฟล์จริงมาไว้แทน")
    for test, kind, kind_th in FILE_KINDS:
        if test(mode):
            return Problem(display, None, None, "scheme-error", f"this is {kind}, not a file: deliver the file itself",
                           f"นี่คือ{kind_th} ไม่ใช่ไฟล์ กรุณาส่งไฟล์จริง")
    return None


def unreadable_folder(catalog: Catalog, folder: Path, display: str) -> Problem | None:
    """unreadable_file() of a folder an adapter reads (the Traffy API's pages): the folder itself,
    then each entry of it that is not hidden (the first that cannot be read)."""
    try:
        if not folder.resolve().is_relative_to(Path(catalog.root).resolve()):
            return unreadable_file(catalog, folder, display)
    except (OSError, RuntimeError):
        return None
    for entry in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in entry.relative_to(folder).parts) or \
                (entry.is_dir() and not entry.is_symlink()):
            continue
        problem = unreadable_file(catalog, entry, f"{display}/{entry.relative_to(folder)}")
        if problem:
            return problem
    return None


def unreadable_source(catalog: Catalog, source: Source) -> Problem | None:
    display = display_path(catalog, source)
    if source.adapter and source.path.is_dir() and not source.path.is_symlink():
        return unreadable_folder(catalog, source.path, display)
    return unreadable_file(catalog, source.path, display)


def unreadable_files(catalog: Catalog) -> dict[str, Problem]:
    """unreadable_file() of every resource (of each file of a folder an adapter reads), by table name,
    and of every dataset's SQL file, by path."""
    found = {s.name: unreadable_source(catalog, s) for s in catalog.sources}
    for dataset in catalog.datasets:
        for sql_file in dataset.sql_files:
            found[str(sql_file)] = unreadable_file(catalog, sql_file, str(Path(catalog.root) / dataset.name / sql_file.name))
    return {key: problem for key, problem in found.items() if problem}


def prepare_package(catalog: Catalog, work: Path, staged: Staged, refused: set[str] = frozenset()) -> Package:
    """Clean UTF-8 copies of every plain resource, as one frictionless package (for foreign keys).
    A refused file (prepare.Refused: it has no clean copy) is left out, and so are the foreign keys
    that point at it: the files that refer to it are checked for everything else, and say so."""
    resources, refused = [], set(refused)
    for source in catalog.sources:
        if source.adapter or source.name in refused:
            continue  # an adapter reads its own file; a file that is no file is not read
        clean = work / "clean" / source.dataset / (Path(source.descriptor["path"]).stem + ".csv")
        prepared = prepare.prepare(source.path, display_path(catalog, source), source.schema, clean,
                                   source.descriptor.get("sheet"))
        staged.report.extend(prepared.problems)
        if any(p.severity == "error" for p in prepared.problems):
            refused.add(source.name)
            continue
        descriptor = {k: v for k, v in source.descriptor.items() if k not in ("rules", "adapter", "sheet")}
        descriptor.update(path=str(clean.relative_to(work)), schema=source.schema,
                          format="csv", encoding="utf-8", mediatype="text/csv")
        resources.append(descriptor)
    for descriptor in resources:
        keys = descriptor["schema"].get("foreignKeys", [])
        unchecked = [k for k in keys if k["reference"].get("resource") in refused]
        if unchecked:
            descriptor["schema"] = {**descriptor["schema"], "foreignKeys": [k for k in keys if k not in unchecked]}
            source = catalog.source(descriptor["name"])
            for key in unchecked:
                target = key["reference"]["resource"]
                staged.report.add(Problem(
                    display_path(catalog, source), None, ", ".join(key["fields"]), "foreign-key",
                    f"not checked against {target}: that file was refused (its problem above); "
                    f"fix it and check again",
                    f"ยังไม่ได้ตรวจกับ {target} เพราะไฟล์นั้นถูกปฏิเสธ กรุณาแก้ไขแล้วตรวจอีกครั้ง", "warning"))
    return Package({"resources": resources}, basepath=str(work))


def validate(catalog: Catalog, work: Path, only: set[Path] | None = None,
             datasets: set[str] | None = None, previous_db: Path | None = None, progress=None,
             for_build: bool = False) -> Staged:
    """Checks the resources of the catalog; with `only`, reports the problems of those files only.

    `datasets` limits the checks to those datasets (an incremental build); their rules then see the
    other datasets' tables in `previous_db`, the database published before. Every checked resource
    is staged into the staging database in `work`, which the build publishes from.
    """
    work.mkdir(parents=True, exist_ok=True)
    staged = Staged(work / "staging.db", for_build=for_build)
    if progress is not None:
        staged.progress = progress
    db = open_staging(staged.db_path)
    if previous_db is not None:
        attach_read_only(db, "previous", previous_db)
    no_files = unreadable_files(catalog)
    staged.report.extend(no_files.values())
    package = prepare_package(catalog, work, staged, set(no_files))
    unreadable = {p.file for p in staged.report.errors}
    checked = [s for s in catalog.sources if datasets is None or s.dataset in datasets]
    for source in checked:
        if source.name in no_files:
            continue
        if source.adapter:
            adapter(source.adapter).stage(catalog, source, db, staged)
        elif display_path(catalog, source) not in unreadable:
            check_source(catalog, source, package, db, staged)
    if staged.report.ok:
        run_rules(catalog, checked, db, staged)
    db.conn.commit()
    db.close()
    if only is not None:
        wanted = {display_path(catalog, catalog.find_by_path(path)) for path in only}
        staged.report.problems = [p for p in staged.report.problems
                                  if p.file in wanted or p.file.rpartition("/")[0] in wanted]  # a folder's file
    return staged
