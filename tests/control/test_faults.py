"""Faults: the book that counts calls, declaring faults over HTTP (at runtime and in a scenario), and each effect.

Parsing a rule is tested in tests/domain/test_faults.py, a scenario's `faults:` block in tests/scenarios/."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from mockserver import resources
from mockserver.app import build_app
from mockserver.control.faults import FaultBook, FaultRule, operations_of
from mockserver.domain import TaskState
from tests.conftest import HTTP_WORLD, Api
from tests.control.support import Unchanged, assert_error

OPERATIONS = operations_of(resources.openapi_document())


def claim(api: Api, task_id: str = "ext") -> Any:
    return api.call("POST", f"/human/tasks/{task_id}/externalUser/alice@example.com", "owner")


def release(api: Api, task_id: str = "ext") -> Any:
    return api.call("POST", f"/human/tasks/{task_id}/release", "owner")


# -- the book -----------------------------------------------------------------------------------------------


def test_the_book_counts_each_matching_call_and_the_first_firing_rule_acts() -> None:
    book = FaultBook(OPERATIONS)
    second = book.add(FaultRule("claimTask", nth=2, times=2, status=503))
    for_ext = book.add(FaultRule("claimTask", task_id="ext", latency_ms=5))
    assert [book.on_call("claimTask", t) for t in ("a", "ext", "b", "c")] == [
        None, FaultRule("claimTask", nth=2, times=2, status=503), FaultRule("claimTask", nth=2, times=2, status=503),
        None]
    assert (second.calls, second.fired, second.exhausted) == (4, 2, True)
    assert (for_ext.calls, for_ext.fired) == (1, 0)  # it matched the 2nd call, but `second` acted on it
    assert book.on_call("releaseTask", "ext") is None
    assert book.on_call("claimTask", "ext") is None  # for_ext: only its 1st matching call (times 1)


def test_times_zero_acts_forever_from_the_nth() -> None:
    book = FaultBook(OPERATIONS)
    fault = book.add(FaultRule("search", nth=3, times=0, drop=True))
    assert [book.on_call("search", None) is not None for _ in range(6)] == [False, False, True, True, True, True]
    assert not fault.exhausted


def test_ids_are_never_reused() -> None:
    book = FaultBook(OPERATIONS)
    first = book.add(FaultRule("search", drop=True))
    assert book.remove(first.id) is first and book.remove(first.id) is None
    assert book.add(FaultRule("search", drop=True)).id == "f2"
    assert [f.id for f in book.replace((FaultRule("search", drop=True),))] == ["f3"]
    assert book.clear() == 1 and not book


# -- over HTTP: declaring ----------------------------------------------------------------------------------------


def test_add_list_get_delete_and_clear(api: Api) -> None:
    reply = api.client.post("/_mock/faults", json={"operationId": "claimTask", "taskId": "ext", "nth": 2,
                                                   "status": 503, "message": "busy"})
    assert reply.status_code == 201
    assert reply.headers["location"] == "/_mock/faults/f1"
    assert reply.json() == {"id": "f1", "operationId": "claimTask", "taskId": "ext", "nth": 2, "times": 1,
                            "status": 503, "message": "busy", "origin": "runtime", "calls": 0, "fired": 0,
                            "exhausted": False}
    api.client.post("/_mock/faults", json={"operationId": "search", "latencyMs": 10, "times": 0})
    assert [f["id"] for f in api.client.get("/_mock/faults").json()["faults"]] == ["f1", "f2"]
    assert api.client.get("/_mock/faults/f2").json()["latencyMs"] == 10
    deleted = api.client.delete("/_mock/faults/f1")
    assert (deleted.status_code, deleted.json()["id"]) == (200, "f1")
    assert api.client.delete("/_mock/faults").json() == {"cleared": 1}
    assert api.client.get("/_mock/faults").json() == {"faults": []}


def test_a_bad_fault_is_refused_with_every_problem_and_nothing_armed(api: Api) -> None:
    with Unchanged(api):
        body = assert_error(api.client.post("/_mock/faults", json={"operationId": "claimTsk", "nth": 0}), 400,
                            "Invalid fault: unknown operation 'claimTsk'. Did you mean 'claimTask'?")
    assert [(e["path"], e["message"]) for e in body["validationErrors"]] == [
        ("operationId", "unknown operation 'claimTsk'. Did you mean 'claimTask'?"),
        ("nth", "must be at least 1, got 0")]
    assert "claimTask" in body["validationErrors"][0]["hint"]


@pytest.mark.parametrize(("content", "fragment"), [
    (b"", "Request body is required"), (b"{nope", "not valid JSON"), (b"[1]", "must be a JSON object")])
def test_a_fault_body_that_is_not_a_json_object_is_refused(api: Api, content: bytes, fragment: str) -> None:
    with Unchanged(api):
        assert_error(api.client.post("/_mock/faults", content=content), 400, fragment)


def test_an_unknown_fault_id_is_404_with_the_armed_ones(api: Api) -> None:
    api.client.post("/_mock/faults", json={"operationId": "search", "drop": True})
    with Unchanged(api):
        body = assert_error(api.client.get("/_mock/faults/f9"), 404, "No fault 'f9'")
        assert_error(api.client.delete("/_mock/faults/f9"), 404, "Armed: f1")
    assert body["available"] == ["f1"]


# -- over HTTP: effects ------------------------------------------------------------------------------------------


def test_status_replies_with_the_orkes_body_and_does_not_run_the_call(api: Api) -> None:
    api.client.post("/_mock/faults", json={"operationId": "assignAndClaim", "status": 503, "message": "Down for a bit"})
    with Unchanged(api, world_only=True):
        reply = claim(api)
    assert reply.status_code == 503
    assert reply.json() == {"status": 503, "message": "Down for a bit", "instance": "conductor-mock",
                            "retryable": False}
    assert reply.headers["x-request-id"]
    assert claim(api).status_code == 200  # times: 1, so the next call goes through
    assert api.world.tasks.peek("ext").state is TaskState.IN_PROGRESS


def test_nth_and_times_count_the_matching_calls(api: Api) -> None:
    api.client.post("/_mock/faults", json={"operationId": "getTask", "nth": 2, "times": 2, "status": 500})
    statuses = [api.call("GET", "/human/tasks/ext").status_code for _ in range(5)]
    assert statuses == [200, 500, 500, 200, 200]
    fault = api.client.get("/_mock/faults/f1").json()
    assert (fault["calls"], fault["fired"], fault["exhausted"]) == (5, 2, True)


def test_a_task_fault_leaves_other_tasks_alone(api: Api) -> None:
    api.client.post("/_mock/faults", json={"operationId": "assignAndClaim", "taskId": "cgroup", "status": 409})
    assert claim(api, "ext").status_code == 200
    assert api.call("POST", "/human/tasks/cgroup/externalUser/bob@example.com", "owner").status_code == 409
    assert api.call("POST", "/human/tasks/cgroup/externalUser/bob@example.com", "owner").status_code == 200
    assert api.client.get("/_mock/faults/f1").json()["calls"] == 2


def test_latency_waits_then_runs_the_call(api: Api) -> None:
    api.client.post("/_mock/faults", json={"operationId": "assignAndClaim", "latencyMs": 300})
    started = time.perf_counter()
    reply = claim(api)
    waited = time.perf_counter() - started
    assert reply.status_code == 200 and waited >= 0.3
    assert api.world.tasks.peek("ext").state is TaskState.IN_PROGRESS
    started = time.perf_counter()
    assert release(api).status_code == 200 and time.perf_counter() - started < 0.3


def test_latency_with_a_status(api: Api) -> None:
    api.client.post("/_mock/faults", json={"operationId": "assignAndClaim", "latencyMs": 100, "status": 504})
    started = time.perf_counter()
    with Unchanged(api, world_only=True):
        assert_error(claim(api), 504, "Injected fault")
    assert time.perf_counter() - started >= 0.1


def test_drop_runs_the_call_then_sends_nothing_in_process(api: Api) -> None:
    """In process there is no connection to close: no answer at all (the live test checks the real socket)."""
    api.client.post("/_mock/faults", json={"operationId": "assignAndClaim", "drop": True})
    reply = claim(api)
    assert (reply.status_code, reply.content) == (500, b"")  # the TestClient's stand-in for "no response"
    assert api.world.tasks.peek("ext").state is TaskState.IN_PROGRESS
    assert [e["action"] for e in api.client.get("/_mock/journal").json()["entries"]] == ["CLAIM"]


def test_reset_disarms_runtime_faults(api: Api) -> None:
    api.client.post("/_mock/faults", json={"operationId": "search", "drop": True})
    assert api.client.post("/_mock/reset").json()["faults"] == 0
    assert api.client.get("/_mock/faults").json() == {"faults": []}


# -- in a scenario -------------------------------------------------------------------------------------------------

FAULTY = HTTP_WORLD.read_text(encoding="utf-8") + """
faults:
  - {operationId: assignAndClaim, taskId: ext, status: 503, message: from the scenario}
  - operationId: search
    latencyMs: 5
    times: 0
"""


def test_a_scenario_arms_its_faults_at_start_and_on_every_reset(tmp_path: Path) -> None:
    path = tmp_path / "faulty.yaml"
    path.write_text(FAULTY, encoding="utf-8")
    app = build_app(path)
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        api = Api(client, app)
        faults = client.get("/_mock/faults").json()["faults"]
        assert [(f["id"], f["operationId"], f["origin"]) for f in faults] == [
            ("f1", "assignAndClaim", "scenario"), ("f2", "search", "scenario")]
        assert_error(claim(api), 503, "from the scenario")
        assert claim(api).status_code == 200
        client.delete("/_mock/faults")
        client.post("/_mock/reset")
        assert [f["id"] for f in client.get("/_mock/faults").json()["faults"]] == ["f3", "f4"]
        assert_error(claim(api), 503, "from the scenario")
