"""A reader's error pages: in Thai and English, and a plain 404 logged as one line without a traceback,
read from the log of a real `openbkk serve` (their latency: benchmarks/error_pages.py)."""

from __future__ import annotations

import httpx
import pytest

from benchmarks.helpers import poll, serve, stop

PLAIN_404S = [
    "/no-such-page",
    "/openbangkok/no_such_table",
    "/openbangkok/districts/9999",
    "/-/datasets/no-such-dataset",
    "/-/datasets/clinics/files/no-such-file.csv",
]


@pytest.fixture(scope="module")
def logged_server(built_db, tmp_path_factory):
    log = tmp_path_factory.mktemp("error-pages") / "server.log"
    process, url = serve(built_db, log=log)
    yield url, log
    stop(process)


def test_a_plain_404_is_thai_and_english_and_logs_one_line_without_a_traceback(logged_server):
    url, log = logged_server
    for path in PLAIN_404S:
        response = httpx.get(url + path, timeout=30)
        assert response.status_code == 404, path
        page = response.text
        assert "ไม่พบ" in page or "ไม่มี" in page, path
        assert "Not found" in page or "No " in page, path
        assert "กลับไปที่" in page and "Go back to the" in page, path

    def every_line_written() -> str | None:  # a thread writes the log: wait for it, not for a fixed time
        text = log.read_text(errors="replace")
        return text if all(f"GET {p} -> 404" in text for p in PLAIN_404S) else None

    text = poll(every_line_written, deadline=20, what="the server's log lines for the 404s")
    assert "Traceback" not in text and 'File "' not in text
    for path in PLAIN_404S:
        assert text.count(f"GET {path} -> 404") == 1, path
