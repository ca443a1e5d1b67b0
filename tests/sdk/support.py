"""Shared setup for the tests that drive a real Conductor SDK against a live mock.

Each test runs one script (Node for the JavaScript SDK, the `.sdk/py` interpreter for the Python SDK) with the
SDK's CONDUCTOR_* configuration pointing at a mock started on a scenario, and reads the JSON line the script
prints for each step.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pytest

from tests.livemock import live_mock

HERE: Final = pathlib.Path(__file__).resolve().parent
REPO_ROOT: Final = HERE.parents[1]

JS_SDK_PREFIX: Final = REPO_ROOT / ".sdk" / "js"
JS_SDK_PACKAGE_JSON: Final = JS_SDK_PREFIX / "node_modules" / "@io-orkes" / "conductor-javascript" / "package.json"
JS_SDK_VERSION: Final = "4.0.0"
JS_INSTALL_HINT: Final = "run `make test` or `scripts/install-js-sdk.sh` to install it into .sdk/js"

Json = dict[str, Any]

# The key of the application `owner-app` in sdk_scenario.yaml and workflow_scenario.yaml. In the workflow
# scenario it starts the workflows, so it owns the human tasks and may claim them on alice's behalf and
# complete them.
OWNER_KEY: Final = ("owner-key", "owner-secret")


def node() -> str:
    """The `node` executable; skips the test when Node.js is not installed."""
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed (Node.js 20+ is needed to run the JavaScript SDK)")
    return found


def js_sdk_problem() -> str | None:
    """Why the JavaScript SDK in `.sdk/js` cannot be used, or None when it is the expected version."""
    if not JS_SDK_PACKAGE_JSON.is_file():
        return f"@io-orkes/conductor-javascript is not installed in {JS_SDK_PREFIX}: {JS_INSTALL_HINT}"
    # The published 4.0.0 package.json spells its version "v4.0.0".
    version = str(json.loads(JS_SDK_PACKAGE_JSON.read_text(encoding="utf-8")).get("version", "")).removeprefix("v")
    if version != JS_SDK_VERSION:
        return f"{JS_SDK_PREFIX} holds SDK version {version!r}, not {JS_SDK_VERSION}: {JS_INSTALL_HINT}"
    return None


def sdk_env(base_url: str, key: tuple[str, str], **extra: str) -> dict[str, str]:
    """This process's environment without any CONDUCTOR_* variable, then the mock's URL, `key` and `extra`."""
    # The SDKs let CONDUCTOR_* variables override their config: drop any the developer has set.
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONDUCTOR_")}
    key_id, key_secret = key
    env.update(CONDUCTOR_SERVER_URL=base_url, CONDUCTOR_AUTH_KEY=key_id, CONDUCTOR_AUTH_SECRET=key_secret)
    env.update(extra)
    return env


def js_sdk_env(base_url: str) -> dict[str, str]:
    """sdk_env() with OWNER_KEY for a script that loads the JavaScript SDK from `.sdk/js`."""
    return sdk_env(base_url, OWNER_KEY, CONDUCTOR_JS_SDK_DIR=str(JS_SDK_PREFIX))


def text(stream: str | bytes | None) -> str:
    if isinstance(stream, bytes):
        return stream.decode("utf-8", errors="replace")
    return stream or ""


def step_records(stdout: str) -> list[Json]:
    """The JSON objects with a "step" key among the lines of `stdout`, in order."""
    records: list[Json] = []
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "step" in record:
            records.append(record)
    return records


def ok_by_step(stdout: str) -> dict[str, bool]:
    """For each step printed on `stdout`, whether it reported `ok: true`."""
    return {record["step"]: record.get("ok") is True for record in step_records(stdout)}


def report(script: str, stdout: str, stderr: str) -> str:
    """The script's output, to append to a failure message."""
    return f"\n--- {script} stdout ---\n{stdout}\n--- stderr ---\n{stderr}"


@dataclass(frozen=True)
class ScriptOutput:
    """What one run of a script printed; `returncode` is None when it ran over its timeout."""

    stdout: str
    stderr: str
    returncode: int | None

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_script(
    argv: Sequence[str], scenario: pathlib.Path, env: Callable[[str], dict[str, str]], timeout: float,
    options: Sequence[str] = (),
) -> ScriptOutput:
    """Starts the mock on `scenario` with the `serve` `options` (the backend's: the `mock_options` fixture) and runs
    `argv` from the repository root with `env(mock.base_url)`."""
    with live_mock(scenario, *options) as mock:
        try:
            proc = subprocess.run(
                list(argv), cwd=REPO_ROOT, env=env(mock.base_url), capture_output=True, text=True,
                timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            return ScriptOutput(stdout=text(exc.stdout), stderr=text(exc.stderr), returncode=None)
    return ScriptOutput(stdout=proc.stdout, stderr=proc.stderr, returncode=proc.returncode)
