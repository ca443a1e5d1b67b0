"""Domain errors. They carry data and a human message, and know nothing of HTTP.

`mockserver.web.errors` is the one table that turns each of them into a status code and an Orkes error body.

DomainError
├── NotFound
│   ├── TaskNotFound
│   ├── TemplateNotFound
│   └── TokenEndpointDisabled
├── InvalidRequest
│   ├── InvalidTransition
│   ├── AssigneeMismatch
│   ├── FormInvalid
│   └── ClockNotManual
├── Forbidden
└── AuthError
    ├── InvalidCredentials
    ├── InvalidToken
    └── ExpiredToken
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.domain.forms import FormProblem


def show_value(value: Any) -> str:
    """A value as an error message shows it: `true`, `null`, `a mapping`, `a list`, `'text'`, `3`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class DomainError(Exception):
    """Base of every error the domain raises. `str(error)` is the message a user sees."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing named does not exist."""


class TaskNotFound(NotFound):
    def __init__(self, task_id: str) -> None:
        super().__init__(f"Task not found for id: {task_id}")
        self.task_id = task_id


class TemplateNotFound(NotFound):
    def __init__(self, name: str, version: int | None) -> None:
        what = f"{name} version {version}" if version is not None else name
        super().__init__(f"User form template not found: {what}")
        self.name = name
        self.version = version


class TokenEndpointDisabled(NotFound):
    def __init__(self) -> None:
        super().__init__("This server runs in open mode with no keys: there is no token to issue. "
                         "Send no X-Authorization.")


class InvalidRequest(DomainError):
    """The request is well-formed but the task's state or the arguments do not allow it."""


class InvalidTransition(InvalidRequest):
    """An action that the task's current state does not allow (see `lifecycle.TRANSITIONS`)."""

    def __init__(self, task_id: str, state: str, action: str, message: str) -> None:
        super().__init__(message)
        self.task_id = task_id
        self.state = state
        self.action = action


class AssigneeMismatch(InvalidRequest):
    """The user to claim for is not the task's assignee, and the assignment was not overridden."""

    def __init__(self, task_id: str, user_id: str, assignee: str) -> None:
        super().__init__(
            f"User {user_id} is not assigned to task {task_id} (assignee is {assignee}); "
            "use overrideAssignment=true to claim it anyway"
        )
        self.task_id = task_id
        self.user_id = user_id


class FormInvalid(InvalidRequest):
    """A task's output (merged with the update) breaks its user form's `jsonSchema`; `problems` says where."""

    def __init__(self, task_id: str, form: str, problems: Sequence[FormProblem]) -> None:
        count = len(problems)
        first = f"{problems[0].path} {problems[0].message}" if problems else ""
        super().__init__(f"The output of task {task_id} does not match its form {form} "
                         f"({count} problem{'s' if count != 1 else ''}): {first}")
        self.task_id = task_id
        self.form = form
        self.problems = tuple(problems)


class ClockNotManual(InvalidRequest):
    def __init__(self) -> None:
        super().__init__("The clock follows the system time; start the scenario with `clock: {mode: manual}` "
                         "to set or advance it")


class Forbidden(DomainError):
    """The caller is authenticated but may not do this."""

    def __init__(self, principal_id: str, action: str, resource: str) -> None:
        super().__init__(f"You don't have permissions to {action} {resource} (caller: {principal_id})")
        self.principal_id = principal_id
        self.action = action


class AuthError(DomainError):
    """The caller could not be identified. `code` is the `error` field both SDKs look at."""

    code = "INVALID_TOKEN"


class InvalidCredentials(AuthError):
    code = "INVALID_CREDENTIALS"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"Invalid key id or secret for key '{key_id}'")


class InvalidToken(AuthError):
    code = "INVALID_TOKEN"


class ExpiredToken(AuthError):
    code = "EXPIRED_TOKEN"

    def __init__(self) -> None:
        super().__init__("Token expired: request a new one from POST /api/token")


class ClockBackwards(InvalidRequest):
    """A clock move to a time before the clock's own."""

    def __init__(self) -> None:
        super().__init__("The clock cannot go backwards")
