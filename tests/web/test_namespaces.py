"""Namespaces over HTTP: /ns/{name}/api is a world of its own (tasks, tokens, clock), names are checked, the count
is bounded, idle ones go; and a world swapped while a body is still arriving never swallows the update."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mockserver.app import NamespaceSettings, build_app
from mockserver.control.plane import ControlPlane
from tests.conftest import HTTP_WORLD, KEYS
from tests.control.support import assert_error


class Clock:
    """A monotonic source the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(spec: dict[str, Any], clock: Clock) -> Starlette:
    return build_app(HTTP_WORLD, spec=spec, namespaces=NamespaceSettings(idle_s=60, max_count=4, monotonic=clock))


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def token(client: TestClient, base: str, who: str = "owner") -> str:
    key_id, secret = KEYS[who]
    reply = client.post(f"{base}/api/token", json={"keyId": key_id, "keySecret": secret})
    assert reply.status_code == 200, reply.text
    result: str = reply.json()["token"]
    return result


def call(client: TestClient, base: str, method: str, path: str, who: str = "owner", **kwargs: Any) -> httpx.Response:
    headers = {"X-Authorization": token(client, base, who)}
    reply: httpx.Response = client.request(method, f"{base}/api{path}", headers=headers, **kwargs)
    return reply


def claim(client: TestClient, base: str, task_id: str = "ext") -> httpx.Response:
    return call(client, base, "POST", f"/human/tasks/{task_id}/externalUser/alice@example.com")


def names(client: TestClient) -> list[str]:
    return [n["name"] for n in client.get("/_mock/namespaces").json()["namespaces"]]


# -- isolation --------------------------------------------------------------------------------------------------

def test_a_namespace_has_its_own_tasks(client: TestClient) -> None:
    assert claim(client, "/ns/a").status_code == 200
    assert call(client, "/ns/a", "GET", "/human/tasks/ext").json()["state"] == "IN_PROGRESS"
    assert call(client, "/ns/b", "GET", "/human/tasks/ext").json()["state"] == "ASSIGNED"
    assert call(client, "", "GET", "/human/tasks/ext").json()["state"] == "ASSIGNED"  # the default namespace
    assert claim(client, "/ns/b").status_code == 200  # b's own task, still free to claim


def test_a_token_of_one_namespace_is_refused_in_another(client: TestClient) -> None:
    of_a = token(client, "/ns/a")
    headers = {"X-Authorization": of_a}
    assert client.get("/ns/a/api/human/tasks/ext", headers=headers).status_code == 200
    for other in ("/ns/b", ""):
        reply = client.get(f"{other}/api/human/tasks/ext", headers=headers)
        assert_error(reply, 401, "not signed by this server")
    default = token(client, "")
    reply = client.get("/ns/a/api/human/tasks/ext", headers={"X-Authorization": default})
    assert_error(reply, 401, "not signed by this server")


def test_a_namespace_has_its_own_clock_journal_and_faults(client: TestClient) -> None:
    before = client.get("/_mock/clock").json()["nowMs"]
    moved = client.post("/ns/a/_mock/clock", json={"advance": "PT1H"})
    assert moved.status_code == 200, moved.text
    assert client.get("/ns/a/_mock/clock").json()["nowMs"] == before + 3_600_000
    assert client.get("/ns/b/_mock/clock").json()["nowMs"] == before
    assert client.get("/_mock/clock").json()["nowMs"] == before
    assert claim(client, "/ns/a").status_code == 200
    assert [e["action"] for e in client.get("/ns/a/_mock/journal").json()["entries"]] == ["CLAIM"]
    assert client.get("/ns/b/_mock/journal").json()["entries"] == []
    armed = client.post("/ns/b/_mock/faults", json={"operationId": "getTask", "status": 503})
    assert armed.status_code == 201, armed.text
    assert_error(call(client, "/ns/b", "GET", "/human/tasks/ext"), 503, "")
    assert call(client, "/ns/a", "GET", "/human/tasks/ext").status_code == 200
    assert client.get("/ns/a/_mock/faults").json()["faults"] == []


def test_reset_and_export_act_on_their_namespace(client: TestClient) -> None:
    assert claim(client, "/ns/a").status_code == 200 and claim(client, "/ns/b").status_code == 200
    assert client.post("/ns/a/_mock/reset").status_code == 200
    assert call(client, "/ns/a", "GET", "/human/tasks/ext").json()["state"] == "ASSIGNED"
    assert call(client, "/ns/b", "GET", "/human/tasks/ext").json()["state"] == "IN_PROGRESS"
    assert exported_state(client, "/ns/b", "ext") == "IN_PROGRESS"
    assert exported_state(client, "/ns/a", "ext") in (None, "ASSIGNED")  # the scenario's (no state: the default)


