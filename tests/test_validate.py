"""openbkk validate: each kind of broken file is reported as the exact FILE:ROW:COLUMN: TYPE."""

import csv
import io
import json
import os
import shutil

import pytest

from openbangkok.cli import cli

from .conftest import DATA, copy_datasets

CASES = {
    # fixture folder: (row, column, type) expected in sample/places.csv
    "type-error": (2, "visitors", "type-error"),
    "constraint-required": (2, "name_th", "constraint-error"),
    "constraint-enum": (2, "status", "constraint-error"),
    "constraint-maximum": (2, "visitors", "constraint-error"),
    "constraint-pattern": (2, "phone_code", "constraint-error"),
    "unique-error": (3, "name_th", "unique-error"),
    "missing-cell": (2, "closed_on", "missing-cell"),
    "extra-cell": (2, None, "extra-cell"),
    "blank-row": (3, None, "blank-row"),
    "primary-key": (3, "place_id", "primary-key"),
    "foreign-key": (2, "kind_code", "foreign-key"),
    "missing-label": (1, "closed_on", "missing-label"),
    "extra-label": (1, "remark", "extra-label"),
    "duplicate-label": (1, "opened_on", "duplicate-label"),
    "incorrect-label": (1, "visiters", "incorrect-label"),
    "date-does-not-exist": (2, "opened_on", "type-error"),
    "row-rule": (2, "closed_on", "row-constraint"),
    "encoding-error": (2, None, "encoding-error"),
}


def broken_copy(tmp_path, case):
    copy = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", copy)
    shutil.copytree(DATA / "invalid" / case, copy, dirs_exist_ok=True)
    return copy


def hotline_copy(tmp_path):
    """reference and complaints, whose hotline_1555_monthly.csv these tests are about; the Traffy
    Fondue pages beside it cut to the first, as they would all be validated too, for nothing."""
    copy = copy_datasets(tmp_path, "reference", "complaints")
    pages = sorted((copy / "complaints" / "traffy_api").iterdir())
    for extra in pages[1:]:
        extra.unlink()
    return copy


def test_valid_fixture_is_valid(runner):
    result = runner.invoke(cli, ["validate", "--datasets", str(DATA / "valid")])
    assert result.exit_code == 0, result.output
    assert "valid: 3 resource(s)" in result.output


def test_every_invalid_fixture_has_a_case():
    assert {p.name for p in (DATA / "invalid").iterdir()} == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_problem_names_file_row_column_type(runner, tmp_path, case):
    row, column, kind = CASES[case]
    copy = broken_copy(tmp_path, case)
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 1, result.output
    expected = f"{copy}/sample/places.csv:{row}:{column or ''}: {kind}: "
    errors = [line for line in result.output.splitlines() if not line.startswith("info:")][:-1]
    assert len(errors) == 1 and errors[0].startswith(expected), result.output
    assert " / " in errors[0], "a Thai message stands beside the English one"


@pytest.mark.parametrize("case", ["type-error", "foreign-key", "missing-label"])
def test_json_output_names_the_same_cell(runner, tmp_path, case):
    row, column, kind = CASES[case]
    copy = broken_copy(tmp_path, case)
    result = runner.invoke(cli, ["validate", "--json", "--datasets", str(copy)])
    assert result.exit_code == 1
    problems = [p for p in json.loads(result.stdout) if p["severity"] == "error"]
    assert [(p["file"], p["row"], p["column"], p["type"]) for p in problems] == [
        (f"{copy}/sample/places.csv", row, column, kind)
    ]
    assert problems[0]["message"] and problems[0]["message_th"]


def test_type_error_message_says_expected_and_found(runner, tmp_path):
    copy = broken_copy(tmp_path, "type-error")
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert 'expected a whole number such as 42; found "12a"' in result.output


def test_named_file_only(runner):
    path = DATA / "valid" / "sample" / "kinds.csv"
    result = runner.invoke(cli, ["validate", "--datasets", str(DATA / "valid"), str(path)])
    assert result.exit_code == 0, result.output


