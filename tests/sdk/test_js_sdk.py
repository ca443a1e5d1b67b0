"""Drives the real JavaScript SDK (@io-orkes/conductor-javascript 4.0.0) against a live mock.

The SDK lives in the git-ignored `.sdk/js` (filled by `scripts/install-js-sdk.sh`, which `make test` runs).
`js/human_executor.mjs` calls `HumanExecutor` step by step and prints one JSON line per step; this test
starts the mock on `sdk_scenario.yaml`, runs the script, and requires every step to report `ok: true`.
Skipped only when `node` is missing: a missing SDK is a broken setup, so it fails.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from typing import Any, Final

import pytest

from tests.livemock import live_mock

pytestmark = [pytest.mark.sdk, pytest.mark.live]

_HERE: Final = pathlib.Path(__file__).resolve().parent
REPO_ROOT: Final = _HERE.parents[1]
SCENARIO: Final = _HERE / "sdk_scenario.yaml"
SCRIPT: Final = _HERE / "js" / "human_executor.mjs"
SDK_PREFIX: Final = REPO_ROOT / ".sdk" / "js"
SDK_PACKAGE_JSON: Final = SDK_PREFIX / "node_modules" / "@io-orkes" / "conductor-javascript" / "package.json"
SDK_VERSION: Final = "4.0.0"
INSTALL_HINT: Final = "run `make test` or `scripts/install-js-sdk.sh` to install it into .sdk/js"
TIMEOUT_SECONDS: Final = 120

# The key of the application `owner-app` in sdk_scenario.yaml.
OWNER_KEY: Final = ("owner-key", "owner-secret")

# Every step human_executor.mjs must report with ok true, in order.
EXPECTED_STEPS: Final = (
    "connect",
    "a_getTaskById_assigned",
    "b_search_admin_assigned",
    "c_claimTaskAsExternalUser_alice",
    "d_claimTaskAsExternalUser_bob_rejected",
    "e_releaseTask",
    "f_claimTaskAsConductorUser",
    "g_updateTaskOutput_completeTask",
    "h_getTemplateByNameVersion",
    "i_claimTaskAsExternalUser_withTemplate",
    "j_getTaskById_unknown_rejected",
)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Node.js 20+ is needed to run the JavaScript SDK)")
    return node


def _require_sdk() -> None:
    if not SDK_PACKAGE_JSON.is_file():
        pytest.fail(f"@io-orkes/conductor-javascript is not installed in {SDK_PREFIX}: {INSTALL_HINT}", pytrace=False)
    # The published 4.0.0 package.json spells its version "v4.0.0".
    version = str(json.loads(SDK_PACKAGE_JSON.read_text(encoding="utf-8")).get("version", "")).removeprefix("v")
    if version != SDK_VERSION:
        pytest.fail(f"{SDK_PREFIX} holds SDK version {version!r}, not {SDK_VERSION}: {INSTALL_HINT}", pytrace=False)


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


def _text(stream: str | bytes | None) -> str:
    if isinstance(stream, bytes):
        return stream.decode("utf-8", errors="replace")
    return stream or ""


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


def _report(stdout: str, stderr: str) -> str:
    return f"\n--- human_executor.mjs stdout ---\n{stdout}\n--- stderr ---\n{stderr}"


def test_human_executor_claims_releases_and_completes_tasks_on_the_mock() -> None:
    node = _node()
    _require_sdk()

    with live_mock(SCENARIO) as mock:
        try:
            proc = subprocess.run(
                [node, str(SCRIPT)],
                cwd=REPO_ROOT,
                env=_sdk_env(mock.base_url),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = _report(_text(exc.stdout), _text(exc.stderr))
            pytest.fail(f"human_executor.mjs ran over {TIMEOUT_SECONDS} s" + output)

    report = _report(proc.stdout, proc.stderr)
    ok_by_step = {record["step"]: record.get("ok") is True for record in _step_records(proc.stdout)}
    failed = [step for step in EXPECTED_STEPS if not ok_by_step.get(step, False)]
    assert proc.returncode == 0, f"human_executor.mjs exited {proc.returncode}; failed steps: {failed}" + report
    assert failed == [], f"steps missing or not ok: {failed}" + report
