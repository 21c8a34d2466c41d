"""The install is reproducible: every dependency comes pinned, with hashes, from the lock files, and
the environment running these tests is exactly what the lock names."""

import re
import tomllib
from importlib import metadata

import pytest

from openbangkok.model.catalog import PROJECT_ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$", re.M)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return canonical(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group(0))


def pins(lock: str) -> dict[str, tuple[str, str | None]]:
    text = (PROJECT_ROOT / lock).read_text(encoding="utf-8")
    return {canonical(m.group(1)): (m.group(2), m.group(3)) for m in PIN.finditer(text)}


def project() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.mark.parametrize("lock, extra", [("requirements.lock", None), ("requirements-test.lock", "test")])
def test_every_declared_dependency_is_pinned_with_hashes(lock, extra):
    wanted = project()["dependencies"] + (project()["optional-dependencies"][extra] if extra else [])
    pinned = pins(lock)
    missing = sorted({requirement_name(r) for r in wanted} - set(pinned))
    assert not missing, f"{lock} lacks {missing}: run ./build.sh lock"
    text = (PROJECT_ROOT / lock).read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    unhashed = [b.split()[0] for b in blocks if not b.startswith("#") and "--hash=sha256:" not in b]
    assert not unhashed, f"pinned without a hash in {lock}: {unhashed}"


def test_the_test_environment_is_what_the_lock_names():
    """./build.sh test installs requirements-test.lock: a package at another version means the
    environment was not built from the lock (or the lock was edited by hand)."""
    differ = []
    for name, (version, marker) in pins("requirements-test.lock").items():
        if marker:  # e.g. sys_platform == 'win32': not for this machine
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            differ.append(f"{name}: not installed, lock {version}")
            continue
        if installed != version:
            differ.append(f"{name}: installed {installed}, lock {version}")
    assert not differ, differ


def test_the_runtime_lock_agrees_with_the_test_lock():
    """CI runs `./build.sh test` then `./build.sh build` in one environment: a package pinned at two
    versions would be swapped under the test tools and `pip check` would stop the build."""
    runtime, test = pins("requirements.lock"), pins("requirements-test.lock")
    differ = {
        name: (version, test[name][0])
        for name, (version, _) in runtime.items()
        if name in test and test[name][0] != version
    }
    assert not differ, f"runtime vs test lock: {differ}: run ./build.sh lock"
    assert set(runtime) <= set(test), f"only in the runtime lock: {sorted(set(runtime) - set(test))}"
