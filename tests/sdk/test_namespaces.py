"""The real SDKs pointed at a namespace with their server URL alone (`CONDUCTOR_SERVER_URL=.../ns/NAME/api`):
every call they make (the token included) lands in that namespace, and the default one never sees them."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import httpx
import pytest

from tests.livemock import backend_options, live_mock
from tests.sdk import support, test_python_sdk

pytestmark = [pytest.mark.sdk, pytest.mark.live]

TIMEOUT_SECONDS: Final = 180
REDIS_WORKERS: Final = 1


@pytest.fixture
def mock_options(request: pytest.FixtureRequest, backend_name: str) -> Iterator[tuple[str, ...]]:
    """A store of its own for each test: the namespaces listed are the one test's."""
    with backend_options(request, backend_name) as options:
        yield options


def _run_in_namespace(argv: list[str], scenario: Path, env: Callable[[str], dict[str, str]], name: str,
                      options: tuple[str, ...]) -> None:
    with live_mock(scenario, *options) as mock:
        proc = subprocess.run(argv, cwd=support.REPO_ROOT, env=env(f"{mock.root_url}/ns/{name}/api"),
                              capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        steps = support.ok_by_step(proc.stdout)
        out = support.report(argv[-1], proc.stdout, proc.stderr)
        assert proc.returncode == 0 and steps and all(steps.values()), out
        spaced = httpx.get(f"{mock.root_url}/ns/{name}/_mock/journal").json()["entries"]
        default = httpx.get(f"{mock.root_url}/_mock/journal").json()["entries"]
        listed = [n["name"] for n in httpx.get(f"{mock.root_url}/_mock/namespaces").json()["namespaces"]]
    assert spaced, "the SDK's changes are in its namespace's journal" + out
    assert default == [], "the default namespace saw none of them"
    assert listed == ["default", name]


def test_the_js_sdk_runs_in_a_namespace(mock_options: tuple[str, ...]) -> None:
    node = support.node()
    problem = support.js_sdk_problem()
    if problem is not None:
        pytest.fail(problem)
    _run_in_namespace([node, str(support.HERE / "js" / "human_executor.mjs")], support.HERE / "sdk_scenario.yaml",
                      support.js_sdk_env, "js-sdk", mock_options)


def test_the_python_sdk_runs_in_a_namespace(mock_options: tuple[str, ...]) -> None:
    problem = test_python_sdk._sdk_problem()
    if problem is not None:
        pytest.fail(problem)
    _run_in_namespace([str(test_python_sdk.SDK_PYTHON), str(test_python_sdk.SCRIPT)], test_python_sdk.SCENARIO,
                      test_python_sdk._sdk_env, "py-sdk", mock_options)
