"""Policy progress (issue 4): the descriptors' rules each fail on a broken file with the exact
FILE:ROW:COLUMN: TYPE, a broken update fails the build, and the sample is honest and reproducible."""

import csv
import importlib.util

import pytest
import yaml

from openbangkok.cli import cli
from openbangkok.model.catalog import DEFAULT_DATASETS, PROJECT_ROOT, load_catalog
from openbangkok.model.site_metadata import site_metadata

from .conftest import copy_datasets

POLICIES = DEFAULT_DATASETS / "policies"


@pytest.fixture
def policies_copy(tmp_path):
    """A writable copy of the policies dataset and the reference tables it points at (nothing else)."""
    return copy_datasets(tmp_path, "reference", "policies")


@pytest.fixture
def policy_rules_copy(policies_copy):
    """The same without the policy tracker's three tables, which no rule below reads: each validation
    then checks ten resources, not thirteen (test_policies_are_valid checks them all)."""
    descriptor_path = policies_copy / "policies" / "datapackage.yaml"
    descriptor = yaml.safe_load(descriptor_path.read_text(encoding="utf-8"))
    descriptor["resources"] = [r for r in descriptor["resources"] if not r["name"].startswith("policy_tracker_")]
    descriptor_path.write_text(yaml.safe_dump(descriptor, allow_unicode=True), encoding="utf-8")
    return policies_copy


def read(path):
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def row_number(rows, **match):
    """The spreadsheet row number (header = 1) of the first row with these values."""
    index = next(i for i, row in enumerate(rows) if all(row[k] == v for k, v in match.items()))
    return index + 2


def change(copy, file, match, **values):
    """Changes the first row of datasets/policies/<file> that matches; returns its row number."""
    path = copy / "policies" / file
    rows = read(path)
    number = row_number(rows, **match)
    rows[number - 2].update(values)
    write(path, rows)
    return number


def errors(runner, copy, command="validate"):
    result = runner.invoke(
        cli, [command, "--datasets", str(copy)] + (["--out", str(copy.parent / "out.db")] if command == "build" else [])
    )
    lines = [
        line
        for line in result.output.splitlines()
        if not line.startswith(("info:", "warning:")) and "/datasets/" in line
    ]
    return result.exit_code, lines


PRIDE_DEC_2022 = {"kpi_id": "K0001", "report_month": "2022-12"}  # policy_updates.csv row 3
# case: (file, the row to change, new values, COLUMN, TYPE expected at that row)
CHANGES = {
    "progress_over_100": (
        "policy_updates.csv",
        PRIDE_DEC_2022,
        {"progress_percent": "120"},
        "progress_percent",
        "constraint-error",
    ),
    "unknown_policy": ("policy_updates.csv", PRIDE_DEC_2022, {"policy_id": "P999"}, "policy_id", "foreign-key"),
    "unknown_kpi": ("policy_updates.csv", PRIDE_DEC_2022, {"kpi_id": "K9999"}, "kpi_id", "foreign-key"),
    "kpi_of_other_policy": ("policy_updates.csv", PRIDE_DEC_2022, {"policy_id": "P003"}, "kpi_id", "foreign-key"),
    # a Buddhist-era month (2565-12) is read as 2022-12 (test_validate); a 13th month is not a month
    "month_that_does_not_exist": (
        "policy_updates.csv",
        PRIDE_DEC_2022,
        {"report_month": "2022-13"},
        "report_month",
        "constraint-error",
    ),
    "second_lead": ("policy_agencies.csv", {"policy_id": "P001", "role": "R"}, {"role": "H"}, "role", "unique-error"),
    "unknown_agency": (
        "policy_agencies.csv",
        {"policy_id": "P001", "role": "H"},
        {"agency_code": "fire-brigade"},
        "agency_code",
        "foreign-key",
    ),
    "unknown_role": (
        "policy_agencies.csv",
        {"policy_id": "P001", "role": "R"},
        {"role": "S"},
        "role",
        "constraint-error",
    ),
    "unknown_dimension": (
        "policies.csv",
        {"policy_id": "P002"},
        {"dimension": "wellbeing"},
        "dimension",
        "foreign-key",
    ),
    "unknown_status": ("policies.csv", {"policy_id": "P002"}, {"status": "done"}, "status", "constraint-error"),
    "kpi_of_unknown_policy": (
        "policy_kpis.csv",
        {"kpi_id": "K0001"},
        {"policy_id": "P999"},
        "policy_id",
        "foreign-key",
    ),
    "kpi_without_source": ("policy_kpis.csv", {"kpi_id": "K0001"}, {"source": ""}, "source", "constraint-error"),
}


