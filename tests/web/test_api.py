"""Every operation over HTTP: each rule, each documented error (status, body, and that nothing changed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.domain import ManualClock
from tests.conftest import Api

EMPTY_SEARCH = {"size": 15, "states": [], "taskInputQuery": "", "taskOutputQuery": "", "definitionNames": [],
                "taskRefNames": [], "claimants": [], "assignees": [], "start": 0}


def assert_error(reply: httpx.Response, status: int, fragment: str, *, error: str | None = None) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/json"
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    assert fragment in body["message"], body["message"]
    assert body["retryable"] is False
    assert body["instance"]
    if error is not None:
        assert body["error"] == error
    return body


class Unchanged:
    """`with unchanged(api): ...` fails if the block changed any task."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def __enter__(self) -> None:
        self.before = self.api.snapshot()

    def __exit__(self, *exc: object) -> None:
        assert self.api.snapshot() == self.before, "the world changed"


def claim_external(api: Api, task_id: str, user_id: str, who: str = "owner", **query: Any) -> httpx.Response:
    return api.call("POST", f"/human/tasks/{task_id}/externalUser/{user_id}", who, params=query)


# -- token and identity -------------------------------------------------------------------------------

def test_token_then_call(api: Api) -> None:
    reply = api.client.post("/api/token", json={"keyId": "owner-key", "keySecret": "owner-secret"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    token = reply.json()["token"]
    assert token.count(".") == 2
    assert api.client.get("/api/human/tasks/ext", headers={"X-Authorization": token}).status_code == 200


def test_token_accepts_a_chunked_body(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"keyId":"owner-key",'
        yield b'"keySecret":"owner-secret"}'

    reply = api.client.post("/api/token", content=chunks(), headers={"content-type": "application/json"})
    assert reply.status_code == 200, reply.text


def test_token_with_a_wrong_secret(api: Api) -> None:
    reply = api.client.post("/api/token", json={"keyId": "owner-key", "keySecret": "nope"})
    assert_error(reply, 401, "Invalid key id or secret", error="INVALID_CREDENTIALS")


@pytest.mark.parametrize(("body", "names"), [
    ({"keyId": "owner-key"}, "keySecret"),
    ({"keyId": 3, "keySecret": "x"}, "keyId"),
    ([], "body"),
])
def test_token_with_a_bad_body(api: Api, body: Any, names: str) -> None:
    body_out = assert_error(api.client.post("/api/token", json=body), 400, names)
    assert body_out["validationErrors"][0]["path"].startswith("body")


def test_token_with_a_body_that_is_not_json(api: Api) -> None:
    assert_error(api.client.post("/api/token", content=b"{nope"), 400, "not valid JSON")


@pytest.mark.parametrize("header", [None, "", "garbage", "a.b.c"])
def test_missing_or_unknown_token(api: Api, header: str | None) -> None:
    headers = {} if header is None else {"X-Authorization": header}
    with Unchanged(api):
        reply = api.client.post("/api/human/tasks/ext/externalUser/alice@example.com", headers=headers)
    assert_error(reply, 401, "oken", error="INVALID_TOKEN")


def test_expired_token(api: Api) -> None:
    token = api.token("owner")
    clock = api.world.clock
    assert isinstance(clock, ManualClock)
    clock.advance(600_000)
    with Unchanged(api):
        reply = api.client.post("/api/human/tasks/ext/externalUser/alice@example.com",
                                headers={"X-Authorization": token})
    assert_error(reply, 401, "expired", error="EXPIRED_TOKEN")


def test_token_with_custom_expiration(api: Api) -> None:
    reply = api.client.post("/api/token", json={"keyId": "owner-key", "keySecret": "owner-secret", "expiration": 1000})
    token = reply.json()["token"]
    clock = api.world.clock
    assert isinstance(clock, ManualClock)
    clock.advance(1000)
    assert_error(api.client.get("/api/human/tasks/ext", headers={"X-Authorization": token}), 401, "expired",
                 error="EXPIRED_TOKEN")


# -- get ----------------------------------------------------------------------------------------------

def test_get_task(api: Api) -> None:
    reply = api.call("GET", "/human/tasks/ext", "owner")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    entry = reply.json()
    assert entry["taskId"] == "ext"
    assert entry["state"] == "ASSIGNED"
    assert entry["assignee"] == {"user": "alice@example.com", "userType": "EXTERNAL_USER"}
    assert "claimant" not in entry
    assert entry["ownerApp"] == "owner-app"
    assert entry["displayName"] == "Approve invoice"
    assert entry["input"]["amount"] == 120
    context = entry["input"]["__humanTaskProcessContext"]
    assert context["state"] == "ASSIGNED"
    assert [log["action"] for log in context["humanTaskActionLogs"]] == ["ASSIGNMENT"]
    assert context["humanTaskActionLogs"][0]["actedBy"] == "system"
    assert entry["input"]["__humanTaskDefinition"]["assignments"][0]["assignee"]["user"] == "alice@example.com"
    assert "fullTemplate" not in entry["humanTaskDef"]
    assert isinstance(entry["createdOn"], int) and entry["updatedOn"] >= entry["createdOn"]


@pytest.mark.parametrize("flag", ["true", "True", "TRUE"])
def test_get_task_with_template(api: Api, flag: str) -> None:
    entry = api.call("GET", f"/human/tasks/ext?withTemplate={flag}").json()
    assert entry["humanTaskDef"]["fullTemplate"]["name"] == "approve_form"
    assert entry["humanTaskDef"]["fullTemplate"]["jsonSchema"]["required"] == ["approved"]


def test_get_unknown_task_is_404(api: Api) -> None:
    assert_error(api.call("GET", "/human/tasks/no-such-task"), 404, "Task not found for id: no-such-task")


def test_get_with_a_bad_flag_names_the_parameter(api: Api) -> None:
    body = assert_error(api.call("GET", "/human/tasks/ext?withTemplate=maybe"), 400, "'withTemplate'")
    assert body["validationErrors"][0]["path"] == "withTemplate"


def test_get_by_someone_without_rights(api: Api) -> None:
    assert_error(api.call("GET", "/human/tasks/ext", "other"), 403, "You don't have permissions")


# -- claim on behalf of a user (/externalUser/{userId}) ----------------------------------------------

@pytest.mark.parametrize(("task_id", "user_id"), [
    ("ext", "alice@example.com"),
    ("cuser", "alice@example.com"),
    ("cgroup", "bob@example.com"),
    ("egroup", "someone@partner.example"),
    ("open", "anyone"),
    ("pending", "alice@example.com"),
])
def test_external_claim_for_each_assignee_type(api: Api, task_id: str, user_id: str) -> None:
    reply = claim_external(api, task_id, user_id)
    assert reply.status_code == 200, reply.text
    entry = reply.json()
    assert entry["state"] == "IN_PROGRESS"
    assert entry["claimant"] == {"user": user_id, "userType": "EXTERNAL_USER"}
    logs = entry["input"]["__humanTaskProcessContext"]["humanTaskActionLogs"]
    assert logs[-1]["action"] == "CLAIM" and logs[-1]["actedBy"] == f"EXTERNAL_USER:{user_id}"
    assert api.call("GET", f"/human/tasks/{task_id}").json()["state"] == "IN_PROGRESS"


def test_external_claim_by_an_admin(api: Api) -> None:
    assert claim_external(api, "ext", "alice@example.com", "admin").status_code == 200


@pytest.mark.parametrize(("task_id", "user_id"), [
    ("ext", "bob@example.com"), ("cuser", "bob@example.com"), ("cgroup", "carol@example.com")])
def test_external_claim_for_a_user_who_is_not_the_assignee(api: Api, task_id: str, user_id: str) -> None:
    with Unchanged(api):
        reply = claim_external(api, task_id, user_id)
    assert_error(reply, 400, f"User {user_id} is not assigned to task {task_id}")


def test_external_claim_with_override(api: Api) -> None:
    entry = claim_external(api, "ext", "bob@example.com", overrideAssignment="true").json()
    bob = {"user": "bob@example.com", "userType": "EXTERNAL_USER"}
    assert (entry["state"], entry["claimant"], entry["assignee"]) == ("IN_PROGRESS", bob, bob)
    assert entry["humanTaskDef"]["assignments"][0]["assignee"]["user"] == "alice@example.com"


def test_external_claim_of_a_claimed_task(api: Api) -> None:
    with Unchanged(api):
        for override in ("false", "true"):
            reply = claim_external(api, "claimed", "bob@example.com", overrideAssignment=override)
            assert_error(reply, 400, "already claimed by EXTERNAL_USER:bob@example.com")


@pytest.mark.parametrize("task_id", ["done", "timed", "deleted"])
def test_external_claim_of_a_finished_task(api: Api, task_id: str) -> None:
    with Unchanged(api):
        reply = claim_external(api, task_id, "bob@example.com", "admin")
    assert_error(reply, 400, f"Task {task_id} is")


def test_external_claim_of_an_unknown_task_is_400(api: Api) -> None:
    with Unchanged(api):
        assert_error(claim_external(api, "nope", "alice@example.com"), 400, "Task not found for id: nope")


@pytest.mark.parametrize("who", ["other", "alice", "carol"])
def test_external_claim_by_neither_owner_nor_admin(api: Api, who: str) -> None:
    with Unchanged(api):
        assert_error(claim_external(api, "ext", "alice@example.com", who), 403, "You don't have permissions to claim")


def test_external_claim_of_an_open_task_by_any_authorized_caller(api: Api) -> None:
    assert claim_external(api, "open", "zed", "other").json()["claimant"]["user"] == "zed"


def test_second_claim_is_refused_and_the_first_claimant_keeps_the_task(api: Api) -> None:
    assert claim_external(api, "egroup", "first@partner.example").status_code == 200
    with Unchanged(api):
        assert_error(claim_external(api, "egroup", "second@partner.example"), 400, "already claimed")
    assert api.call("GET", "/human/tasks/egroup").json()["claimant"]["user"] == "first@partner.example"


@pytest.mark.parametrize("headers", [
    {},                                                        # JS: empty POST, no content type
    {"content-type": "application/json"},                      # with a content type but no body
])
def test_external_claim_without_a_body(api: Api, headers: dict[str, str]) -> None:
    reply = api.call("POST", "/human/tasks/ext/externalUser/alice%40example.com", "owner", headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.json()["claimant"]["user"] == "alice@example.com"


def test_external_claim_the_python_way(api: Api) -> None:
    reply = api.call("POST", "/human/tasks/ext/externalUser/alice%40example.com?overrideAssignment=False"
                     "&withTemplate=True", "owner", content=b"{}", headers={"content-type": "application/json"})
    assert reply.status_code == 200, reply.text
    entry = reply.json()
    assert entry["claimant"] == {"user": "alice@example.com", "userType": "EXTERNAL_USER"}
    assert entry["humanTaskDef"]["fullTemplate"]["name"] == "approve_form"


def test_external_claim_with_a_bad_flag(api: Api) -> None:
    with Unchanged(api):
        reply = claim_external(api, "ext", "alice@example.com", overrideAssignment="maybe")
    assert_error(reply, 400, "'overrideAssignment'")


# -- claim as the calling Conductor user (/claim) ----------------------------------------------------

def test_claim_as_the_assigned_conductor_user(api: Api) -> None:
    entry = api.call("POST", "/human/tasks/cuser/claim", "alice").json()
    assert entry["claimant"] == {"user": "alice@example.com", "userType": "CONDUCTOR_USER"}
    logs = entry["input"]["__humanTaskProcessContext"]["humanTaskActionLogs"]
    assert logs[-1]["actedBy"] == "CONDUCTOR_USER:alice@example.com"


def test_claim_as_a_group_member(api: Api) -> None:
    assert api.call("POST", "/human/tasks/cgroup/claim", "bob").json()["claimant"]["user"] == "bob@example.com"


def test_claim_as_someone_else_needs_override(api: Api) -> None:
    with Unchanged(api):
        assert_error(api.call("POST", "/human/tasks/cuser/claim", "carol"), 403, "overrideAssignment")
    entry = api.call("POST", "/human/tasks/cuser/claim?overrideAssignment=true", "carol").json()
    carol = {"user": "carol@example.com", "userType": "CONDUCTOR_USER"}
    assert (entry["claimant"], entry["assignee"]) == (carol, carol)


def test_claim_as_an_application(api: Api) -> None:
    assert api.call("POST", "/human/tasks/ext/claim", "owner").json()["claimant"] == {
        "user": "owner-app", "userType": "CONDUCTOR_USER"}


def test_claim_of_a_claimed_task(api: Api) -> None:
    with Unchanged(api):
        assert_error(api.call("POST", "/human/tasks/claimed/claim?overrideAssignment=true"), 400, "already claimed")


def test_claim_of_an_unknown_task(api: Api) -> None:
    assert_error(api.call("POST", "/human/tasks/nope/claim"), 400, "nope")


# -- release ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["owner", "admin", "bob"])  # bob is the claimant of "claimed"
def test_release(api: Api, who: str) -> None:
    reply = api.call("POST", "/human/tasks/claimed/release", who)
    assert reply.status_code == 200 and reply.content == b""
    entry = api.call("GET", "/human/tasks/claimed").json()
    assert entry["state"] == "ASSIGNED"
    assert "claimant" not in entry
    assert entry["assignee"] == {"user": "bob@example.com", "userType": "EXTERNAL_USER"}
    assert [log["action"] for log in entry["input"]["__humanTaskProcessContext"]["humanTaskActionLogs"][-2:]] == [
        "RELEASE", "ASSIGNMENT"]


def test_release_of_an_unclaimed_task(api: Api) -> None:
    with Unchanged(api):
        assert_error(api.call("POST", "/human/tasks/ext/release"), 400, "not claimed")


def test_release_by_someone_else(api: Api) -> None:
    with Unchanged(api):
        assert_error(api.call("POST", "/human/tasks/claimed/release", "other"), 403, "permissions to release")


def test_release_of_an_unknown_task(api: Api) -> None:
    assert_error(api.call("POST", "/human/tasks/nope/release"), 400, "nope")


# -- update and complete ------------------------------------------------------------------------------

def test_update_then_complete(api: Api) -> None:
    claim_external(api, "ext", "alice@example.com")
    reply = api.call("POST", "/human/tasks/ext/update?complete=false", "owner", json={"draft": True, "n": 1})
    assert reply.status_code == 200 and reply.content == b""
    assert api.call("GET", "/human/tasks/ext").json()["output"] == {"draft": True, "n": 1}
    reply = api.call("POST", "/human/tasks/ext/update?complete=True", "owner", json={"n": 2, "approved": True})
    assert reply.status_code == 200  # its form requires `approved` to complete
    entry = api.call("GET", "/human/tasks/ext").json()
    assert entry["state"] == "COMPLETED"
    assert entry["output"] == {"draft": True, "n": 2, "approved": True}
    assert entry["claimant"]["user"] == "alice@example.com"
    assert entry["input"]["__humanTaskProcessContext"]["state"] == "COMPLETED"


def test_complete_with_an_empty_body(api: Api) -> None:
    assert api.call("POST", "/human/tasks/claimed/update?complete=true", "bob").status_code == 200
    assert api.call("GET", "/human/tasks/claimed").json()["state"] == "COMPLETED"


@pytest.mark.parametrize("task_id", ["done", "timed", "deleted"])
def test_update_of_a_finished_task(api: Api, task_id: str) -> None:
    with Unchanged(api):
        for complete in ("false", "true"):
            reply = api.call("POST", f"/human/tasks/{task_id}/update?complete={complete}", json={"x": 1})
            assert_error(reply, 400, "already in terminal state")


def test_update_by_someone_else(api: Api) -> None:
    with Unchanged(api):
        assert_error(api.call("POST", "/human/tasks/claimed/update", "carol", json={"x": 1}), 403, "permissions")


@pytest.mark.parametrize("content", [b"[1, 2]", b'"text"', b"{broken"])
def test_update_with_a_body_that_is_not_an_object(api: Api, content: bytes) -> None:
    with Unchanged(api):
        reply = api.call("POST", "/human/tasks/claimed/update", content=content,
                         headers={"content-type": "application/json"})
    assert_error(reply, 400, "body")


def test_update_of_an_unknown_task(api: Api) -> None:
    assert_error(api.call("POST", "/human/tasks/nope/update", json={}), 400, "nope")


# -- templates ----------------------------------------------------------------------------------------

def test_get_template(api: Api) -> None:
    template = api.call("GET", "/human/template/approve_form/1").json()
    assert (template["name"], template["version"]) == ("approve_form", 1)
    assert template["jsonSchema"]["type"] == "object"


def test_get_unknown_template(api: Api) -> None:
    assert_error(api.call("GET", "/human/template/approve_form/9"), 404, "approve_form version 9")


def test_get_template_with_a_bad_version(api: Api) -> None:
    assert_error(api.call("GET", "/human/template/approve_form/one"), 400, "'version'")


def test_save_template_versions(api: Api) -> None:
    form = {"name": "new_form", "jsonSchema": {"type": "object"}, "templateUI": {}}
    assert api.call("POST", "/human/template?newVersion=false", json=form).json()["version"] == 1
    assert api.call("POST", "/human/template?newVersion=true", json=form).json()["version"] == 2
    listed = api.call("GET", "/human/template?name=new_form").json()
    assert [t["version"] for t in listed] == [2, 1]
