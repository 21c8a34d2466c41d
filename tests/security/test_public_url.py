"""Links never follow a forged Host header once the site knows its public URL
(openbangkok.site.security.public_url, `openbkk serve --public-url`)."""

from __future__ import annotations

import sqlite3

import pytest

from openbangkok.cli import cli
from openbangkok.model.catalog import DEFAULT_DATASETS
from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.app import make_datasette
from openbangkok.site.security.public_url import read_public_url

FORGED = {"host": "attacker.example"}
PUBLIC = "https://data.example.org"


@pytest.fixture(scope="module")
def public_ds(built_db):
    return make_datasette(built_db, DEFAULT_DATASETS, public_url=PUBLIC)


async def links(ds) -> list[str]:
    """Absolute links the site writes: a table's next page, the data package's paths, the sitemap."""
    page = (await ds.client.get(f"/{DATABASE}/complaints.json?_size=1", headers=FORGED)).json()
    package = (await ds.client.get("/-/datapackage.json", headers=FORGED)).json()
    sitemap = (await ds.client.get("/sitemap.xml", headers=FORGED)).text
    return [page["next_url"], package["resources"][0]["path"], sitemap]


async def test_links_follow_the_host_header_without_a_public_url(ds):
    # what the lever is for: without it, the forged host is written into the answer
    assert all("attacker.example" in link for link in await links(ds))


async def test_links_use_the_public_url_whatever_the_host_header(public_ds):
    found = await links(public_ds)
    assert all("attacker.example" not in link for link in found)
    assert found[0].startswith(f"{PUBLIC}/{DATABASE}/complaints.json?")
    assert found[1].startswith(f"{PUBLIC}/")
    assert f"<loc>{PUBLIC}/" in found[2]


@pytest.mark.parametrize(
    "text",
    [
        "data.example.org",
        "ftp://data.example.org",
        "https://",
        "https://data.example.org/sub",
        "https://u@h.org",
        "https://data.example.org/?x=1",
        "javascript:alert(1)",
    ],
)
def test_a_public_url_is_a_scheme_and_a_host_only(text, runner, tmp_path):
    with pytest.raises(ValueError, match="scheme and host only"):
        read_public_url(text)
    db = tmp_path / "openbangkok.db"  # a database to serve wherever the tests run (build/ may hold none)
    sqlite3.connect(db).close()
    result = runner.invoke(cli, ["serve", "--db", str(db), "--public-url", text])  # refused before anything is served
    assert result.exit_code == 2 and "scheme and host only" in result.output


def test_a_public_url_keeps_its_port():
    assert read_public_url("HTTP://Data.Example.org:8443/") == ("http", "data.example.org:8443")
