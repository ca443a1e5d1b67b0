"""`mockserver.files.write_atomic`: whole or not at all, with a message that names the file and the reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mockserver.files import CannotWrite, write_atomic


def test_writes_the_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "snapshot.yaml"
    assert write_atomic(target, "é\n") == 3
    assert target.read_text(encoding="utf-8") == "é\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["snapshot.yaml"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "snapshot.yaml"
    target.write_text("previous\n", encoding="utf-8")

    def full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(CannotWrite) as raised:
        write_atomic(target, "new and partial\n")
    assert str(raised.value) == f"cannot write {target}: No space left on device"
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snapshot.yaml"]


def test_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(CannotWrite) as raised:
        write_atomic(blocker / "snapshot.yaml", "x")
    assert str(raised.value).startswith(f"cannot write {blocker / 'snapshot.yaml'}: ")
    assert str(raised.value) != f"cannot write {blocker / 'snapshot.yaml'}: "
    assert blocker.read_text(encoding="utf-8") == "x"


def test_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "report.xml"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o600)
    write_atomic(target, b"<new/>")
    assert target.read_bytes() == b"<new/>"
    assert target.stat().st_mode & 0o777 == 0o600
