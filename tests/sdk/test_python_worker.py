"""conductor-python 2.0.0's real `TaskHandler` and a `@worker_task` function run the SIMPLE task of a human-in-the-loop
workflow (`py/worker_flow.py`, in the SDK's own `.sdk/py`): the worker process batch polls, reports through
`update-v2`, and the workflow completes with the worker's output. Every step must report ok."""

from __future__ import annotations

from typing import Final

import pytest

from tests.sdk import support
from tests.sdk.test_python_sdk import SDK_PYTHON, _sdk_problem

pytestmark = [pytest.mark.sdk, pytest.mark.live]

SCENARIO: Final = support.HERE / "workflow_scenario.yaml"
SCRIPT: Final = support.HERE / "py" / "worker_flow.py"
TIMEOUT_SECONDS: Final = 180
STEPS: Final = ("register", "start_handler_and_workflow", "search", "claim_override", "update_and_complete",
                "worker_ran_workflow_completed")


def test_python_task_handler_runs_the_simple_task_after_the_human_task(mock_options: tuple[str, ...]) -> None:
    problem = _sdk_problem()
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    proc = support.run_script([str(SDK_PYTHON), str(SCRIPT)], SCENARIO,
                              lambda url: support.sdk_env(url, support.OWNER_KEY), TIMEOUT_SECONDS, mock_options)
    report = support.report("worker_flow.py", proc.stdout, proc.stderr)
    assert not proc.timed_out, f"worker_flow.py ran over {TIMEOUT_SECONDS} s" + report
    ok = support.ok_by_step(proc.stdout)
    failed = [name for name in STEPS if not ok.get(name, False)]
    assert failed == [], f"steps missing or not ok: {failed} (the first one is the cause)" + report
    assert proc.returncode == 0, f"worker_flow.py exited {proc.returncode}" + report
