"""The package's dependencies go one way: each module's imports read from its source (ast), so a new
import that turns a dependency around fails here, with the module and the import named."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import yaml

import openbangkok
from openbangkok.model.catalog import PROJECT_ROOT
from openbangkok.pipeline import ADAPTER_TOOLS

PACKAGE = Path(openbangkok.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@cache
def imports(module: str) -> frozenset[str]:
    """The package's modules `module` imports (anywhere in it, at the top or inside a function)."""
    known = modules()
    found = set()
    for node in ast.walk(ast.parse(known[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # `from openbangkok.pipeline import stage` imports the module pipeline.stage
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(name for name in found if name in known and name != module)


def reachable(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        for name in imports(todo.pop()):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def test_adapters_import_no_stage_of_the_pipeline():
    """An adapter is called by check and publish: of the pipeline it may import only the tools no
    stage is run by (pipeline.ADAPTER_TOOLS), and those tools import no adapter and no stage."""
    tools = {f"openbangkok.pipeline.{name}" for name in ADAPTER_TOOLS}
    assert not imports("openbangkok.pipeline"), "pipeline/__init__ imports nothing: adapters import it"
    assert tools <= set(modules()), "ADAPTER_TOOLS names a module that does not exist"
    wrong = [
        (module, name)
        for module in modules()
        if module.startswith("openbangkok.adapters")
        for name in imports(module)
        if name.startswith("openbangkok.pipeline.") and name not in tools
    ]
    assert not wrong, f"adapters importing a stage of the pipeline: {wrong}"
    for tool in sorted(tools):
        below = {
            name
            for name in reachable(tool)
            if name.startswith("openbangkok.adapters")
            or (name.startswith("openbangkok.pipeline.") and name not in tools)
        }
        assert not below, f"{tool} is imported by adapters but imports {sorted(below)}"


# what each subpackage may import of the others (ADAPTER_TOOLS: the one door from adapters/ into
# pipeline/); cli and hooks are the tops, imported by nothing of the package (plugins/openbangkok.py
# registers the hooks)
ALLOWED = {
    "thai": set(),
    "model": {"thai"},
    "adapters": {"model", "thai"},
    "pipeline": {"model", "thai", "adapters"},
    "site": {"model", "thai"},
    "opendata": {"model", "thai", "site"},
    "hooks": {"model", "thai", "site", "opendata"},
    "cli": {"model", "thai", "adapters", "pipeline", "site", "opendata"},
    "__main__": {"cli"},
}


def subpackage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_subpackages_depend_one_way():
    wrong = []
    for module in modules():
        for name in imports(module):
            mine, theirs = subpackage(module), subpackage(name)
            if not theirs or mine == theirs:
                continue
            # an adapter imports pipeline/__init__ (which imports nothing) and the tools
            adapter_tool = mine == "adapters" and (
                name == "openbangkok.pipeline" or name.removeprefix("openbangkok.pipeline.") in ADAPTER_TOOLS
            )
            if theirs not in ALLOWED[mine] and not adapter_tool:
                wrong.append(f"{module} imports {name}")
    assert not wrong, "imports against the layering (ARCHITECTURE.md):\n" + "\n".join(wrong)
    assert set(ALLOWED) >= {subpackage(m) for m in modules() if subpackage(m)}, "a subpackage ALLOWED does not know"


def test_no_module_imports_itself_back():
    """No cycle among the package's modules, through imports anywhere in a module."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(module):  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for name in imports(module):
            if name not in index:
                visit(name)
                low[module] = min(low[module], low[name])
            elif name in on_stack:
                low[module] = min(low[module], index[name])
        if low[module] == index[module]:
            component = []
            while True:
                name = stack.pop()
                on_stack.discard(name)
                component.append(name)
                if name == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in modules():
        if module not in index:
            visit(module)
    assert not cycles, f"modules importing each other: {cycles}"


def test_no_yaml_file_repeats_a_key():
    """YAML keeps the last of two equal keys: a second `plugins:` in metadata.yml silently dropped the
    first (the charts' pages), and a repeated key in a descriptor would drop a field the same way."""

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node):
        keys = [k.value for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"]  # as written, before << merges
        repeated = {k for k in keys if keys.count(k) > 1}
        assert not repeated, f"line {node.start_mark.line + 1}: {sorted(map(str, repeated))} repeated"
        return yaml.SafeLoader.construct_mapping(loader, node)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    files = [
        PROJECT_ROOT / "metadata.yml",
        *sorted((PROJECT_ROOT / "datasets").rglob("*.yaml")),
        *sorted((PROJECT_ROOT / "datasets").rglob("*.yml")),
    ]
    for path in files:
        try:
            yaml.load(path.read_text(encoding="utf-8"), Loader=Strict)
        except AssertionError as e:
            raise AssertionError(f"{path.relative_to(PROJECT_ROOT)}: {e}") from None


# Datasette's documented API (docs.datasette.io 0.65: plugin hooks, internals for plugins, testing
# plugins); everything else of it goes through openbangkok.site.internals
DOCUMENTED = {
    "datasette": {"hookimpl"},
    "datasette.app": {"Datasette"},
    "datasette.database": {"Database", "QueryInterrupted"},
    "datasette.plugins": {"pm"},
    "datasette.utils": {"await_me_maybe", "derive_named_parameters", "parse_metadata", "tilde_decode", "tilde_encode"},
    "datasette.utils.asgi": {"Request", "Response", "NotFound", "Forbidden", "BadRequest"},
}
# datasette-cluster-map documents its settings, not its module: every name of it goes through the door
THEIRS = ("datasette", "datasette_cluster_map")
THE_DOOR = PACKAGE / "site" / "internals.py"
# attributes of Datasette's objects that are not documented: private names, and execute replaced
PRIVATE_USE = re.compile(
    r"\b(?:datasette|ds|db|database|self\.ds|self\.datasette)\._[a-z]\w*|\.execute\s*=(?!=)|datasette\.(?:views|facets)\b"
)


def sources() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *(PROJECT_ROOT / "plugins").glob("*.py")])


def test_datasettes_internals_are_used_through_one_door():
    """No private or undocumented Datasette name outside site/internals.py: an import of one, a
    private attribute of a Datasette object, a Database.execute replaced, datasette.views or facets."""
    found = []
    for path in sources():
        if path == THE_DOOR:
            continue
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(PROJECT_ROOT)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                found += [
                    f"{where}:{node.lineno}: import {a.name}"
                    for a in node.names
                    if a.name.startswith("datasette.") or a.name.split(".")[0] == "datasette_cluster_map"
                ]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in THEIRS:
                allowed = DOCUMENTED.get(node.module, set())
                found += [
                    f"{where}:{node.lineno}: from {node.module} import {a.name}"
                    for a in node.names
                    if a.name not in allowed
                ]
        for number, line in enumerate(text.splitlines(), 1):
            if PRIVATE_USE.search(line.split("#", 1)[0]):
                found.append(f"{where}:{number}: {line.strip()}")
    assert not found, "Datasette's internals outside openbangkok/site/internals.py:\n" + "\n".join(found)


def test_the_door_check_finds_what_it_looks_for(tmp_path):
    """The rule above is not vacuous: each kind of private use it names matches."""
    for line in (
        "db.execute = rewriting(db.execute)",
        "datasette._metadata_local",
        "from datasette.facets import ColumnFacet",
        "self.ds._table_permission_allows",
    ):
        assert PRIVATE_USE.search(line) or "datasette.facets" in line, line
    assert not PRIVATE_USE.search("await db.execute(sql) == rows")


MAX_LINES = 420  # about 400 lines: the package, plugins/ and the benchmarks


def test_no_module_is_over_about_400_lines():
    over = {}
    for path in [*sources(), *(PROJECT_ROOT / "benchmarks").glob("*.py")]:
        where = path.relative_to(PROJECT_ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            over[where] = lines
    assert not over, f"modules over {MAX_LINES} lines (split them): {over}"


def test_the_rules_digest_covers_every_module_of_the_traffy_normalisation():
    """A ticket's published row is copied from the last build while its record and the rules' digest
    are the same (adapters/traffy/digests.py): the digest hashes the code of every module the
    normalisation runs, so that a change to any of them parses every record again."""
    from openbangkok.adapters.traffy import digests

    normalise = "openbangkok.adapters.traffy.normalise"
    hashed = {path.resolve() for path in digests.code_files(digests.__file__)}
    runs = {modules()[name].resolve() for name in {normalise, *reachable(normalise)}}
    assert len(runs) > 3, runs  # the rule is not vacuous: the normalisation spans modules
    missing = sorted(str(path.relative_to(PACKAGE)) for path in runs - hashed)
    assert not missing, f"add them to adapters/traffy/digests.NORMALISATION: {missing}"


async def test_plugins_json_lists_the_hook_modules_registered_in_their_order():
    """/-/plugins.json names each module of HOOK_MODULES (and nothing else of openbangkok.hooks), and
    pluggy calls every hook's implementations in the order HOOK_MODULES lists them (README, Plugins)."""
    import importlib.util

    from datasette.app import Datasette
    from datasette.plugins import pm

    from openbangkok.site.app import PLUGINS

    spec = importlib.util.spec_from_file_location("openbangkok_plugin_under_test", PLUGINS / "openbangkok.py")
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    order = [module.__name__ for module in plugin.HOOK_MODULES]

    listed = (await Datasette([], plugins_dir=str(PLUGINS)).client.get("/-/plugins.json")).json()
    ours = {p["name"] for p in listed if p["name"].startswith("openbangkok.hooks.")}
    assert ours == set(order) and len(order) == len(set(order))
    wrappers = {layer.__module__ for layer in plugin.WRAPPERS}  # download_names: an ASGI layer only
    assert ours | wrappers == {m for m in modules() if m.startswith("openbangkok.hooks.")}, "a hook module unused"
    for name in {h for p in listed if p["name"] in ours for h in p["hooks"]}:
        # a hook marked tryfirst, trylast or hookwrapper places itself whatever the order
        called = [
            i.plugin_name
            for i in reversed(getattr(pm.hook, name).get_hookimpls())
            if i.plugin_name in ours and not (i.tryfirst or i.trylast or i.hookwrapper)
        ]
        assert called == [m for m in order if m in called], name
