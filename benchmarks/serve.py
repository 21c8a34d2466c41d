"""How fast the site answers on a large complaints table, next to raw SQLite and stock Datasette.

    python benchmarks/serve.py --rows 1000000
    python benchmarks/serve.py --rows 200000 --seconds 3 --no-peer      (a quick look)
    python benchmarks/serve.py --rows 1000000 --levers                  (what each lever is worth)

1. A database: benchmarks/generate_traffy.py writes N tickets in the dump's format, the project's
   datasets are copied to benchmarks/work/serve_datasets_N/ with that file as the complaints, and
   `openbkk build` builds benchmarks/work/serve_N.db (kept: the next run rebuilds only what changed).
2. The site (`openbkk serve`) on a loopback port: every endpoint below at concurrency 1 and 8, each
   for at most --requests requests or --seconds seconds; p50, p95 and requests/s.
3. The floor: the SQL that answers the same request (page, count, facets), run back to back with
   Python's sqlite3 on the same file with the site's connection settings, no caching across requests.
4. The peer: stock Datasette (`datasette serve FILE`, default settings, no metadata, no plugins
   directory) on the same file, same bounds.
5. The full CSV export (`.csv?_stream=on`) from each: MB/s, rows, complete or not.
6. 16 clients for --soak seconds on a mix of every endpoint but the export: any error counts.

Loopback only; servers are started here and stopped at the end. Writes a Markdown report to
benchmarks/results/serve.md (or --out) and prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import datetime as dt
import fcntl
import filecmp
import io
import itertools
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from generate_traffy import point_complaints_at_dump  # benchmarks/ is on sys.path: run as a script
from helpers import free_port, stop  # shared with the tests

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

try:
    import httpx

    from openbangkok.site.serving import precomputed_facets as precomputing
    from openbangkok.site.serving import serving
    from openbangkok.thai.search import search_escape
except ImportError:  # `python benchmarks/serve.py` outside the project's virtualenv
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
    raise

WORK = ROOT / "benchmarks" / "work"
RESULTS = ROOT / "benchmarks" / "results" / "serve.md"
DB = "openbangkok"
TABLE = "complaints"
PAGE = 50  # complaints' page size (datasets/complaints/metadata.yml)
MAX_ROWS = 1000  # max_returned_rows, the map's _size=max
FACETS = ("district_code", "state", "types")
SEARCHES = ("ไฟ", "ขยะ")
STATE = "รอรับเรื่อง"
# types a reader clicks in the types facet, each on about 3 % of the generated tickets
TYPES = ("ถนน", "ความสะอาด", "ทางเท้า", "แสงสว่าง", "น้ำท่วม")
MAP_QUERY = "_size=max&_labels=on&_extra=count&_extra=next_url&_shape=objects"  # datasette-cluster-map 0.18
TARGET_P95_MS = 100
TARGET_SEARCH_P95_MS = 300
TARGET_RATIO = 1.5
TARGET_CSV_MBS = 20
# The site's cheapest answer (no SQL of the table): what any page costs on top of its SQL, through the same
# server, ASGI wrappers and HTTP client. Reported beside the floor; the targets are judged on the floor alone.
MINIMAL = "/-/versions.json"
MINIMAL_STATS: dict = {}


# ---------------------------------------------------------------- the database


def prepare_database(rows: int, seed: int) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    source = WORK / f"serve_traffy_{rows}.csv"
    if not source.exists():
        print(f"generating {rows:,} tickets -> {source}", file=sys.stderr)
        partial = source.with_suffix(".partial")
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "generate_traffy.py"),
                "--rows",
                str(rows),
                "--seed",
                str(seed),
                "--out",
                str(partial),
            ],
            check=True,
        )
        partial.rename(source)
    datasets = WORK / f"serve_datasets_{rows}"
    mirror(ROOT / "datasets", datasets, skip={Path("complaints") / "traffy_fondue.csv"})
    complaints = datasets / "complaints" / "traffy_fondue.csv"
    if not complaints.exists() or not os.path.samefile(source, complaints):
        complaints.unlink(missing_ok=True)
        os.link(source, complaints)
    point_complaints_at_dump(datasets)  # the published site's complaints are the API's pages
    db = WORK / f"serve_{rows}.db"
    print(f"building {db} (only what changed since the last run)", file=sys.stderr)
    started = time.perf_counter()
    with timing():  # not timed here, but it would load the CPUs under someone else's timing
        subprocess.run(
            [sys.executable, "-m", "openbangkok", "build", "--datasets", str(datasets), "--out", str(db)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"  {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return db


def mirror(source: Path, target: Path, skip: set[Path]) -> None:
    """target becomes a copy of source; files with the same bytes are left alone (the build is incremental)."""
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file()} - skip
    for relative in sorted(wanted):
        src, dst = source / relative, target / relative
        if not dst.exists() or not filecmp.cmp(src, dst, shallow=False):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    for path in target.rglob("*"):
        if path.is_file() and path.relative_to(target) not in wanted | skip:
            path.unlink()


@dataclass
class Sample:
    """Values the requests rotate through, read from the database once."""

    count: int
    districts: list[str]
    tickets: list[str]
    month: str
    size_mb: float


def sample(db: Path) -> Sample:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    count = conn.execute(f"select count(*) from {TABLE}").fetchone()[0]
    districts = [
        r[0]
        for r in conn.execute(
            f"select district_code from {TABLE} where district_code is not null group by 1 order by 1 limit 10"
        )
    ]
    step = max(1, count // 200)
    tickets = [r[0] for r in conn.execute(f"select ticket_id from {TABLE} where rowid % ? = 0 limit 200", (step,))]
    month = conn.execute(f"select max(reported_month) from {TABLE}").fetchone()[0]
    conn.close()
    return Sample(count, districts, tickets, month, db.stat().st_size / 1e6)


# ---------------------------------------------------------------- the SQL floor


def columns_of(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    names = [r[1] for r in conn.execute(f"pragma table_info({TABLE})")]
    conn.close()
    return ", ".join(names)


def column_facet(column: str, sql: str) -> str:
    """Datasette 0.65's column facet query."""
    return (
        f"select {column} as value, count(*) as count from ({sql}) where {column} is not null "
        f"group by {column} order by count desc, value limit 31"
    )


