"""Drives the real Python SDK (conductor-python 2.0.0) through human-task workflows on a live mock.

The SDK lives in its own git-ignored virtual environment `.sdk/py` (filled by `scripts/install-python-sdk.sh`,
which `make test` runs), so its pinned dependencies never meet the mock's. `py/python_flow.py` runs there: it
builds workflows with the SDK's `HumanTask` builder, registers and starts them, reads them with
`get_workflow` (which silently returns None on any reply it cannot parse), claims and completes the human
task through `ApiClient.call_api`, and prints one JSON line per step. This module starts the mock on
`workflow_scenario.yaml`, runs the script once, and asserts on what each step saw.

A missing SDK is a broken setup: the tests fail, they do not skip.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import pytest

from tests.sdk import support

pytestmark = [pytest.mark.sdk, pytest.mark.live]

SCENARIO: Final = support.HERE / "workflow_scenario.yaml"
SCRIPT: Final = support.HERE / "py" / "python_flow.py"
SDK_VENV: Final = support.REPO_ROOT / ".sdk" / "py"
SDK_PYTHON: Final = SDK_VENV / "bin" / "python"
SDK_VERSION: Final = "2.0.0"
INSTALL_HINT: Final = "run `make test` or `scripts/install-python-sdk.sh` to install it into .sdk/py"
TIMEOUT_SECONDS: Final = 180
REDIS_WORKERS: Final = 1  # the heavy flows (the worker tests, HumanExecutor) run on 2

ALICE: Final = {"user": "alice@example.com", "userType": "EXTERNAL_USER"}
HUMAN_REF: Final = "approve_ref"
RECORD_REF: Final = "record_ref"

Json = support.Json


@dataclass
class Run:
    """What one run of python_flow.py printed, by step; `problem` is set when it could not run at all."""

    problem: str | None = None
    steps: dict[str, Json] = field(default_factory=dict, repr=False)
    stdout: str = field(default="", repr=False)
    stderr: str = field(default="", repr=False)
    returncode: int | None = None

    def report(self) -> str:
        return support.report("python_flow.py", self.stdout, self.stderr)

    def result(self, name: str) -> Json:
        """The result of step `name`; fails the test, with the step's error, if it raised or never ran."""
        if self.problem is not None:
            pytest.fail(self.problem, pytrace=False)
        record = self.steps.get(name)
        if record is None:
            pytest.fail(f"step {name} did not run (python_flow.py exited {self.returncode})" + self.report())
        if record.get("ok") is not True:
            error = json.dumps(record.get("error"), indent=2)
            # The error names the call, the HTTP status and the mock's body; the other steps would only bury it.
            pytest.fail(f"step {name}: the SDK call raised:\n{error}\n--- stderr ---\n{self.stderr}")
        result: Json = record.get("result") or {}
        return result


def _sdk_problem() -> str | None:
    if not SDK_PYTHON.is_file():
        return f"conductor-python is not installed: {SDK_PYTHON} does not exist; {INSTALL_HINT}"
    code = "import importlib.metadata as m, conductor.client; print(m.version('conductor-python'))"
    probe = subprocess.run([str(SDK_PYTHON), "-c", code], capture_output=True, text=True, timeout=60, check=False)
    if probe.returncode != 0:
        return f"conductor-python does not import in {SDK_VENV}: {probe.stderr.strip()}; {INSTALL_HINT}"
    version = probe.stdout.strip()
    if version != SDK_VERSION:
        return f"{SDK_VENV} holds conductor-python {version!r}, not {SDK_VERSION}: {INSTALL_HINT}"
    return None


def _sdk_env(base_url: str) -> dict[str, str]:
    # The SDK reads CONDUCTOR_* variables (server, keys, log level, HTTP/2): sdk_env drops any the developer has set.
    env = support.sdk_env(base_url, support.OWNER_KEY, PYTHONUNBUFFERED="1")
    env.pop("PYTHONPATH", None)  # the SDK's venv must not see the mock's packages
    return env


