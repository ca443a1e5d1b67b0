"""The clock: SLA escalation, completion strategies, timeouts, and the timer book."""

from __future__ import annotations

import pytest

from mockserver.domain import (
    AuthSettings,
    Seed,
    SequentialIds,
    TaskState,
    TaskUser,
    UserType,
    World,
)
from mockserver.domain.errors import InvalidTransition
from mockserver.domain.workflows import TERMINATE_REASON, TaskStatus, WorkflowStatus
from tests.domain.workflows.flows import MINUTE, OWNER, START, human, human_task_of, start


def test_sla_escalates_through_two_assignees_then_leaves_it_open(world: World) -> None:
    wf = start(world, human("h", ("a", "EXTERNAL_USER", 10), ("b", "EXTERNAL_USER", 20)))
    task_id = human_task_of(world, wf, "h")
    assert world.advance_clock(9 * MINUTE) == []
    fired = world.advance_clock(1 * MINUTE)
    assert fired == [{"at": START + 10 * MINUTE, "taskId": task_id, "event": "SLA_EXPIRED",
                      "from": "EXTERNAL_USER:a", "result": "ESCALATED", "to": "EXTERNAL_USER:b"}]
    task = world.tasks.peek(task_id)
    assert (task.assignee, task.assignee_index) == (TaskUser("b", UserType.EXTERNAL_USER), 1)
    assert task.action_logs[-1].action.value == "ASSIGNMENT"
    fired = world.advance_clock(60 * MINUTE)
    assert [f["result"] for f in fired] == ["LEFT_OPEN"]
    assert fired[0]["at"] == START + 30 * MINUTE
    task = world.tasks.peek(task_id)
    assert (task.state, task.assignee, task.assignments_completed) == (TaskState.ASSIGNED, None, True)
    assert world.tasks.claim_for_user(OWNER, task_id, "anyone").state is TaskState.IN_PROGRESS


def test_a_claimed_task_does_not_escalate(world: World) -> None:
    wf = start(world, human("h", ("a", "EXTERNAL_USER", 10), ("b", "EXTERNAL_USER", 0)))
    task_id = human_task_of(world, wf, "h")
    world.tasks.claim_for_user(OWNER, task_id, "a")
    assert world.advance_clock(60 * MINUTE) == []
    assert world.tasks.peek(task_id).claimant == TaskUser("a", UserType.EXTERNAL_USER)


def test_terminate_strategy_deletes_the_task_and_fails_the_workflow(world: World) -> None:
    wf = start(world, human("h", ("a", "EXTERNAL_USER", 5), strategy="TERMINATE"))
    task_id = human_task_of(world, wf, "h")
    assert [f["result"] for f in world.advance_clock(5 * MINUTE)] == ["TERMINATED"]
    assert world.tasks.peek(task_id).state is TaskState.DELETED
    workflow = world.workflows.get(wf)
    assert (workflow.status, workflow.reason) == (WorkflowStatus.FAILED, TERMINATE_REASON)
    assert workflow.tasks[0].status is TaskStatus.CANCELED


def test_a_human_task_definition_timeout(world: World) -> None:
    wf = start(world, human("h", ("a", "EXTERNAL_USER", 0), taskDefinition={"timeoutSeconds": 600}))
    task_id = human_task_of(world, wf, "h")
    world.tasks.claim_for_user(OWNER, task_id, "a")
    assert world.advance_clock(599_000) == []
    fired = world.advance_clock(1000)
    assert fired == [{"at": START + 600_000, "taskId": task_id, "event": "TIMED_OUT", "workflowId": wf}]
    assert world.tasks.peek(task_id).state is TaskState.TIMED_OUT
    workflow = world.workflows.get(wf)
    assert (workflow.status, workflow.tasks[0].status) == (WorkflowStatus.TIMED_OUT, TaskStatus.TIMED_OUT)
    with pytest.raises(InvalidTransition):
        world.tasks.update(OWNER, task_id, {}, complete=True)


def test_the_real_clock_cannot_be_moved() -> None:
    from mockserver.domain import SystemClock
    from mockserver.domain.errors import ClockNotManual

    seed = Seed(name="wf", description="", auth=AuthSettings(required=False))
    with pytest.raises(ClockNotManual):
        World(seed, clock=SystemClock(), ids=SequentialIds()).advance_clock(1)


def test_an_sla_that_changes_back_fires_once(world: World) -> None:
    """Timers are kept by due time; a task whose SLA moves away and back must not fire twice."""
    wf = start(world, human("h", ("a", "EXTERNAL_USER", 10), ("b", "EXTERNAL_USER", 0)))
    task_id = human_task_of(world, wf, "h")
    world.tasks.claim_for_user(OWNER, task_id, "a")      # claimed: no SLA
    world.tasks.release(OWNER, task_id)                    # unclaimed again: a new window from now
    fired = world.advance_clock(10 * MINUTE)
    assert [f["result"] for f in fired] == ["ESCALATED"]
    assert world.tasks.peek(task_id).assignee == TaskUser("b", UserType.EXTERNAL_USER)


def test_timers_of_generated_tasks_put_straight_into_the_store(world: World) -> None:
    from dataclasses import replace

    wf = start(world, human("h", ("a", "EXTERNAL_USER", 10), ("b", "EXTERNAL_USER", 0)))
    template = world.tasks.peek(human_task_of(world, wf, "h"))
    extra = replace(template, task_id="extra", workflow_id="none")
    world.tasks.insert(extra)
    world.workflows.track([extra])
    assert {f["taskId"] for f in world.advance_clock(10 * MINUTE)} == {template.task_id, "extra"}