def table_request(
    cols: str,
    where: str = "",
    params: dict | None = None,
    size: int = PAGE,
    order: str = "timestamp desc",
    filter_where: str | None = None,
) -> list[tuple[str, dict]]:
    """The SQL of a table page: its rows, the count and the three default facets (both over
    `filter_where`, the filter without a page's cursor), the district labels."""
    params = params or {}
    where_sql = f"where {where} " if where else ""
    filter_where = where if filter_where is None else filter_where
    filter_sql = f"where {filter_where} " if filter_where else ""
    inner = f"select {cols} from {TABLE} {filter_sql}"
    return [
        (f"select {cols} from {TABLE} {where_sql}order by {order} limit {size + 1}", params),
        (f"select count(*) from {TABLE} {filter_sql}", params),
        (column_facet("district_code", inner), params),
        (column_facet("state", inner), params),
        (precomputing.array_facet_sql("types", inner, 31, filtered=bool(filter_where)), params),
        (
            "select district_code, name_th from districts where district_code in "
            "(select district_code from districts limit 50)",
            {},
        ),
    ]


def search_where(term: str) -> tuple[str, dict]:
    return (
        "rowid in (select rowid from complaints_fts where complaints_fts match :search)",
        {"search": search_escape(term)},
    )


# ---------------------------------------------------------------- endpoints


@dataclass
class Endpoint:
    name: str
    site: Callable[[int], str]
    floor: Callable[[int], list[tuple[str, dict]]] | None
    peer: Callable[[int], str] | None = None
    kind: str = "html"  # html, json, row
    target_ms: float | None = TARGET_P95_MS
    ratio_target: bool = True
    facets: tuple[str, ...] = FACETS  # facets the site's answer must carry (json)
    note: str = ""


def endpoints(db: Path, s: Sample, peer_db: str, league_sql: str, next_token: dict) -> list[Endpoint]:
    cols = columns_of(db)
    d = lambda i: s.districts[i % len(s.districts)]  # noqa: E731
    t = lambda i: s.tickets[i % len(s.tickets)]  # noqa: E731
    ty = lambda i: TYPES[i % len(TYPES)]  # noqa: E731
    table, peer_table = f"/{DB}/{TABLE}", f"/{peer_db}/{TABLE}"
    facet_query = "_facet=district_code&_facet=state&_facet_array=types"
    result = [
        Endpoint(
            "table, first page",
            lambda i: table,
            lambda i: table_request(cols),
            lambda i: peer_table,
            note="HTML, newest first, 3 default facets",
        ),
        Endpoint(
            "table, first page (JSON)",
            lambda i: f"{table}.json",
            lambda i: table_request(cols),
            lambda i: f"{peer_table}.json",
            kind="json",
        ),
        Endpoint(
            "facets district, state, types (JSON)",
            lambda i: f"{table}.json?{facet_query}",
            lambda i: table_request(cols),
            lambda i: f"{peer_table}.json?{facet_query}",
            kind="json",
            note="whole table",
        ),
        Endpoint(
            "filtered: one district",
            lambda i: f"{table}?district_code={d(i)}",
            lambda i: table_request(cols, "district_code = :d", {"d": d(i)}),
            lambda i: f"{peer_table}?district_code={d(i)}",
            note="10 districts in turn, ~2% of rows each",
        ),
        Endpoint(
            "filtered: one district (JSON)",
            lambda i: f"{table}.json?district_code={d(i)}",
            lambda i: table_request(cols, "district_code = :d", {"d": d(i)}),
            lambda i: f"{peer_table}.json?district_code={d(i)}",
            kind="json",
        ),
        Endpoint(
            "filtered: state รอรับเรื่อง (JSON)",
            lambda i: f"{table}.json?state={quote(STATE)}",
            lambda i: table_request(cols, "state = :s", {"s": STATE}),
            lambda i: f"{peer_table}.json?state={quote(STATE)}",
            kind="json",
            note="~10% of rows",
        ),
        Endpoint(
            "filtered: one type (JSON)",
            lambda i: f"{table}.json?types__arraycontains={quote(ty(i))}",
            lambda i: table_request(cols, f':t in (select value from json_each("{TABLE}"."types"))', {"t": ty(i)}),
            lambda i: f"{peer_table}.json?types__arraycontains={quote(ty(i))}",
            kind="json",
            note="a click in the types facet: 5 common types in turn, ~3-4% of rows each",
        ),
    ]
    if next_token:
        ts, pk = next_token["timestamp"], next_token["ticket_id"]
        keyset = "(timestamp < :p1 or timestamp is null or (timestamp = :p1 and ((ticket_id > :p0))))"
        result.append(
            Endpoint(
                "next page",
                lambda i: f"{table}?_next={quote(next_token['token'])}",
                lambda i: table_request(
                    cols, keyset, {"p0": pk, "p1": ts}, order="timestamp desc, ticket_id", filter_where=""
                ),
                (lambda i: f"{peer_table}?_next={quote(next_token['peer'])}") if next_token.get("peer") else None,
                note="page 2 of the whole table; its facets are page 1's (the site's choice, see the levers)",
            )
        )
    for term in SEARCHES:
        where, params = search_where(term)
        result.append(
            Endpoint(
                f"search {term}",
                lambda i, term=term: f"{table}?_search={quote(term)}",
                lambda i, where=where, params=params: table_request(cols, where, params),
                None,
                target_ms=TARGET_SEARCH_P95_MS,
                ratio_target=False,
                note="stock Datasette finds no FTS table for a contentless index: n/a",
            )
        )
    where, params = search_where(SEARCHES[0])
    result.append(
        Endpoint(
            f"search {SEARCHES[0]} in one district",
            lambda i: f"{table}?_search={quote(SEARCHES[0])}&district_code={d(i)}",
            lambda i: table_request(cols, f"district_code = :d and {where}", {**params, "d": d(i)}),
            None,
            target_ms=TARGET_SEARCH_P95_MS,
            ratio_target=False,
            note="not an endpoint of the issue: a search within a filter, as a journalist narrows one down; "
            "judged as a search",
        )
    )
    result += [
        Endpoint(
            "row page",
            lambda i: f"{table}/{t(i)}",
            lambda i: [
                (f"select {cols} from {TABLE} where ticket_id = :t", {"t": t(i)}),
                ("select district_code, name_th from districts where district_code = :d", {"d": "1001"}),
            ],
            lambda i: f"{peer_table}/{t(i)}",
            kind="row",
            note="200 tickets in turn; floor: the row's select and a district label, the SQL Datasette runs for it",
        ),
        Endpoint(
            "map data (cluster map's request)",
            lambda i: f"{table}.json?{MAP_QUERY}",
            lambda i: table_request(cols, size=MAX_ROWS),
            lambda i: f"{peer_table}.json?{MAP_QUERY}",
            kind="json",
            note="1,000 rows with labels, as datasette-cluster-map 0.18 asks",
        ),
        Endpoint(
            "canned query: district league",
            lambda i: f"/{DB}/complaints_district_league",
            lambda i: [(league_sql, {"month": ""})],
            lambda i: f"/{peer_db}?{urlencode({'sql': league_sql, 'month': ''})}",
            kind="query",
            facets=(),
            note="the newest month; peer runs the same SQL as arbitrary SQL",
        ),
    ]
    return result


