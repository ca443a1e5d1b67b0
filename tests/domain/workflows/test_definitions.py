"""Workflow definitions: what runs, HUMAN task definitions as the SDKs write them."""

from __future__ import annotations

import pytest

from mockserver.domain import (
    TaskUser,
    UserType,
    World,
)
from mockserver.domain.errors import InvalidRequest
from tests.domain.workflows.flows import OWNER, human, human_task_of, start


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


@pytest.mark.parametrize("task_type", ["FORK_JOIN", "SWITCH", "DO_WHILE", "SUB_WORKFLOW"])
def test_unsupported_constructs_are_refused_at_registration(world: World, task_type: str) -> None:
    with pytest.raises(InvalidRequest, match="Supported: HUMAN, SET_VARIABLE, SIMPLE, TERMINATE, WAIT"):
        world.workflows.register(OWNER, {"name": "x", "tasks": [{"taskReferenceName": "t", "type": task_type}]})


def test_a_bad_human_definition_is_refused_at_registration(world: World) -> None:
    bad = human("h", ("a", "NOT_A_TYPE", 0))
    with pytest.raises(InvalidRequest, match="userType"):
        world.workflows.register(OWNER, {"name": "x", "tasks": [bad]})
