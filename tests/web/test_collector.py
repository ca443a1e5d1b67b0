"""The collector's settings of a serving process: collect, freeze the loaded world and every new one (a world has no
cycle, so a discarded one is freed at once), collect young objects less often, and pace collections by requests."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from mockserver import resources
from mockserver.web.collector import THRESHOLDS, PacedCollections, settle_after_load, settle_new_world
from tests.conftest import HTTP_WORLD, Api


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()  # the test process's objects must stay collectable for the tests after this one
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_settling_freezes_what_is_alive_and_sets_the_thresholds() -> None:
    gc.unfreeze()
    kept = [{"a": [1, 2]} for _ in range(1000)]  # containers the collector would walk again and again
    settle_after_load()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == THRESHOLDS
    assert THRESHOLDS[0] > 700  # young collections less often than Python's default


@pytest.mark.parametrize("settle", [settle_after_load, settle_new_world])
@pytest.mark.usefixtures("restored_collector")
def test_settling_collects_garbage_before_freezing_what_is_left(settle: Callable[[], None]) -> None:
    """A cycle left by loading (or by the world just let go) is freed, not frozen for ever; the rest is frozen."""
    class Node:
        pass

    gc.unfreeze()
    cycle = Node()
    cycle.me = cycle  # type: ignore[attr-defined]
    ref = weakref.ref(cycle)
    del cycle
    kept = [{"k": [i]} for i in range(500)]
    settle()
    assert ref() is None
    assert gc.get_freeze_count() >= len(kept)


# -- a new world is settled, and the one it replaced is freed at once ------------------------------------------


@pytest.fixture
def collector_off() -> Iterator[None]:
    """With the automatic collector off, only reference counting frees: what a test then sees freed has no cycle."""
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


def _use_everything(api: Api) -> None:
    """Calls that touch every part of a world: tasks (claim, release, update, search), workflows, the worker
    queue and its listeners, templates, tokens."""
    from tests.web.test_worker_api import result, start

    assert api.call("GET", "/human/tasks/ext").status_code == 200
    assert api.call("POST", "/human/tasks/search", json={"searchType": "ADMIN", "size": 5}).status_code == 200
    assert api.call("POST", "/human/tasks/ext/claim").status_code == 200
    assert api.call("POST", "/human/tasks/ext/release").status_code == 200
    assert api.call("POST", "/human/tasks/ext/externalUser/alice@example.com").status_code == 200
    done = api.call("POST", "/human/tasks/ext/update?complete=true", "alice", json={"approved": True})
    assert done.status_code == 200, done.text
    assert api.call("GET", "/human/template").status_code == 200
    start(api)
    task = api.call("GET", "/tasks/poll/greet?workerid=w1", "owner").json()
    assert api.call("POST", "/tasks", "owner", json=result(task, "COMPLETED", outputData={"g": 1})).status_code == 200
    assert api.call("GET", "/tasks/poll/batch/shout?count=1&timeout=10", "owner").status_code == 200


@pytest.mark.usefixtures("collector_off")
def test_a_reset_frees_the_used_world_it_replaces_with_no_collection(api: Api) -> None:
    """A world holds no reference cycle (the stores get functions of their parts, listeners are weak), so a
    discarded one is freed by reference counting: frozen by `settle_new_world`, it would otherwise stay for ever."""
    _use_everything(api)
    world = api.world
    parts = [weakref.ref(part) for part in (world, world.tasks, world.workflows, world.templates, world.tokens)]
    del world
    reply = api.client.post("/_mock/reset")
    assert reply.status_code == 200, reply.text
    assert [part() for part in parts] == [None] * len(parts)
    assert api.world is not None and api.call("GET", "/human/tasks/ext").json()["state"] == "ASSIGNED"


@pytest.mark.usefixtures("collector_off")
def test_a_dropped_namespace_is_freed_with_no_collection(api: Api) -> None:
    token = api.client.post("/ns/ci-7/api/token", json={"keyId": "admin-key", "keySecret": "admin-secret"})
    claimed = api.client.post("/ns/ci-7/api/human/tasks/ext/claim", headers={"X-Authorization": token.json()["token"]})
    assert claimed.status_code == 200, claimed.text
    plane = api.app.state.namespaces.get("ci-7")
    parts = [weakref.ref(part) for part in (plane, plane.state, plane.world, plane.world.tasks)]
    del plane
    dropped = api.client.delete("/_mock/namespaces/ci-7")
    assert (dropped.status_code, dropped.json()) == (200, {"dropped": "ci-7"})
    assert [part() for part in parts] == [None] * len(parts)


@pytest.mark.usefixtures("collector_off")
def test_a_control_plane_settles_each_new_world_after_the_old_one_is_gone() -> None:
    from mockserver.app import prepare
    from mockserver.control.plane import ControlPlane, ControlSettings
    from mockserver.web.state import MockState

    loaded = prepare(HTTP_WORLD)
    seen: list[tuple[bool, int]] = []
    state = MockState(loaded.build)
    first = weakref.ref(state.world)
    plane = ControlPlane(state, resources.openapi_document(),
                         ControlSettings(settle=lambda: seen.append((first() is None, id(state.world)))))
    assert seen == [(False, id(state.world))]  # its first world, when it is made (a new namespace)
    plane.reset()
    assert seen[1:] == [(True, id(state.world))]  # after the swap, the old world already freed


# -- collections paced by requests ---------------------------------------------------------------------------


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    return None


def _paced(**options: Any) -> tuple[PacedCollections, list[int]]:
    made: list[int] = []
    return PacedCollections(_answer, collect=made.append, **options), made


async def _requests(paced: PacedCollections, n: int, kind: str = "http") -> None:
    for _ in range(n):
        await paced({"type": kind}, _no_receive, _no_send)


async def _no_receive() -> Message:
    raise AssertionError("not called")


async def _no_send(message: Message) -> None:
    raise AssertionError("not called")


def test_collections_follow_the_request_count_young_then_middle_then_full() -> None:
    async def scenario() -> list[int]:
        paced, made = _paced(every=2, middles=3, fulls=2, idle_s=3600)
        await _requests(paced, 12)
        await _requests(paced, 5, kind="lifespan")  # not requests: not counted
        await _requests(paced, 1)
        return made

    assert asyncio.run(scenario()) == [0, 0, 1, 0, 0, 2]


def test_a_full_collection_waits_for_the_server_to_be_idle() -> None:
    async def scenario() -> list[list[int]]:
        paced, made = _paced(every=1, middles=1, fulls=100, idle_s=0)
        await _requests(paced, 2)  # the idle check is armed by the first, and the second comes before it runs
        await asyncio.sleep(0.01)
        busy = list(made)
        await _requests(paced, 1)  # arms it again; nothing comes after
        await asyncio.sleep(0.01)
        return [busy, list(made)]

    busy, idle = asyncio.run(scenario())
    assert busy == [1, 1]  # middle collections only: the load did not pause before the check
    assert idle == [1, 1, 1, 2]


def test_without_a_pause_the_full_collection_comes_after_fulls_middle_ones() -> None:
    async def scenario() -> list[int]:
        paced, made = _paced(every=1, middles=1, fulls=3, idle_s=3600)
        await _requests(paced, 7)
        return made

    assert asyncio.run(scenario()) == [1, 1, 2, 1, 1, 2, 1]
