"""The kit talks to servers over HTTP only: no module of mockserver.contract imports the mock's domain, web,
control plane or scenario code, so the same kit runs against real Orkes (AST scan). The control API's HTTP
client is allowed (the plugin's `conductor_mock` fixture resets its mock through it), and `mockserver.files`, the
CLI's atomic file writer (plain os/tempfile, no mock code)."""

from __future__ import annotations

import ast
from pathlib import Path

KIT = Path(__file__).resolve().parents[2] / "mockserver" / "contract"
ALLOWED = ("mockserver.contract", "mockserver.resources", "mockserver.control.client", "mockserver.files")


def mockserver_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{alias.name}" if node.module == "mockserver" else node.module
                         for alias in node.names)
    return {name for name in names if name.split(".")[0] == "mockserver"}


def test_the_kit_imports_nothing_of_the_mock() -> None:
    offenders = {f"{path.name}: {name}" for path in sorted(KIT.glob("*.py")) for name in mockserver_imports(path)
                 if not name.startswith(ALLOWED)}
    assert not offenders, f"the contract kit must reach servers over HTTP only: {sorted(offenders)}"


def test_the_scan_would_catch_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from mockserver.domain import World\nfrom mockserver import web\nimport mockserver.resources\n")
    assert mockserver_imports(bad) == {"mockserver.domain", "mockserver.web", "mockserver.resources"}
