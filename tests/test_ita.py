"""ITA results (issue 5): rules with failing fixtures, the sample against published aggregates, pages, chart."""

import csv
import shutil
import sqlite3
import sys
from collections import Counter

import pytest

from openbangkok.cli import cli
from openbangkok.model.catalog import DEFAULT_DATASETS, PROJECT_ROOT
from openbangkok.model.site_metadata import DATABASE
from openbangkok.model.sql_functions import ITA_PASS_MARK, ita_level

from .conftest import DATA, copy_datasets

FIXTURES = DATA / "ita"

# fixture folder (files overlaid on datasets/ita/): (file, row, column, type) of the one problem expected
CASES = {
    "level-mismatch": ("ita_results.csv", 3, "level", "row-constraint"),
    "score-decimals": ("ita_results.csv", 3, "score", "row-constraint"),
    "iit-over-maximum": ("ita_results.csv", 3, "iit", "row-constraint"),
    "eit-over-maximum": ("ita_results.csv", 3, "eit", "row-constraint"),
    "oit-over-maximum": ("ita_results.csv", 3, "oit", "row-constraint"),
    "components-sum": ("ita_results.csv", 3, "score", "row-constraint"),
    "components-partial": ("ita_results.csv", 3, "iit", "row-constraint"),
    "duplicate-agency-year": ("ita_results.csv", 4, "agency_code, fiscal_year_be", "primary-key"),
    "unknown-agency": ("ita_results.csv", 3, "agency_code", "foreign-key"),
    "unknown-round": ("ita_results.csv", 3, "fiscal_year_be", "foreign-key"),
    "level-not-a-level": ("ita_results.csv", 3, "level", "constraint-error"),
    "weights-not-100": ("ita_rounds.csv", 5, "oit_max", "row-constraint"),
}

# Published figures (each row's `source` in ita_results.csv cites where) the data must show as real rows:
# (agency, year) -> score
REAL = {("bma", 2562): 88.50, ("bma", 2563): 91.48, ("bma", 2566): 88.98, ("district-office-1022", 2565): 98.60}


def ita_only_copy(tmp_path, case=None):
    """The reference and ita datasets only (fast whatever other datasets exist), with a fixture overlaid."""
    copy = copy_datasets(tmp_path, "reference", "ita")
    if case:
        shutil.copytree(FIXTURES / case, copy / "ita", dirs_exist_ok=True)
    return copy


def error_lines(output):
    return [
        line
        for line in output.splitlines()
        if line and not line.startswith(("info:", "warning:", "valid:", "rebuilt:")) and "problem(s)" not in line
    ]


def test_every_fixture_has_a_case():
    assert {p.name for p in FIXTURES.iterdir()} == set(CASES)


def test_ita_datasets_are_valid(runner, tmp_path):
    result = runner.invoke(cli, ["validate", "--datasets", str(ita_only_copy(tmp_path))])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_names_file_row_column_type(runner, tmp_path, case):
    file, row, column, kind = CASES[case]
    copy = ita_only_copy(tmp_path, case)
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 1, result.output
    errors = error_lines(result.output)
    assert len(errors) == 1, result.output
    assert errors[0].startswith(f"{copy}/ita/{file}:{row}:{column or ''}: {kind}: "), result.output
    assert " / " in errors[0], "a Thai message stands beside the English one"


def test_level_mismatch_fails_the_build(runner, tmp_path):
    copy = ita_only_copy(tmp_path, "level-mismatch")
    out = tmp_path / "out.db"
    result = runner.invoke(cli, ["build", "--datasets", str(copy), "--out", str(out)])
    assert result.exit_code == 1
    assert (
        f"{copy}/ita/ita_results.csv:3:level: row-constraint: level AA does not match the score 94.99" in result.output
    )
    assert "ไม่ตรงกับคะแนน" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    "score, level",
    [
        (100, "AA"),
        (95, "AA"),
        (94.99, "A"),
        (85, "A"),
        (84.99, "B"),
        (75, "B"),
        (74.99, "C"),
        (65, "C"),
        (64.99, "D"),
        (55, "D"),
        (54.99, "E"),
        (50, "E"),
        (49.99, "F"),
        (0, "F"),
        (-0.01, None),
        (100.01, None),
    ],
)
def test_ita_level_bands(score, level):
    assert ita_level(score) == level


