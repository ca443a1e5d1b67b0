"""Routes generated from openapi.yaml: one Route per path, dispatching on the method to the handler named
by the operation's operationId. Literal paths are matched before templated ones, so
`POST /human/tasks/search` is never read as a task id (while `GET /human/tasks/search` still reaches
`getTask`, as on the real server). A known path with an unknown method answers 405 with `Allow`; every
reply of ours is JSON with the Orkes error body.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockserver.domain import DomainError
from mockserver.web.errors import domain_error_response, error_response
from mockserver.web.handlers import Call, Handler
from mockserver.web.spec import Operation, RequestInvalid
from mockserver.web.state import MockState

log = logging.getLogger("conductor_mock")


class SpecMismatch(Exception):
    """openapi.yaml and the handler table disagree."""


class PathEndpoint:
    """The ASGI app of one spec path: all its operations, by method."""

    def __init__(self, state: MockState, operations: Sequence[tuple[Operation, Handler]]) -> None:
        self._state = state
        self._by_method = {op.method: (op, handler) for op, handler in operations}
        self._allow = ", ".join(sorted(self._by_method))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.dispatch(request)
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        entry = self._by_method.get(request.method)
        if entry is None and request.method == "HEAD":
            entry = self._by_method.get("GET")  # the server drops the body of a HEAD reply
        if entry is None:
            return error_response(405, f"Request method '{request.method}' is not supported; allowed: {self._allow}",
                                  headers={"Allow": self._allow})
        operation, handler = entry
        hook = self._state.hook
        if hook is None:
            return await self._run(request, operation, handler)
        return await hook(request, operation.operation_id, functools.partial(self._run, request, operation, handler))

    async def _run(self, request: Request, operation: Operation, handler: Handler) -> Response:
        world = self._state.world
        try:
            principal = world.tokens.authenticate(request.headers.get("x-authorization")) if operation.secured else None
            path = operation.parse_params("path", request.path_params)
            # most calls have no query string: skip building (and parsing) an empty QueryParams
            query = operation.parse_params("query", request.query_params if request.scope.get("query_string") else {})
            body = operation.parse_body(await request.body()) if operation.body is not None else None
            return handler(Call(world, principal, path, query, body))
        except DomainError as error:
            return domain_error_response(error, operation.operation_id)
        except RequestInvalid as invalid:
            problem = {"path": invalid.parameter, "message": invalid.message,
                       "invalidValue": _jsonable(invalid.invalid_value)}
            return error_response(400, invalid.message, validation_errors=[problem])
        except Exception:  # a bug: answer like a server would, and say so in the log
            log.exception("unexpected error in %s", operation.operation_id)
            return error_response(500, f"Internal error in {operation.operation_id}: this is a conductor-mock bug")


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None) | list | dict) else str(value)


def routes_from_spec(document: Mapping[str, Any], operations: Sequence[Operation], handlers: Mapping[str, Handler],
                     state: MockState) -> list[Route]:
    """One Route per path of the spec, mounted under the spec's server base path (`/api`)."""
    spec_ids = {op.operation_id for op in operations}
    missing, extra = spec_ids - handlers.keys(), handlers.keys() - spec_ids
    if missing or extra:
        raise SpecMismatch(f"operations without a handler: {sorted(missing)}; handlers without an operation: "
                           f"{sorted(extra)}")
    base = str(document.get("servers", [{}])[0].get("url", "")).rstrip("/")
    by_path: dict[str, list[tuple[Operation, Handler]]] = {}
    for op in operations:
        by_path.setdefault(op.path, []).append((op, handlers[op.operation_id]))
    ordered = sorted(by_path, key=lambda p: (p.count("{"), -p.count("/"), p))
    return [SpecRoute(base + path, PathEndpoint(state, by_path[path]), methods=[op.method for op, _ in by_path[path]])
            for path in ordered]


class SpecRoute(Route):
    """A Route that leaves a wrong method to its PathEndpoint (a JSON 405 with `Allow`).

    With `methods` set, Starlette's router treats a path match with another method as partial and keeps
    looking, so `GET /human/tasks/search` reaches `getTask` (as on a Spring server), while
    `POST /human/tasks/search` never reads "search" as a task id. Only when no route takes the method does
    the first partial match answer, and then with our error body rather than Starlette's plain text.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
