"""A real mock server on a free loopback port, in its own process: for tests that need real sockets
(the race test, the SDK tests)."""

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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LiveMock:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means it is up
    except OSError:
        return False


@contextlib.contextmanager
def live_mock(scenario: Path, *extra_args: str, timeout: float = 30.0) -> Iterator[LiveMock]:
    port = free_port()
    command = [sys.executable, "-m", "mockserver", "serve", "--scenario", str(scenario), "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", *extra_args]
    log = tempfile.TemporaryFile()  # not a pipe: a chatty server must never block on a full pipe
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    mock = LiveMock(port, process)
    try:
        deadline = time.monotonic() + timeout
        while not _answers(f"{mock.base_url}/human/tasks/search"):
            if process.poll() is not None:
                log.seek(0)
                output = log.read().decode(errors="replace")
                raise RuntimeError(f"mock exited with {process.returncode} before answering:\n{output}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"mock did not answer on port {port} within {timeout} s")
            time.sleep(0.05)
        yield mock
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
