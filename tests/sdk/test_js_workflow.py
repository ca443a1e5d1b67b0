"""Drives the real JavaScript SDK (@io-orkes/conductor-javascript 4.0.0) through human-task workflows.

`js/workflow_flow.mjs` builds a workflow with the SDK's `humanTask` builder (which writes a singular
`assignee`), registers and starts it with `WorkflowExecutor`, claims and completes the human task with
`HumanExecutor`, and completes two more instances through the Conductor task API
(`updateTaskByRefName`, `updateTask`). It prints one JSON line per step with its own checks; this module
starts the mock on `workflow_scenario.yaml`, runs the script once, and requires the steps to report ok.

The SDK lives in the git-ignored `.sdk/js` (filled by `scripts/install-js-sdk.sh`, which `make test` runs).
Skipped only when `node` is missing: a missing SDK is a broken setup, so it fails.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import pytest

from tests.livemock import live_mock

pytestmark = [pytest.mark.sdk, pytest.mark.live]

_HERE: Final = pathlib.Path(__file__).resolve().parent
REPO_ROOT: Final = _HERE.parents[1]
SCENARIO: Final = _HERE / "workflow_scenario.yaml"
SCRIPT: Final = _HERE / "js" / "workflow_flow.mjs"
SDK_PREFIX: Final = REPO_ROOT / ".sdk" / "js"
SDK_PACKAGE_JSON: Final = SDK_PREFIX / "node_modules" / "@io-orkes" / "conductor-javascript" / "package.json"
SDK_VERSION: Final = "4.0.0"
INSTALL_HINT: Final = "run `make test` or `scripts/install-js-sdk.sh` to install it into .sdk/js"
TIMEOUT_SECONDS: Final = 180

# The key of the application `owner-app` in workflow_scenario.yaml: it starts the workflows, so it owns
# the human tasks and may claim them on alice's behalf and complete them.
OWNER_KEY: Final = ("owner-key", "owner-secret")

# The steps of workflow_flow.mjs, by what they cover; each must report ok true.
HUMAN_API_STEPS: Final = (
    "connect",
    "a_registerWorkflow_humanTask_builder",
    "b_startWorkflow",
    "c_getWorkflow_running",
    "d_getTaskById_assigned",
    "e_claimTaskAsExternalUser_alice",
    "f_completeTask",
    "g_getWorkflow_completed",
    "h_getTaskById_completed",
)
BY_REF_STEPS: Final = (
    "i_startWorkflow_second",
    "j_getExecution_running",
    "k_updateTaskByRefName",
    "l_getWorkflow_completed_by_ref",
    "m_getTaskById_completed_by_ref",
)
TASK_RESULT_STEPS: Final = ("n_updateTask",)


@dataclass
class Run:
    """What one run of workflow_flow.mjs printed; `problem` is set when it could not run at all."""

    problem: str | None = None
    ok_by_step: dict[str, bool] = field(default_factory=dict)
    stdout: str = field(default="", repr=False)
    stderr: str = field(default="", repr=False)
    returncode: int | None = None

    def report(self) -> str:
        return f"\n--- workflow_flow.mjs stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"

    def require(self, steps: tuple[str, ...]) -> None:
        if self.problem is not None:
            pytest.fail(self.problem, pytrace=False)
        failed = [name for name in steps if not self.ok_by_step.get(name, False)]
        assert failed == [], f"steps missing or not ok: {failed} (the first one is the cause)" + self.report()


def _text(stream: str | bytes | None) -> str:
    if isinstance(stream, bytes):
        return stream.decode("utf-8", errors="replace")
    return stream or ""


def _sdk_problem() -> str | None:
    if not SDK_PACKAGE_JSON.is_file():
        return f"@io-orkes/conductor-javascript is not installed in {SDK_PREFIX}: {INSTALL_HINT}"
    # The published 4.0.0 package.json spells its version "v4.0.0".
    version = str(json.loads(SDK_PACKAGE_JSON.read_text(encoding="utf-8")).get("version", "")).removeprefix("v")
    if version != SDK_VERSION:
        return f"{SDK_PREFIX} holds SDK version {version!r}, not {SDK_VERSION}: {INSTALL_HINT}"
    return None


def _sdk_env(base_url: str) -> dict[str, str]:
    # The SDK lets CONDUCTOR_* variables override its config: drop any the developer has set.
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONDUCTOR_")}
    key_id, key_secret = OWNER_KEY
    env.update(
        CONDUCTOR_SERVER_URL=base_url,
        CONDUCTOR_AUTH_KEY=key_id,
        CONDUCTOR_AUTH_SECRET=key_secret,
        CONDUCTOR_JS_SDK_DIR=str(SDK_PREFIX),
    )
    return env


def _step_records(stdout: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "step" in record:
            records.append(record)
    return records


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Node.js 20+ is needed to run the JavaScript SDK)")
    problem = _sdk_problem()
    if problem is not None:
        yield Run(problem=problem)
        return
    with live_mock(SCENARIO) as mock:
        try:
            proc = subprocess.run(
                [node, str(SCRIPT)],
                cwd=REPO_ROOT, env=_sdk_env(mock.base_url), capture_output=True, text=True,
                timeout=TIMEOUT_SECONDS, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            out = Run(stdout=_text(exc.stdout), stderr=_text(exc.stderr))
            out.problem = f"workflow_flow.mjs ran over {TIMEOUT_SECONDS} s" + out.report()
            yield out
            return
    out = Run(stdout=proc.stdout, stderr=proc.stderr, returncode=proc.returncode)
    out.ok_by_step = {record["step"]: record.get("ok") is True for record in _step_records(proc.stdout)}
    if not out.ok_by_step:
        out.problem = f"workflow_flow.mjs printed no step (exit {proc.returncode})" + out.report()
    yield out


def test_js_human_task_workflow_completes_through_the_human_executor(run: Run) -> None:
    """humanTask builder (singular assignee) >> setVariableTask, registerWorkflow, startWorkflow, getWorkflow
    (RUNNING, HUMAN IN_PROGRESS), claimTaskAsExternalUser, completeTask, getWorkflow (COMPLETED, output)."""
    run.require(HUMAN_API_STEPS)


def test_js_update_task_by_ref_name_completes_the_human_task(run: Run) -> None:
    """WorkflowExecutor.updateTaskByRefName(ref, wf, "COMPLETED", output) completes the workflow task and the
    human task behind it."""
    run.require(BY_REF_STEPS)


def test_js_update_task_with_a_task_result_completes_the_human_task(run: Run) -> None:
    """WorkflowExecutor.updateTask(taskId, wf, "COMPLETED", output): POST /api/tasks with a TaskResult."""
    run.require(TASK_RESULT_STEPS)


def test_js_workflow_flow_exits_cleanly(run: Run) -> None:
    """Every step ran and the script exited 0 (no step missing, no crash after the last one)."""
    run.require(HUMAN_API_STEPS + BY_REF_STEPS + TASK_RESULT_STEPS)
    assert run.returncode == 0, f"workflow_flow.mjs exited {run.returncode}" + run.report()
