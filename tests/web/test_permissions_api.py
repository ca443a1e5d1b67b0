"""A scenario's `permissions:` over HTTP: EXECUTE on a task's workflow definition lets a user claim it for someone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.app import build_app
from tests.conftest import HTTP_WORLD, Api
from tests.web.test_api import Unchanged, assert_error, claim_external

# carol holds EXECUTE on invoice_flow (the workflow of task `ext`); the reviewers group holds READ only.
GRANTS = """
permissions:
  - {workflow: invoice_flow, access: [EXECUTE], user: carol@example.com}
  - {workflow: invoice_flow, access: [READ], group: reviewers}
"""


@pytest.fixture
def granted(tmp_path: Path, spec: dict[str, Any]) -> Iterator[Api]:
    scenario = tmp_path / "granted.yaml"
    scenario.write_text(HTTP_WORLD.read_text(encoding="utf-8") + GRANTS, encoding="utf-8")
    app = build_app(scenario, spec=spec)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, app)


def test_a_user_granted_execute_may_claim_for_an_external_user(granted: Api) -> None:
    reply = claim_external(granted, "ext", "alice@example.com", "carol")

    assert reply.status_code == 200, reply.text
    assert (reply.json()["state"], reply.json()["claimant"]) == (
        "IN_PROGRESS", {"user": "alice@example.com", "userType": "EXTERNAL_USER"})
    assert granted.snapshot()["ext"].claimant is not None


@pytest.mark.parametrize(("who", "caller"), [("alice", "alice@example.com"), ("other", "other-app")])
def test_without_execute_the_claim_is_403_and_nothing_changes(granted: Api, who: str, caller: str) -> None:
    """alice's group holds READ, which is not EXECUTE; other-app holds nothing."""
    with Unchanged(granted):
        body = assert_error(claim_external(granted, "ext", "alice@example.com", who), 403, "")
    assert body == {"status": 403, "message": f"You don't have permissions to claim task: approve (caller: {caller})",
                    "instance": "conductor-mock", "retryable": False}


def test_without_the_grant_carol_may_not_claim(api: Api) -> None:
    with Unchanged(api):
        assert_error(claim_external(api, "ext", "alice@example.com", "carol"), 403,
                     "You don't have permissions to claim")
