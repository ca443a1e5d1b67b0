"""Live servers for the kit's tests: the real mock, and deliberately broken copies of it (tests/contract/broken.py),
each in its own process on a free port. The real mock runs on both backends (`mock_options`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.contract import control, identities
from mockserver.contract.launcher import MockProcess, running_mock
from tests.livemock import BACKENDS, backend_options

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = ROOT / "scenarios" / "default.yaml"
MOCK_IDENTITIES = ROOT / "scenarios" / "conformance" / "identities.mock.yaml"


def broken_command(variant: str) -> list[str]:
    return [sys.executable, "-m", "tests.contract.broken", "--variant", variant]


@pytest.fixture(scope="module", params=BACKENDS)
def mock_options(request: pytest.FixtureRequest) -> Iterator[tuple[str, ...]]:
    """The `serve` options of the backend under test: none (in memory), or a shared store in the test process's
    Redis with 2 workers (tests/livemock.py)."""
    with backend_options(request, request.param) as options:
        yield options


@pytest.fixture(scope="module")
def live_mock(mock_options: tuple[str, ...]) -> Iterator[MockProcess]:
    """The real mock on the default scenario, for the whole module, on each backend."""
    with running_mock(DEFAULT_SCENARIO, extra_args=mock_options, cwd=ROOT) as mock:
        yield mock


@pytest.fixture
def fresh_mock(live_mock: MockProcess) -> MockProcess:
    """The module's mock, reset to the scenario's initial world."""
    control.reset(live_mock.root_url)
    return live_mock


@pytest.fixture(scope="session")
def mock_identities() -> identities.Identities:
    return identities.load(MOCK_IDENTITIES)
