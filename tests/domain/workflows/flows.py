"""What the workflow tests share: principals, a HUMAN task builder, a world, and starting a flow."""

from __future__ import annotations

from typing import Any

from mockserver.domain import AuthSettings, ManualClock, Principal, PrincipalKind, Role, Seed, SequentialIds, World

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


def make_world() -> World:
    seed = Seed(name="wf", description="", auth=AuthSettings(required=False), principals=(OWNER, ADMIN))
    return World(seed, clock=ManualClock(START), ids=SequentialIds(1))


def start(world: World, *tasks: dict[str, Any], output: dict[str, Any] | None = None, **wf_input: Any) -> str:
    world.workflows.register(OWNER, {"name": "flow", "version": 1, "tasks": list(tasks),
                                     "outputParameters": output or {}})
    return world.workflows.start(OWNER, "flow", workflow_input=wf_input)


def human_task_of(world: World, workflow_id: str, ref: str) -> str:
    return world.workflows.human_task_for_ref(workflow_id, ref)