def apply_change(case):
    file, match, values, column, kind = CHANGES[case]
    return lambda copy: (file, change(copy, file, match, **values), column, kind)


def duplicate_month(copy):
    path = copy / "policies" / "policy_updates.csv"
    rows = read(path)
    rows.append(dict(rows[0], value="12"))
    write(path, rows)
    return "policy_updates.csv", len(rows) + 1, "report_month", "unique-error"


def real_figure_on_illustrative_policy(copy):
    rows = read(copy / "policies" / "policy_updates.csv")
    update = rows[[r["is_illustrative"] for r in rows].index("1")]
    match = {"kpi_id": update["kpi_id"], "report_month": update["report_month"]}
    return (
        "policy_updates.csv",
        change(copy, "policy_updates.csv", match, is_illustrative="0"),
        "is_illustrative",
        "row-constraint",
    )


def no_lead(copy):
    path = copy / "policies" / "policy_agencies.csv"
    write(path, [r for r in read(path) if r["policy_id"] != "P006"])
    return (
        "policies.csv",
        row_number(read(copy / "policies" / "policies.csv"), policy_id="P006"),
        "policy_id",
        "row-constraint",
    )


BREAKS = {
    **{case: apply_change(case) for case in CHANGES},
    "duplicate_month": duplicate_month,
    "real_figure_on_illustrative_policy": real_figure_on_illustrative_policy,
    "no_lead": no_lead,
}


@pytest.mark.slow
def test_policies_are_valid(runner, policies_copy):
    code, lines = errors(runner, policies_copy)
    assert code == 0 and lines == []


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_rule_fails_with_file_row_column_type(runner, policy_rules_copy, case):
    file, row, column, kind = BREAKS[case](policy_rules_copy)
    code, lines = errors(runner, policy_rules_copy)
    expected = f"{policy_rules_copy}/policies/{file}:{row}:{column}: {kind}: "
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(expected), "\n".join(lines)
    assert " / " in lines[0], "a Thai message stands beside the English one"


def test_broken_update_fails_the_build(runner, policy_rules_copy):
    """An update pointing at an unknown policy and one at 120 percent: no database, both lines reported."""
    _, unknown_row, _, _ = BREAKS["unknown_policy"](policy_rules_copy)
    over_row = change(
        policy_rules_copy, "policy_updates.csv", {"kpi_id": "K0001", "report_month": "2023-09"}, progress_percent="120"
    )
    code, lines = errors(runner, policy_rules_copy, "build")
    updates = f"{policy_rules_copy}/policies/policy_updates.csv"
    assert code == 1
    assert any(
        line.startswith(
            f'{updates}:{unknown_row}:policy_id: foreign-key: policy_id "P999" is not in the table policies'
        )
        for line in lines
    ), lines
    assert any(
        line.startswith(f"{updates}:{over_row}:progress_percent: constraint-error: expected at most 100")
        for line in lines
    ), lines
    assert not (policy_rules_copy.parent / "out.db").exists()


