"""The one table from domain errors to HTTP statuses, and the one function that writes an error reply."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from mockserver.domain.errors import (
    AuthError,
    DomainError,
    Forbidden,
    InvalidRequest,
    NotFound,
    TaskNotFound,
)
from mockserver.domain.workflow import WorkflowConflict
from mockserver.web import wire

INSTANCE = "conductor-mock"

# Most specific first. The Orkes docs answer 400 for an unknown task id on every task call but GET.
STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (TaskNotFound, 400),
    (NotFound, 404),
    (InvalidRequest, 400),
    (Forbidden, 403),
    (AuthError, 401),
    (WorkflowConflict, 409),
)

# Where one operation departs from the table above.
STATUS_BY_OPERATION: dict[tuple[str, type[DomainError]], int] = {
    ("getTask", TaskNotFound): 404,
}


def status_for(error: DomainError, operation_id: str) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return STATUS_BY_OPERATION.get((operation_id, kind), status)
    return 500


def error_response(status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(wire.error_body(status, message, instance=INSTANCE, **extra), status_code=status,
                        headers=headers)


def domain_error_response(error: DomainError, operation_id: str) -> JSONResponse:
    code = error.code if isinstance(error, AuthError) else None
    return error_response(status_for(error, operation_id), error.message, code=code)
