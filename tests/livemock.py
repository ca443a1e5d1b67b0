"""A real mock server on a free loopback port, in its own process, for the tests that need real sockets (the
race test, the SDK tests). A thin front on the contract kit's launcher, which starts mocks for the pytest plugin
the same way."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from mockserver.contract.launcher import MockProcess, free_port, running_mock

ROOT = Path(__file__).resolve().parent.parent
LiveMock = MockProcess

__all__ = ["ROOT", "LiveMock", "free_port", "live_mock"]


@contextlib.contextmanager
def live_mock(scenario: Path, *extra_args: str, timeout: float = 30.0) -> Iterator[LiveMock]:
    with running_mock(scenario, extra_args=extra_args, timeout=timeout, cwd=ROOT) as mock:
        yield mock
