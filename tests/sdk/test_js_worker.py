"""The JavaScript SDK's human-in-the-loop example with a real `TaskHandler` worker (JS SDK 4.0.0).

`js/worker_flow.mjs` registers a workflow built with the `humanTask` and `simpleTask` builders, starts a
`TaskHandler` whose worker runs the SIMPLE task (it batch polls `GET /api/tasks/poll/batch/{taskType}` and reports
through `POST /api/tasks/update-v2`), starts the workflow, finds the human task with `pollSearch`, claims it for
alice with `overrideAssignment`, stores and then completes its output, and waits for the worker to finish the
workflow. Each step reports ok or what it saw; this module requires every step to be ok.
"""

from __future__ import annotations

from typing import Final

import pytest

from tests.sdk import support

pytestmark = [pytest.mark.sdk, pytest.mark.live]

SCENARIO: Final = support.HERE / "workflow_scenario.yaml"
SCRIPT: Final = support.HERE / "js" / "worker_flow.mjs"
TIMEOUT_SECONDS: Final = 180
STEPS: Final = (
    "connect",
    "a_register_humanTask_simpleTask",
    "b_start_worker_and_workflow",
    "c_pollSearch_finds_the_task",
    "d_claim_with_overrideAssignment",
    "e_updateTaskOutput",
    "f_completeTask",
    "g_worker_ran_and_workflow_completed",
)


def test_js_task_handler_runs_the_simple_task_after_the_human_task(mock_options: tuple[str, ...]) -> None:
    node = support.node()
    problem = support.js_sdk_problem()
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    proc = support.run_script([node, str(SCRIPT)], SCENARIO, support.js_sdk_env, TIMEOUT_SECONDS, mock_options)
    report = support.report("worker_flow.mjs", proc.stdout, proc.stderr)
    assert not proc.timed_out, f"worker_flow.mjs ran over {TIMEOUT_SECONDS} s" + report
    ok = support.ok_by_step(proc.stdout)
    failed = [name for name in STEPS if not ok.get(name, False)]
    assert failed == [], f"steps missing or not ok: {failed} (the first one is the cause)" + report
    assert proc.returncode == 0, f"worker_flow.mjs exited {proc.returncode}" + report