def test_sample_is_reproducible(tmp_path):
    """scripts/generate_policy_sample.py writes exactly the committed CSVs."""
    spec = importlib.util.spec_from_file_location(
        "generate_policy_sample", PROJECT_ROOT / "scripts" / "generate_policy_sample.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "policies").mkdir()
    module.main(tmp_path)
    written = sorted(p.name for p in (tmp_path / "policies").iterdir())
    # the policy tracker's tables are scripts/generate_policy_tracker.py's (test_policy_tracker.py)
    assert written == sorted(p.name for p in POLICIES.glob("*.csv") if not p.name.startswith("policy_tracker_"))
    for name in written:
        assert (tmp_path / "policies" / name).read_bytes() == (POLICIES / name).read_bytes(), name


# ---------- data honesty, checked on the built database ----------

# Every policy the press releases name: (words of its English title, how its source is cited: the
# release's public address, or its title where no address was found).
S000, S001, S002, S004 = (
    "99 วัน ส่งการบ้านให้คนกรุง",
    "https://pr-bangkok.com/?p=27019",
    "https://pr-bangkok.com/?p=178020",
    "SMART NEWS",
)
FACTS_POLICIES = [
    ("BKK Risk Map", S000),
    ("Pride Clinic", S000),
    ("Long COVID", S000),
    ("disability", S000),
    ("Primary-care sandboxes", S000),
    ("One Stop Service", S000),
    ("Zero-based budgeting", S001),
    ("Food Bank", S004),
    ("sanitary pads", S004),
    ("Baan Mankong", S004),
    ("Telemedicine", S001),
    ("Smart OPD", S002),
]


@pytest.fixture
def db(built_conn):
    return built_conn


@pytest.mark.parametrize("title, seed", FACTS_POLICIES)
def test_every_policy_facts_names_is_a_real_row_with_its_source(db, title, seed):
    rows = db.execute("select * from policies where title_en like ?", [f"%{title}%"]).fetchall()
    assert len(rows) == 1, title
    row = rows[0]
    assert row["is_illustrative"] == 0
    assert seed in row["source"]
    assert row["dimension_basis"] in ("source", "team")


def test_illustrative_rows_say_so(db):
    real = db.execute("select count(*) from policies where is_illustrative = 0").fetchone()[0]
    assert db.execute("select count(*) from policies").fetchone()[0] == 216
    assert real == 13
    assert (
        db.execute(
            "select count(*) from policies where is_illustrative = 1 and (title_th not like '%illustrative%'"
            " or dimension_basis != 'illustrative' or source not like '%ILLUSTRATIVE%')"
        ).fetchone()[0]
        == 0
    )
    # no illustrative KPI or update on a real policy
    assert (
        db.execute(
            "select count(*) from policy_updates u join policies p using (policy_id)"
            " where p.is_illustrative = 0 and u.is_illustrative = 1"
        ).fetchone()[0]
        == 0
    )
    assert (
        db.execute(
            "select count(*) from policy_kpis k join policies p using (policy_id)"
            " where p.is_illustrative = 0 and k.is_illustrative = 1"
        ).fetchone()[0]
        == 0
    )


def test_the_banner_agrees_with_the_data(db):
    tables = site_metadata(load_catalog(DEFAULT_DATASETS))["databases"]["openbangkok"]["tables"]
    banner = tables["policies"]["description_html"]
    real = db.execute("select count(*) from policies where is_illustrative = 0").fetchone()[0]
    total = db.execute("select count(*) from policies").fetchone()[0]
    assert f"{total - real} of the {total} policies" in banner and f"Only the {real} policies" in banner
    assert f"นโยบาย {total - real} จาก {total} ข้อ" in banner and f"มีเพียง {real} นโยบาย" in banner
    kpis = db.execute("select count(*) from policy_kpis where is_illustrative = 0").fetchone()[0]
    updates = db.execute("select count(*) from policy_updates where is_illustrative = 0").fetchone()[0]
    assert f"the {kpis} real ones" in tables["policy_kpis"]["description_html"]
    assert f"the {updates} real rows" in tables["policy_updates"]["description_html"]


@pytest.mark.parametrize(
    "kpi, month, value, progress",
    [
        ("K0001", "2022-09", 11, 68.75),  # Pride clinics: 11 of 16 planned (000, 001)
        ("K0001", "2023-09", 24, 100),  # 24 sites in Sept 2023 (siamrath, public reporting)
        ("K0002", "2022-09", 9, None),  # Long COVID clinics in 9 hospitals
        ("K0003", "2022-09", 4946, None),  # Saturday clinics served 4,946
        ("K0004", "2022-09", 16961, None),  # 608 group vaccinated 16,961
        ("K0005", "2022-12", 9, 81.82),  # one-stop disability centres 9 of 11
        ("K0009", "2022-12", 9, 81.82),  # telemedicine 9 of 11
        ("K0010", "2023-09", 11, 100),  # Smart OPD links all 11 hospitals
    ],
)
def test_real_figures_are_the_published_ones(db, kpi, month, value, progress):
    row = db.execute("select * from policy_updates where kpi_id = ? and report_month = ?", [kpi, month]).fetchone()
    assert row["is_illustrative"] == 0 and row["value"] == value and row["progress_percent"] == progress
    assert "BMA press release" in row["source"] or "siamrath.co.th" in row["source"]


def test_every_policy_has_exactly_one_lead_and_the_derived_columns(db):
    assert db.execute("select count(*) from policies where lead_agency_code is null").fetchone()[0] == 0
    pride = db.execute("select * from policies where policy_id = 'P002'").fetchone()
    assert (
        pride["lead_agency_code"],
        pride["supporting_agencies"],
        pride["kpi_count"],
        pride["latest_report_month"],
        pride["progress_percent"],
    ) == ("health", "สำนักการแพทย์", 1, "2023-09", 100)


def test_progress_by_dimension_view(db):
    rows = db.execute("select * from policy_progress_by_dimension").fetchall()
    assert [r["dimension_number"] for r in rows] == list(range(1, 10))
    assert sum(r["policies"] for r in rows) == 216
    assert all(r["not_started"] + r["in_progress"] + r["achieved"] + r["on_hold"] == r["policies"] for r in rows)
