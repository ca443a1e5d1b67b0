"""Human task triggers start workflows."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from mockserver.domain import (
    HumanTask,
    HumanTaskDef,
    TaskState,
    TaskUser,
    UserType,
    World,
)
from mockserver.domain.identity import Principal
from mockserver.domain.workflows import WorkflowStatus
from mockserver.domain.workflows.triggers import events_of, run_triggers
from tests.domain.workflows.flows import OWNER, human, human_task_of, start


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


class Untouchable:
    """A clock, a start and a record that fail the test if they are used."""

    def now_ms(self) -> int:
        raise AssertionError("the clock was read")

    def start(self, owner: Principal, request: dict[str, Any]) -> str:
        raise AssertionError("a workflow was started")

    def record(self, task_id: str, entry: dict[str, Any]) -> object:
        raise AssertionError("a trigger was recorded")


def test_a_task_without_triggers_starts_and_records_nothing() -> None:
    before = HumanTask("t", TaskState.ASSIGNED, 1, 1, assignee=TaskUser("a", UserType.EXTERNAL_USER))
    after = replace(before, state=TaskState.IN_PROGRESS, claimant=before.assignee, assignee=None)
    assert set(events_of(before, after)) == {"IN_PROGRESS", "ASSIGNEE_CHANGED", "CLAIMANT_CHANGED"}
    never = Untouchable()
    run_triggers(before, after, clock=never, start=never.start, record=never.record)
    run_triggers(None, after, clock=never, start=never.start, record=never.record)
    trigger = {"triggerType": "IN_PROGRESS", "startWorkflowRequest": {"name": "notify"}}
    with_one = replace(after, definition=HumanTaskDef(triggers=(trigger,)))
    with pytest.raises(AssertionError, match="the clock was read"):  # the same change with a trigger does run it
        run_triggers(before, with_one, clock=never, start=never.start, record=never.record)