@pytest.fixture(scope="module")
def run(mock_options: tuple[str, ...]) -> Iterator[Run]:
    problem = _sdk_problem()
    if problem is not None:
        yield Run(problem=problem)
        return
    proc = support.run_script([str(SDK_PYTHON), str(SCRIPT)], SCENARIO, _sdk_env, TIMEOUT_SECONDS, mock_options)
    out = Run(stdout=proc.stdout, stderr=proc.stderr, returncode=proc.returncode)
    if proc.timed_out:
        out.problem = f"python_flow.py ran over {TIMEOUT_SECONDS} s" + out.report()
        yield out
        return
    for record in support.step_records(proc.stdout):
        if isinstance(record["step"], str):
            out.steps[record["step"]] = record
    if not out.steps:
        out.problem = f"python_flow.py printed no step (exit {proc.returncode})" + out.report()
    yield out


# ---------------------------------------------------------------- helpers


def _workflow(run: Run, step: str) -> Json:
    """The Workflow that `get_workflow` returned in `step`: it must not be None."""
    workflow: Json = run.result(step)["workflow"]
    assert workflow["is_none"] is False, (
        f"step {step}: get_workflow() returned None: conductor-python could not deserialize "
        "GET /api/workflow/{id}?includeTasks=true (a Workflow.status outside RUNNING, COMPLETED, FAILED, "
        "TIMED_OUT, TERMINATED, PAUSED; a Task.status outside IN_PROGRESS, CANCELED, FAILED, "
        "FAILED_WITH_TERMINAL_ERROR, COMPLETED, COMPLETED_WITH_ERRORS, SCHEDULED, TIMED_OUT, SKIPPED; "
        "or a time that is not an integer)" + run.report()
    )
    return workflow


def _task(workflow: Json, ref: str) -> Json | None:
    for task in workflow.get("tasks") or []:
        if task.get("reference_task_name") == ref:
            found: Json = task
            return found
    return None


def _human_task(run: Run, workflow: Json, step: str) -> Json:
    task = _task(workflow, HUMAN_REF)
    assert task is not None, f"step {step}: no task {HUMAN_REF} in the workflow: {workflow['tasks']}" + run.report()
    return task


def _same_user(actual: Any, expected: Json) -> bool:
    return isinstance(actual, dict) and actual.get("user") == expected["user"] and \
        actual.get("userType") == expected["userType"]


# ---------------------------------------------------------------- tests


def test_python_sdk_connects_with_its_keys(run: Run) -> None:
    connected = run.result("connect")
    assert connected["sdk_version"] == SDK_VERSION
    assert connected["got_token"] is True, "POST /api/token gave the SDK no token" + run.report()


def test_python_sdk_runs_a_human_task_workflow_to_completion(run: Run) -> None:
    """HumanTask (EXTERNAL_USER alice, LEAVE_OPEN) >> SET_VARIABLE, registered with the metadata client,
    started with the workflow client, claimed for alice and completed through ApiClient.call_api."""
    run.result("register_workflow_def")

    started = run.result("start_workflow")
    workflow_id = started["workflow_id"]
    assert started["type"] == "str" and workflow_id, f"start_workflow returned {started}" + run.report()

    running = _workflow(run, "get_workflow_running")
    assert running["workflow_id"] == workflow_id
    assert running["status"] == "RUNNING", running
    human = _human_task(run, running, "get_workflow_running")
    assert human["task_type"] == "HUMAN", human
    assert human["status"] == "IN_PROGRESS", human
    assert human["workflow_instance_id"] in (None, workflow_id), human
    record = _task(running, RECORD_REF)
    assert record is None or record["status"] != "COMPLETED", f"{RECORD_REF} ran before the human task: {record}"
    task_id = human["task_id"]

    entry = run.result("get_human_task")["entry"]
    assert entry["taskId"] == task_id, "the human task's taskId must be the HUMAN task's id"
    assert entry["state"] == "ASSIGNED", entry
    assert _same_user(entry.get("assignee"), ALICE), entry
    assert entry.get("workflowId") == workflow_id, entry
    assert entry.get("taskRefName") == HUMAN_REF, entry

    claimed = run.result("claim_external_user")["entry"]
    assert claimed["taskId"] == task_id, claimed
    assert claimed["state"] == "IN_PROGRESS", claimed
    assert _same_user(claimed.get("claimant"), ALICE), claimed

    run.result("complete_human_task")

    completed = _workflow(run, "get_workflow_completed")
    assert completed["status"] == "COMPLETED", completed
    assert completed["output"] == {"approved": True}, completed
    human_done = _human_task(run, completed, "get_workflow_completed")
    assert human_done["task_id"] == task_id
    assert human_done["task_type"] == "HUMAN", human_done
    assert human_done["status"] == "COMPLETED", human_done
    assert (human_done["output_data"] or {}).get("approved") is True, human_done
    record_done = _task(completed, RECORD_REF)
    assert record_done is not None and record_done["status"] == "COMPLETED", completed["tasks"]
    assert record_done["task_type"] == "SET_VARIABLE", record_done
    assert (completed["variables"] or {}).get("approved") is True, completed

    entry_done = run.result("get_human_task_completed")["entry"]
    assert entry_done["state"] == "COMPLETED", entry_done
    assert (entry_done.get("output") or {}).get("approved") is True, entry_done


