"""The HTTP surface: literal paths before templated ones, 405 with Allow, unknown paths, error bodies, HEAD."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.domain import ManualClock
from tests.conftest import Api
from tests.web.test_api import Unchanged, assert_error

# -- the HTTP surface ---------------------------------------------------------------------------------

def test_literal_paths_win_over_templated_ones(api: Api) -> None:
    reply = api.call("POST", "/human/tasks/search", json={"searchType": "ADMIN"})
    assert reply.status_code == 200 and "totalHits" in reply.json()  # search, not a task called "search"
    # a method only the templated path has falls through to it, as on a Spring server
    assert_error(api.call("GET", "/human/tasks/search"), 404, "Task not found for id: search")
    reply = api.call("PUT", "/human/tasks/search", json={})
    assert_error(reply, 405, "PUT")
    assert reply.headers["allow"] == "POST"


def test_wrong_method_says_what_is_allowed(api: Api) -> None:
    reply = api.call("PUT", "/human/tasks/ext/update", json={})
    assert_error(reply, 405, "PUT")
    assert reply.headers["allow"] == "POST"


def test_unknown_path(api: Api) -> None:
    assert_error(api.call("GET", "/nothing/here"), 404, "/api/nothing/here")


def test_error_bodies_are_json_with_the_http_status(api: Api) -> None:
    reply = api.call("GET", "/human/tasks/nope")
    assert json.loads(reply.content)["status"] == reply.status_code == 404


def test_a_body_nested_too_deep_is_a_400_not_a_crash(api: Api) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with Unchanged(api):
        reply = api.call("POST", "/human/tasks/claimed/update", "bob", content=deep,
                         headers={"content-type": "application/json"})
    assert_error(reply, 400, "not valid JSON")


@pytest.mark.parametrize(("path", "body"), [
    ("/human/tasks/search", {"start": 2**31}),
    ("/human/tasks/ext/reassign", [{"assignee": {"user": "a", "userType": "EXTERNAL_USER"}, "slaMinutes": 2**63}]),
])
def test_integers_outside_their_format_are_refused(api: Api, path: str, body: Any) -> None:
    with Unchanged(api):
        assert_error(api.call("POST", path, json=body), 400, "body")


def test_a_token_used_before_it_expires_is_refused_after(api: Api) -> None:
    """Verified tokens are remembered; their expiry is still checked on every call."""
    assert api.call("GET", "/human/tasks/ext", "owner").status_code == 200
    clock = api.world.clock
    assert isinstance(clock, ManualClock)
    clock.advance(600_000)
    assert_error(api.call("GET", "/human/tasks/ext", "owner"), 401, "expired", error="EXPIRED_TOKEN")


def test_head_answers_like_get_without_a_body(api: Api) -> None:
    reply = api.call("HEAD", "/human/tasks/ext", "owner")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.content == b""
