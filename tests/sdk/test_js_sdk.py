"""Drives the real JavaScript SDK (@io-orkes/conductor-javascript 4.0.0) against a live mock.

The SDK lives in the git-ignored `.sdk/js` (filled by `scripts/install-js-sdk.sh`, which `make test` runs).
`js/human_executor.mjs` calls `HumanExecutor` step by step and prints one JSON line per step; this test
starts the mock on `sdk_scenario.yaml`, runs the script, and requires every step to report `ok: true`.
Skipped only when `node` is missing: a missing SDK is a broken setup, so it fails.
"""

from __future__ import annotations

from typing import Final

import pytest

from tests.sdk import support

pytestmark = [pytest.mark.sdk, pytest.mark.live]

SCENARIO: Final = support.HERE / "sdk_scenario.yaml"
SCRIPT: Final = support.HERE / "js" / "human_executor.mjs"
TIMEOUT_SECONDS: Final = 120

# Every step human_executor.mjs must report with ok true, in order.
EXPECTED_STEPS: Final = (
    "connect",
    "a_getTaskById_assigned",
    "b_search_admin_assigned",
    "b_pollSearch_without_searchType_by_owner",
    "c_claimTaskAsExternalUser_alice",
    "d_claimTaskAsExternalUser_bob_rejected",
    "e_releaseTask",
    "f_claimTaskAsConductorUser",
    "g_updateTaskOutput_completeTask",
    "h_getTemplateByNameVersion",
    "i_claimTaskAsExternalUser_withTemplate",
    "j_getTaskById_unknown_rejected",
)


def test_human_executor_claims_releases_and_completes_tasks_on_the_mock(mock_options: tuple[str, ...]) -> None:
    node = support.node()
    problem = support.js_sdk_problem()
    if problem is not None:
        pytest.fail(problem, pytrace=False)

    out = support.run_script([node, str(SCRIPT)], SCENARIO, support.js_sdk_env, TIMEOUT_SECONDS, mock_options)
    report = support.report("human_executor.mjs", out.stdout, out.stderr)
    if out.timed_out:
        pytest.fail(f"human_executor.mjs ran over {TIMEOUT_SECONDS} s" + report)

    ok_by_step = support.ok_by_step(out.stdout)
    failed = [step for step in EXPECTED_STEPS if not ok_by_step.get(step, False)]
    assert out.returncode == 0, f"human_executor.mjs exited {out.returncode}; failed steps: {failed}" + report
    assert failed == [], f"steps missing or not ok: {failed}" + report
