"""Shared fixtures: the in-process app over tests/fixtures/http_world.yaml, and a small API client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mockserver import resources
from mockserver.app import build_app
from mockserver.domain import HumanTask, World
from mockserver.replica.log import StoreUrl
from tests.redis_support import RedisServer, running_redis

FIXTURES = Path(__file__).parent / "fixtures"
HTTP_WORLD = FIXTURES / "http_world.yaml"
KEYS = {
    "admin": ("admin-key", "admin-secret"),
    "owner": ("owner-key", "owner-secret"),
    "other": ("other-key", "other-secret"),
    "alice": ("alice-key", "alice-secret"),
    "bob": ("bob-key", "bob-secret"),
    "carol": ("carol-key", "carol-secret"),
}


class Api:
    """A TestClient that knows how to log in as the fixture's identities."""

    def __init__(self, client: TestClient, app: Starlette) -> None:
        self.client = client
        self.app = app
        self._tokens: dict[str, str] = {}

    @property
    def world(self) -> World:
        world: World = self.app.state.mock.world
        return world

    def token(self, who: str) -> str:
        if who not in self._tokens:
            key_id, secret = KEYS[who]
            reply = self.client.post("/api/token", json={"keyId": key_id, "keySecret": secret})
            assert reply.status_code == 200, reply.text
            self._tokens[who] = reply.json()["token"]
        return self._tokens[who]

    def forget_tokens(self) -> None:
        """Log in again on the next call (after moving the clock past the tokens' lifetime)."""
        self._tokens.clear()

    def call(self, method: str, path: str, who: str | None = "admin", **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers["X-Authorization"] = self.token(who)
        reply: httpx.Response = self.client.request(method, "/api" + path, headers=headers, **kwargs)
        return reply

    def snapshot(self) -> dict[str, HumanTask]:
        return {t.task_id: t for t in self.world.tasks.all()}


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """openapi.yaml, parsed once per test session (the app never mutates it)."""
    return resources.openapi_document()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real Redis server per test process (each pytest-xdist worker has its own)."""
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def store_url(redis_server: RedisServer) -> Iterator[StoreUrl]:
    """A shared store of its own for one test: emptied after it."""
    yield redis_server.store()
    with redis_server.client() as client:
        client.flushdb()


BACKENDS = ("memory", "redis")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> StoreUrl | None:
    """Each test that takes the app runs on both backends: in memory, and on a shared store in a real Redis."""
    if request.param == "memory":
        return None
    store: StoreUrl = request.getfixturevalue("store_url")
    return store


@pytest.fixture
def app(spec: dict[str, Any], backend: StoreUrl | None) -> Starlette:
    return build_app(HTTP_WORLD, spec=spec, store=backend)


@pytest.fixture
def api(app: Starlette) -> Iterator[Api]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, app)
