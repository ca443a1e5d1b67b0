"""Building a world through the public API only: a user form, a workflow definition with one HUMAN task,
a started workflow, and the human task it created. Works the same on the mock and on a real Orkes server;
every name carries the run id, so concurrent runs against a shared server never collide.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from mockserver.contract.sessions import Exchange, Session, segment

HUMAN_REF = "human_ref"
FORM_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema",
    "type": "object",
    "properties": {"approved": {"type": "boolean", "title": "Approve"}, "comment": {"type": "string"}},
}
FORM_UI = {"type": "VerticalLayout", "elements": [{"type": "Control", "scope": "#/properties/approved"},
                                                  {"type": "Control", "scope": "#/properties/comment"}]}


class SetupFailed(RuntimeError):
    """The server refused to build the world; the message names the request and the reply."""

    def __init__(self, what: str, exchange: Exchange | None = None) -> None:
        detail = f": {exchange.request_line} answered {exchange.brief()}" if exchange else ""
        super().__init__(f"{what}{detail}")


@dataclass(frozen=True, slots=True)
class HumanTaskSpec:
    """The HUMAN task a world holds."""

    assignments: Sequence[Mapping[str, Any]] = ()
    completion_strategy: str = "LEAVE_OPEN"
    display_name: str = "Contract check"
    input: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class World:
    definition: str
    workflow_id: str
    task_id: str


def register_form(session: Session, name: str) -> Exchange:
    """Save the user form the kit's tasks show (`POST /human/template`)."""
    reply = session.post("/human/template", json={"name": name, "version": 1, "jsonSchema": FORM_SCHEMA,
                                                  "templateUI": FORM_UI})
    return Exchange.of(reply)


def definition(name: str, task: HumanTaskSpec, form: str | None) -> dict[str, Any]:
    """A WorkflowDef with one HUMAN task; the workflow's output echoes the task's."""
    human_def: dict[str, Any] = {
        "assignments": [{"assignee": {"user": a["user"], "userType": a["userType"]},
                         "slaMinutes": int(a.get("slaMinutes", 0))} for a in task.assignments],
        "assignmentCompletionStrategy": task.completion_strategy,
        "displayName": task.display_name,
    }
    if form is not None:
        human_def["userFormTemplate"] = {"name": form, "version": 1}
    return {
        "name": name,
        "description": "Built by conductor-mock verify (the human-task contract kit); safe to delete.",
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "conductor-contract@example.com",
        "timeoutSeconds": 0,
        "tasks": [{
            "name": f"{name}_human",
            "taskReferenceName": HUMAN_REF,
            "type": "HUMAN",
            "inputParameters": {**(task.input or {}), "__humanTaskDefinition": human_def},
        }],
        "outputParameters": {"approved": f"${{{HUMAN_REF}.output.approved}}", "result": f"${{{HUMAN_REF}.output}}"},
    }


def build(session: Session, name: str, task: HumanTaskSpec, *, form: str | None, input: Mapping[str, Any],
          wait_seconds: float = 15.0) -> World:
    """Register `name`, start it as `session`'s identity (which so owns the task), find its human task."""
    reply = session.post("/metadata/workflow", params={"overwrite": True}, json=definition(name, task, form))
    if not 200 <= reply.status_code < 300:
        raise SetupFailed(f"registering workflow definition {name}", Exchange.of(reply))
    reply = session.post("/workflow", json={"name": name, "version": 1, "input": dict(input)})
    workflow_id = reply.text.strip().strip('"')
    if reply.status_code != 200 or not workflow_id:
        raise SetupFailed(f"starting workflow {name}", Exchange.of(reply))
    return World(name, workflow_id, find_human_task(session, workflow_id, wait_seconds))


def find_human_task(session: Session, workflow_id: str, wait_seconds: float) -> str:
    """The id of the human task of `workflow_id`: by an ADMIN search (the owner sees what it owns), else
    from the workflow's HUMAN task. Polls: a real server creates the task asynchronously."""
    deadline = time.monotonic() + wait_seconds
    last: Exchange | None = None
    while True:
        reply = session.post("/human/tasks/search", json={"searchType": "ADMIN", "workflowIds": [workflow_id]})
        last = Exchange.of(reply)
        results = _object(reply).get("results") or [] if reply.status_code == 200 else []
        if results and isinstance(results[0], dict) and results[0].get("taskId"):
            return str(results[0]["taskId"])
        reply = session.get(f"/workflow/{segment(workflow_id)}", params={"includeTasks": True})
        for task in _object(reply).get("tasks") or [] if reply.status_code == 200 else []:
            if isinstance(task, dict) and task.get("taskType") == "HUMAN" and task.get("taskId"):
                return str(task["taskId"])
        if time.monotonic() >= deadline:
            raise SetupFailed(f"workflow {workflow_id} showed no human task within {wait_seconds:g} s", last)
        time.sleep(0.2)


def _object(reply: httpx.Response) -> dict[str, Any]:
    """The reply's JSON object, or {} when it is not one."""
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
