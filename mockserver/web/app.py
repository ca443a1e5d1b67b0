"""The composition root: the only place that wires spec, handlers, state and routes into an ASGI app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from mockserver.domain import World
from mockserver.web.errors import error_response
from mockserver.web.handlers import HANDLERS
from mockserver.web.routing import routes_from_spec
from mockserver.web.spec import compile_operations
from mockserver.web.state import MockState


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, f"No such endpoint: {request.method} {request.url.path}")


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, f"Internal error: {type(exc).__name__}: this is a conductor-mock bug")


def create_app(build_world: Callable[[], World], *, spec: Mapping[str, Any]) -> Starlette:
    """An app serving `spec` over the world `build_world()` makes (called again on every reset)."""
    state = MockState(build_world)
    routes = routes_from_spec(spec, compile_operations(spec), HANDLERS, state)
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 500: _server_error})
    app.state.mock = state
    return app
