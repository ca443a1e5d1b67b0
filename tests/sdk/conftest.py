"""Every SDK test runs twice: on the in-memory mock, and on a mock with a shared store in a real Redis
(`--store redis://... --workers N`, a prefix of its own). A module sets `REDIS_WORKERS` to change N (2), and may
override `mock_options` with a function-scoped fixture for a fresh store per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.livemock import BACKENDS, backend_options


@pytest.fixture(scope="module", params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def mock_options(request: pytest.FixtureRequest, backend_name: str) -> Iterator[tuple[str, ...]]:
    """The `serve` options of the backend under test, for every mock the module starts (one store for all)."""
    with backend_options(request, backend_name) as options:
        yield options
