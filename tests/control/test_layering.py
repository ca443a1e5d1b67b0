"""Where the control plane sits: its pure parts import only the standard library and the domain, and the web
layer reaches it only from the composition root (and the hook slot in MockState)."""

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


def test_only_the_composition_root_of_the_web_layer_imports_the_control_plane() -> None:
    importers = {path.name for path in (PACKAGE / "web").glob("*.py")
                 if any(m.startswith("mockserver.control") for m in imported_modules(path))}
    assert importers == {"app.py"}


def test_the_domain_knows_nothing_of_the_control_plane() -> None:
    assert not [path.name for path in (PACKAGE / "domain").glob("*.py")
                if any(m.startswith("mockserver.control") for m in imported_modules(path))]
