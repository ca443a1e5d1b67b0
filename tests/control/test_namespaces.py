"""The namespaces endpoints (/_mock/namespaces), and the registry behind them."""

from __future__ import annotations

import pytest

from mockserver.control.namespaces import Namespaces
from mockserver.control.plane import ControlPlane
from mockserver.web.errors import Refused
from tests.conftest import Api
from tests.control.support import assert_error


def names(api: Api) -> list[str]:
    return [n["name"] for n in api.client.get("/_mock/namespaces").json()["namespaces"]]


def test_the_listing_has_name_task_count_created_and_last_used(api: Api) -> None:
    assert api.client.get("/ns/w1/_mock/health").status_code == 200
    reply = api.client.get("/_mock/namespaces")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["max"], body["idleSeconds"]) == (1000, 3600)
    listed = {n["name"]: n for n in body["namespaces"]}
    assert sorted(listed) == ["default", "w1"]
    assert listed["w1"]["tasks"] == 10 and listed["w1"]["created"].endswith("Z")
    assert {"lastUsed", "idleSeconds"} <= listed["w1"].keys()


def test_delete_drops_a_namespace_and_its_next_use_makes_it_afresh(api: Api) -> None:
    assert api.client.post("/ns/w1/_mock/clock", json={"advance": "PT1H"}).status_code == 200
    reply = api.client.delete("/_mock/namespaces/w1")
    assert (reply.status_code, reply.json()) == (200, {"dropped": "w1"})
    assert names(api) == ["default"]
    assert api.client.get("/ns/w1/_mock/clock").json()["nowMs"] == api.client.get("/_mock/clock").json()["nowMs"]


@pytest.mark.parametrize(("name", "status", "fragment"), [
    ("nope", 404, "No namespace 'nope'"),
    ("default", 409, "cannot be dropped"),
    ("-bad", 400, "Invalid namespace name"),
])
def test_delete_refusals_change_nothing(api: Api, name: str, status: int, fragment: str) -> None:
    assert api.client.get("/ns/w1/_mock/health").status_code == 200
    tasks = api.snapshot()
    assert_error(api.client.delete(f"/_mock/namespaces/{name}"), status, fragment)
    assert names(api) == ["default", "w1"] and api.snapshot() == tasks


def test_the_registry_makes_on_first_use_and_refuses_past_its_maximum(api: Api) -> None:
    made: list[str] = []
    default: ControlPlane = api.app.state.control

    def make(name: str) -> ControlPlane:
        made.append(name)
        return default

    registry = Namespaces(make, max_count=2, idle_s=10, monotonic=lambda: 0.0)
    assert registry.resolve("a") is registry.resolve("a") and made == ["default", "a"]
    with pytest.raises(Refused) as refused:
        registry.resolve("b")
    assert refused.value.status == 429 and made == ["default", "a"] and len(registry) == 2
