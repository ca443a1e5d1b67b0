"""Human task triggers start workflows."""

from __future__ import annotations

from mockserver.domain import (
    World,
)
from mockserver.domain.workflows import WorkflowStatus
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
