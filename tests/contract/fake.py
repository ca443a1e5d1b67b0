"""A tiny in-test Conductor: just enough of the human-task and workflow API, with the contract's rules, to
unit-test the kit's runner in-process (through starlette's TestClient) without the mock.

`Faults` switches single rules off, so tests can check that the runner reports the broken rule.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

KEYS = {"owner-key": "owner-app", "other-key": "other-app", "admin-key": "admin@example.com",
        "alice-key": "alice@example.com", "bob-key": "bob@example.com"}
ADMINS = {"admin@example.com"}
GROUPS = {"reviewers": {"alice@example.com", "bob@example.com"}}


@dataclass
class Faults:
    forget_claimant: bool = False
    double_claim: bool = False
    text_errors: bool = False


@dataclass
class _State:
    faults: Faults
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=itertools.count)
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)


def _error(state: _State, status: int, message: str) -> Response:
    if state.faults.text_errors:
        return PlainTextResponse(message, status_code=status)
    return JSONResponse({"status": status, "message": message, "instance": "fake", "retryable": False},
                        status_code=status)


def create_app(faults: Faults | None = None) -> Starlette:
    state = _State(faults or Faults())

    def caller(request: Request) -> str | None:
        token = request.headers.get("x-authorization", "")
        return token.removeprefix("token:") if token.startswith("token:") else None

    async def token(request: Request) -> Response:
        body = await request.json()
        who = KEYS.get(body.get("keyId"))
        if who is None or body.get("keySecret") != body["keyId"].replace("-key", "-secret"):
            return _error(state, 401, "Invalid key")
        return JSONResponse({"token": f"token:{who}"})

    async def register(request: Request) -> Response:
        body = await request.json()
        state.definitions[body["name"]] = body
        return Response(status_code=200)

    async def start(request: Request) -> Response:
        body = await request.json()
        definition = state.definitions[body["name"]]
        human = definition["tasks"][0]
        spec = human["inputParameters"]["__humanTaskDefinition"]
        with state.lock:
            number = next(state.ids)
        workflow_id, task_id = f"wf-{number}", f"task-{number}"
        assignee = spec["assignments"][0]["assignee"] if spec["assignments"] else None
        inputs = {k: v for k, v in human["inputParameters"].items() if k != "__humanTaskDefinition"}
        state.tasks[task_id] = {"taskId": task_id, "state": "ASSIGNED", "workflowId": workflow_id,
                                "taskRefName": human["taskReferenceName"], "humanTaskDef": spec, "input": inputs,
                                "output": {}, "createdBy": caller(request), "assignee": assignee,
                                "humanTaskActionLogs": []}
        state.workflows[workflow_id] = {"workflowId": workflow_id, "status": "RUNNING", "output": {}, "tasks": [
            {"taskType": "HUMAN", "taskId": task_id, "referenceTaskName": human["taskReferenceName"],
             "status": "IN_PROGRESS", "outputData": {}}]}
        return PlainTextResponse(workflow_id)

    async def workflow(request: Request) -> Response:
        found = state.workflows.get(request.path_params["wf"])
        return JSONResponse(found) if found else _error(state, 404, "no workflow")

    def dump(task: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in task.items() if v is not None and k != "humanTaskActionLogs"}
        context = {"humanTaskActionLogs": task["humanTaskActionLogs"]}
        out["input"] = {**task["input"], "__humanTaskProcessContext": context}
        return out

    def owner_or_admin(who: str | None, task: dict[str, Any]) -> bool:
        return who in ADMINS or who == task["createdBy"]

    async def get_task(request: Request) -> Response:
        task = state.tasks.get(request.path_params["task"])
        return JSONResponse(dump(task)) if task else _error(state, 404, "Task not found")

    def claim(request: Request, claimant: dict[str, str], *, external: bool) -> Response:
        who = caller(request)
        override = request.query_params.get("overrideAssignment", "false").lower() == "true"
        with state.lock:
            task = state.tasks.get(request.path_params["task"])
            if task is None:
                return _error(state, 400, "Task not found")
            assignee = task["assignee"]
            allowed = owner_or_admin(who, task) or assignee is None
            if not external and assignee is not None:
                allowed = allowed or override or assignee == {"user": who, "userType": "CONDUCTOR_USER"} or (
                    assignee["userType"] == "CONDUCTOR_GROUP" and who in GROUPS.get(assignee["user"], ()))
            if not allowed:
                return _error(state, 403, "You don't have permissions to claim")
            if task["state"] != "ASSIGNED" and not (state.faults.double_claim and task["state"] == "IN_PROGRESS"):
                return _error(state, 400, "Task is already claimed or finished")
            user = claimant["user"]
            if external and not override and assignee is not None and not (
                    assignee["userType"] == "EXTERNAL_GROUP" or assignee["user"] == user
                    or user in GROUPS.get(assignee["user"], ())):
                return _error(state, 400, f"User {user} is not the assignee")
            task["state"] = "IN_PROGRESS"
            task["claimant"] = None if state.faults.forget_claimant else claimant
            if override:
                task["assignee"] = claimant
            task["humanTaskActionLogs"].append({"action": "CLAIM", "actedBy": f"{claimant['userType']}:{user}",
                                                "claimant": claimant})
            return JSONResponse(dump(task))

    async def external(request: Request) -> Response:
        return claim(request, {"user": request.path_params["user"], "userType": "EXTERNAL_USER"}, external=True)

    async def claim_self(request: Request) -> Response:
        return claim(request, {"user": str(caller(request)), "userType": "CONDUCTOR_USER"}, external=False)

    async def release(request: Request) -> Response:
        who = caller(request)
        task = state.tasks.get(request.path_params["task"])
        if task is None or task["state"] != "IN_PROGRESS":
            return _error(state, 400, "not claimed")
        if not owner_or_admin(who, task) and (task.get("claimant") or {}).get("user") != who:
            return _error(state, 403, "You don't have permissions to release")
        task["state"], task["claimant"] = "ASSIGNED", None
        return Response(status_code=200)

    async def update(request: Request) -> Response:
        who = caller(request)
        task = state.tasks.get(request.path_params["task"])
        if task is None or task["state"] in ("COMPLETED", "DELETED", "TIMED_OUT"):
            return _error(state, 400, "not updatable")
        if not owner_or_admin(who, task) and (task.get("claimant") or {}).get("user") != who:
            return _error(state, 403, "You don't have permissions to update")
        body = await request.json() if await request.body() else {}
        task["output"] = {**task["output"], **body}
        if request.query_params.get("complete", "false").lower() == "true":
            task["state"] = "COMPLETED"
            run = state.workflows[task["workflowId"]]
            run["status"], run["output"] = "COMPLETED", {"approved": task["output"].get("approved"),
                                                          "result": task["output"]}
            run["tasks"][0].update(status="COMPLETED", outputData=task["output"])
        return Response(status_code=200)

    async def search(request: Request) -> Response:
        body = await request.json()
        found = [dump(t) for t in state.tasks.values() if t["workflowId"] in body.get("workflowIds", [])]
        return JSONResponse({"totalHits": len(found), "hits": len(found), "start": 0, "pageSizeLimit": 15,
                             "results": found})

    async def template(request: Request) -> Response:
        return JSONResponse(await request.json())

    routes = [
        Route("/api/token", token, methods=["POST"]),
        Route("/api/metadata/workflow", register, methods=["POST"]),
        Route("/api/workflow", start, methods=["POST"]),
        Route("/api/workflow/{wf}", workflow, methods=["GET"]),
        Route("/api/human/template", template, methods=["POST"]),
        Route("/api/human/tasks/search", search, methods=["POST"]),
        Route("/api/human/tasks/{task}", get_task, methods=["GET"]),
        Route("/api/human/tasks/{task}/externalUser/{user}", external, methods=["POST"]),
        Route("/api/human/tasks/{task}/claim", claim_self, methods=["POST"]),
        Route("/api/human/tasks/{task}/release", release, methods=["POST"]),
        Route("/api/human/tasks/{task}/update", update, methods=["POST"]),
    ]
    return Starlette(routes=routes)
