"""The `conductor-mock` command line: check, and how arguments reach `serve`."""

from __future__ import annotations

import argparse
import socket
from pathlib import Path

import pytest

from mockserver import cli

ROOT = Path(__file__).resolve().parent.parent


def test_check_passes_the_shipped_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    assert cli.main(["check", *files]) == 0
    out = capsys.readouterr().out
    assert all(f"{f}: ok" in out for f in files)


def test_check_fails_with_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    bad = ROOT / "tests/fixtures/bad_scenarios/several_problems.yaml"
    assert cli.main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:17: tasks[0].state: an IN_PROGRESS task needs a claimant" in err
    assert err.count(str(bad)) >= 4


def test_check_of_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli.main(["check", str(tmp_path / "nope.yaml")]) == 1
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["--port", "9090"], ["serve", "--port", "9090"]])
def test_serve_is_the_default_command(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    seen: list[argparse.Namespace] = []
    def fake_serve(args: argparse.Namespace) -> int:
        seen.append(args)
        return 0

    monkeypatch.setattr(cli, "serve", fake_serve)
    assert cli.main(argv) == 0
    assert seen[0].command == "serve"
    assert seen[0].port == (9090 if argv else 8080)
    assert seen[0].host == "127.0.0.1"


def test_serve_refuses_a_bad_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    bad = ROOT / "tests/fixtures/bad_scenarios/several_problems.yaml"
    assert cli.main(["serve", "--scenario", str(bad), "--port", "1"]) == 2
    assert "refusing to start" in capsys.readouterr().err


def test_serve_on_a_taken_port_fails_before_listening(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 2
    out, err = capsys.readouterr()
    assert "listening" not in out and "Traceback" not in err
    assert err.strip() == (f"conductor-mock: cannot listen on 127.0.0.1:{port}: Address already in use; another "
                           "program (another mock?) listens there: pick another port with --port N "
                           "(make serve PORT=N)")


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_serve_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str], port: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--port", port])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --port: expected a port number (1-65535)" in err and "Traceback" not in err


def test_the_server_stack_is_uvloop_and_httptools_when_installed() -> None:
    """Both are default dependencies: the mock (and the bench's ceiling) run on them."""
    from mockserver.cli import server_stack

    assert server_stack() == {"loop": "uvloop", "http": "httptools"}


def test_without_them_the_stack_falls_back_to_asyncio_and_h11(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from mockserver.cli import server_stack

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert server_stack() == {"loop": "asyncio", "http": "h11"}
