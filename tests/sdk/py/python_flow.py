"""Drives the REAL conductor-python 2.0.0 SDK against a live mock seeded with tests/sdk/workflow_scenario.yaml.

Runs inside the SDK's own virtual environment (`.sdk/py`, filled by scripts/install-python-sdk.sh), never the
mock's: tests/sdk/test_python_sdk.py starts it as a subprocess.

Env: CONDUCTOR_SERVER_URL (e.g. http://127.0.0.1:PORT/api), CONDUCTOR_AUTH_KEY, CONDUCTOR_AUTH_SECRET.

Prints one JSON line per step on stdout:
  {"step": name, "ok": true, "result": {...}}   the SDK calls of the step returned; `result` holds what they
                                                returned, reduced to JSON (the pytest side asserts on it)
  {"step": name, "ok": false, "error": {...}}   an SDK call raised (type, message, HTTP status and body)
Every step runs even after a failure; a step that needs an earlier one's result reports what it is missing.
This script asserts nothing itself: it observes, and test_python_sdk.py judges. SDK logs go to stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from importlib import metadata
from typing import Any

from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.authentication_settings import AuthenticationSettings
from conductor.client.http.api_client import ApiClient
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.orkes_clients import OrkesClients
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.task.human_task import AssignmentCompletionStrategy, HumanTask
from conductor.client.workflow.task.set_variable_task import SetVariableTask

ALICE = "alice@example.com"
HUMAN_REF = "approve_ref"
RECORD_REF = "record_ref"
MAIN_FLOW = "sdk_py_approval"  # HumanTask with an assignee, then SET_VARIABLE; registered with POST
OPEN_FLOW = "sdk_py_open_approval"  # the bare HumanTask builder (its nulls, no assignee)
PUT_FLOW = "sdk_py_put_approval"  # registered through ConductorWorkflow.register (PUT, a list)
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}

Json = dict[str, Any]


# ---------------------------------------------------------------- reporting


def emit(record: Json) -> None:
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


def describe_error(err: BaseException) -> Json:
    out: Json = {"type": type(err).__name__, "message": str(err)}
    for attr in ("status", "reason", "body", "error_code"):
        value = getattr(err, attr, None)
        if value is not None:
            out[attr] = value
    out["traceback"] = traceback.format_exception(err)[-3:]
    return out


class Missing(Exception):
    """A step could not run because an earlier step did not produce what it needs."""


def step(name: str, body: Callable[[], Json]) -> Json | None:
    try:
        result = body()
    except Exception as err:  # report every failure, then go on with the next step
        emit({"step": name, "ok": False, "error": describe_error(err)})
        return None
    emit({"step": name, "ok": True, "result": result})
    return result


def need(value: Any, what: str) -> Any:
    if value is None:
        raise Missing(f"not run: {what} is missing (an earlier step failed)")
    return value


# ---------------------------------------------------------------- reducing SDK models to JSON


def task_view(task: Any) -> Json:
    return {
        "task_id": task.task_id,
        "task_type": task.task_type,
        "status": task.status,
        "reference_task_name": task.reference_task_name,
        "workflow_instance_id": task.workflow_instance_id,
        "output_data": task.output_data,
        "scheduled_time": task.scheduled_time,
        "start_time": task.start_time,
        "end_time": task.end_time,
    }


def workflow_view(workflow: Any) -> Json:
    """`get_workflow` returns None when the SDK could not parse the reply (an unknown status, a non-integer
    time...): report that as `is_none` so the test says so plainly."""
    if workflow is None:
        return {"is_none": True}
    tasks = workflow.tasks
    return {
        "is_none": False,
        "workflow_id": workflow.workflow_id,
        "workflow_name": workflow.workflow_name,
        "workflow_version": workflow.workflow_version,
        "status": workflow.status,
        "input": workflow.input,
        "output": workflow.output,
        "variables": workflow.variables,
        "correlation_id": workflow.correlation_id,
        "start_time": workflow.start_time,
        "end_time": workflow.end_time,
        "tasks": None if tasks is None else [task_view(t) for t in tasks],
    }


def human_task_of(view: Json, ref: str = HUMAN_REF) -> Json | None:
    for task in view.get("tasks") or []:
        if task["reference_task_name"] == ref:
            found: Json = task
            return found
    return None


# ---------------------------------------------------------------- builders


def human_task(*, with_assignee: bool) -> Any:
    if not with_assignee:
        return HumanTask(HUMAN_REF)  # displayName: null, userFormTemplate: {name: null, version: 0}
    task = HumanTask(
        HUMAN_REF,
        display_name="Approve the request",
        form_template="approve_form",
        form_version=1,
        assignment_completion_strategy=AssignmentCompletionStrategy.LEAVE_OPEN,
    )
    # The builder has no parameter for assignments: they go into the definition it built.
    task.input_parameters["__humanTaskDefinition"]["assignments"] = [
        {"assignee": {"user": ALICE, "userType": "EXTERNAL_USER"}, "slaMinutes": 0}
    ]
    return task


def build_workflow(executor: Any, name: str, *, with_assignee: bool) -> Any:
    human = human_task(with_assignee=with_assignee)
    record = SetVariableTask(RECORD_REF)
    record.input_parameters.update({"approved": human.output("approved")})
    workflow = ConductorWorkflow(executor, name, 1, "conductor-mock SDK test: one human approval")
    workflow.add(human).add(record)
    workflow.output_parameters({"approved": "${" + HUMAN_REF + ".output.approved}"})
    return workflow


# ---------------------------------------------------------------- the scenario


def run(server_url: str, key_id: str, key_secret: str) -> None:
    state: Json = {}
    config = Configuration(
        server_api_url=server_url,
        authentication_settings=AuthenticationSettings(key_id=key_id, key_secret=key_secret),
    )

    def connect() -> Json:
        clients = OrkesClients(configuration=config)
        state["workflows"] = clients.get_workflow_client()
        state["metadata"] = clients.get_metadata_client()
        state["tasks"] = clients.get_task_client()
        state["executor"] = clients.get_workflow_executor()
        state["api"] = ApiClient(config)
        return {"sdk_version": metadata.version("conductor-python"), "server_url": config.host,
                "got_token": config.AUTH_TOKEN is not None}

    if step("connect", connect) is None:
        return

    api: Any = state["api"]
    workflows: Any = state["workflows"]
    metadata_client: Any = state["metadata"]
    executor: Any = state["executor"]

    def call(method: str, path: str, path_params: dict[str, str], query: list[tuple[str, Any]] | None = None,
             body: Any = None) -> Any:
        return api.call_api(path, method, path_params=path_params, query_params=query or [],
                            header_params=dict(JSON_HEADERS), body=body, response_type="object",
                            _return_http_data_only=True)

    def get_human(task_id: str) -> Json:
        entry: Json = call("GET", "/human/tasks/{taskId}", {"taskId": task_id})
        return entry

    # ---- main flow: HumanTask (assigned to alice) >> SET_VARIABLE, registered with POST, completed by the
    # human-task API through ApiClient.call_api.
    main_workflow = build_workflow(executor, MAIN_FLOW, with_assignee=True)

    def register() -> Json:
        definition = main_workflow.to_workflow_def()
        sent = api.sanitize_for_serialization(definition)
        returned = metadata_client.register_workflow_def(definition, overwrite=True)
        return {"definition_sent": sent, "returned": returned}

    def start() -> Json:
        request = StartWorkflowRequest(name=MAIN_FLOW, version=1, input={"amount": 10}, correlation_id="sdk-py-1")
        workflow_id = workflows.start_workflow(request)
        state["main_id"] = workflow_id
        return {"workflow_id": workflow_id, "type": type(workflow_id).__name__}

    def get_running() -> Json:
        view = workflow_view(workflows.get_workflow(need(state.get("main_id"), "the workflow id"), include_tasks=True))
        human = human_task_of(view)
        if human is not None:
            state["main_task"] = human["task_id"]
        return {"workflow": view}

    def human_entry() -> Json:
        return {"entry": get_human(need(state.get("main_task"), "the HUMAN task id"))}

    def claim() -> Json:
        task_id = need(state.get("main_task"), "the HUMAN task id")
        entry = call("POST", "/human/tasks/{taskId}/externalUser/{userId}", {"taskId": task_id, "userId": ALICE})
        return {"entry": entry}

    def complete() -> Json:
        task_id = need(state.get("main_task"), "the HUMAN task id")
        returned = call("POST", "/human/tasks/{taskId}/update", {"taskId": task_id}, [("complete", True)],
                        {"approved": True})
        return {"returned": returned}

    def get_completed() -> Json:
        view = workflow_view(workflows.get_workflow(need(state.get("main_id"), "the workflow id"), include_tasks=True))
        return {"workflow": view}

    def human_completed() -> Json:
        return {"entry": get_human(need(state.get("main_task"), "the HUMAN task id"))}

    step("register_workflow_def", register)
    step("start_workflow", start)
    step("get_workflow_running", get_running)
    step("get_human_task", human_entry)
    step("claim_external_user", claim)
    step("complete_human_task", complete)
    step("get_workflow_completed", get_completed)
    step("get_human_task_completed", human_completed)

    # ---- the bare HumanTask builder (nulls, no assignee), started by name, completed through the Conductor
    # task API (POST /api/tasks with a TaskResult).
    open_workflow = build_workflow(executor, OPEN_FLOW, with_assignee=False)

    def register_open() -> Json:
        definition = open_workflow.to_workflow_def()
        sent = api.sanitize_for_serialization(definition)
        metadata_client.register_workflow_def(definition, overwrite=True)
        return {"definition_sent": sent}

    def get_definition() -> Json:
        definition = metadata_client.get_workflow_def(OPEN_FLOW, version=1)
        if definition is None:
            return {"is_none": True}
        return {"is_none": False, "name": definition.name, "version": definition.version,
                "task_types": [t.type for t in definition.tasks or []],
                "output_parameters": definition.output_parameters}

    def start_by_name() -> Json:
        workflow_id = workflows.start_workflow_by_name(OPEN_FLOW, {"amount": 5}, version=1)
        state["open_id"] = workflow_id
        return {"workflow_id": workflow_id, "type": type(workflow_id).__name__}

    def get_open_running() -> Json:
        view = workflow_view(workflows.get_workflow(need(state.get("open_id"), "the workflow id"), include_tasks=True))
        human = human_task_of(view)
        if human is not None:
            state["open_task"] = human["task_id"]
        return {"workflow": view}

    def get_task() -> Json:
        task = state["tasks"].get_task(need(state.get("open_task"), "the HUMAN task id"))
        return {"is_none": task is None, "task": None if task is None else task_view(task)}

    def open_entry() -> Json:
        return {"entry": get_human(need(state.get("open_task"), "the HUMAN task id"))}

    def update_task() -> Json:
        returned = executor.update_task(need(state.get("open_task"), "the HUMAN task id"),
                                        need(state.get("open_id"), "the workflow id"), {"approved": False},
                                        "COMPLETED")
        return {"returned": returned}

    def get_open_completed() -> Json:
        view = workflow_view(workflows.get_workflow(need(state.get("open_id"), "the workflow id"), include_tasks=True))
        return {"workflow": view}

    def open_entry_completed() -> Json:
        return {"entry": get_human(need(state.get("open_task"), "the HUMAN task id"))}

    def terminate() -> Json:
        workflow_id = workflows.start_workflow_by_name(OPEN_FLOW, {"amount": 1}, version=1)
        workflows.terminate_workflow(workflow_id, reason="no longer needed")
        return {"workflow": workflow_view(workflows.get_workflow(workflow_id, include_tasks=True))}

    step("open_register_workflow_def", register_open)
    step("open_get_workflow_def", get_definition)
    step("open_start_workflow_by_name", start_by_name)
    step("open_get_workflow_running", get_open_running)
    step("open_get_task", get_task)
    step("open_get_human_task", open_entry)
    step("open_update_task", update_task)
    step("open_get_workflow_completed", get_open_completed)
    step("open_get_human_task_completed", open_entry_completed)
    step("terminate_workflow", terminate)

    # ---- ConductorWorkflow.register: WorkflowExecutor.register_workflow sends PUT /api/metadata/workflow
    # with a JSON *list* of definitions.
    put_workflow = build_workflow(executor, PUT_FLOW, with_assignee=True)

    def register_put() -> Json:
        returned = put_workflow.register(overwrite=True)
        definition = metadata_client.get_workflow_def(PUT_FLOW, version=1)
        return {"returned": returned, "registered": definition is not None,
                "name": None if definition is None else definition.name}

    step("conductor_workflow_register", register_put)


def main() -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    names = ("CONDUCTOR_SERVER_URL", "CONDUCTOR_AUTH_KEY", "CONDUCTOR_AUTH_SECRET")
    values = [os.environ.get(name, "") for name in names]
    if not all(values):
        emit({"step": "connect", "ok": False, "error": {"message": f"{', '.join(names)} must be set"}})
        return 1
    run(*values)
    return 0


if __name__ == "__main__":
    sys.exit(main())
