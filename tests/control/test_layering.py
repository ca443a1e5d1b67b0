"""Where the control plane sits: its pure parts import only the standard library and the domain; it may import the
web layer's router and error table, and the web layer imports nothing of it (the composition root,
`mockserver.app`, wires the two)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.test_architecture import imported_modules

PACKAGE = Path(__file__).resolve().parent.parent.parent / "mockserver"
PURE = ("journal.py", "faults.py", "timeparse.py")


def test_the_journal_faults_and_time_parsing_are_pure() -> None:
    offenders = {
        f"{name}: {module}"
        for name in PURE
        for module in imported_modules(PACKAGE / "control" / name)
        if not module.startswith(("mockserver.domain", "mockserver.control.")) and module.split(".")[0] not in
        sys.stdlib_module_names
    }
    assert not offenders, sorted(offenders)
    for name in PURE:  # and pure among themselves: nothing of the control plane's HTTP side
        assert not {m for m in imported_modules(PACKAGE / "control" / name) if m.startswith("mockserver.control.")
                    and m.rsplit(".", 1)[-1] + ".py" not in PURE}, name


def test_the_web_layer_imports_nothing_of_the_control_plane_or_the_root() -> None:
    importers = {f"{path.name}: {m}" for path in (PACKAGE / "web").glob("*.py") for m in imported_modules(path)
                 if m.startswith(("mockserver.control", "mockserver.app"))}
    assert not importers, sorted(importers)


def test_only_the_root_and_the_cli_import_the_composition_root() -> None:
    importers = {str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                 if "mockserver.app" in imported_modules(path)}
    assert importers == {"cli.py"}


def test_the_control_plane_reaches_the_web_layer_only_for_its_router_state_spec_and_error_table() -> None:
    used = {m for path in (PACKAGE / "control").glob("*.py") for m in imported_modules(path)
            if m.startswith("mockserver.web")}
    assert used <= {"mockserver.web.routing", "mockserver.web.errors", "mockserver.web.state", "mockserver.web.spec",
                    "mockserver.web.wire"}, sorted(used)


def test_the_domain_knows_nothing_of_the_control_plane() -> None:
    assert not [path.name for path in (PACKAGE / "domain").glob("*.py")
                if any(m.startswith("mockserver.control") for m in imported_modules(path))]
