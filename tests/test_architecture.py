"""The layering rule: the domain imports only the standard library and itself (AST scan)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "mockserver" / "domain"


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
