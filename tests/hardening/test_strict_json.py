"""Issue 15.2: a body that no JSON reply could carry is refused at the door (400, Orkes error body, nothing changed),
so no task can be poisoned and no call answers 500 or non-JSON."""

from __future__ import annotations

import json

import pytest

from mockserver.web.spec import MAX_JSON_DEPTH
from tests.conftest import Api

POISON = [
    (b'{"s": "\\ud800"}', "lone surrogate"),
    (b'{"n": NaN}', "NaN is not a JSON number"),
    (b'{"n": Infinity}', "Infinity is not a JSON number"),
    (b'{"n": -Infinity}', "-Infinity is not a JSON number"),
    (b'{"n": 1e400}', "too large for a number"),
    (b'{"n":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1), "nested deeper than"),
]


def assert_refused(reply: object, problem: str) -> None:
    from httpx import Response

    assert isinstance(reply, Response)
    assert reply.status_code == 400
    body = reply.json()
    assert body["status"] == 400 and body["retryable"] is False
    assert body["message"].startswith("Request body is not valid JSON: ") and problem in body["message"]


@pytest.mark.parametrize(("raw", "problem"), POISON)
def test_a_poisoned_update_is_refused_and_the_task_still_answers(api: Api, raw: bytes, problem: str) -> None:
    before = api.snapshot()

    reply = api.call("POST", "/human/tasks/ext/update?complete=false", "owner", content=raw,
                     headers={"Content-Type": "application/json"})

    assert_refused(reply, problem)
    assert api.snapshot() == before
    task = api.call("GET", "/human/tasks/ext")
    assert task.status_code == 200
    json.loads(task.content, parse_constant=lambda name: pytest.fail(f"{name} in a reply"))
    page = api.call("POST", "/human/tasks/search", json={"searchType": "ADMIN"})
    assert page.status_code == 200
    json.loads(page.content, parse_constant=lambda name: pytest.fail(f"{name} in a reply"))


def test_a_non_finite_token_expiration_is_refused(api: Api) -> None:
    reply = api.client.post("/api/token", content=b'{"keyId": "admin-key", "keySecret": "admin-secret", '
                                                  b'"expiration": NaN}')
    assert_refused(reply, "NaN")


@pytest.mark.parametrize("size", [b"NaN", b"Infinity", b"1e400"])
def test_a_non_finite_search_size_is_refused(api: Api, size: bytes) -> None:
    reply = api.call("POST", "/human/tasks/search", content=b'{"searchType": "ADMIN", "size": ' + size + b"}")
    assert_refused(reply, "number")


@pytest.mark.parametrize(("raw", "problem"), POISON)
def test_the_control_api_refuses_the_same_bodies(api: Api, raw: bytes, problem: str) -> None:
    reply = api.client.post("/_mock/faults", content=raw, headers={"Content-Type": "application/json"})

    assert_refused(reply, problem)
    assert api.client.get("/_mock/faults").json()["faults"] == []