# --- the real data ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")  # session, not module: no xdist group of its own (cheap, read only)
def db(built_db):
    conn = sqlite3.connect(f"file:{built_db}?mode=ro", uri=True)  # the session build is shared: read it only
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def district_rows(db, year):
    return db.execute(
        "select r.* from ita_results r join agencies a using (agency_code) "
        "where a.kind = 'district office' and r.fiscal_year_be = ?",
        [year],
    ).fetchall()


def test_published_figures_are_real_rows_with_sources(db):
    for (agency, year), score in REAL.items():
        row = db.execute(
            "select * from ita_results where agency_code = ? and fiscal_year_be = ?", [agency, year]
        ).fetchone()
        assert row is not None, (agency, year)
        assert row["score"] == score and row["is_illustrative"] == 0 and row["source"].strip()
    real = db.execute("select agency_code, fiscal_year_be from ita_results where is_illustrative = 0").fetchall()
    assert {tuple(r) for r in real} == set(REAL), "every real row is a published figure listed here"


def test_sample_agrees_with_published_aggregates(db):
    for year in (2565, 2566):
        assert len(district_rows(db, year)) == 50, "all 50 district offices, once each"
    excellent = {year: sum(r["level"] == "AA" for r in district_rows(db, year)) for year in (2565, 2566)}
    assert excellent[2566] == 26, "26 of 50 districts excellent (AA) in 2566"
    assert abs(excellent[2565] - 10) <= 1, "about 10 districts excellent the year before"
    top = max(district_rows(db, 2565), key=lambda r: r["score"])
    assert (top["agency_code"], top["score"]) == ("district-office-1022", 98.60), "ภาษีเจริญ top in 2565"
    assert sum(r["score"] == 98.60 for r in district_rows(db, 2565)) == 1
    assert not district_rows(db, 2564), "district offices are assessed since 2565"


def test_illustrative_rows_say_so(db, ds):
    for row in db.execute("select * from ita_results where is_illustrative = 1"):
        assert "ILLUSTRATIVE" in row["source"] and "ตัวอย่างประกอบ" in row["source"]
    description = ds.metadata("tables", database=DATABASE)["ita_results"]["description"]
    assert "ILLUSTRATIVE" in description and "ตัวอย่างประกอบ" in description
    assert "AA" in description and "ดีเยี่ยม" in description, "what 'excellent' means is written down"


def test_derived_columns_agree(db):
    for row in db.execute("select * from ita_results"):
        assert row["fiscal_year_ce"] == row["fiscal_year_be"] - 543
        assert row["passed"] == (row["score"] >= ITA_PASS_MARK) == (ita_level(row["score"]) in ("AA", "A"))
        assert row["level"] == ita_level(row["score"])
        parts = [row["iit"], row["eit"], row["oit"]]
        if None not in parts:
            assert abs(sum(parts) - row["score"]) < 0.015


def test_committed_sample_is_what_the_generator_makes():
    sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
    try:
        import generate_ita_sample
    finally:
        sys.path.pop(0)
    with (DEFAULT_DATASETS / "ita" / "ita_results.csv").open(encoding="utf-8", newline="") as f:
        committed = list(csv.DictReader(f))
    assert generate_ita_sample.generate(DEFAULT_DATASETS) == committed


# --- the site ----------------------------------------------------------------------------------------


async def test_facet_by_level_for_a_year(ds, db):
    response = await ds.client.get(f"/{DATABASE}/ita_results.json?fiscal_year_be=2566&_facet=level")
    assert response.status_code == 200
    counts = {r["value"]: r["count"] for r in response.json()["facet_results"]["level"]["results"]}
    expected = Counter(r["level"] for r in db.execute("select level from ita_results where fiscal_year_be = 2566"))
    assert counts == dict(expected)
    assert counts["AA"] == 26


async def test_ranking_defaults_to_the_latest_year(ds):
    empty = (await ds.client.get(f"/{DATABASE}/ita_ranking.json?fiscal_year_be=&_shape=array")).json()
    latest = (await ds.client.get(f"/{DATABASE}/ita_ranking.json?fiscal_year_be=2566&_shape=array")).json()
    assert empty == latest and len(latest) == 50
    assert [r["rank"] for r in latest] == sorted(r["rank"] for r in latest) and latest[0]["rank"] == 1
    assert latest[0]["score"] == max(r["score"] for r in latest)
    older = (await ds.client.get(f"/{DATABASE}/ita_ranking.json?fiscal_year_be=2565&_shape=array")).json()
    assert older[0]["district_th"] == "ภาษีเจริญ" and older[0]["is_illustrative"] == 0


