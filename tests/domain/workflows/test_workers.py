"""The worker side of SIMPLE tasks in the domain: queues, polls, domains, requeues, retries, response timeouts,
task definitions and logs, on the manual clock."""

from __future__ import annotations

import pytest

from mockserver.domain import World
from mockserver.domain.errors import InvalidRequest
from mockserver.domain.workflows import RetryLogic, TaskStatus, WorkflowNotFound, WorkflowStatus
from mockserver.domain.workflows.taskdefs import parse_task_def, retry_delay_seconds
from tests.domain.workflows.flows import OWNER, START

SIMPLE = {"name": "work", "taskReferenceName": "work_ref", "type": "SIMPLE",
          "inputParameters": {"x": "${workflow.input.x}", "wf": "${workflow.workflowId}"}}


def start(world: World, **kwargs: object) -> str:
    world.workflows.register(OWNER, {"name": "w", "version": 1, "tasks": [SIMPLE]})
    return world.workflows.start(OWNER, "w", workflow_input={"x": 1}, **kwargs)  # type: ignore[arg-type]


def test_a_poll_takes_the_oldest_queued_task_and_starts_it(world: World) -> None:
    first, second = start(world), start(world)
    assert world.workflows.queue_sizes(["work"]) == {"work": 2}
    [(run, workflow)] = world.workflows.poll("work", worker_id="w1")
    assert (workflow.workflow_id, run.status, run.poll_count, run.worker_id, run.start_time) == (
        first, TaskStatus.IN_PROGRESS, 1, "w1", START)
    assert run.input_data == {"x": 1, "wf": first}
    [(_, other)] = world.workflows.poll("work", count=5)
    assert other.workflow_id == second
    assert world.workflows.poll("work") == []
    assert world.workflows.queue_sizes() == {"work": 0}


def test_domains_separate_the_queues(world: World) -> None:
    start(world, task_to_domain={"*": "blue"})
    assert world.workflows.poll("work") == []
    assert world.workflows.poll("work", domain="red") == []
    [(run, _)] = world.workflows.poll("work", domain="blue")
    assert run.domain == "blue"


def test_a_terminated_workflows_task_leaves_the_queue(world: World) -> None:
    workflow_id = start(world)
    world.workflows.terminate(OWNER, workflow_id)
    assert world.workflows.poll("work") == []
    assert world.workflows.queue_sizes(["work"]) == {"work": 0}


def test_in_progress_requeues_after_the_callback(world: World) -> None:
    workflow_id = start(world)
    [(run, _)] = world.workflows.poll("work")
    world.workflows.update_task(OWNER, workflow_id, run.task_id, TaskStatus.IN_PROGRESS, {"half": True},
                                callback_after_seconds=5, logs=["step 1"])
    assert world.workflows.poll("work") == []
    world.advance_clock(5_000)
    [(again, _)] = world.workflows.poll("work")
    assert (again.task_id, again.poll_count, again.output_data, again.callback_after_seconds) == (
        run.task_id, 2, {"half": True}, 5)
    assert [entry["log"] for entry in world.workflows.logs(run.task_id)] == ["step 1"]


def test_failed_retries_with_backoff_then_fails_the_workflow(world: World) -> None:
    world.workflows.register_task_defs(OWNER, [{"name": "work", "retryCount": 2, "retryDelaySeconds": 3,
                                                "retryLogic": "EXPONENTIAL_BACKOFF"}])
    workflow_id = start(world)
    [(first, _)] = world.workflows.poll("work")
    world.workflows.update_task(OWNER, workflow_id, first.task_id, TaskStatus.FAILED, reason="boom")
    world.advance_clock(2_999)
    assert world.workflows.poll("work") == []
    world.advance_clock(1)  # 3 s * 2^0
    [(second, _)] = world.workflows.poll("work")
    assert (second.retry_count, second.retried_task_id) == (1, first.task_id)
    world.workflows.update_task(OWNER, workflow_id, second.task_id, TaskStatus.FAILED, reason="boom")
    world.advance_clock(5_999)
    assert world.workflows.poll("work") == []
    world.advance_clock(1)  # 3 s * 2^1
    [(third, _)] = world.workflows.poll("work")
    world.workflows.update_task(OWNER, workflow_id, third.task_id, TaskStatus.FAILED, reason="last")
    workflow = world.workflows.get(workflow_id)
    assert (workflow.status, workflow.reason) == (WorkflowStatus.FAILED, "last")
    assert [(t.status, t.retried) for t in workflow.tasks] == [
        (TaskStatus.FAILED, True), (TaskStatus.FAILED, True), (TaskStatus.FAILED, False)]


def test_a_terminal_error_is_never_retried(world: World) -> None:
    world.workflows.register_task_defs(OWNER, [{"name": "work", "retryCount": 3}])
    workflow_id = start(world)
    [(run, _)] = world.workflows.poll("work")
    world.workflows.update_task(OWNER, workflow_id, run.task_id, TaskStatus.FAILED_WITH_TERMINAL_ERROR, reason="no")
    assert world.workflows.get(workflow_id).status is WorkflowStatus.FAILED


def test_a_silent_worker_loses_the_task_after_the_response_timeout(world: World) -> None:
    world.workflows.register_task_defs(OWNER, [{"name": "work", "retryCount": 1, "retryDelaySeconds": 0,
                                                "responseTimeoutSeconds": 10}])
    workflow_id = start(world)
    [(run, _)] = world.workflows.poll("work")
    world.advance_clock(5_000)
    world.workflows.update_task(OWNER, workflow_id, run.task_id, TaskStatus.IN_PROGRESS, callback_after_seconds=0)
    [(held, _)] = world.workflows.poll("work")  # requeued at once by the IN_PROGRESS update: polled again
    assert world.advance_clock(9_999) == []  # the timeout counts from the latest poll
    [fired] = world.advance_clock(1)
    assert (fired["event"], fired["taskId"]) == ("RESPONSE_TIMED_OUT", held.task_id)
    [(retry, _)] = world.workflows.poll("work")
    assert retry.retried_task_id == run.task_id
    assert world.workflows.get(workflow_id).tasks[0].status is TaskStatus.TIMED_OUT
    world.advance_clock(10_000)
    assert world.workflows.get(workflow_id).status is WorkflowStatus.TIMED_OUT


def test_task_definitions_parse_with_conductors_defaults() -> None:
    definition = parse_task_def({"name": "t"})
    assert (definition.retry_count, definition.retry_logic, definition.retry_delay_seconds,
            definition.response_timeout_seconds) == (3, RetryLogic.FIXED, 60, 3600)
    linear = parse_task_def({"name": "t", "retryLogic": "LINEAR_BACKOFF", "retryDelaySeconds": 2,
                             "backoffScaleFactor": 3})
    assert [retry_delay_seconds(linear, n) for n in range(3)] == [6, 12, 18]
    with pytest.raises(InvalidRequest, match="retryCount"):
        parse_task_def({"name": "t", "retryCount": -1})
    with pytest.raises(InvalidRequest, match="name"):
        parse_task_def({"retryCount": 1})


def test_unknown_tasks_and_definitions(world: World) -> None:
    with pytest.raises(WorkflowNotFound):
        world.workflows.logs("nope")
    with pytest.raises(WorkflowNotFound):
        world.workflows.add_log("nope", "x")
    with pytest.raises(WorkflowNotFound):
        world.workflows.task_def("nope")
