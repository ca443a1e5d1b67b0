"""The package as a newcomer installs it: the version is pyproject's, printed by `--version`; the default
install runs on the fast stack; `--help` says what no command does."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from tests.docs.runner import ROOT, VENV_BIN

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_version_prints_the_pyproject_version() -> None:
    done = subprocess.run([str(VENV_BIN / "conductor-mock"), "--version"], capture_output=True, text=True,
                          timeout=30, check=True)
    assert done.stdout.strip() == f"conductor-mock {PYPROJECT['version']}"


def test_the_changelog_starts_at_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text and f"## [{PYPROJECT['version']}]" in text


def test_the_default_install_has_the_fast_stack_and_fast_still_resolves() -> None:
    names = [dependency.split(">")[0].split(";")[0].strip() for dependency in PYPROJECT["dependencies"]]
    assert {"uvloop", "httptools"} <= set(names)
    assert PYPROJECT["optional-dependencies"]["fast"] == []
    done = subprocess.run([sys.executable, "-c", "import httptools, uvloop"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # so the httptools drop-fault tests run instead of skipping


def test_help_says_no_command_means_serve() -> None:
    done = subprocess.run([sys.executable, "-m", "mockserver", "--help"], capture_output=True, text=True,
                          timeout=30, check=True)
    assert "No COMMAND means serve." in " ".join(done.stdout.split())
