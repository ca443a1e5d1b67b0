"""The composition root: the only place that wires spec, handlers, state and routes into an ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from mockserver.control.api import ControlApi
from mockserver.control.plane import ControlPlane, ControlSettings
from mockserver.control.ui import WebInbox
from mockserver.domain import ManualClock, World
from mockserver.web.errors import error_response
from mockserver.web.handlers import HANDLERS
from mockserver.web.routing import routes_from_spec
from mockserver.web.spec import compile_operations
from mockserver.web.state import MockState

log = logging.getLogger("conductor_mock")


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, f"No such endpoint: {request.method} {request.url.path}")


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, f"Internal error: {type(exc).__name__}: this is a conductor-mock bug")


def _clock_loop(state: MockState, interval_s: float) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """With the system clock, SLAs and timeouts fire on their own: look for due timers every `interval_s`."""

    async def tick() -> None:
        while True:
            await asyncio.sleep(interval_s)
            world = state.world
            if not isinstance(world.clock, ManualClock):  # a manual clock moves only when told to
                try:
                    world.fire_due()
                except Exception:  # a bug must not stop the clock
                    log.exception("firing due timers failed")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(tick())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan


def create_app(build_world: Callable[[], World], *, spec: Mapping[str, Any], tick_s: float = 1.0,
               control: ControlSettings | None = None) -> Starlette:
    """An app serving `spec` over the world `build_world()` makes (called again on every reset), with the
    control API under /_mock (`control`: its settings; see mockserver.control)."""
    state = MockState(build_world)
    routes = routes_from_spec(spec, compile_operations(spec), HANDLERS, state)
    plane = ControlPlane(state, spec, control)
    control_api = ControlApi(plane)
    state.hook = control_api.intercept
    inbox = WebInbox(control_api)  # the web inbox at /_mock/ui/ (its GETs before the control API's routes)
    app = Starlette(routes=[*routes, *inbox.routes(), *control_api.routes()],
                    exception_handlers={404: _not_found, 500: _server_error}, lifespan=_clock_loop(state, tick_s))
    app.state.mock = state
    app.state.control = plane
    return app