def test_python_sdk_bare_human_task_builder_and_task_api(run: Run) -> None:
    """The bare HumanTask builder (displayName null, userFormTemplate {name: null, version: 0}, no assignee),
    read back with get_workflow_def, started by name, read with the task client, and completed through
    POST /api/tasks (WorkflowExecutor.update_task): the human task must complete with it."""
    sent = run.result("open_register_workflow_def")["definition_sent"]
    human_def = sent["tasks"][0]["inputParameters"]["__humanTaskDefinition"]
    assert human_def == {"assignmentCompletionStrategy": "LEAVE_OPEN", "displayName": None,
                         "userFormTemplate": {"name": None, "version": 0}}, human_def

    definition = run.result("open_get_workflow_def")
    assert definition["is_none"] is False, "get_workflow_def returned None" + run.report()
    assert definition["name"] == "sdk_py_open_approval" and definition["version"] == 1, definition
    assert definition["task_types"] == ["HUMAN", "SET_VARIABLE"], definition

    started = run.result("open_start_workflow_by_name")
    workflow_id = started["workflow_id"]
    assert started["type"] == "str" and workflow_id, started

    running = _workflow(run, "open_get_workflow_running")
    assert running["status"] == "RUNNING", running
    human = _human_task(run, running, "open_get_workflow_running")
    assert (human["task_type"], human["status"]) == ("HUMAN", "IN_PROGRESS"), human
    task_id = human["task_id"]

    task = run.result("open_get_task")
    assert task["is_none"] is False, "TaskClient.get_task returned None" + run.report()
    assert task["task"]["task_id"] == task_id, task
    assert (task["task"]["task_type"], task["task"]["status"]) == ("HUMAN", "IN_PROGRESS"), task
    assert task["task"]["workflow_instance_id"] == workflow_id, task

    entry = run.result("open_get_human_task")["entry"]
    assert entry["state"] == "ASSIGNED" and entry.get("assignee") is None, \
        f"a HUMAN task with no assignments must be open (ASSIGNED, no assignee): {entry}"

    run.result("open_update_task")

    completed = _workflow(run, "open_get_workflow_completed")
    assert completed["status"] == "COMPLETED", completed
    assert completed["output"] == {"approved": False}, completed
    human_done = _human_task(run, completed, "open_get_workflow_completed")
    assert human_done["status"] == "COMPLETED", human_done
    assert (human_done["output_data"] or {}).get("approved") is False, human_done

    entry_done = run.result("open_get_human_task_completed")["entry"]
    assert entry_done["state"] == "COMPLETED", \
        f"completing the HUMAN task through POST /api/tasks must complete the human task too: {entry_done}"
    assert (entry_done.get("output") or {}).get("approved") is False, entry_done


def test_python_sdk_terminates_a_workflow(run: Run) -> None:
    terminated = _workflow(run, "terminate_workflow")
    assert terminated["status"] == "TERMINATED", terminated
    human = _human_task(run, terminated, "terminate_workflow")
    assert human["status"] == "CANCELED", human


def test_python_sdk_conductor_workflow_register(run: Run) -> None:
    """ConductorWorkflow.register() goes through WorkflowExecutor.register_workflow, which sends
    PUT /api/metadata/workflow?overwrite=True with a JSON list of definitions."""
    registered = run.result("conductor_workflow_register")
    assert registered["registered"] is True and registered["name"] == "sdk_py_put_approval", registered
