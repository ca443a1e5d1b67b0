"""The one error table: each error type's status and body, the per-operation overrides, and what it does not know."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.domain.errors import (
    AssigneeMismatch,
    ClockBackwards,
    ClockNotManual,
    DomainError,
    ExpiredToken,
    Forbidden,
    InvalidCredentials,
    InvalidRequest,
    InvalidToken,
    InvalidTransition,
    NotFound,
    TaskNotFound,
    TemplateNotFound,
    TokenEndpointDisabled,
)
from mockserver.domain.workflows import WorkflowConflict, WorkflowNotFound
from mockserver.scenarios import Problem, ScenarioError
from mockserver.web.errors import LoadingDisabled, Refused, UnknownScenarioFile, error_reply, status_for
from mockserver.web.spec import RequestInvalid


def body(error: Exception, operation_id: str = "claimTask") -> tuple[int, dict[str, Any]]:
    reply = error_reply(error, operation_id)
    assert reply is not None
    decoded: dict[str, Any] = json.loads(bytes(reply.body))
    assert decoded["status"] == reply.status_code and decoded["instance"] == "conductor-mock"
    assert decoded["retryable"] is False
    return reply.status_code, decoded


@pytest.mark.parametrize(("error", "status"), [
    (TaskNotFound("t-1"), 400), (TemplateNotFound("form", 1), 404), (InvalidRequest("no"), 400),
    (Forbidden("alice", "claim", "t-1"), 403), (WorkflowConflict("exists"), 409), (ClockNotManual(), 409),
    (ClockBackwards(), 409), (LoadingDisabled(), 501), (Refused(413, "too big"), 413),
])
def test_each_error_type_has_its_status(error: Exception, status: int) -> None:
    assert status_for(error, "claimTask") == status
    assert body(error)[0] == status


def test_the_clock_going_backwards_is_a_typed_409_not_a_message_search() -> None:
    assert body(ClockBackwards(), "mockMoveClock") == (409, {
        "status": 409, "message": "The clock cannot go backwards", "instance": "conductor-mock", "retryable": False})
    assert status_for(InvalidRequest("the clock cannot go backwards"), "mockMoveClock") == 400


def test_get_task_answers_an_unknown_task_with_404() -> None:
    assert body(TaskNotFound("t-1"), "getTask")[0] == 404
    assert body(TaskNotFound("t-1"), "claimTask")[0] == 400


def test_loading_answers_what_cannot_be_built_with_422_and_says_nothing_changed() -> None:
    assert body(InvalidRequest("no such workflow"), "mockMerge")[1]["message"] == "no such workflow"
    status, reply = body(TemplateNotFound("form", 1), "mockLoad")
    assert status == 422
    assert reply["message"].startswith("The scenario cannot be loaded; nothing was changed: ")


def test_an_auth_error_carries_its_code() -> None:
    status, reply = body(ExpiredToken())
    assert (status, reply["error"]) == (401, "EXPIRED_TOKEN")


def test_a_request_that_does_not_match_the_spec_names_the_parameter() -> None:
    status, reply = body(RequestInvalid("taskId", "Missing required path parameter 'taskId'", object()))
    assert status == 400
    assert reply["validationErrors"][0]["path"] == "taskId"
    assert isinstance(reply["validationErrors"][0]["invalidValue"], str)  # made printable


def test_a_scenario_error_lists_its_problems() -> None:
    problem = Problem(file="s.yaml", line=3, path="tasks[0]", message="bad", hint=None)
    status, reply = body(ScenarioError([problem]), "mockLoad")
    assert status == 422
    assert reply["message"].startswith("The scenario has 1 problem; nothing was changed:")
    assert reply["problems"] == [{"file": "s.yaml", "line": 3, "path": "tasks[0]", "message": "bad", "hint": None}]


def test_refusals_keep_their_extra_fields() -> None:
    assert body(UnknownScenarioFile("x", ["a.yaml"], "No scenario file 'x'"), "mockLoad")[1]["available"] == ["a.yaml"]
    assert body(Refused(404, "No fault", available=[]), "mockFault")[1]["available"] == []


def test_an_error_the_table_does_not_know_is_a_bug() -> None:
    assert error_reply(KeyError("x"), "claimTask") is None
    assert status_for(DomainError("unclassified"), "claimTask") == 500


@pytest.mark.parametrize(("error", "status"), [
    (TaskNotFound("t-1"), 400), (TemplateNotFound("form", 2), 404), (TokenEndpointDisabled(), 404),
    (WorkflowNotFound("wf-1"), 404), (NotFound("nothing here"), 404), (InvalidRequest("bad"), 400),
    (InvalidTransition("t-1", "COMPLETED", "claim", "no"), 400),
    (AssigneeMismatch("t-1", "bob", "EXTERNAL_USER:ann"), 400),
    (Forbidden("bob", "claim", "task t-1"), 403), (InvalidCredentials("k"), 401), (InvalidToken("bad token"), 401),
    (ExpiredToken(), 401), (WorkflowConflict("exists"), 409),
], ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v))
def test_every_domain_error_type_has_its_status(error: DomainError, status: int) -> None:
    assert status_for(error, "claimTask") == status
    assert body(error)[1]["message"] == error.message
