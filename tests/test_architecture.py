"""The layering rules, by AST scan: the domain imports only the standard library and itself, and the import graph
between mockserver's subpackages (domain, scenarios, web, control, contract) and top-level modules (app, cli,
resources, generate, ...) has no cycle."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mockserver"
DOMAIN = PACKAGE / "domain"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_imports_only_stdlib_and_itself() -> None:
    offenders = {
        f"{path.name}: {name}"
        for path in sorted(DOMAIN.glob("*.py"))
        for name in imported_modules(path)
        if not name.startswith("mockserver.domain") and name.split(".")[0] not in sys.stdlib_module_names
    }
    assert not offenders, f"the domain must stay pure (no starlette, yaml, ...): {sorted(offenders)}"


def test_the_scan_would_catch_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import starlette.requests\nfrom yaml import safe_load\nfrom . import model\n")
    assert imported_modules(bad) == {"starlette.requests", "yaml"}


# -- the graph of subpackages and top-level modules ------------------------------------------------------------

def units(package: Path) -> dict[str, list[Path]]:
    """Each subpackage (its folder) or top-level module (its file) of `package`, by name, with its files."""
    out: dict[str, list[Path]] = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).parts
        if parts == ("__init__.py",):
            continue  # the package itself: its __version__
        out.setdefault(parts[0].removesuffix(".py"), []).append(path)
    return out


def _targets(path: Path, package: Path) -> Iterator[str]:
    """The dotted names `path` imports inside `package` (every import, also those inside functions)."""
    root = package.name
    here = path.relative_to(package.parent).with_suffix("").parts
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importing module's package
                anchor = here[:len(here) - node.level]  # (a package's `__init__` counts as its module name)
                base = ".".join([*anchor, *([base] if base else [])])
            if base == root:
                yield from (f"{root}.{alias.name}" for alias in node.names)
            else:
                yield base


def import_graph(package: Path) -> dict[str, set[str]]:
    """unit → the other units it imports."""
    found = units(package)
    root = package.name
    graph: dict[str, set[str]] = {name: set() for name in found}
    for name, paths in found.items():
        for path in paths:
            for target in _targets(path, package):
                parts = target.split(".")
                if parts[0] == root and len(parts) > 1 and parts[1] in found and parts[1] != name:
                    graph[name].add(parts[1])
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` (its units in order, the first repeated at the end), or None."""
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if node in trail:
            return [*trail[trail.index(node):], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, [*trail, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_no_import_cycle_between_subpackages_and_top_level_modules() -> None:
    graph = import_graph(PACKAGE)
    assert {"domain", "web", "control", "contract", "app", "cli"} <= graph.keys()
    assert find_cycle(graph) is None, f"import cycle: {' → '.join(find_cycle(graph) or [])}"


def test_the_graph_sees_the_layers_it_should() -> None:
    graph = import_graph(PACKAGE)
    assert {"web", "control", "domain", "scenarios"} <= graph["app"]
    assert "web" in graph["control"]
    assert not graph["domain"]
    assert "control" not in graph["web"]


def test_the_scan_would_catch_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "mockserver"
    for folder in ("web", "control"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "web" / "routes.py").write_text("def f() -> None:\n    from mockserver.control import api\n")
    (package / "control" / "api.py").write_text("from ..web import routes\n")
    (package / "app.py").write_text("from mockserver import web, control\n")
    graph = import_graph(package)
    assert graph == {"web": {"control"}, "control": {"web"}, "app": {"web", "control"}}
    assert find_cycle(graph) == ["control", "web", "control"]
    (package / "web" / "routes.py").write_text("import json\n")
    assert find_cycle(import_graph(package)) is None
