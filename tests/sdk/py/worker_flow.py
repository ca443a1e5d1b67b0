"""The human-in-the-loop flow with conductor-python 2.0.0's REAL `TaskHandler` and a `@worker_task` function, against
a live mock seeded with tests/sdk/workflow_scenario.yaml. Runs inside `.sdk/py` (tests/sdk/test_python_worker.py
starts it).

HumanTask >> SimpleTask (input `${review_task.output.output.approved}`), registered and started with the SDK; the
human task is found by search, claimed for alice with overrideAssignment, given output, completed (the
human-task API through `ApiClient.call_api`: the Python SDK has no human-task client); the TaskHandler's worker
process runs the SIMPLE task and the workflow completes with its output.

Env: CONDUCTOR_SERVER_URL, CONDUCTOR_AUTH_KEY, CONDUCTOR_AUTH_SECRET. Prints one JSON line per step
(`{"step", "ok", "result"|"error"}`) and exits 0 only when every step's checks held.
"""

# No `from __future__ import annotations`: the SDK reads the worker function's annotations as real types.
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.authentication_settings import AuthenticationSettings
from conductor.client.http.api_client import ApiClient
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.orkes_clients import OrkesClients
from conductor.client.worker.worker_task import worker_task
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.task.human_task import AssignmentCompletionStrategy, HumanTask
from conductor.client.workflow.task.simple_task import SimpleTask

WORKFLOW_NAME = "sdk_py_human_in_the_loop"
REVIEW_REF = "review_task"
PROCESS_REF = "process_task"
TASK_TYPE = "process_review_py"
REVIEWER = {"user": "reviewer@example.com", "userType": "EXTERNAL_USER"}
CLAIMANT = "alice@example.com"
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
Json = dict[str, Any]
failures: list[str] = []


@worker_task(task_definition_name=TASK_TYPE, poll_interval_millis=100)  # type: ignore[untyped-decorator]
def process_review(approved: bool, document: str) -> Json:
    return {"result": f"approved: {document}" if approved else "rejected", "by": "py-worker"}


def emit(record: Json) -> None:
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


def step(name: str, body: Callable[[], Json]) -> Json | None:
    try:
        result = body()
    except Exception as err:
        failures.append(name)
        emit({"step": name, "ok": False, "error": {"type": type(err).__name__, "message": str(err),
                                                   "body": getattr(err, "body", None),
                                                   "traceback": traceback.format_exception(err)[-3:]}})
        return None
    emit({"step": name, "ok": True, "result": result})
    return result


def expect(condition: bool, what: str, seen: Any) -> None:
    if not condition:
        raise AssertionError(f"expected {what}; saw {json.dumps(seen, default=str)}")


def build(executor: Any) -> ConductorWorkflow:
    review = HumanTask(REVIEW_REF, display_name="Review the document",
                       assignment_completion_strategy=AssignmentCompletionStrategy.LEAVE_OPEN)
    review.input_parameters["__humanTaskDefinition"]["assignments"] = [{"assignee": REVIEWER, "slaMinutes": 0}]
    process = SimpleTask(TASK_TYPE, PROCESS_REF)
    process.input_parameters.update({"approved": "${" + REVIEW_REF + ".output.output.approved}",
                                     "document": "${workflow.input.document}"})
    workflow = ConductorWorkflow(executor, WORKFLOW_NAME, 1, "conductor-mock: human in the loop, Python worker")
    workflow.add(review).add(process)
    workflow.output_parameters({"result": "${" + PROCESS_REF + ".output.result}",
                                "by": "${" + PROCESS_REF + ".output.by}"})
    return workflow


def main() -> int:
    auth = AuthenticationSettings(key_id=os.environ["CONDUCTOR_AUTH_KEY"],
                                  key_secret=os.environ["CONDUCTOR_AUTH_SECRET"])
    config = Configuration(server_api_url=os.environ["CONDUCTOR_SERVER_URL"], authentication_settings=auth)
    clients = OrkesClients(configuration=config)
    workflows, api = clients.get_workflow_client(), ApiClient(config)
    state: Json = {}

    def call(method: str, path: str, path_params: dict[str, str], query: list[tuple[str, Any]] | None = None,
             body: Any = None) -> Any:
        return api.call_api(path, method, path_params=path_params, query_params=query or [],
                            header_params=dict(JSON_HEADERS), body=body, response_type="object",
                            _return_http_data_only=True)

    def register() -> Json:
        build(clients.get_workflow_executor()).register(overwrite=True)
        return {}

    def start() -> Json:
        state["handler"] = handler = TaskHandler(configuration=config, scan_for_annotated_workers=True,
                                                 monitor_processes=False)
        handler.start_processes()
        state["id"] = workflows.start_workflow(StartWorkflowRequest(name=WORKFLOW_NAME, version=1,
                                                                    input={"document": "contract.pdf"}))
        return {"workflow_id": state["id"]}

    def search() -> Json:
        # no searchType: the default scope finds the owner's tasks assigned to external users
        page = call("POST", "/human/tasks/search", {}, body={"states": ["ASSIGNED"], "taskRefNames": [REVIEW_REF]})
        found = [t for t in page.get("results") or [] if t.get("workflowId") == state.get("id")]
        expect(len(found) == 1, "one review task of the workflow", page)
        state["task"] = found[0]["taskId"]
        return {"taskId": state["task"]}

    def claim() -> Json:
        entry = call("POST", "/human/tasks/{taskId}/externalUser/{userId}", {"taskId": state["task"],
                     "userId": CLAIMANT}, [("overrideAssignment", True)])
        expect(entry.get("state") == "IN_PROGRESS", "IN_PROGRESS", entry)
        return {}

    def update() -> Json:
        call("POST", "/human/tasks/{taskId}/update", {"taskId": state["task"]}, body={"output": {"comment": "ok"}})
        call("POST", "/human/tasks/{taskId}/update", {"taskId": state["task"]}, [("complete", True)],
             {"output": {"approved": True, "comment": "ok"}})
        return {}

    def finished() -> Json:
        until, workflow = time.monotonic() + 60, None
        while time.monotonic() < until:
            workflow = workflows.get_workflow(state["id"], include_tasks=True)
            if workflow is not None and workflow.status != "RUNNING":
                break
            time.sleep(0.2)
        expect(workflow is not None and workflow.status == "COMPLETED", "COMPLETED", getattr(workflow, "status", None))
        assert workflow is not None
        [task] = [t for t in workflow.tasks if t.reference_task_name == PROCESS_REF]
        expect(task.input_data.get("approved") is True, "approved from ${review_task.output.output.approved}",
               task.input_data)
        expect(task.poll_count == 1 and bool(task.worker_id), "polled once by a worker", [task.poll_count,
                                                                                           task.worker_id])
        expect(workflow.output == {"result": "approved: contract.pdf", "by": "py-worker"}, "the worker's output",
               workflow.output)
        return {"output": workflow.output}

    try:
        for name, body in (("register", register), ("start_handler_and_workflow", start), ("search", search),
                           ("claim_override", claim), ("update_and_complete", update),
                           ("worker_ran_workflow_completed", finished)):
            step(name, body)
    finally:
        handler = state.get("handler")
        if handler is not None:
            handler.stop_processes()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
