"""Measuring the serving benchmark's endpoints (benchmarks/serve.py): clients at a concurrency over
HTTP, the SQL floor in SQLite, the CSV export, the servers started on loopback."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from helpers import free_port, stop  # shared with the tests
from serve_endpoints import Endpoint, check, columns_of, endpoints
from serve_setup import DB, MINIMAL, MINIMAL_STATS, TABLE, WORK, Sample, canned_sql, timing

from openbangkok.site.serving import serving


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


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def errors_text(stats: Stats) -> str:
    return "" if not stats.errors else "ERRORS " + "; ".join(f"{k} x{v}" for k, v in stats.errors.items())
