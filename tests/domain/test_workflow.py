"""The workflow engine: HUMAN tasks inside workflows, expressions, assignment policy, and the clock."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.domain import (
    AuthSettings,
    ManualClock,
    Principal,
    PrincipalKind,
    Role,
    Seed,
    SequentialIds,
    TaskState,
    TaskUser,
    UserType,
    World,
)
from mockserver.domain.errors import InvalidRequest, InvalidTransition
from mockserver.domain.workflow import TERMINATE_REASON, TaskStatus, WorkflowConflict, WorkflowStatus, resolve

START = 1_767_258_000_000
MINUTE = 60_000
OWNER = Principal("owner-app", PrincipalKind.APPLICATION)
ADMIN = Principal("admin", PrincipalKind.USER, frozenset({Role.ADMIN}))


def human(ref: str, *assignees: tuple[str, str, int], strategy: str = "LEAVE_OPEN", **extra: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "assignmentCompletionStrategy": strategy, "displayName": f"Do {ref}",
        "userFormTemplate": {"name": "approve_form", "version": 1},
        "assignments": [{"assignee": {"user": u, "userType": t}, "slaMinutes": sla} for u, t, sla in assignees],
    }
    return {"name": ref, "taskReferenceName": ref, "type": "HUMAN",
            "inputParameters": {"__humanTaskDefinition": definition, "amount": "${workflow.input.amount}"}, **extra}


@pytest.fixture
def world() -> World:
    seed = Seed(name="wf", description="", auth=AuthSettings(required=False), principals=(OWNER, ADMIN))
    return World(seed, clock=ManualClock(START), ids=SequentialIds(1))


def start(world: World, *tasks: dict[str, Any], output: dict[str, Any] | None = None, **wf_input: Any) -> str:
    world.workflows.register(OWNER, {"name": "flow", "version": 1, "tasks": list(tasks),
                                     "outputParameters": output or {}})
    return world.workflows.start(OWNER, "flow", workflow_input=wf_input)


def human_task_of(world: World, workflow_id: str, ref: str) -> str:
    return world.workflows.human_task_for_ref(workflow_id, ref)


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


def test_the_js_builder_single_assignee_and_the_python_builder_nulls(world: World) -> None:
    js = {"name": "h", "taskReferenceName": "js", "type": "HUMAN", "inputParameters": {"__humanTaskDefinition": {
        "displayName": "JS", "userFormTemplate": {"name": "f", "version": 1},
        "assignee": {"userType": "EXTERNAL_USER", "user": "alice"}}}}
    py = {"name": "h", "taskReferenceName": "py", "type": "HUMAN", "inputParameters": {"__humanTaskDefinition": {
        "assignmentCompletionStrategy": "LEAVE_OPEN", "displayName": None, "userFormTemplate": {"name": None,
                                                                                             "version": 0},
        "assignments": None, "taskTriggers": None}}}
    wf = start(world, js, py)
    assert world.tasks.peek(human_task_of(world, wf, "js")).assignee == TaskUser("alice", UserType.EXTERNAL_USER)
    world.tasks.update(OWNER, human_task_of(world, wf, "js"), {}, complete=True)
    open_task = world.tasks.peek(human_task_of(world, wf, "py"))
    assert open_task.assignee is None and open_task.definition.form is None


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


@pytest.mark.parametrize("task_type", ["FORK_JOIN", "SWITCH", "DO_WHILE", "SUB_WORKFLOW"])
def test_unsupported_constructs_are_refused_at_registration(world: World, task_type: str) -> None:
    with pytest.raises(InvalidRequest, match="Supported: HUMAN, SET_VARIABLE, SIMPLE, TERMINATE, WAIT"):
        world.workflows.register(OWNER, {"name": "x", "tasks": [{"taskReferenceName": "t", "type": task_type}]})


def test_a_bad_human_definition_is_refused_at_registration(world: World) -> None:
    bad = human("h", ("a", "NOT_A_TYPE", 0))
    with pytest.raises(InvalidRequest, match="userType"):
        world.workflows.register(OWNER, {"name": "x", "tasks": [bad]})


def test_resolve() -> None:
    context = {"workflow": {"input": {"a": {"b": [1, 2]}}}, "t": {"output": {"ok": False}}}
    assert resolve({"x": "${workflow.input.a.b}", "y": ["${t.output.ok}", "v=${t.output.ok}"], "z": "${nope.x}"},
                   context) == {"x": [1, 2], "y": [False, "v=false"], "z": None}


# -- the clock ---------------------------------------------------------------------------------------------

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


def test_triggers_start_workflows(world: World) -> None:
    world.workflows.register(OWNER, {"name": "notify", "tasks": [{"taskReferenceName": "n", "type": "NOOP"}]})
    trigger = {"triggerType": "IN_PROGRESS", "startWorkflowRequest": {"name": "notify", "input": {"k": 1}}}
    wf = start(world, human("h", ("a", "EXTERNAL_USER", 0)))
    task_id = human_task_of(world, wf, "h")
    assert world.tasks.peek(task_id).trigger_log == ()
    world.workflows.register(OWNER, {"name": "flow2", "tasks": [
        {**human("h", ("a", "EXTERNAL_USER", 0)), "inputParameters": {"__humanTaskDefinition": {
            "assignments": [{"assignee": {"user": "a", "userType": "EXTERNAL_USER"}}], "taskTriggers": [trigger]}}}]})
    wf2 = world.workflows.start(OWNER, "flow2")
    task_id = human_task_of(world, wf2, "h")
    world.tasks.claim_for_user(OWNER, task_id, "a")
    [entry] = world.tasks.peek(task_id).trigger_log
    assert entry["triggerType"] == "IN_PROGRESS"
    assert world.workflows.get(entry["workflowId"]).status is WorkflowStatus.COMPLETED


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
