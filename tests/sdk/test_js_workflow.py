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

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import pytest

from tests.sdk import support

pytestmark = [pytest.mark.sdk, pytest.mark.live]

SCENARIO: Final = support.HERE / "workflow_scenario.yaml"
SCRIPT: Final = support.HERE / "js" / "workflow_flow.mjs"
TIMEOUT_SECONDS: Final = 180
REDIS_WORKERS: Final = 1  # the heavy flows (the worker tests, HumanExecutor) run on 2

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
        return support.report("workflow_flow.mjs", self.stdout, self.stderr)

    def require(self, steps: tuple[str, ...]) -> None:
        if self.problem is not None:
            pytest.fail(self.problem, pytrace=False)
        failed = [name for name in steps if not self.ok_by_step.get(name, False)]
        assert failed == [], f"steps missing or not ok: {failed} (the first one is the cause)" + self.report()


@pytest.fixture(scope="module")
def run(mock_options: tuple[str, ...]) -> Iterator[Run]:
    node = support.node()
    problem = support.js_sdk_problem()
    if problem is not None:
        yield Run(problem=problem)
        return
    proc = support.run_script([node, str(SCRIPT)], SCENARIO, support.js_sdk_env, TIMEOUT_SECONDS, mock_options)
    out = Run(stdout=proc.stdout, stderr=proc.stderr, returncode=proc.returncode)
    if proc.timed_out:
        out.problem = f"workflow_flow.mjs ran over {TIMEOUT_SECONDS} s" + out.report()
        yield out
        return
    out.ok_by_step = support.ok_by_step(proc.stdout)
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
