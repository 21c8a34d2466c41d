"""Fetching a source's pages from its publisher, politely: Traffy Fondue's public API.

    openbkk fetch traffy           (then `openbkk build` publishes what it fetched)

The API answers `GET <url>?offset=N` with a page of tickets, newest first. Pages are asked for at
offsets 0, 950, 1900, ... (the step its own clients use; pages of 1,000 overlap, and the dedupe rule
of adapters/traffy/api_pages.py publishes each ticket once), one at a time, with a pause between
them, until a page holds the last ticket (offset + tickets >= total), comes back empty or shorter
than the first, or --max-pages is reached. A page that fails (an HTTP error, a timeout, an answer
that is not the API's JSON) is asked for again after 2, 4, 8, ... seconds (longer when the
server's Retry-After says so), up to --retries times; then the fetch stops with a message, and the
next run resumes at that page.

Each page is written as it was delivered (its bytes, or gzipped with --gzip) into a hidden folder
beside the pages (`.fetching/`, with the state that resuming reads); the build ignores it. Only when
the last page is in are the pages that were there replaced by the new ones, so a build never mixes
two fetches and an interrupted fetch leaves the published pages as they were. Nothing else changes.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openbangkok.adapters.traffy.api_pages import pages_of

WORK = ".fetching"
STATE = "state.json"
USER_AGENT = "openbkk-fetch/0.1 (Open Bangkok open-data platform; one page at a time)"
MAX_RETRY_AFTER = 300.0  # seconds: a longer Retry-After is waited for this long at most


class FetchError(Exception):
    """The fetch stopped; the message says where and how to go on."""


class NotAPage(ValueError):
    """An answer that is not a page of the API (an error page, an error answer)."""


@dataclass
class Politeness:
    step: int = 950  # offsets 0, step, 2 x step, ...
    pause: float = 2.0  # seconds between pages
    retries: int = 5  # tries after the first, per page
    backoff: float = 2.0  # seconds before the first retry, doubled each time
    timeout: float = 60.0  # seconds a page may take
    max_pages: int | None = None


@dataclass
class Fetched:
    pages: list[int] = field(default_factory=list)  # offsets written, this run and the runs it resumed
    total: int | None = None
    resumed_at: int | None = None


def page_url(url: str, offset: int) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "offset"] + [("offset", str(offset))]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def checked_page(data: bytes) -> dict:
    """The page's answer; ValueError when it is not the API's JSON."""
    page = json.loads(data.decode("utf-8-sig"))
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise NotAPage('the answer has no "results" list')
    if page.get("status") is False:
        raise NotAPage('the API answered "status": false')
    return page


def retry_after(error: Exception) -> float | None:
    headers = getattr(error, "headers", None)
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return min(float(value), MAX_RETRY_AFTER) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the back-off decides


def get_page(
    url: str, offset: int, polite: Politeness, sleep: Callable[[float], None], log: Callable[[str], None]
) -> tuple[bytes, dict]:
    """(bytes as delivered, answer) of the page at `offset`, after retries; raises FetchError."""
    address = page_url(url, offset)
    request = urllib.request.Request(address, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    for attempt in range(polite.retries + 1):
        try:
            with urllib.request.urlopen(request, timeout=polite.timeout) as response:
                data = response.read()
            return data, checked_page(data)
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            if attempt == polite.retries:
                raise FetchError(
                    f"the page at offset {offset} failed {attempt + 1} times ({reason}); "
                    f"run the command again to resume at it"
                ) from error
            delay = max(retry_after(error) or 0.0, polite.backoff * 2**attempt)  # Retry-After: at least
            log(f"offset {offset}: {reason}; again in {delay:g} s")
            sleep(delay)
    raise AssertionError("unreachable")


def write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def fetch_pages(
    url: str,
    folder: Path,
    polite: Politeness | None = None,
    gzipped: bool = False,
    log: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> Fetched:
    """Fetches every page into `folder` (see the module docstring); resumes an interrupted fetch."""
    polite = polite or Politeness()
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / WORK
    state_path = work / STATE
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else None
    if state is not None and (state.get("url"), state.get("step")) == (url, polite.step):
        fetched = Fetched(state["pages"], state.get("total"), resumed_at=state["next_offset"])
        offset, page_size = state["next_offset"], state.get("page_size")
        log(f"resuming at offset {offset} ({len(fetched.pages)} pages fetched before)")
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        fetched, offset, page_size = Fetched(), 0, None
    while polite.max_pages is None or len(fetched.pages) < polite.max_pages:
        data, page = get_page(url, offset, polite, sleep, log)
        results = page["results"]
        if not results:
            break  # past the last ticket
        name = f"search_offset_{offset}.json" + (".gz" if gzipped else "")
        write_atomically(work / name, gzip.compress(data, mtime=0) if gzipped else data)
        fetched.pages.append(offset)
        fetched.total = page.get("total") if isinstance(page.get("total"), int) else fetched.total
        page_size = page_size or len(results)
        last = (fetched.total is not None and offset + len(results) >= fetched.total) or len(results) < page_size
        offset += polite.step
        write_atomically(
            state_path,
            json.dumps(
                {
                    "url": url,
                    "step": polite.step,
                    "next_offset": offset,
                    "pages": fetched.pages,
                    "total": fetched.total,
                    "page_size": page_size,
                }
            ).encode(),
        )
        log(f"offset {offset - polite.step}: {len(results)} tickets (the API holds {fetched.total})")
        if last:
            break
        if polite.pause:
            sleep(polite.pause)
    publish(work, folder)
    return fetched


def publish(work: Path, folder: Path) -> None:
    """The fetched pages in place of those there were; the work folder removed."""
    old, _ = pages_of(folder)
    for _, path in old:
        path.unlink()
    for path in sorted(work.iterdir()):
        if path.name != STATE and not path.name.startswith("."):
            os.replace(path, folder / path.name)
    shutil.rmtree(work)
