"""The one table from domain errors to HTTP statuses, its per-operation override, and the error body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.responses import JSONResponse

from mockserver.domain.errors import (
    AssigneeMismatch,
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
from mockserver.domain.workflow import WorkflowConflict, WorkflowNotFound
from mockserver.web.errors import (
    INSTANCE,
    STATUS_BY_ERROR,
    STATUS_BY_OPERATION,
    domain_error_response,
    error_response,
    status_for,
)

ERRORS: list[tuple[DomainError, int]] = [
    (TaskNotFound("t-1"), 400),
    (TemplateNotFound("form", 2), 404),
    (TokenEndpointDisabled(), 404),
    (WorkflowNotFound("wf-1"), 404),
    (NotFound("nothing here"), 404),
    (InvalidRequest("bad"), 400),
    (InvalidTransition("t-1", "COMPLETED", "claim", "no"), 400),
    (AssigneeMismatch("t-1", "bob", "EXTERNAL_USER:ann"), 400),
    (ClockNotManual(), 400),
    (Forbidden("bob", "claim", "task t-1"), 403),
    (InvalidCredentials("k"), 401),
    (InvalidToken("bad token"), 401),
    (ExpiredToken(), 401),
    (WorkflowConflict("exists"), 409),
]


def body_of(response: JSONResponse) -> Any:
    return json.loads(bytes(response.body))


@pytest.mark.parametrize(("error", "status"), ERRORS, ids=lambda v: type(v).__name__ if isinstance(v, Exception)
                         else str(v))
def test_every_domain_error_has_its_status(error: DomainError, status: int) -> None:
    assert status_for(error, "claimTask") == status


def test_the_table_is_most_specific_first() -> None:
    kinds = [kind for kind, _ in STATUS_BY_ERROR]
    for i, kind in enumerate(kinds):
        assert not any(issubclass(kind, earlier) for earlier in kinds[:i]), kind


def test_an_unknown_task_is_404_on_get_only() -> None:
    assert {("getTask", TaskNotFound): 404} == STATUS_BY_OPERATION
    assert status_for(TaskNotFound("t-1"), "getTask") == 404
    assert status_for(TaskNotFound("t-1"), "updateTaskOutput") == 400
    assert status_for(NotFound("x"), "getTask") == 404
    assert status_for(InvalidRequest("x"), "getTask") == 400


def test_a_domain_error_outside_the_table_is_a_500() -> None:
    assert status_for(DomainError("surprise"), "getTask") == 500


def test_the_error_body() -> None:
    response = error_response(404, "No such thing")
    assert response.status_code == 404
    assert response.media_type == "application/json"
    assert body_of(response) == {"status": 404, "message": "No such thing", "instance": "conductor-mock",
                                 "retryable": False}
    assert INSTANCE == "conductor-mock"


def test_an_error_reply_may_carry_headers_and_validation_errors() -> None:
    errors = [{"path": "query.start", "message": "expected an integer"}]
    response = error_response(400, "Bad", headers={"Allow": "GET"}, validation_errors=errors)
    assert response.headers["allow"] == "GET"
    assert body_of(response) == {"status": 400, "message": "Bad", "instance": "conductor-mock", "retryable": False,
                                 "validationErrors": errors}


def test_a_domain_error_reply_has_the_status_and_message() -> None:
    response = domain_error_response(TaskNotFound("t-9"), "claimTask")
    assert response.status_code == 400
    assert body_of(response) == {"status": 400, "message": "Task not found for id: t-9",
                                 "instance": "conductor-mock", "retryable": False}


def test_the_override_reaches_the_reply() -> None:
    response = domain_error_response(TaskNotFound("t-9"), "getTask")
    assert response.status_code == 404
    assert body_of(response)["status"] == 404


@pytest.mark.parametrize(("error", "code"), [(InvalidToken("Invalid token: x"), "INVALID_TOKEN"),
                                             (ExpiredToken(), "EXPIRED_TOKEN"),
                                             (InvalidCredentials("k"), "INVALID_CREDENTIALS")])
def test_an_auth_error_reply_carries_its_code(error: DomainError, code: str) -> None:
    response = domain_error_response(error, "getTask")
    assert response.status_code == 401
    assert body_of(response) == {"status": 401, "message": error.message, "instance": "conductor-mock",
                                 "retryable": False, "error": code}


def test_a_forbidden_reply() -> None:
    response = domain_error_response(Forbidden("bob", "claim", "task t-1"), "claimTask")
    assert (response.status_code, body_of(response)) == (403, {
        "status": 403, "message": "You don't have permissions to claim task t-1 (caller: bob)",
        "instance": "conductor-mock", "retryable": False})