def check(endpoint: Endpoint, response: httpx.Response, site: bool) -> str | None:
    """What is wrong with an answer, or None."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    if endpoint.kind == "html" and b"facets-timed-out" in response.content:
        return "facets timed out"
    if endpoint.kind == "json" and site and endpoint.facets:
        missing = set(endpoint.facets) - set(response.json().get("facet_results", {}))
        if missing:
            return "facets missing: " + ", ".join(sorted(missing))
    return None


# ---------------------------------------------------------------- measuring


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # seconds
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def pct(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def error(self, problem: str) -> None:
        self.errors[problem] = self.errors.get(problem, 0) + 1


async def load(
    base: str,
    paths: list[tuple[Endpoint, Callable[[int], str]]],
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    site: bool,
    timeout: float = 60.0,
) -> Stats:
    """`concurrency` clients, each sending its next request when the last one is answered in full."""
    stats = Stats()
    counter = itertools.count()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + max_seconds

        async def client_loop():
            while time.perf_counter() < deadline:
                i = next(counter)
                if i >= max_requests:
                    return
                endpoint, path = paths[i % len(paths)]
                sent = time.perf_counter()
                try:
                    response = await client.get(path(i // len(paths)))
                    problem = check(endpoint, response, site)
                except httpx.HTTPError as e:
                    problem = type(e).__name__
                stats.latencies.append(time.perf_counter() - sent)
                if problem:
                    stats.error(f"{endpoint.name}: {problem}")

        await asyncio.gather(*(client_loop() for _ in range(concurrency)))
        stats.seconds = time.perf_counter() - started
    return stats


def floor(
    db: Path, statements: Callable[[int], list[tuple[str, dict]]], max_requests: int, max_seconds: float
) -> Stats:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True, check_same_thread=False)
    serving.configure_connection(conn)
    stats = Stats()
    started = time.perf_counter()
    for i in range(max_requests):
        if time.perf_counter() - started > max_seconds:
            break
        sent = time.perf_counter()
        for sql, params in statements(i):
            conn.execute(sql, params).fetchall()
        stats.latencies.append(time.perf_counter() - sent)
    stats.seconds = time.perf_counter() - started
    conn.close()
    return stats


@dataclass
class Export:
    seconds: float
    megabytes: float
    rows: int | None
    status: int | str
    note: str = ""

    @property
    def rate(self) -> float:
        return self.megabytes / self.seconds if self.seconds else 0.0


async def export(base: str, path: str, expected: int, timeout: float) -> Export:
    target = WORK / "serve_export.csv"
    started = time.perf_counter()
    status: int | str = "?"
    size = 0
    try:
        async with httpx.AsyncClient(base_url=base, timeout=timeout) as client, client.stream("GET", path) as response:
            status = response.status_code
            with target.open("wb") as out:
                async for chunk in response.aiter_raw():
                    out.write(chunk)
                    size += len(chunk)
                    if time.perf_counter() - started > timeout:
                        raise TimeoutError
    except (httpx.HTTPError, TimeoutError) as e:
        return Export(time.perf_counter() - started, size / 1e6, None, type(e).__name__, "stopped by the benchmark")
    seconds = time.perf_counter() - started
    rows, note = count_csv(target, expected)
    target.unlink(missing_ok=True)
    return Export(seconds, size / 1e6, rows, status, note)


def count_csv(path: Path, expected: int) -> tuple[int, str]:
    with path.open(newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        rows, short = 0, 0
        for row in reader:
            rows += 1
            short += len(row) != len(header)
    notes = []
    if short:
        notes.append(f"{short} malformed rows (an error written into the stream?)")
    if rows < expected:
        notes.append(f"{expected - rows:,} rows missing")
    return rows, "; ".join(notes) or "complete"


def floor_export(db: Path, cols: str, max_seconds: float) -> Export:
    """SQLite rows through Python's csv module into nothing: what any exporter must at least do."""
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    serving.configure_connection(conn)
    sink = io.StringIO()
    writer = csv.writer(sink)
    size = rows = 0
    started = time.perf_counter()
    for row in conn.execute(f"select {cols} from {TABLE} order by ticket_id"):
        writer.writerow(row)
        rows += 1
        if rows % 10000 == 0:
            size += len(sink.getvalue().encode("utf-8"))
            sink.seek(0)
            sink.truncate()
            if time.perf_counter() - started > max_seconds:
                break
    size += len(sink.getvalue().encode("utf-8"))
    conn.close()
    return Export(time.perf_counter() - started, size / 1e6, rows, "-", "complete")


