"""Executions: HUMAN tasks inside workflows, worker updates, failure, termination, skip/reassign/delete."""

from __future__ import annotations

import pytest

from mockserver.domain import (
    TaskState,
    TaskUser,
    UserType,
    World,
)
from mockserver.domain.workflows import TaskStatus, WorkflowConflict, WorkflowStatus
from tests.domain.workflows.flows import OWNER, human, human_task_of, start


def test_a_human_task_waits_then_the_workflow_moves_on_and_completes(world: World) -> None:
    wf = start(world, human("approve", ("alice", "EXTERNAL_USER", 0)),
               {"name": "set", "taskReferenceName": "set", "type": "SET_VARIABLE",
                "inputParameters": {"decision": "${approve.output.approved}"}},
               output={"approved": "${approve.output.approved}", "amount": "${workflow.input.amount}",
                       "note": "amount=${workflow.input.amount}", "decision": "${workflow.variables.decision}"},
               amount=10)
    workflow = world.workflows.get(wf)
    assert workflow.status is WorkflowStatus.RUNNING
    [run] = workflow.tasks
    assert (run.task_type, run.status) == ("HUMAN", TaskStatus.IN_PROGRESS)
    task = world.tasks.peek(run.task_id)
    assert (task.state, task.assignee) == (TaskState.ASSIGNED, TaskUser("alice", UserType.EXTERNAL_USER))
    assert (task.workflow_id, task.task_ref_name, task.created_by, task.owner_app) == (wf, "approve", "owner-app",
                                                                                        "owner-app")
    assert task.input == {"amount": 10}
    world.tasks.claim_for_user(OWNER, run.task_id, "alice")
    world.tasks.update(OWNER, run.task_id, {"approved": True}, complete=True)
    workflow = world.workflows.get(wf)
    assert workflow.status is WorkflowStatus.COMPLETED
    assert [t.status for t in workflow.tasks] == [TaskStatus.COMPLETED, TaskStatus.COMPLETED]
    assert workflow.tasks[0].output_data == {"approved": True}
    assert workflow.output == {"approved": True, "amount": 10, "note": "amount=10", "decision": True}


def test_two_human_tasks_in_a_row(world: World) -> None:
    wf = start(world, human("first", ("a", "EXTERNAL_USER", 0)), human("second", ("b", "EXTERNAL_USER", 0)))
    first = human_task_of(world, wf, "first")
    world.tasks.update(OWNER, first, {"x": 1}, complete=True)
    second = human_task_of(world, wf, "second")
    assert world.tasks.peek(second).state is TaskState.ASSIGNED
    assert world.workflows.get(wf).status is WorkflowStatus.RUNNING


def test_completing_through_the_conductor_task_api_completes_the_human_task(world: World) -> None:
    wf = start(world, human("approve", ("a", "EXTERNAL_USER", 0)))
    task_id = human_task_of(world, wf, "approve")
    assert world.workflows.update_task_by_ref(OWNER, wf, "approve", TaskStatus.COMPLETED, {"ok": 1}) == task_id
    assert world.tasks.peek(task_id).state is TaskState.COMPLETED
    assert world.workflows.get(wf).status is WorkflowStatus.COMPLETED
    with pytest.raises(WorkflowConflict):
        world.workflows.update_task(OWNER, wf, task_id, TaskStatus.COMPLETED, {})


def test_simple_tasks_wait_for_a_worker(world: World) -> None:
    wf = start(world, {"name": "work", "taskReferenceName": "work", "type": "SIMPLE"}, output={"r": "${work.output.r}"})
    [run] = world.workflows.get(wf).tasks
    assert run.status is TaskStatus.SCHEDULED
    world.workflows.update_task(OWNER, wf, run.task_id, TaskStatus.IN_PROGRESS, {"progress": 1})
    world.workflows.update_task(OWNER, wf, run.task_id, TaskStatus.COMPLETED, {"r": 2})
    assert world.workflows.get(wf).output == {"r": 2}


def test_a_failed_task_fails_the_workflow(world: World) -> None:
    wf = start(world, {"name": "work", "taskReferenceName": "work"}, human("later", ("a", "EXTERNAL_USER", 0)))
    run = world.workflows.get(wf).tasks[0]
    world.workflows.update_task(OWNER, wf, run.task_id, TaskStatus.FAILED, reason="boom")
    workflow = world.workflows.get(wf)
    assert (workflow.status, workflow.reason) == (WorkflowStatus.FAILED, "boom")


def test_terminate_cancels_the_human_task(world: World) -> None:
    wf = start(world, human("approve", ("a", "EXTERNAL_USER", 0)))
    task_id = human_task_of(world, wf, "approve")
    world.workflows.terminate(OWNER, wf, "no longer needed")
    workflow = world.workflows.get(wf)
    assert (workflow.status, workflow.tasks[0].status) == (WorkflowStatus.TERMINATED, TaskStatus.CANCELED)
    assert world.tasks.peek(task_id).state is TaskState.DELETED
    with pytest.raises(WorkflowConflict):
        world.workflows.terminate(OWNER, wf)


def test_skip_reassign_delete(world: World) -> None:
    wf = start(world, human("h", ("a", "EXTERNAL_USER", 0), ("b", "EXTERNAL_USER", 0)))
    task_id = human_task_of(world, wf, "h")
    task = world.tasks.skip(OWNER, task_id, "on holiday")
    assert (task.assignee, task.skipped_assignee_indexes) == (TaskUser("b", UserType.EXTERNAL_USER), (0,))
    task = world.tasks.reassign(OWNER, task_id, world.tasks.peek(task_id).definition.assignments[:1])
    assert (task.assignee, task.assignee_index) == (TaskUser("a", UserType.EXTERNAL_USER), 0)
    assert [log.action.value for log in task.action_logs[-2:]] == ["REASSIGN", "ASSIGNMENT"]
    world.tasks.delete(OWNER, [task_id])
    assert world.tasks.peek(task_id).state is TaskState.DELETED
    assert world.workflows.get(wf).status is WorkflowStatus.RUNNING  # the doc's warning: the workflow hangs
