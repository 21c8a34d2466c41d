"""openbkk fetch traffy against a local HTTP server on 127.0.0.1 that serves saved pages: offset
paging, the last page, a failing page, a slow page, resuming after an interruption, pages written as
delivered, and `openbkk build` publishing what was fetched."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from openbangkok.adapters.traffy.fetch import USER_AGENT, FetchError, Politeness, fetch_pages
from openbangkok.cli import cli

from .test_complaints import rows
from .traffy_files import PAGES, datasets_with_pages, page, record

REAL_PAGES = Path(__file__).resolve().parents[1] / "datasets" / "complaints" / PAGES


class Api:
    """A stand-in for Traffy Fondue's search API: {offset: body}; `script` gives, per offset, what
    the next requests get before the body: an HTTP status to answer with, or a delay in seconds."""

    def __init__(self, pages: dict[int, bytes], script: dict[int, list] | None = None):
        self.pages, self.script, self.requests = pages, script or {}, []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                offset = int(query.get("offset", ["0"])[0])
                api.requests.append((offset, self.headers.get("User-Agent")))
                step = api.script.get(offset, [])
                action = step.pop(0) if step else None
                if isinstance(action, int):
                    self.send_response(action)
                    if action == 503:
                        self.send_header("Retry-After", "3")
                    self.end_headers()
                    return
                if isinstance(action, float):
                    time.sleep(action)  # a slow page: the subject of the test, not a wait for it
                body = api.pages.get(offset, json.dumps(page([], total=api.total)).encode())
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/share/teamchadchart/search"
        self.total = None

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def small_api(**script) -> Api:
    """7 tickets, 3 a page, offsets stepping by 2 (pages overlap by one ticket, as 950 and 1,000 do)."""
    tickets = [record(f"2022-TICKE{n}", comment=f"เรื่องที่ {n}") for n in range(7)]
    pages = {
        offset: json.dumps(page(tickets[offset : offset + 3], total=7), indent=4).encode() for offset in (0, 2, 4, 6)
    }
    api = Api(pages, {int(k[1:]): v for k, v in script.items()})
    api.total = 7
    return api


def test_pages_stepping_by_the_offset_until_the_last_ticket(tmp_path):
    sleeps = []
    with small_api() as api:
        fetched = fetch_pages(api.url, tmp_path, Politeness(step=2, pause=1.5), log=lambda _: None, sleep=sleeps.append)
    assert fetched.pages == [0, 2, 4] and fetched.total == 7  # offset 4 holds tickets 4-6: the last
    assert [offset for offset, _ in api.requests] == [0, 2, 4]
    assert {agent for _, agent in api.requests} == {USER_AGENT}
    assert sleeps == [1.5, 1.5]  # a pause between pages, none after the last
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "search_offset_0.json",
        "search_offset_2.json",
        "search_offset_4.json",
    ]
    assert (tmp_path / "search_offset_2.json").read_bytes() == api.pages[2]  # as delivered


def test_a_failing_page_is_asked_again_after_a_growing_pause(tmp_path):
    sleeps = []
    with small_api(o2=[503, 500]) as api:  # 503 says Retry-After: 3; 500 says nothing
        fetch_pages(
            api.url, tmp_path, Politeness(step=2, pause=0, backoff=0.5), log=lambda _: None, sleep=sleeps.append
        )
    assert [offset for offset, _ in api.requests] == [0, 2, 2, 2, 4]
    assert sleeps == [3.0, 1.0]  # the server's Retry-After (more than 0.5), then the back-off doubled
    assert (tmp_path / "search_offset_2.json").exists()


def test_a_slow_page_within_the_timeout_is_fetched_and_one_past_it_is_retried(tmp_path):
    with small_api(o2=[1.0], o4=[0.3]) as api:
        fetch_pages(
            api.url,
            tmp_path,
            Politeness(step=2, pause=0, backoff=0, timeout=0.8),
            log=lambda _: None,
            sleep=lambda _: None,
        )
    assert [offset for offset, _ in api.requests] == [0, 2, 2, 4]  # offset 2 timed out once; 4 was slow enough
    assert (tmp_path / "search_offset_4.json").exists()


def fetch_args(datasets, api: Api, *extra: str) -> list[str]:
    """`openbkk fetch traffy` against the small API, its pages 2 apart, without pauses."""
    return [
        *["fetch", "traffy", "--step", "2", "--pause", "0", "--backoff", "0"],
        "--datasets",
        str(datasets),
        "--url",
        api.url,
        *extra,
    ]


def test_an_interrupted_fetch_resumes_and_replaces_the_pages_only_when_complete(tmp_path, runner):
    datasets = datasets_with_pages(tmp_path, {"search_offset_0.json.gz": page([record("2022-OLDONE")])})
    folder = datasets / "complaints" / PAGES
    with small_api(o4=[503] * 3) as api:
        first = runner.invoke(cli, fetch_args(datasets, api, "--retries", "2"))
        assert first.exit_code == 1, first.output
        assert "the page at offset 4 failed 3 times" in first.output and "resume" in first.output
        # the published pages are as they were; the fetched ones wait in the hidden work folder
        assert sorted(p.name for p in folder.iterdir()) == [".fetching", "search_offset_0.json.gz"]
        api.requests.clear()
        second = runner.invoke(cli, fetch_args(datasets, api))
        assert second.exit_code == 0, second.output
    assert "resuming at offset 4" in second.output
    assert [offset for offset, _ in api.requests] == [4]  # pages 0 and 2 were not fetched again
    assert sorted(p.name for p in folder.iterdir()) == [
        "search_offset_0.json",
        "search_offset_2.json",
        "search_offset_4.json",
    ]
    built = runner.invoke(cli, ["build", "--datasets", str(datasets), "--out", str(tmp_path / "x.db")])
    assert built.exit_code == 0, built.output
    tickets = [r["ticket_id"] for r in rows(tmp_path / "x.db", "select ticket_id from complaints order by 1")]
    assert tickets == [f"2022-TICKE{n}" for n in range(7)]  # each once; the old page is gone


def test_the_saved_pages_fetched_as_delivered_and_gzipped(tmp_path):
    """Real pages: the third party's indented pages, served as they are; --max-pages stops early."""
    import gzip

    served = {
        int(p.name.split("_")[-1].split(".")[0]): gzip.decompress(p.read_bytes()) for p in sorted(REAL_PAGES.iterdir())
    }
    with Api(served) as api:
        fetched = fetch_pages(
            api.url, tmp_path, Politeness(pause=0, max_pages=2), gzipped=True, log=lambda _: None, sleep=lambda _: None
        )
    assert fetched.pages == [0, 950] and fetched.total == 192132
    assert [offset for offset, _ in api.requests] == [0, 950]
    assert gzip.decompress((tmp_path / "search_offset_950.json.gz").read_bytes()) == served[950]


@pytest.mark.parametrize(
    "body", [b"<html>502 Bad Gateway</html>", b'{"status": false, "results": []}', b'{"status": true, "total": 7}']
)
def test_an_answer_that_is_not_a_page_is_a_failure(tmp_path, body):
    with Api({0: body}) as api, pytest.raises(FetchError, match="the page at offset 0 failed 2 times"):
        fetch_pages(
            api.url, tmp_path, Politeness(pause=0, retries=1, backoff=0), log=lambda _: None, sleep=lambda _: None
        )
    assert not any(p.name.endswith(".json") for p in tmp_path.iterdir())
