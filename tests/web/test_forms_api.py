"""`POST /human/tasks/{id}/update` against the task's form: the merged output must satisfy its `jsonSchema`
(`required` only to complete). A refusal is a 400 with `validationErrors` and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.web.test_api import assert_error, claim_external

# tests/fixtures/http_world.yaml: task `ext` shows approve_form v1,
# {type: object, properties: {approved: {type: boolean}}, required: [approved]}


@pytest.fixture
def claimed(api: Api) -> Api:
    assert claim_external(api, "ext", "alice@example.com").status_code == 200
    return api


def update(api: Api, body: dict[str, Any], *, complete: bool) -> httpx.Response:
    return api.call("POST", f"/human/tasks/ext/update?complete={str(complete).lower()}", "owner", json=body)


def assert_refused(api: Api, body: dict[str, Any], complete: bool, errors: list[dict[str, Any]]) -> None:
    """A 400 naming the form, with exactly `errors`, and no change to any task or to the journal."""
    before, journal = api.snapshot(), api.client.get("/_mock/journal").json()
    reply = update(api, body, complete=complete)
    error = assert_error(reply, 400, "does not match its form approve_form")
    assert error["validationErrors"] == errors
    assert api.snapshot() == before
    assert api.client.get("/_mock/journal").json() == journal


def test_a_string_for_a_required_boolean_is_refused(claimed: Api) -> None:
    assert_refused(claimed, {"approved": "yes"}, True,
                   [{"path": "approved", "message": "must be boolean, not string 'yes'", "invalidValue": "yes"}])


def test_a_wrong_type_is_refused_on_update_too(claimed: Api) -> None:
    assert_refused(claimed, {"approved": 1, "note": "x"}, False,
                   [{"path": "approved", "message": "must be boolean, not integer 1", "invalidValue": 1}])


def test_completing_without_a_required_field_is_refused(claimed: Api) -> None:
    assert_refused(claimed, {"note": "later"}, True,
                   [{"path": "approved", "message": "is required", "invalidValue": None}])


def test_an_update_may_leave_a_required_field_out(claimed: Api) -> None:
    assert update(claimed, {"note": "half done"}, complete=False).status_code == 200
    entry = claimed.call("GET", "/human/tasks/ext").json()
    assert entry["state"] == "IN_PROGRESS" and entry["output"] == {"note": "half done"}


def test_a_valid_completion(claimed: Api) -> None:
    assert update(claimed, {"approved": True}, complete=True).status_code == 200
    entry = claimed.call("GET", "/human/tasks/ext").json()
    assert entry["state"] == "COMPLETED" and entry["output"] == {"approved": True}


def test_the_merged_output_is_checked(claimed: Api) -> None:
    assert update(claimed, {"approved": False}, complete=False).status_code == 200
    assert update(claimed, {}, complete=True).status_code == 200  # `approved` was saved by the update
    assert claimed.call("GET", "/human/tasks/ext").json()["state"] == "COMPLETED"


def test_rights_come_before_the_form(api: Api) -> None:
    """Alice may not act on the unclaimed task: 403, whatever the output (the order: rights, state, arguments)."""
    before = api.snapshot()
    reply = api.call("POST", "/human/tasks/ext/update?complete=true", "alice", json={"approved": "yes"})
    assert "validationErrors" not in assert_error(reply, 403, "permissions to update")
    assert api.snapshot() == before


def test_state_comes_before_the_form(claimed: Api) -> None:
    assert update(claimed, {"approved": True}, complete=True).status_code == 200
    before = claimed.snapshot()
    error = assert_error(update(claimed, {"approved": "yes"}, complete=True), 400, "COMPLETED")
    assert "validationErrors" not in error
    assert claimed.snapshot() == before
