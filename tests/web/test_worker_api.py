"""The worker protocol over HTTP: polls (single, batch, long), results, requeues, retries, response timeouts,
domains, task logs, queue sizes and task definitions, with their error paths."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.conftest import Api
from tests.web.test_api import assert_error

FLOW = {
    "name": "worker_flow", "version": 1,
    "tasks": [
        {"name": "greet", "taskReferenceName": "greet_ref", "type": "SIMPLE",
         "inputParameters": {"who": "${workflow.input.who}", "id": "${workflow.workflowId}",
                             "text": "Hello ${workflow.input.who}!", "nested": {"list": ["${workflow.input.n}", 1]},
                             "missing": "${workflow.input.nope.deeper}"}},
        {"name": "shout", "taskReferenceName": "shout_ref", "type": "SIMPLE",
         "inputParameters": {"greeting": "${greet_ref.output.greeting}", "from": "${greet_ref.input.who}"}},
    ],
}


def start(api: Api, body: dict[str, Any] | None = None) -> str:
    assert api.call("POST", "/metadata/workflow?overwrite=true", "owner", json=FLOW).status_code == 200
    reply = api.call("POST", "/workflow", "owner", json={"name": "worker_flow", "input": {"who": "Ada", "n": 7},
                                                         **(body or {})})
    assert reply.status_code == 200, reply.text
    return reply.text


def state(api: Api) -> Any:
    """Everything a worker call may change: workflows (with their tasks and logs) and task definitions."""
    return copy.deepcopy((api.world.workflows.all(), api.world.workflows.task_defs()))


def result(task: dict[str, Any], status: str, **extra: Any) -> dict[str, Any]:
    return {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"], "status": status, **extra}


def test_poll_hands_out_a_resolved_task_and_the_workflow_moves_on(api: Api) -> None:
    workflow_id = start(api)
    reply = api.call("GET", "/tasks/poll/greet?workerid=w1", "owner")
    assert reply.status_code == 200, reply.text
    task = reply.json()
    assert (task["status"], task["pollCount"], task["workerId"], task["taskDefName"]) == (
        "IN_PROGRESS", 1, "w1", "greet")
    assert task["startTime"] == api.world.clock.now_ms()
    assert task["inputData"] == {"who": "Ada", "id": workflow_id, "text": "Hello Ada!",
                                 "nested": {"list": [7, 1]}, "missing": None}
    assert api.call("GET", "/tasks/poll/greet", "owner").status_code == 204  # nothing else queued
    done = api.call("POST", "/tasks", "owner", json=result(task, "COMPLETED", outputData={"greeting": "hi"}))
    assert (done.status_code, done.text) == (200, task["taskId"])
    [shout] = api.call("GET", "/tasks/poll/batch/shout?count=5&timeout=0", "owner").json()
    assert shout["inputData"] == {"greeting": "hi", "from": "Ada"}
    api.call("POST", "/tasks", "owner", json=result(shout, "COMPLETED", outputData={"loud": "HI"}))
    assert api.call("GET", f"/workflow/{workflow_id}", "owner").json()["status"] == "COMPLETED"


def test_an_empty_poll_answers_204_and_an_empty_batch_poll_an_empty_list(api: Api) -> None:
    before = state(api)
    single = api.call("GET", "/tasks/poll/nothing", "owner")
    assert (single.status_code, single.content) == (204, b"")
    batch = api.call("GET", "/tasks/poll/batch/nothing?timeout=0", "owner")
    assert (batch.status_code, batch.json()) == (200, [])
    assert state(api) == before


def test_poll_errors_change_nothing(api: Api) -> None:
    start(api)
    before = state(api)
    assert_error(api.call("GET", "/tasks/poll/batch/greet?timeout=5001", "owner"), 400, "timeout")
    assert_error(api.call("GET", "/tasks/poll/batch/greet?count=0", "owner"), 400, "count")
    assert api.call("GET", "/tasks/poll/greet", None).status_code == 401
    assert state(api) == before


def test_update_v2_applies_the_result_and_hands_out_the_next_task(api: Api) -> None:
    start(api)
    start(api)
    first = api.call("GET", "/tasks/poll/greet?workerid=w1", "owner").json()
    reply = api.call("POST", "/tasks/update-v2", "owner", json=result(first, "COMPLETED", workerId="w1"))
    assert reply.status_code == 200, reply.text
    second = reply.json()
    assert (second["taskDefName"], second["status"], second["workerId"]) == ("greet", "IN_PROGRESS", "w1")
    assert second["taskId"] != first["taskId"]
    last = api.call("POST", "/tasks/update-v2", "owner", json=result(second, "COMPLETED", workerId="w1"))
    assert (last.status_code, last.content) == (204, b"")


def test_update_v2_errors_change_nothing(api: Api) -> None:
    workflow_id = start(api)
    before = state(api)
    assert_error(api.call("POST", "/tasks/update-v2", "owner", json={"workflowInstanceId": workflow_id,
                                                                     "taskId": "nope", "status": "COMPLETED"}),
                 404, "nope")
    assert state(api) == before


def test_in_progress_with_callback_requeues_after_the_callback(api: Api) -> None:
    start(api)
    task = api.call("GET", "/tasks/poll/greet", "owner").json()
    api.call("POST", "/tasks", "owner", json=result(task, "IN_PROGRESS", callbackAfterSeconds=30))
    assert api.call("GET", "/tasks/poll/greet", "owner").status_code == 204
    assert api.call("GET", "/tasks/queue/sizes?taskType=greet", "owner").json() == {"greet": 1}
    api.world.advance_clock(30_000)
    again = api.call("GET", "/tasks/poll/greet", "owner").json()
    assert (again["taskId"], again["pollCount"], again["status"]) == (task["taskId"], 2, "IN_PROGRESS")
    assert api.call("GET", "/tasks/queue/sizes?taskType=greet&taskType=other", "owner").json() == {
        "greet": 0, "other": 0}


def test_failed_retries_with_the_task_definitions_policy(api: Api) -> None:
    defs = [{"name": "greet", "retryCount": 1, "retryLogic": "FIXED", "retryDelaySeconds": 10}]
    assert api.call("POST", "/metadata/taskdefs", "owner", json=defs).json() == {}
    workflow_id = start(api)
    first = api.call("GET", "/tasks/poll/greet", "owner").json()
    api.call("POST", "/tasks", "owner", json=result(first, "FAILED", reasonForIncompletion="boom"))
    assert api.call("GET", "/tasks/poll/greet", "owner").status_code == 204  # the retry delay
    api.world.advance_clock(10_000)
    retry = api.call("GET", "/tasks/poll/greet", "owner").json()
    assert (retry["retryCount"], retry["retriedTaskId"], retry["inputData"]) == (1, first["taskId"],
                                                                                 first["inputData"])
    workflow = api.call("GET", f"/workflow/{workflow_id}", "owner").json()
    assert [(t["status"], t["retried"]) for t in workflow["tasks"]] == [("FAILED", True), ("IN_PROGRESS", False)]
    api.call("POST", "/tasks", "owner", json=result(retry, "FAILED", reasonForIncompletion="again"))
    workflow = api.call("GET", f"/workflow/{workflow_id}", "owner").json()
    assert (workflow["status"], workflow["reasonForIncompletion"]) == ("FAILED", "again")


def test_a_task_without_definition_fails_its_workflow_at_once(api: Api) -> None:
    workflow_id = start(api)
    task = api.call("GET", "/tasks/poll/greet", "owner").json()
    api.call("POST", "/tasks", "owner", json=result(task, "FAILED", reasonForIncompletion="boom"))
    assert api.call("GET", f"/workflow/{workflow_id}", "owner").json()["status"] == "FAILED"


def test_response_timeout_requeues_a_silent_workers_task(api: Api) -> None:
    defs = [{"name": "greet", "retryCount": 1, "retryDelaySeconds": 0, "responseTimeoutSeconds": 60}]
    api.call("POST", "/metadata/taskdefs", "owner", json=defs)
    workflow_id = start(api)
    first = api.call("GET", "/tasks/poll/greet?workerid=gone", "owner").json()
    assert api.world.advance_clock(59_999) == []
    [fired] = api.world.advance_clock(1)
    assert (fired["event"], fired["taskId"]) == ("RESPONSE_TIMED_OUT", first["taskId"])
    retry = api.call("GET", "/tasks/poll/greet?workerid=w2", "owner").json()
    assert (retry["retriedTaskId"], retry["retryCount"]) == (first["taskId"], 1)
    late = api.call("POST", "/tasks", "owner", json=result(first, "COMPLETED"))
    assert_error(late, 409, "TIMED_OUT")
    api.world.advance_clock(60_000)  # no retry left: the workflow times out
    assert api.call("GET", f"/workflow/{workflow_id}", "owner").json()["status"] == "TIMED_OUT"


def test_a_task_with_a_domain_is_only_polled_with_that_domain(api: Api) -> None:
    workflow_id = start(api, {"taskToDomain": {"greet": "blue"}})
    assert api.call("GET", "/tasks/poll/greet", "owner").status_code == 204
    assert api.call("GET", "/tasks/poll/greet?domain=red", "owner").status_code == 204
    task = api.call("GET", "/tasks/poll/greet?domain=blue", "owner").json()
    assert task["domain"] == "blue"
    workflow = api.call("GET", f"/workflow/{workflow_id}", "owner").json()
    assert workflow["taskToDomain"] == {"greet": "blue"}


def test_task_logs(api: Api) -> None:
    start(api)
    task = api.call("GET", "/tasks/poll/greet", "owner").json()
    assert api.call("POST", f"/tasks/{task['taskId']}/log", "owner", json="working").status_code == 200
    api.call("POST", "/tasks", "owner", json=result(task, "IN_PROGRESS", logs=[{"log": "half way"}]))
    logs = api.call("GET", f"/tasks/{task['taskId']}/log", "owner").json()
    assert [(entry["log"], entry["taskId"]) for entry in logs] == [("working", task["taskId"]),
                                                                   ("half way", task["taskId"])]
    assert all(entry["createdTime"] == api.world.clock.now_ms() for entry in logs)


def test_task_log_errors_change_nothing(api: Api) -> None:
    start(api)
    before = state(api)
    assert_error(api.call("POST", "/tasks/nope/log", "owner", json="x"), 404, "nope")
    assert_error(api.call("GET", "/tasks/nope/log", "owner"), 404, "nope")
    assert_error(api.call("POST", "/tasks/nope/log", "owner", json={"log": "x"}), 400, "")
    assert state(api) == before


def test_task_definitions(api: Api) -> None:
    api.call("POST", "/metadata/taskdefs", "owner", json=[{"name": "greet", "retryCount": 2, "ownerEmail": "x@y"}])
    api.call("PUT", "/metadata/taskdefs", "owner", json={"name": "shout", "retryLogic": "EXPONENTIAL_BACKOFF"})
    greet = api.call("GET", "/metadata/taskdefs/greet", "owner").json()
    assert (greet["retryCount"], greet["retryLogic"], greet["responseTimeoutSeconds"], greet["ownerEmail"]) == (
        2, "FIXED", 3600, "x@y")
    assert [d["name"] for d in api.call("GET", "/metadata/taskdefs", "owner").json()] == ["greet", "shout"]


def test_a_simple_tasks_definition_is_the_one_it_runs_with(api: Api) -> None:
    api.call("POST", "/metadata/taskdefs", "owner", json=[{"name": "greet", "retryCount": 1, "ownerEmail": "x@y"}])
    start(api)
    polled = api.call("GET", "/tasks/poll/greet", "owner").json()
    registered = api.call("GET", "/metadata/taskdefs/greet", "owner").json()
    read = api.call("GET", f"/tasks/{polled['taskId']}", "owner").json()
    assert polled["taskDefinition"] == read["taskDefinition"] == registered
    assert (registered["retryCount"], registered["ownerEmail"]) == (1, "x@y")


def test_task_definition_errors_change_nothing(api: Api) -> None:
    api.call("POST", "/metadata/taskdefs", "owner", json=[{"name": "greet"}])
    before = state(api)
    assert_error(api.call("GET", "/metadata/taskdefs/nope", "owner"), 404, "nope")
    bad = [{"name": "ok"}, {"name": "bad", "retryLogic": "SOMETIMES"}]
    assert_error(api.call("POST", "/metadata/taskdefs", "owner", json=bad), 400, "retryLogic")
    assert_error(api.call("PUT", "/metadata/taskdefs", "owner", json={"retryCount": 1}), 400, "name")
    assert state(api) == before


def test_the_long_poll_waits_without_blocking_and_wakes_when_a_task_is_queued(api: Api, app: Starlette) -> None:
    token = api.token("owner")

    async def scenario() -> tuple[float, float, list[Any]]:
        transport = httpx.ASGITransport(app=app)
        headers = {"X-Authorization": token}
        async with httpx.AsyncClient(transport=transport, base_url="http://mock/api", headers=headers) as client:
            began = time.monotonic()
            poll = asyncio.create_task(client.get("/tasks/poll/batch/greet?timeout=5000&workerid=w"))
            await asyncio.sleep(0.2)
            other = await client.get("/metadata/taskdefs")  # answered while the poll waits
            other_done = time.monotonic() - began
            assert other.status_code == 200 and not poll.done()
            await client.post("/metadata/workflow?overwrite=true", json=FLOW)
            await client.post("/workflow", json={"name": "worker_flow", "input": {"who": "Ada"}})
            reply = await poll
            return other_done, time.monotonic() - began, reply.json()

    other_done, poll_done, tasks = asyncio.run(scenario())
    assert other_done < 1.0
    assert poll_done < 2.0  # woken by the scheduled task, long before its 5 s timeout
    assert [(t["taskDefName"], t["workerId"]) for t in tasks] == [("greet", "w")]


def test_the_long_poll_gives_up_after_its_timeout(api: Api) -> None:
    began = time.monotonic()
    reply = api.call("GET", "/tasks/poll/batch/greet?timeout=300", "owner")
    assert (reply.status_code, reply.json()) == (200, [])
    assert 0.25 <= time.monotonic() - began < 3.0