def test_unknown_file_is_a_usage_error(runner, tmp_path):
    stray = tmp_path / "stray.csv"
    stray.write_text("a\n1\n")
    result = runner.invoke(cli, ["validate", "--datasets", str(DATA / "valid"), str(stray)])
    assert result.exit_code == 2


def test_missing_datasets_folder_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["validate", "--datasets", str(tmp_path / "nowhere")])
    assert result.exit_code == 2


def test_conversions_are_reported_as_information(runner):
    result = runner.invoke(cli, ["validate", "--datasets", str(DATA / "valid")])
    assert "info: " in result.output and "visitors: Thai digits" in result.output


def test_a_descriptor_read_again_is_a_copy_of_its_own_and_follows_the_file(tmp_path):
    from openbangkok.model.catalog import read_descriptor

    path = tmp_path / "things.schema.yaml"
    path.write_text("fields:\n  - {name: id, type: integer}\n", encoding="utf-8")
    first = read_descriptor(path)
    first["fields"].append({"name": "changed by a caller"})
    assert read_descriptor(path) == {"fields": [{"name": "id", "type": "integer"}]}
    written = path.stat()
    path.write_text("fields:\n  - {name: id, type: boolean}\n", encoding="utf-8")  # same size and time
    os.utime(path, ns=(written.st_atime_ns, written.st_mtime_ns))
    assert path.stat().st_size == written.st_size
    assert read_descriptor(path) == {"fields": [{"name": "id", "type": "boolean"}]}


@pytest.mark.parametrize(
    "file, column, old, new",
    [
        # a key column (published as it is, and other tables point at it)
        (
            "complaints/hotline_1555_monthly.csv",
            "category",
            "ถนนและทางเท้า / Roads and footpaths,2065",
            "ถนนและทางเท้า ผ่านคุณสมชาย 081-234-5678,2065",
        ),
        # a link: an e-mail and a phone number in its query string
        (
            "policies/policies.csv",
            "source_url",
            ",https://",
            ",https://www.bangkok.go.th/contact?tel=0812345678&x=https://",
        ),
    ],
)
def test_personal_data_in_a_code_or_link_column_is_refused(runner, tmp_path, file, column, old, new):
    """Codes and links are published as they are (a marker would change a key or break a link): a
    phone number, national ID or e-mail there is an error naming the cell, not a leak."""
    dataset = file.split("/")[0]
    copy = hotline_copy(tmp_path) if dataset == "complaints" else copy_datasets(tmp_path, "reference", dataset)
    path = copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 1, result.output
    row = next(number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if new in line)
    assert (
        f"{path.name}:{row}:{column}: personal-data: this cell looks like it holds personal data (phone)"
        in result.output
    )


def test_a_public_contact_column_keeps_an_office_number(runner, tmp_path):
    """clinics.phone is marked `pdpa: public-contact`: an office's published number is kept."""
    copy = copy_datasets(tmp_path, "reference", "clinics")
    path = copy / "clinics" / "clinics.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert any(",02-" in line for line in lines[1:])
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 0, result.output


def reencode_line(path, number: int) -> None:
    """Line `number` of a UTF-8 file saved as Windows-874, the rest left as it is."""
    lines = path.read_bytes().split(b"\n")
    lines[number - 1] = lines[number - 1].decode("utf-8").encode("cp874")
    path.write_bytes(b"\n".join(lines))


def test_a_utf8_file_with_a_line_in_windows_874_names_the_line(runner, tmp_path):
    copy = copy_datasets(tmp_path, "reference")
    reencode_line(copy / "reference" / "agencies.csv", 40)
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 1, result.output
    assert "agencies.csv:40:: encoding-error: the file is UTF-8 except in line 40" in result.output


def test_a_whole_windows_874_file_is_still_read(runner, tmp_path):
    copy = copy_datasets(tmp_path, "reference")
    path = copy / "reference" / "agencies.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp874"))
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 0, result.output
    assert "agencies.csv::: conversion" in result.output or "Windows-874" in result.output


