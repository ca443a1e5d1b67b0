"""A real mock server on a free loopback port, in its own process, for the tests that need real sockets (the
race test, the SDK tests). A thin front on the contract kit's launcher, which starts mocks for the pytest plugin
the same way.

`mock_backend` gives the command-line options for one backend: none for the in-memory mock, or `--store` on a
fresh prefix of its own in the test process's Redis (`tests/redis_support.py`) and `--workers N`, its keys
deleted afterwards. The SDK and contract conftests parametrize their live mocks over `BACKENDS` with it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from mockserver.contract.launcher import MockProcess, free_port, running_mock
from tests.redis_support import RedisServer

ROOT = Path(__file__).resolve().parent.parent
LiveMock = MockProcess
BACKENDS = ("memory", "redis")
# The live mocks keep to a database of their own: the `store_url` fixture of the in-process tests empties db 0.
LIVE_DB = 1

__all__ = ["BACKENDS", "ROOT", "LiveMock", "backend_options", "free_port", "live_mock", "mock_backend"]


@contextlib.contextmanager
def live_mock(scenario: Path, *extra_args: str, timeout: float = 30.0) -> Iterator[LiveMock]:
    with running_mock(scenario, extra_args=extra_args, timeout=timeout, cwd=ROOT) as mock:
        yield mock


@contextlib.contextmanager
def mock_backend(name: str, redis_server: RedisServer | None, workers: int = 2) -> Iterator[tuple[str, ...]]:
    """The `serve` options for backend `name` ("memory" or "redis"); for Redis, a prefix nobody else uses,
    emptied when the block ends."""
    if name == "memory":
        yield ()
        return
    if name != "redis" or redis_server is None:
        raise ValueError(f"unknown backend {name!r} (or no Redis server for it)")
    prefix = f"live-{uuid.uuid4().hex[:12]}"
    try:
        yield ("--store", redis_server.url(prefix, db=LIVE_DB), "--workers", str(workers))
    finally:
        with redis.Redis.from_url(redis_server.url(db=LIVE_DB), decode_responses=True, socket_timeout=5) as client:
            keys = list(client.scan_iter(f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)


@contextlib.contextmanager
def backend_options(request: pytest.FixtureRequest, name: str) -> Iterator[tuple[str, ...]]:
    """mock_backend() for a fixture: the test process's `redis_server` fixture when `name` is "redis", and
    `--workers` from the requesting module's `REDIS_WORKERS` (2 unless it says otherwise)."""
    server: RedisServer | None = request.getfixturevalue("redis_server") if name == "redis" else None
    workers: int = getattr(request.module, "REDIS_WORKERS", 2)
    with mock_backend(name, server, workers) as options:
        yield options