async def test_year_on_year_levels_and_below_pass_mark(ds, db):
    changes = (await ds.client.get(f"/{DATABASE}/ita_year_on_year.json?fiscal_year_be=&_shape=array")).json()
    assert len(changes) == 50 and all(r["previous_year_be"] == 2565 for r in changes)
    assert all(abs(r["change"] - (r["score"] - r["previous_score"])) < 0.006 for r in changes)
    assert [r["change"] for r in changes] == sorted(r["change"] for r in changes)
    levels = (await ds.client.get(f"/{DATABASE}/ita_levels_per_year.json?_shape=array")).json()
    assert {(r["fiscal_year_be"], r["level"]): r["district_offices"] for r in levels}[(2566, "AA")] == 26
    assert sum(r["district_offices"] for r in levels if r["fiscal_year_be"] == 2565) == 50
    below = (await ds.client.get(f"/{DATABASE}/ita_below_pass_mark.json?fiscal_year_be=&_shape=array")).json()
    expected = db.execute("select count(*) from ita_results where score < 85").fetchone()[0]
    assert len(below) == expected > 0 and all(r["score"] < 85 for r in below)
    one_year = (await ds.client.get(f"/{DATABASE}/ita_below_pass_mark.json?fiscal_year_be=2566&_shape=array")).json()
    assert {r["fiscal_year_be"] for r in one_year} == {2566}


async def test_chart_assets_only_on_the_ranking_page(ds):
    ranking = await ds.client.get(f"/{DATABASE}/ita_ranking?fiscal_year_be=2566")
    assert '<script src="/assets/ita-chart/ita-chart.js"></script>' in ranking.text
    for path in (f"/{DATABASE}/ita_results", f"/{DATABASE}/ita_levels_per_year", f"/{DATABASE}"):
        assert "ita-chart" not in (await ds.client.get(path)).text, path
    script = await ds.client.get("/assets/ita-chart/ita-chart.js")
    assert script.status_code == 200 and ".innerHTML" not in script.text and "textContent" in script.text


def test_chart_draws_the_ranking(page, live_server):
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server}/{DATABASE}/ita_ranking?fiscal_year_be=2566")
    page.wait_for_selector("#ita-chart[aria-busy=false]", timeout=10_000)
    assert page.locator("#ita-chart g.ita-row").count() == 50
    assert page.locator("#ita-chart g.ita-row.ita-illustrative").count() == 50
    assert page.locator("#ita-chart rect.ita-level-AA").count() == 26
    caption = page.locator("#ita-chart figcaption").inner_text()
    assert "2566" in caption and "ตัวอย่างประกอบ" in caption and "not official" in caption
    # every illustrative bar is marked, has no rank, and the chart carries the mark
    assert page.locator("#ita-chart g.ita-illustrative text.ita-bar-mark").count() == 50
    assert set(page.locator("#ita-chart text.ita-bar-mark").all_text_contents()) == {"ข้อมูลตัวอย่าง / ILLUSTRATIVE"}
    assert page.locator("#ita-chart text.ita-watermark").text_content() == "ข้อมูลตัวอย่าง / ILLUSTRATIVE"
    labels = page.locator("#ita-chart g.ita-illustrative text.ita-label").all_text_contents()
    assert not any(label[:1].isdigit() for label in labels), labels
    # in 2565 the one real row (ภาษีเจริญ, 98.60) keeps its rank; the sample below it has none
    page.goto(f"{live_server}/{DATABASE}/ita_ranking?fiscal_year_be=2565")
    page.wait_for_selector("#ita-chart[aria-busy=false]", timeout=10_000)
    real = page.locator("#ita-chart g.ita-row:not(.ita-illustrative) text.ita-label").all_text_contents()
    assert real == ["1  ภาษีเจริญ"]
    assert page.locator("#ita-chart g.ita-row:not(.ita-illustrative) text.ita-bar-mark").count() == 0
    # The chart ships no inline script (test above); inline scripts of Datasette's own templates are
    # plugins/templates' concern and are left to that part's tests.
    assert not [p for p in problems if not p.startswith("Executing inline script violates")], problems