def exported_state(client: TestClient, base: str, task_id: str) -> str | None:
    reply = client.get(f"{base}/_mock/scenario?format=json")
    assert reply.status_code == 200, reply.text
    task, = [t for t in reply.json()["tasks"] if t["taskId"] == task_id]
    state: str | None = task.get("state")
    return state


def test_a_load_into_a_namespace_makes_it_from_that_scenario(client: TestClient) -> None:
    reply = client.put("/ns/fresh/_mock/scenario?file=default")
    assert reply.status_code == 200, reply.text
    assert client.get("/ns/fresh/_mock/health").json()["scenario"] == "default"
    assert client.get("/_mock/health").json()["scenario"] == "http"
    assert client.post("/ns/fresh/_mock/reset").json()["scenario"] == "http"  # reset: back to the start scenario


# -- names, limits, eviction --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/ns/-dash/api/human/tasks/ext", "/ns/a..b/api/human/tasks/ext", "/ns/" + "x" * 64 + "/api/human/tasks/ext",
    "/ns/a%2Fb/api/human/tasks/ext", "/ns/%2E%2E/_mock/health", "/ns/a%20b/_mock/health", "/ns//api/token",
    "/ns/sp ace/_mock/health",
])
def test_a_bad_name_is_refused_with_400(client: TestClient, path: str) -> None:
    before = names(client)
    reply = client.get(path)
    assert_error(reply, 400, "namespace")
    assert names(client) == before


def test_the_maximum_count_is_refused_with_429(client: TestClient) -> None:
    for name in ("a", "b", "c"):  # with the default: 4, the maximum
        assert client.get(f"/ns/{name}/_mock/health").status_code == 200
    body = assert_error(client.get("/ns/d/_mock/health"), 429, "Too many namespaces: 4 are live")
    assert body["maxNamespaces"] == 4
    assert names(client) == ["a", "b", "c", "default"]
    assert client.get("/ns/a/_mock/health").status_code == 200  # live ones still answer


def test_idle_namespaces_are_evicted(client: TestClient, app: Starlette, clock: Clock) -> None:
    assert claim(client, "/ns/a").status_code == 200
    assert client.get("/ns/b/_mock/health").status_code == 200
    clock.now += 30
    assert client.get("/ns/b/_mock/health").status_code == 200  # b used again
    clock.now += 31
    assert app.state.namespaces.evict_idle() == ["a"]
    assert names(client) == ["b", "default"]
    assert call(client, "/ns/a", "GET", "/human/tasks/ext").json()["state"] == "ASSIGNED"  # made afresh


def test_a_full_server_evicts_idle_ones_before_refusing(client: TestClient, clock: Clock) -> None:
    for name in ("a", "b", "c"):
        assert client.get(f"/ns/{name}/_mock/health").status_code == 200
    clock.now += 61
    assert client.get("/ns/d/_mock/health").status_code == 200
    assert "d" in names(client)


# -- the lost update --------------------------------------------------------------------------------------------

EXTRA = "name: extra\ntasks:\n  - taskId: extra-1\n"


def test_a_world_swapped_while_the_body_arrives_keeps_the_update(app: Starlette, client: TestClient) -> None:
    plane: ControlPlane = app.state.control
    owner = token(client, "")
    chunks = [b'{"n": ', b'1, "draft": true}']
    sent = asyncio.run(_post_in_chunks(app, "/api/human/tasks/ext/update", owner, chunks,
                                       between=lambda: plane.merge(Path("extra.yaml"), EXTRA)))
    assert sent["status"] == 200
    world = plane.world
    assert world.tasks.peek("extra-1") is not None  # the merge landed mid-body
    assert world.tasks.peek("ext").output == {"n": 1, "draft": True}  # and the update is in the world it made
    assert [e.action for e in plane.journal.entries()][-2:] == ["MERGE", "UPDATE"]


async def _post_in_chunks(app: Starlette, path: str, token_value: str, chunks: list[bytes],
                          between: Any) -> dict[str, Any]:
    """POST `chunks` as the body, calling `between()` after the first one was read."""
    messages = [{"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
                for i, chunk in enumerate(chunks)]
    given = 0

    async def receive() -> dict[str, Any]:
        nonlocal given
        if given == 1:
            between()
        if given >= len(messages):
            await asyncio.sleep(3600)
        given += 1
        return messages[given - 1]

    reply: dict[str, Any] = {}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            reply["status"] = message["status"]
        elif message["type"] == "http.response.body":
            reply["body"] = reply.get("body", b"") + message.get("body", b"")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"complete=false", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"x-authorization", token_value.encode())],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    await app(scope, receive, send)
    assert reply["status"] == 200, json.loads(reply["body"])
    return reply