@contextlib.contextmanager
def timing():
    """Hold benchmarks/work/.timing.lock while measuring: benchmarks/build.py holds it while it times a
    build, so on a shared machine neither benchmark times while the other one loads the CPUs."""
    WORK.mkdir(parents=True, exist_ok=True)
    with (WORK / ".timing.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# ---------------------------------------------------------------- servers


class Server:
    def __init__(self, command: list[str], env: dict | None = None, deadline: float = 120.0):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = WORK / f"serve_server_{self.port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.base + "/", timeout=30).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"{command} did not answer within {deadline} s")

    def stop(self) -> None:
        stop(self.process, timeout=15)
        self.log.unlink(missing_ok=True)


def site_server(db: Path, env: dict | None = None) -> Server:
    return Server([sys.executable, "-m", "openbangkok", "serve", "--db", str(db)], env)


def peer_server(db: Path) -> Server:
    return Server([str(Path(sys.executable).parent / "datasette"), "serve", str(db)])


def next_page(base: str, path: str) -> tuple[str | None, dict]:
    data = httpx.get(f"{base}{path}.json", timeout=120).json()
    rows = data.get("rows") or []
    columns = data.get("columns") or []
    last = dict(zip(columns, rows[-1])) if rows and isinstance(rows[-1], list) else (rows[-1] if rows else {})
    return data.get("next"), last


# ---------------------------------------------------------------- the run


@dataclass
class Result:
    endpoint: Endpoint
    site: dict[int, Stats]
    floor: Stats | None
    peer: dict[int, Stats]


def measure(base: str, ep: Endpoint, path: Callable[[int], str], args, site: bool) -> dict[int, Stats]:
    """One endpoint at concurrency 1 and 8, each after an unmeasured request."""
    result = {}
    for concurrency in (1, 8):
        with timing():
            asyncio.run(load(base, [(ep, path)], 1, 1, 120, site, timeout=120))
            result[concurrency] = asyncio.run(
                load(base, [(ep, path)], concurrency, args.requests * (2 if concurrency > 1 else 1), args.seconds, site)
            )
        stats = result[concurrency]
        print(
            f"  {ep.name:40} c{concurrency}: p50 {fmt(stats.pct(50))} p95 {fmt(stats.pct(95))} ms "
            f"{stats.rate:6.1f}/s {errors_text(stats)}",
            file=sys.stderr,
        )
    return result


def measure_all(args, db: Path, s: Sample) -> tuple[list[Result], dict, Stats | None]:
    league_sql = canned_sql("complaints_district_league")
    peer_db = db.stem
    results: dict[str, Result] = {}
    exports: dict[str, Export] = {}
    soak = None

    print("site: openbkk serve", file=sys.stderr)
    server = site_server(db)
    try:
        token, last = next_page(server.base, f"/{DB}/{TABLE}")
        next_token = (
            {"token": token, "timestamp": last.get("timestamp"), "ticket_id": last.get("ticket_id")} if token else {}
        )
        eps = [
            ep
            for ep in endpoints(db, s, peer_db, league_sql, next_token)
            if not args.only or any(word in ep.name for word in args.only)
        ]
        for ep in eps:
            results[ep.name] = Result(ep, measure(server.base, ep, ep.site, args, True), None, {})
        minimal = Endpoint("minimal request", lambda i: MINIMAL, None, kind="json", facets=())
        MINIMAL_STATS.update(measure(server.base, minimal, minimal.site, args, True))
        if args.export_timeout:
            print("  CSV export ...", file=sys.stderr)
            with timing():
                exports["site"] = asyncio.run(
                    export(server.base, f"/{DB}/{TABLE}.csv?_stream=on", s.count, args.export_timeout)
                )
            print(f"  {exports['site']}", file=sys.stderr)
        if args.soak:
            print(f"  {args.soak:g} s at concurrency 16 ...", file=sys.stderr)
            with timing():
                soak = asyncio.run(load(server.base, [(ep, ep.site) for ep in eps], 16, 10**9, args.soak, True))
            print(f"  {len(soak.latencies)} requests, errors: {soak.errors or 'none'}", file=sys.stderr)
    finally:
        server.stop()

    print("floor: the same SQL in SQLite", file=sys.stderr)
    for ep in eps:
        if ep.floor:
            with timing():
                results[ep.name].floor = floor(db, ep.floor, args.requests, args.seconds)
    if args.export_timeout:
        with timing():
            exports["floor"] = floor_export(db, columns_of(db), args.export_timeout)

    if args.peer:
        print("peer: datasette serve FILE", file=sys.stderr)
        server = peer_server(db)
        try:
            peer_token, _ = next_page(server.base, f"/{peer_db}/{TABLE}")
            for ep in eps:
                if ep.name == "next page" and peer_token:
                    ep.peer = lambda i: f"/{peer_db}/{TABLE}?_next={quote(peer_token)}"
                if ep.peer is not None:
                    results[ep.name].peer = measure(server.base, ep, ep.peer, args, False)
            if args.export_timeout:
                with timing():
                    exports["peer"] = asyncio.run(
                        export(server.base, f"/{peer_db}/{TABLE}.csv?_stream=on", s.count, args.export_timeout)
                    )
        finally:
            server.stop()
    return list(results.values()), exports, soak


def canned_sql(name: str) -> str:
    import yaml

    metadata = yaml.safe_load((ROOT / "datasets" / "complaints" / "metadata.yml").read_text(encoding="utf-8"))
    return metadata["queries"][name]["sql"]


# ---------------------------------------------------------------- levers

LEVER_ENDPOINTS = {
    "mmap": ["filtered: state รอรับเรื่อง (JSON)", "search ไฟ", "map data (cluster map's request)"],
    "fast_array_facet": ["filtered: one district", "filtered: state รอรับเรื่อง (JSON)", "search ไฟ"],
    "facet_memo": ["table, first page", "table, first page (JSON)", "map data (cluster map's request)"],
    "next_page_facets": ["next page"],
    "gc": ["table, first page", "filtered: one district", "map data (cluster map's request)"],
    "serving_indexes": [
        "filtered: one district",
        "filtered: state รอรับเรื่อง (JSON)",
        "next page",
        "canned query: district league",
    ],
    "search_sql": ["search ไฟ", "search ขยะ"],
    "precomputed_facets": ["search ไฟ", "filtered: one district (JSON)", "filtered: state รอรับเรื่อง (JSON)"],
    "permission_memo": ["filtered: one district", "filtered: one district (JSON)", "row page"],
    "fast_rows": ["map data (cluster map's request)"],
}
LEVER_NOTES = {
    "mmap": "SQLite reads the file through mmap (pragma mmap_size)",
    "fast_array_facet": "types facet: group by the array, then split each distinct array once (Datasette: DISTINCT over every column of every row)",
    "facet_memo": "whole-table facets of the immutable file computed once at startup",
    "next_page_facets": "page 2 shows page 1's facets (Datasette: recounted over the rows after the page)",
    "gc": "gc.freeze() after startup and young collections every 10,000 allocations (700)",
    "stream_csv": "CSV streams: 1,000 rows a query (Datasette dropped its own _size=max: 50), primary-key order, 64 KB blocks",
    "serving_indexes": "datasets/complaints/serving_indexes.sql; without: the single-column indexes the build makes",
    "search_sql": "a search's count from the FTS index alone; its page read newest first along complaints_newest, stopping after a page of matches (when 1 row in 200 or more matches)",
    "precomputed_facets": "facets (and the count) of a search or of equality filters from serving_precomputed.sql: one value's facets read as they are, other filters and searches summed per (district, state, types) combination, one query for all three",
    "permission_memo": "view-table permission answered from memory (Datasette 0.65.5 deep-copies the whole metadata for each check, twice a page)",
    "fast_rows": "rows with labels (CustomRow) iterated by the dictionary's C lookup instead of a Python generator",
}
ENV_LEVERS = [
    "mmap",
    "fast_array_facet",
    "facet_memo",
    "next_page_facets",
    "gc",
    "stream_csv",
    "search_sql",
    "precomputed_facets",
    "permission_memo",
    "fast_rows",
]
SERVING_INDEXES = [
    "complaints_newest",
    "complaints_district_newest",
    "complaints_state_newest",
    "complaints_month_district",
]
# what the build and complaints_statistics.sql index without them: the facet, sort and foreign-key columns, the month
BUILD_INDEXES = ["timestamp", "district_code", "state", "reported_month"]


def without_serving_indexes(db: Path) -> Path:
    """A copy of the database with the indexes of datasets/complaints/serving_indexes.sql replaced by
    the single-column indexes the build makes from the metadata's facets and sort order."""
    copy = WORK / f"{db.stem}_without_serving_indexes.db"
    print(f"  copying {db} without its serving indexes", file=sys.stderr)
    shutil.copyfile(db, copy)
    conn = sqlite3.connect(copy)
    for name in SERVING_INDEXES:
        conn.execute(f"drop index if exists {name}")
    for column in BUILD_INDEXES:
        conn.execute(f"create index if not exists idx_{TABLE}_{column} on {TABLE} ({column})")
    conn.execute(f"create index if not exists idx_{TABLE}_types on {TABLE} (types)")
    conn.execute(f"analyze {TABLE}")
    conn.commit()
    conn.close()
    return copy


@dataclass
class LeverRow:
    lever: str
    endpoint: str
    with_lever: Stats | Export
    without: Stats | Export


def measure_levers(args, db: Path, s: Sample) -> list[LeverRow]:
    """Each lever off in turn (OPENBANGKOK_SERVING_OFF, or the database without the serving indexes),
    at concurrency 1, against everything on."""
    league_sql = canned_sql("complaints_district_league")
    rows: list[LeverRow] = []
    baseline: dict[str, Stats | Export] = {}
    variants = [("all on", None, db), *[(lever, lever, db) for lever in ENV_LEVERS], ("serving_indexes", None, None)]
    for label, off, variant_db in variants:
        if variant_db is None:
            variant_db = without_serving_indexes(db)
        server = site_server(variant_db, {"OPENBANGKOK_SERVING_OFF": off} if off else None)
        try:
            token, last = next_page(server.base, f"/{DB}/{TABLE}")
            next_token = {"token": token, "timestamp": last.get("timestamp"), "ticket_id": last.get("ticket_id")}
            eps = {ep.name: ep for ep in endpoints(variant_db, s, db.stem, league_sql, next_token)}
            names = (
                sorted({n for ns in LEVER_ENDPOINTS.values() for n in ns})
                if label == "all on"
                else LEVER_ENDPOINTS.get(label, [])
            )
            for name in names:
                ep = eps[name]
                with timing():
                    asyncio.run(load(server.base, [(ep, ep.site)], 1, 1, 120, True, timeout=120))
                    stats = asyncio.run(
                        load(
                            server.base, [(ep, ep.site)], 1, max(5, args.requests // 2), args.seconds, True, timeout=120
                        )
                    )
                if label == "all on":
                    baseline[name] = stats
                else:
                    rows.append(LeverRow(label, name, baseline[name], stats))
                print(f"  {label:16} {name:40} p50 {fmt(stats.pct(50))} ms {errors_text(stats)}", file=sys.stderr)
            if label in ("all on", "stream_csv", "serving_indexes"):
                timeout = args.export_timeout if label == "all on" else min(args.export_timeout, 60)
                with timing():
                    result = asyncio.run(export(server.base, f"/{DB}/{TABLE}.csv?_stream=on", s.count, timeout))
                if label == "all on":
                    baseline["CSV export"] = result
                else:
                    rows.append(LeverRow(label, "CSV export", baseline["CSV export"], result))
                print(f"  {label:16} CSV export {result}", file=sys.stderr)
        finally:
            server.stop()
            if label == "serving_indexes":
                variant_db.unlink(missing_ok=True)
    return rows


# ---------------------------------------------------------------- report


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def errors_text(stats: Stats) -> str:
    return "" if not stats.errors else "ERRORS " + "; ".join(f"{k} x{v}" for k, v in stats.errors.items())


def verdict(result: Result) -> tuple[str, list[str]]:
    ep, site, fl = result.endpoint, result.site.get(1), result.floor
    problems = []
    if site is None or not site.latencies:
        return "not measured", ["not measured"]
    p95 = site.pct(95)
    if any(stats.errors for stats in result.site.values()):
        problems.append("errors")
    if ep.target_ms is not None and p95 > ep.target_ms:
        problems.append(f"p95 {p95:.0f} > {ep.target_ms:.0f} ms")
    if ep.ratio_target and fl is not None and fl.latencies and p95 > TARGET_RATIO * fl.pct(95):
        problems.append(f"{p95 / fl.pct(95):.1f}x floor")
    return ("met" if not problems else "NOT met: " + ", ".join(problems)), problems


def report(
    args,
    db: Path,
    s: Sample,
    results: list[Result],
    exports: dict,
    soak: Stats | None,
    levers: list | None,
    load_before: str,
    load_after: str,
) -> str:
    lines = [
        "# Serving benchmark",
        "",
        f"`python benchmarks/serve.py --rows {args.rows}` on {dt.date.today().isoformat()}: "
        f"{s.count:,} complaints published from {args.rows:,} generated rows, database {s.size_mb:,.0f} MB; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"load average {load_before} before and {load_after} after (other work on the machine shows here).",
        f"Each endpoint: at most {args.requests} requests (c1) or {2 * args.requests} (c8) and at most "
        f"{args.seconds:g} s, after one unmeasured request. Latency is until the whole answer is read. "
        "ms; req/s = answers per second.",
        "",
        "| endpoint | site p50 | site p95 | req/s | c8 p50 | c8 p95 | c8 req/s | SQLite floor p50 | floor p95 "
        "| site / floor (p95) | floor + minimal request p95 | site / (floor + minimal) | stock Datasette p50 "
        "| stock p95 | stock c8 req/s | target (c1) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    minimal = MINIMAL_STATS.get(1)
    minimal_p95 = minimal.pct(95) if minimal and minimal.latencies else None
    for r in results:
        c1, c8, fl = r.site.get(1), r.site.get(8), r.floor
        p1, p8 = r.peer.get(1), r.peer.get(8)
        ratio = (c1.pct(95) / fl.pct(95)) if c1 and fl and fl.latencies and c1.latencies else None
        target, _ = verdict(r)
        with_minimal = fl.pct(95) + minimal_p95 if fl and fl.latencies and minimal_p95 is not None else None
        limit = f"p95 <= {r.endpoint.target_ms:.0f} ms" + (
            f", <= {TARGET_RATIO}x floor" if r.endpoint.ratio_target else ""
        )
        peer_cells = [fmt(p1.pct(50)), fmt(p1.pct(95)), fmt(p8.rate, 1)] if p1 and p8 else ["n/a", "n/a", "n/a"]
        if p1 and (p1.errors or (p8 and p8.errors)):
            peer_cells[1] += (
                " ("
                + "; ".join(sorted({k.split(": ", 1)[1] for k in {**p1.errors, **(p8.errors if p8 else {})}}))
                + ")"
            )
        lines.append(
            f"| {r.endpoint.name} | {fmt(c1.pct(50), 1)} | {fmt(c1.pct(95), 1)} | {fmt(c1.rate, 1)} "
            f"| {fmt(c8.pct(50), 1)} | {fmt(c8.pct(95), 1)} | {fmt(c8.rate, 1)} "
            f"| {fmt(fl.pct(50) if fl else None, 1)} | {fmt(fl.pct(95) if fl else None, 1)} | {fmt(ratio, 2)} "
            f"| {fmt(with_minimal, 1)} | {fmt(c1.pct(95) / with_minimal if with_minimal and c1.latencies else None, 2)} "
            f"| {' | '.join(peer_cells)} | {limit}: **{target}** |"
        )
    if minimal_p95 is not None:
        lines += [
            "",
            f"Minimal request (`{MINIMAL}` on the same server, no SQL of the table): p50 "
            f"{fmt(minimal.pct(50), 1)} ms, p95 {fmt(minimal_p95, 1)} ms. The floor is the SQL stock Datasette "
            'runs for the request, in SQLite alone; "floor + minimal request" adds what the cheapest answer '
            "of the same server costs (HTTP, ASGI wrappers, JSON), for comparison only: the targets above are "
            "judged as the issue words them, against the floor alone.",
        ]
    verdicts = [(r.endpoint.name, verdict(r)) for r in results]
    met = [name for name, (text, _) in verdicts if text == "met"]
    missed = [f"{name} ({', '.join(problems)})" for name, (text, problems) in verdicts if text != "met"]
    lines += [
        "",
        f"Targets as the issue words them (concurrency 1): met: {', '.join(met) or 'none'}; "
        f"**NOT met**: {'; '.join(missed) or 'none'}.",
    ]
    lines += ["", "Notes per endpoint:", ""]
    for r in results:
        errors = {k: v for st in r.site.values() for k, v in st.errors.items()}
        extra = f" Errors: {errors}." if errors else ""
        if r.endpoint.note or extra:
            lines.append(f"- {r.endpoint.name}: {r.endpoint.note}.{extra}".replace("..", "."))
    lines += [
        "",
        "## Full CSV export (`.csv?_stream=on`)",
        "",
        "| from | seconds | MB | MB/s | rows | HTTP | complete? | target |",
        "|---|--:|--:|--:|--:|---|---|---|",
    ]
    for name, label in (("site", "site"), ("floor", "SQLite + csv module (floor)"), ("peer", "stock Datasette")):
        e = exports.get(name)
        if e:
            target = ""
            if name == "site":
                ok = e.note == "complete" and e.rate >= TARGET_CSV_MBS
                target = f">= {TARGET_CSV_MBS} MB/s, every row: **{'met' if ok else 'NOT met'}**"
            lines.append(
                f"| {label} | {e.seconds:.1f} | {e.megabytes:,.0f} | {e.rate:.1f} | {fmt(e.rows)} | {e.status} "
                f"| {e.note} | {target} |"
            )
    if soak:
        lines += [
            "",
            f"## Concurrency 16 for {args.soak} s (every endpoint above but the export, in turn)",
            "",
            f"{len(soak.latencies):,} requests, {soak.rate:.1f}/s, p50 {fmt(soak.pct(50))} ms, "
            f"p95 {fmt(soak.pct(95))} ms, p99 {fmt(soak.pct(99))} ms; errors: "
            + (", ".join(f"{k} x{v}" for k, v in soak.errors.items()) or "**none**")
            + ".",
        ]
    if levers:
        lines += [
            "",
            "## What each lever of openbangkok.site.serving.serving is worth (concurrency 1, the lever off vs all on)",
            "",
            "| lever off | what it does | endpoint | p50 with it | p50 without | p95 with | p95 without |",
            "|---|---|---|--:|--:|--:|--:|",
        ]
        for row in levers:
            what = LEVER_NOTES.get(row.lever, "")
            if isinstance(row.without, Export):
                lines.append(
                    f"| {row.lever} | {what} | CSV export, MB/s | {row.with_lever.rate:.1f} | {row.without.rate:.1f} "
                    f"({row.without.note}, {fmt(row.without.rows)} rows in {row.without.seconds:.0f} s) | | |"
                )
            else:
                note = " " + errors_text(row.without) if row.without.errors else ""
                lines.append(
                    f"| {row.lever} | {what} | {row.endpoint} | {fmt(row.with_lever.pct(50), 1)} "
                    f"| {fmt(row.without.pct(50), 1)} | {fmt(row.with_lever.pct(95), 1)} "
                    f"| {fmt(row.without.pct(95), 1)}{note} |"
                )
    lines.append(CHOICES)
    return "\n".join(lines).rstrip() + "\n"


CHOICES = """
## Settings and choices (scripts/openbangkok/serve.py SETTINGS, openbangkok.site.serving.serving)

- **Facet suggestions off** (`suggest_facets: False`): the stock Datasette column above is what
  they cost on a million rows, about 3 s a table page, mostly the suggestions.
- **Immutable database** (Datasette's `is_mutable=False`): what lets the whole table's facets be
  computed once (`facet_memo`) and the counts be read from `--inspect-file` (`openbkk package`
  writes it; without it the whole table's `count(*)` is one pass over the smallest index, a few ms).
- **Facet time limit 1.5 s, SQL time limit 3 s**: with the levers above no default facet of the
  endpoints here comes near them; a facet that still runs out of time stays in the JSON marked
  `"timed_out": true` and the page says so.
- **`num_sql_threads` 4**: Datasette 0.65 runs one request's queries one after another, so threads
  only serve concurrent requests. On a mix of these endpoints at concurrency 8, 1 thread gave
  6.3 req/s, 2, 4 and 8 threads 8-10 req/s with run-to-run noise larger than their differences;
  4 kept.
- **CSV**: `allow_csv_stream` with `max_csv_mb: 0`, so an export is never cut at a size (stock
  Datasette stops at 100 MB with HTTP 200, the row count above); `stream_csv` makes it fast.
- **Cache headers**: `default_cache_ttl` 300 s, so a CDN or proxy in front answers repeated
  requests (the README's deployment section); not used in these measurements.
- **Indexes** (datasets/complaints/serving_indexes.sql): the newest-first order with the primary
  key for keyset pagination, and one covering index per filter column (district, state) carrying
  the other facet columns, one by month for the district league.
- **Exact SQL rewrites** (openbangkok.site.serving.rewrites.rewrite, on the immutable database only; each
  falls back to Datasette's own SQL if it fails; tests/test_serving_rewrites.py compares every
  answer with Datasette's for searches, filters and their combinations):
  - a search's count is the FTS index's own count (`select count(*) from complaints_fts where
    complaints_fts match ...`, 4-8 ms instead of 90-110 ms): every FTS rowid is a complaint, which
    the site checks at startup (one pass, under 1 s) and the test suite checks on the real build;
  - a search's first page, for a word in at least 1 ticket in 200, is read newest first along
    complaints_newest asking the search index about each ticket in turn (`exists (... match ...
    and rowid = complaints.rowid)`: about 2 ms instead of 130-150 ms for fetching 140,000-180,000
    matches and sorting them); if that takes over 40 ms (matches late in the order), the same walk
    against the list of matches (about 18 ms, bounded). Ties of the newest-first order come in
    ticket_id order, as on the next pages. Rarer words keep Datasette's SQL (few matches to sort);
  - facets of a search or of equality filters on district, state and types come from
    `complaints_facet_counts` (tickets per distinct district, state and types: 146,000 rows for a
    million tickets) and `complaints_facet_rows` (each ticket's combination, 12 MB), built by
    datasets/complaints/serving_precomputed.sql (about 2 s of build time): a search groups its
    matches by combination in one pass over the narrow table, a filter sums the precomputed counts
    of its combinations, and all the page's facets come from that one query (Datasette: one pass
    over the 1.9 GB table per facet). A search counts in two halves of the rowids at once (two SQL
    threads, one per core; the halves' counts are added up and ordered as SQLite orders them).
    'ไฟ': three facets 550-600 ms -> about 155 ms in one query, about 85 ms in two halves at once;
    the state filter รอรับเรื่อง 100 ms -> 45 ms; a filter's count is a sum over its combinations too.
  Together a Thai search of a common word costs its page ~2 ms, its count ~5 ms and its facets
  ~85-100 ms instead of 800-1,100 ms of SQL (in-process JSON of 'ไฟ': 820 ms -> 125 ms). Tried and
  dropped: the same facets summed in Python from
  the combinations kept in memory (180 ms against 155 ms in SQL); cache_size, temp_store and
  `pragma threads` for the grouping (no gain); a table of each array's distinct items (no gain
  until it was joined with `cross join`: complaints_facet_values).
- **Rows with labels iterated in C** (`fast_rows`): Datasette iterates a `?_labels=on` row with a
  Python generator per cell; serving.iterate_rows_in_c gives the same values through the
  dictionary's C lookup. An earlier --levers run measured nothing over HTTP (p50 72.0 ms with it,
  71.3 without) and it was dropped; the --levers run of 18:30 UTC, back to back, measured the map
  at p50 57.3 ms with it and 65.3 without (p95 60.1 and 72.8), so it is kept.
- **The floor, and what is not met**: the floor is the SQL stock Datasette runs for the request,
  in SQLite alone, with no cache across requests. The site now runs faster SQL than that for
  searches and filtered facets, so for those the site / floor ratio compares against stock
  Datasette's SQL, not against the site's own. "floor + minimal request" adds what the cheapest
  answer of the same server costs (`/-/versions.json`: HTTP, ASGI wrappers), for comparison only;
  the verdicts use the issue's wording, the floor alone. What stays NOT met, or
  near the limit: the **row page** (a primary-key lookup of 0.05 ms, so no web page is within 1.5x
  of it; its p95 against floor + minimal request is in the table); the **canned query** (a 32 ms
  query and 8-13 ms of Datasette's page around it: 1.05-1.51x across runs); **HTML pages of a
  filter** whose SQL takes 15-20 ms (1.15-1.34x at p95, up to 1.9x at p50): Datasette's
  display_columns_and_rows (about 8 ms for 1,400 cells, with the render_cell hooks of
  openbangkok/hooks/thai_dates.py, map_links.py and policy_row_labels.py) and the Jinja templates (about
  7 ms); the **map's request** (p95 83-111 ms across runs): 1,000 rows with labels and their JSON
  inside the server plus the HTTP transfer of about 2 MB.
"""


def load_average() -> str:
    try:
        return " / ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="Generated rows (duplicates included).")
    parser.add_argument("--seed", type=int, default=2024, help="Generator seed (generate_traffy.py's default).")
    parser.add_argument("--db", type=Path, help="Use this built database instead of building one.")
    parser.add_argument(
        "--requests", type=int, default=100, help="At most this many requests per endpoint at c1 (twice at c8)."
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="At most this long per endpoint and concurrency.")
    parser.add_argument("--soak", type=float, default=60.0, help="Seconds at concurrency 16 (0: skip).")
    parser.add_argument("--export-timeout", type=float, default=300.0, help="Stop an export after this long (0: skip).")
    parser.add_argument("--only", nargs="*", help="Only the endpoints whose name contains one of these words.")
    parser.add_argument("--no-peer", dest="peer", action="store_false", help="Skip stock Datasette.")
    parser.add_argument("--levers", action="store_true", help="Also measure each serving lever switched off.")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    db = args.db or prepare_database(args.rows, args.seed)
    s = sample(db)
    load_before = load_average()
    results, exports, soak = measure_all(args, db, s)
    levers = measure_levers(args, db, s) if args.levers else None
    text = report(args, db, s, results, exports, soak, levers, load_before, load_average())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
