"""A reader's error pages: in Thai and English, and a plain 404 logged as one line without a traceback,
read from the log of a real `openbkk serve`, the session's shared one (their latency: benchmarks/error_pages.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from benchmarks.helpers import poll

PLAIN_404S = [
    "/no-such-page",
    "/openbangkok/no_such_table",
    "/openbangkok/districts/9999",
    "/-/datasets/no-such-dataset",
    "/-/datasets/clinics/files/no-such-file.csv",
]


def log_after(log: Path, url: str) -> int:
    """Where the log of the shared server goes on once every line before this call is written: a request
    of its own is answered and its line waited for (a thread writes the log), so lines of the tests
    before do not fall in what this test reads."""
    marker = f"/error-pages-start-{uuid.uuid4().hex}"
    assert httpx.get(url + marker, timeout=30).status_code == 404

    def written() -> int | None:
        data = log.read_bytes()
        at = data.find(f"GET {marker} -> 404".encode())
        return data.index(b"\n", at) + 1 if at >= 0 and b"\n" in data[at:] else None

    return poll(written, deadline=20, what="the server's log line of the marker request")


def test_a_plain_404_is_thai_and_english_and_logs_one_line_without_a_traceback(logged_live_server):
    url, log = logged_live_server
    start = log_after(log, url)
    for path in PLAIN_404S:
        response = httpx.get(url + path, timeout=30)
        assert response.status_code == 404, path
        page = response.text
        assert "ไม่พบ" in page or "ไม่มี" in page, path
        assert "Not found" in page or "No " in page, path
        assert "กลับไปที่" in page and "Go back to the" in page, path

    def every_line_written() -> str | None:  # a thread writes the log: wait for it, not for a fixed time
        text = log.read_bytes()[start:].decode(errors="replace")
        return text if all(f"GET {p} -> 404" in text for p in PLAIN_404S) else None

    text = poll(every_line_written, deadline=20, what="the server's log lines for the 404s")
    assert "Traceback" not in text and 'File "' not in text
    for path in PLAIN_404S:
        assert text.count(f"GET {path} -> 404") == 1, path
