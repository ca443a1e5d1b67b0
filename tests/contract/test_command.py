"""`conductor-mock verify` (mockserver.contract.command) before it reaches a server: the contract extra
missing, and where Hypothesis keeps its files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mockserver import cli
from mockserver.contract import command


def test_verify_without_the_contract_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # Given a plain `pip install conductor-mock`: httpx (and the rest of the `contract` extra) cannot be imported
    monkeypatch.setitem(sys.modules, "httpx", None)
    # When verify runs
    status = cli.main(["verify", "--base-url", "http://127.0.0.1:9/api"])
    # Then it exits with 2 and says what to install, without a traceback
    out = capsys.readouterr()
    assert status == command.EXIT_USAGE
    assert out.out.strip() == ("conductor-mock verify: the contract kit needs packages that are not installed "
                               "(httpx). Install them with: pip install 'conductor-mock[contract]'")
    assert "Traceback" not in out.out + out.err


def test_every_contract_module_is_importable_in_the_dev_install() -> None:
    assert command.missing_modules() == []


def test_hypothesis_files_go_to_a_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hypothesis import configuration

    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.chdir(tmp_path)
    with command._scratch_hypothesis_storage():
        storage = configuration.storage_directory("constants")
        storage.create_if_missing()
        assert storage.path.exists() and tmp_path not in storage.path.parents
    assert not storage.path.exists()  # removed after the run
    assert not (tmp_path / ".hypothesis").exists()


def test_a_hypothesis_folder_chosen_before_is_restored_after(tmp_path: Path) -> None:
    from hypothesis import configuration

    outer = getattr(configuration, "__hypothesis_home_directory", None)
    configuration.set_hypothesis_home_dir(tmp_path / "chosen")
    try:
        with command._scratch_hypothesis_storage():
            assert (tmp_path / "chosen") not in configuration.storage_directory("x", intent_to_write=False).path.parents
        assert configuration.storage_directory("x", intent_to_write=False).path == tmp_path / "chosen" / "x"
    finally:
        configuration.set_hypothesis_home_dir(outer)
