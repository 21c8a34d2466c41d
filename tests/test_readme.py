"""Every site address the README shows a reader answers 200: the documentation is checked, not trusted."""

import asyncio
import re
import subprocess
import sys

import httpx
import pytest

from openbangkok.model.catalog import PROJECT_ROOT

from .held_client import HeldClient

ADDRESS = re.compile(r"(?:http://127\.0\.0\.1:8001)?(/(?:openbangkok|-|api/3/action)[^\s'`\"<>)]*)")


def documented_paths() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    paths = {m.group(1).rstrip(".,;:") for m in ADDRESS.finditer(text)}
    # prose fragments such as "/openbangkok/complaints/<ticket_id>" end in a slash or a dash
    return sorted(p for p in paths if not p.endswith(("/", "-")) and "<" not in p)


def test_readme_shows_addresses():
    assert len(documented_paths()) >= 20


async def first_block(app, path: str) -> tuple[int, bytes]:
    """The status and the first block of the body of `path`, then the client hangs up: the whole
    database and the whole table's streams are proved to start, not read to their end."""
    held = HeldClient(app, httpx.URL(path).raw_path.decode("ascii"))  # percent-encoded as a client sends it
    await asyncio.wait_for(held.first_block.wait(), 120)
    start, *body = await held.close()
    return start["status"], next((m.get("body", b"") for m in body if m["type"] == "http.response.body"), b"")


@pytest.mark.slow
async def test_every_documented_address_answers(ds):
    app, failures = ds.app(), []
    for path in documented_paths():
        status, body = await first_block(app, path)
        if status != 200 or not body:
            failures.append(f"{path}: {status}, {len(body)} bytes")
    assert not failures, failures


async def test_the_pagination_example_reads_page_2(ds):
    """The README's `_next=` example is the token page 1 gives: `_next=20` read page 1 again."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"(/openbangkok/\S+?)&_next=([^\s'&]+)", text)
    assert examples
    for first_page, token in examples:
        page_1 = (await ds.client.get(first_page)).json()
        assert page_1["next"] == token, first_page
        page_2 = (await ds.client.get(f"{first_page}&_next={token}")).json()
        assert page_2["rows"] and page_2["rows"][0] not in page_1["rows"]


def test_the_command_line_reference_is_current():
    """README's `openbkk ... --help` blocks are what the commands print (cog; `cog -r README.md` rewrites them)."""
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "README.md"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
