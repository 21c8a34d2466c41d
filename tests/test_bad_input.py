"""The bad-input corpus: every way a real file goes wrong is refused with its row and column, and the
database published before stays byte for byte as it was."""

import hashlib
import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbangkok.cli import cli

from .conftest import DATA

BAD = DATA / "bad"
MANIFEST = yaml.safe_load((BAD / "manifest.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A good build of the valid fixture: the database every bad file must leave untouched."""
    from click.testing import CliRunner

    folder = tmp_path_factory.mktemp("published")
    out = folder / "openbangkok.db"
    result = CliRunner().invoke(cli, ["build", "--datasets", str(DATA / "valid"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def datasets_with(tmp_path, replaces, content: bytes):
    copy = tmp_path / "datasets"
    shutil.copytree(DATA / "valid", copy)
    (copy / "sample" / replaces).write_bytes(content)
    return copy


def test_corpus_is_large_enough():
    assert len(MANIFEST) >= 40
    assert all((BAD / name).exists() for name in MANIFEST)


def refused_with(runner, tmp_path, published, datasets, expected):
    out = tmp_path / "openbangkok.db"
    shutil.copy(published, out)
    before = digest(out)
    result = runner.invoke(cli, ["build", "--datasets", str(datasets), "--out", str(out)])
    assert result.exit_code == 1, result.output
    errors = [
        line for line in result.output.splitlines() if ": " in line and not line.startswith(("info:", "warning:"))
    ]
    assert any(line.startswith(expected) for line in errors), f"expected {expected!r} in:\n{result.output}"
    assert "Traceback" not in result.output
    assert digest(out) == before
    return result


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_bad_file_is_refused_with_row_and_column(runner, tmp_path, published, name):
    case = MANIFEST[name]
    datasets = datasets_with(tmp_path, case["replaces"], (BAD / name).read_bytes())
    row, column, kind = case["expect"].split(":")
    expected = f"{datasets}/sample/{case['replaces']}:{row}:{column}: {kind}: "
    refused_with(runner, tmp_path, published, datasets, expected)


def test_ten_megabyte_field(runner, tmp_path, published):
    header = "place_id,name_th,kind_code,visitors,status,phone_code,opened_on,closed_on\n"
    content = (header + "1," + "x" * 10_485_760 + ",park,12,open,02,2023-09-04,\n").encode()
    datasets = datasets_with(tmp_path, "places.csv", content)
    result = refused_with(
        runner, tmp_path, published, datasets, f"{datasets}/sample/places.csv:2:name_th: constraint-error: "
    )
    assert "10,485,760 characters" in result.output


VALID_PLACES = (DATA / "valid" / "sample" / "places.csv").read_bytes()


def mutate(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for position, byte, kind in edits:
        if not out:
            out.append(byte)
            continue
        position %= len(out)
        if kind == 0:
            out[position] = byte
        elif kind == 1:
            out.insert(position, byte)
        else:
            del out[position]
    return bytes(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.one_of(
        st.binary(max_size=400),
        st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255), st.integers(0, 2)), max_size=8).map(
            lambda edits: mutate(VALID_PLACES, edits)
        ),
        st.text(alphabet=st.sampled_from(list(',"\r\n\tกขค๑๒0123456789abc;')), max_size=300).map(str.encode),
    )
)
@pytest.mark.slow
def test_random_input_never_crashes(runner, tmp_path_factory, content):
    datasets = datasets_with(tmp_path_factory.mktemp("fuzz"), "places.csv", content)
    result = runner.invoke(cli, ["validate", "--datasets", str(datasets)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