def test_a_refused_file_gives_the_files_that_point_at_it_no_false_errors(runner, tmp_path):
    """ita_results.csv points at ita_rounds.csv: with ita_rounds.csv refused, ita_results.csv is
    still checked, its foreign key to it is said not to be checked, and nothing else is reported of it
    (it used to get a missing-file error naming a temporary path, and a false header-only error)."""
    copy = copy_datasets(tmp_path, "reference", "ita")
    (copy / "ita" / "ita_rounds.csv").write_text("", encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "ita_results.csv" in line]
    assert lines and all("foreign-key: not checked against ita_rounds" in line for line in lines), lines
    assert "openbkk-validate" not in result.output and "No such file" not in result.output


@pytest.mark.parametrize("written", ["2567-01", "ม.ค. 2567", "มกราคม 2567", "1/2567", "๒๕๖๗-๐๑"])
def test_a_month_column_reads_buddhist_era_and_thai_months(runner, tmp_path, written):
    """hotline_1555_monthly.month is text with a pattern of months (2024-01): months written the
    Thai way are converted as in yearmonth fields, and the build publishes 2024-01."""
    copy = hotline_copy(tmp_path)
    path = copy / "complaints" / "hotline_1555_monthly.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\n2024-01,ถนนและทางเท้า", f'\n"{written}",ถนนและทางเท้า', 1), encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 0, result.output
    assert "month: month written" in result.output


def test_a_pattern_problem_shows_the_schema_example(runner, tmp_path):
    copy = hotline_copy(tmp_path)
    path = copy / "complaints" / "hotline_1555_monthly.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\n2024-01,ถนนและทางเท้า", "\nเดือนแรก,ถนนและทางเท้า", 1), encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 1
    assert 'hotline_1555_monthly.csv:2:month: constraint-error: expected text written like "2024-01"' in result.output
    assert 'ต้องเขียนแบบ "2024-01"' in result.output


def test_a_duplicate_key_names_its_columns_and_values(runner, tmp_path):
    copy = hotline_copy(tmp_path)
    path = copy / "complaints" / "hotline_1555_monthly.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:3] + [lines[1]] + lines[3:]), encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 1
    assert (
        'hotline_1555_monthly.csv:4:month, category: primary-key: month "2024-01", category '
        '"ถนนและทางเท้า / Roads and footpaths": this row\'s identifier is already used in row 2'
    ) in result.output


def test_a_column_missing_in_the_middle_is_named(runner, tmp_path):
    """ita_rounds.csv without its basis column: the missing column is named, not every later one."""
    copy = copy_datasets(tmp_path, "reference", "ita")
    path = copy / "ita" / "ita_rounds.csv"
    records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    drop = records[0].index("basis")
    assert drop < len(records[0]) - 1
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:drop] + r[drop + 1 :] for r in records])
    path.write_text(out.getvalue(), encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if "ita_rounds.csv:" in line]
    assert (
        len(problems) == 1
        and "ita_rounds.csv:1:basis: missing-label: the header lacks the column(s) basis" in problems[0]
    )


@pytest.mark.parametrize(
    "old, new, said",
    [
        ("minimum: 0", "exclusiveMinimum: 0", 'constraint "exclusiveMinimum" requires datapackage v2'),
        ("type: integer", "type: whole-number", 'field type "whole-number" is not supported'),
    ],
)
def test_a_schema_frictionless_cannot_read_is_a_problem_naming_its_file(runner, tmp_path, old, new, said):
    """A constraint of Table Schema v2 or an unknown type stopped the check with a traceback."""
    copy = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", copy)
    schema = copy / "sample" / "places.schema.yaml"
    text = schema.read_text(encoding="utf-8")
    assert old in text
    schema.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--datasets", str(copy)])
    assert result.exit_code == 1, result.output
    assert f"{schema}::: schema-error: the Table Schema of places cannot be read" in result.output
    assert said in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
