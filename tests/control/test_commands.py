"""`conductor-mock control export -o FILE`: written atomically, failures said plainly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mockserver import cli
from mockserver.control.client import ControlClient


@pytest.fixture
def exporting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ControlClient, "export", lambda self, fmt: "name: snap\n")


@pytest.mark.usefixtures("exporting")
def test_export_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "snapshot.yaml"
    assert cli.main(["control", "export", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == "name: snap\n"
    assert capsys.readouterr().out.strip() == f"wrote {target} (11 bytes, yaml)"


@pytest.mark.usefixtures("exporting")
def test_a_full_disk_keeps_the_previous_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "snapshot.yaml"
    target.write_text("previous\n", encoding="utf-8")

    def full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert cli.main(["control", "export", "-o", str(target)]) == 2
    assert capsys.readouterr().err.strip() == \
        f"conductor-mock control: cannot write {target}: No space left on device"
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.yaml"]
