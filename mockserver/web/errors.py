"""The one table from error types to HTTP status and body, for both surfaces (/api and /_mock), the refusals the
control plane raises, and the one function that writes an error reply.

Imports the domain, `scenarios` and the web layer's own modules; never the control plane (which raises the
refusals defined here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

from mockserver.domain.errors import (
    AuthError,
    ClockBackwards,
    ClockNotManual,
    DomainError,
    Forbidden,
    FormInvalid,
    InvalidRequest,
    NotFound,
    TaskNotFound,
)
from mockserver.domain.workflows import WorkflowConflict
from mockserver.scenarios import Problem, ScenarioError
from mockserver.web import wire
from mockserver.web.spec import RequestInvalid

INSTANCE = "conductor-mock"


# -- refusals of the control plane -------------------------------------------------------------------------------

class Refused(Exception):
    """A control call refused with `status` and an Orkes error body (`extra` adds fields to it)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


class UnknownScenarioFile(Exception):
    """No such file in the shipped scenarios folder. `message` is the whole reply text (with a did-you-mean)."""

    def __init__(self, name: str, available: list[str], message: str) -> None:
        super().__init__(message)
        self.name = name
        self.available = available
        self.message = message


class LoadingDisabled(Exception):
    """This app was built without a scenario loader."""


# -- the table -----------------------------------------------------------------------------------------------------

Fields = dict[str, Any]


def _message(error: Any) -> str:
    return str(getattr(error, "message", error))


def _no_fields(error: Any) -> Fields:
    return {}


@dataclass(frozen=True, slots=True)
class Row:
    """How one error type is answered: `status` (or a function of the error), the message, extra body fields."""

    kind: type[Exception]
    status: int | Callable[[Any], int]
    message: Callable[[Any], str] = _message
    fields: Callable[[Any], Fields] = _no_fields

    def reply(self, error: Exception) -> JSONResponse:
        status = self.status if isinstance(self.status, int) else self.status(error)
        return error_response(status, self.message(error), **self.fields(error))


def _invalid_request(invalid: RequestInvalid) -> Fields:
    return {"validation_errors": [{"path": invalid.parameter, "message": invalid.message,
                                   "invalidValue": _jsonable(invalid.invalid_value)}]}


def _form_invalid(invalid: FormInvalid) -> Fields:
    return {"validation_errors": [{"path": p.path, "message": p.message, "invalidValue": _jsonable(p.invalid_value)}
                                  for p in invalid.problems]}


def _scenario_message(error: ScenarioError) -> str:
    count = len(error.problems)
    return f"The scenario has {count} problem{'s' if count != 1 else ''}; nothing was changed:\n{error}"


def _problem(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "path": problem.path, "message": problem.message,
            "hint": problem.hint}


# Most specific first: the first row whose type the error is an instance of answers.
ERRORS: tuple[Row, ...] = (
    # the request does not match its spec
    Row(RequestInvalid, 400, fields=_invalid_request),
    # domain errors. The Orkes docs answer 400 for an unknown task id on every task call but GET.
    Row(ClockBackwards, 409),
    Row(ClockNotManual, 409),
    Row(TaskNotFound, 400),
    Row(NotFound, 404),
    Row(FormInvalid, 400, fields=_form_invalid),
    Row(InvalidRequest, 400),
    Row(Forbidden, 403),
    Row(AuthError, 401, fields=lambda e: {"code": e.code}),
    Row(WorkflowConflict, 409),
    # the control plane's
    Row(ScenarioError, 422, message=_scenario_message,
        fields=lambda e: {"problems": [_problem(p) for p in e.problems]}),
    Row(UnknownScenarioFile, 404, fields=lambda e: {"available": e.available}),
    Row(LoadingDisabled, 501, message=lambda e: "This app was built without a scenario loader "
                                                "(ControlSettings.loader)"),
    Row(Refused, lambda e: e.status, fields=lambda e: dict(e.extra)),
)

# A scenario that validates but whose world cannot be built (a workflow that cannot start): nothing changed.
_LOADING: tuple[Row, ...] = (
    Row(InvalidRequest, 422),
    Row(DomainError, 422, message=lambda e: f"The scenario cannot be loaded; nothing was changed: {e.message}"),
)

# Where one operation departs from the table above (checked first).
OVERRIDES: Mapping[str, tuple[Row, ...]] = {
    "getTask": (Row(TaskNotFound, 404),),
    "mockReset": _LOADING,
    "mockLoad": _LOADING,
    "mockMerge": _LOADING,
}


def row_for(error: Exception, operation_id: str, table: Sequence[Row] = ERRORS,
            overrides: Mapping[str, tuple[Row, ...]] = OVERRIDES) -> Row | None:
    """The row answering `error` in `operation_id`, or None: an error the table does not know is a bug."""
    for row in (*overrides.get(operation_id, ()), *table):
        if isinstance(error, row.kind):
            return row
    return None


def status_for(error: Exception, operation_id: str) -> int:
    row = row_for(error, operation_id)
    if row is None:
        return 500
    return row.status if isinstance(row.status, int) else row.status(error)


def error_reply(error: Exception, operation_id: str) -> JSONResponse | None:
    row = row_for(error, operation_id)
    return None if row is None else row.reply(error)


def error_response(status: int, message: str, *, headers: dict[str, str] | None = None, code: str | None = None,
                   validation_errors: list[dict[str, Any]] | None = None, **extra: Any) -> JSONResponse:
    body = wire.error_body(status, message, instance=INSTANCE, code=code, validation_errors=validation_errors)
    return JSONResponse({**body, **extra}, status_code=status, headers=headers)


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None) | list | dict) else str(value)
