"""Starting a live mock in its own process on a free loopback port, and waiting until it answers.

The pytest plugin's `conductor_mock` fixture and the kit's own tests use it. `command` lets a test launch
another server with the same command-line shape (for instance a deliberately broken variant):

    with running_mock(scenario) as mock: ...                                  # python -m mockserver serve
    with running_mock(scenario, command=[sys.executable, "-m", "tests.contract.broken", "--variant", "x"]): ...
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
SERVE = (sys.executable, "-m", "mockserver", "serve")


class LaunchError(RuntimeError):
    """The server exited, or did not answer in time. The message carries its output."""


@dataclass
class MockProcess:
    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    scenario: Path

    @property
    def root_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/api"

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means it is up
    except OSError:
        return False


def start(scenario: Path, *, command: Sequence[str] = SERVE, extra_args: Sequence[str] = (),
          port: int | None = None, timeout: float = 30.0, cwd: Path | None = None) -> MockProcess:
    """Start `command --scenario FILE --host 127.0.0.1 --port N` and wait until it answers HTTP."""
    port = port or free_port()
    argv = [*command, "--scenario", str(scenario), "--host", HOST, "--port", str(port), "--log-level", "warning",
            *extra_args]
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by MockProcess.stop)  not a pipe: a chatty server must never block on a full pipe
    process = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    mock = MockProcess(port, process, log, scenario)
    deadline = time.monotonic() + timeout
    while not answers(f"{mock.base_url}/human/tasks/search"):
        if process.poll() is not None:
            output = mock.output()
            mock.stop()
            raise LaunchError(f"{' '.join(argv)} exited with {process.returncode} before answering:\n{output}")
        if time.monotonic() > deadline:
            output = mock.output()
            mock.stop()
            raise LaunchError(f"{' '.join(argv)} did not answer on port {port} within {timeout:g} s:\n{output}")
        time.sleep(0.05)
    return mock


@contextlib.contextmanager
def running_mock(scenario: Path, *, command: Sequence[str] = SERVE, extra_args: Sequence[str] = (),
                 port: int | None = None, timeout: float = 30.0, cwd: Path | None = None) -> Iterator[MockProcess]:
    mock = start(scenario, command=command, extra_args=extra_args, port=port, timeout=timeout, cwd=cwd)
    try:
        yield mock
    finally:
        mock.stop()
