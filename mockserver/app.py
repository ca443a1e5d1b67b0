"""The composition root: the only place that wires the specs (openapi.yaml, control-openapi.yaml), the scenario →
world factory (clock, ids), the handlers, the control plane and the wrapper of every call into an ASGI app.

    build_app(path, ...)        the app of a scenario file (what `conductor-mock serve` runs)
    prepare(path, ...)          a validated scenario and a factory of its world (raises `ScenarioError`)
    create_app(build, ...)      the app over any world factory

Above web/ and control/: it may import every package of mockserver but the contract kit; nothing imports it
but the CLI and tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from mockserver import generate, resources
from mockserver.control.api import control_surface, with_faults
from mockserver.control.faults import FaultRule
from mockserver.control.journal import DEFAULT_CAPACITY
from mockserver.control.plane import ControlPlane, ControlSettings
from mockserver.domain import Clock, IdGenerator, ManualClock, SequentialIds, SystemClock, World
from mockserver.domain.clock import FlowingClock
from mockserver.domain.identity import Entropy, fixed_secret, new_secret
from mockserver.scenarios import ClockSettings, Scenario, load_scenario
from mockserver.web.errors import error_response
from mockserver.web.handlers import api_surface
from mockserver.web.routing import routes_from_spec
from mockserver.web.spec import compile_operations
from mockserver.web.state import MockState

log = logging.getLogger("conductor_mock")


# -- a scenario file → a factory of its world ---------------------------------------------------------------------

def make_clock(settings: ClockSettings) -> Clock:
    """`mode: manual` stands still until moved; otherwise time flows (from `start`, if given) and can still be
    moved forward through the control API."""
    if settings.manual and settings.start_ms is not None:
        return ManualClock(settings.start_ms)
    return FlowingClock(settings.start_ms)


class _CountedIds:
    """Hands out another generator's ids, counting them."""

    def __init__(self, ids: IdGenerator) -> None:
        self._ids, self.count = ids, 0

    def new_id(self) -> str:
        self.count += 1
        return self._ids.new_id()


@dataclass(frozen=True)
class Loaded:
    scenario: Scenario
    clock: Clock
    build: Callable[[], World]
    faults: tuple[FaultRule, ...] = ()  # the scenario's `faults:` block, armed by the control plane


def token_secret(text: str | None = None, entropy: Entropy = secrets) -> bytes:
    """The secret tokens are signed with: random, unless `text` (`serve --token-secret`) fixes it."""
    return fixed_secret(text) if text is not None else new_secret(entropy)


def prepare(path: Path, *, id_seed: int = 0, text: str | None = None, generate_tasks: int = 0,
            secret: str | None = None, entropy: Entropy = secrets) -> Loaded:
    """Validate the scenario (raising `ScenarioError`) and return a factory that builds its world afresh.

    Every world `build` makes signs tokens with one secret, drawn here (from `entropy`, or fixed by `secret`):
    tokens survive a reset, never a restart or the load of another scenario (unless `secret` is given).

    `generate_tasks`: add that many generated tasks (`mockserver.generate`) to the scenario's own. They are made
    once, here, and shared by every world `build` makes (tasks are immutable). They belong to no workflow."""
    source = text if text is not None else path.read_text(encoding="utf-8")
    counted = _CountedIds(SequentialIds(id_seed))
    first = load_scenario(path, ids=counted, now_ms=SystemClock().now_ms(), text=source)
    clock = make_clock(first.clock)
    signing = token_secret(secret, entropy)
    generated = generate.generate_tasks(generate_tasks, now_ms=clock.now_ms(), seed=id_seed) if generate_tasks else ()
    if generated:
        gc.freeze()  # they live as long as the process: keep the garbage collector from walking them again and again

    def build() -> World:
        ids, fresh = SequentialIds(id_seed), make_clock(first.clock)  # a reset starts the clock over too
        if first.clock.start_ms is not None:  # same text, seed and start: the same Seed, so skip parsing (~90% of
            for _ in range(counted.count):    # a reset); draw the ids the load drew, so later ids match
                ids.new_id()
            seed = first.seed
        else:  # defaults depend on the time of loading
            seed = load_scenario(path, ids=ids, now_ms=fresh.now_ms(), text=source).seed
        world = World(seed, clock=fresh, ids=ids, token_secret=signing)
        if generated:  # into the store, not the seed: the workflow engine would adopt each one (~2 KB, ~13 µs)
            world.tasks.replace_all((*generated, *world.tasks.all()))
            world.workflows.track(generated)
        return world

    return Loaded(first, clock, build, first.faults)


@dataclass(frozen=True)
class Loader:
    """The control plane's scenario loader (`ScenarioLoader`): scenarios it loads get the server's id seed."""

    id_seed: int = 0
    token_secret: str | None = None

    def load(self, source: Path, text: str) -> Loaded:
        return prepare(source, id_seed=self.id_seed, text=text, secret=self.token_secret)


def control_settings(loaded: Loaded, *, id_seed: int = 0, journal_size: int = DEFAULT_CAPACITY,
                     token: str | None = None, token_secret: str | None = None) -> ControlSettings:
    """The control plane of a server started on `loaded`."""
    return ControlSettings(journal_size=journal_size, token=token, faults=loaded.faults,
                           loader=Loader(id_seed, token_secret))


# -- the app --------------------------------------------------------------------------------------------------------

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
    plane = ControlPlane(state, spec, control)
    api = api_surface(spec, compile_operations(spec), state, wrap=functools.partial(with_faults, plane))
    app = Starlette(routes=[*routes_from_spec(api), *routes_from_spec(control_surface(plane))],
                    exception_handlers={404: _not_found, 500: _server_error}, lifespan=_clock_loop(state, tick_s))
    app.state.mock = state
    app.state.control = plane
    return app


def build_app(path: Path | None = None, *, id_seed: int = 0, generate_tasks: int = 0,
              journal_size: int = DEFAULT_CAPACITY, control_token: str | None = None,
              spec: Mapping[str, Any] | None = None, token_secret: str | None = None) -> Starlette:
    """The app for a scenario (default: the shipped default). Pass `spec` to reuse a parsed openapi.yaml;
    `token_secret` to sign tokens with a fixed secret (see `prepare`).
    Raises `ScenarioError` (the scenario has problems) or `OSError` (it cannot be read)."""
    loaded = prepare(path or resources.default_scenario(), id_seed=id_seed, generate_tasks=generate_tasks,
                     secret=token_secret)
    return create_app(loaded.build, spec=spec if spec is not None else resources.openapi_document(),
                      control=control_settings(loaded, id_seed=id_seed, journal_size=journal_size, token=control_token,
                                               token_secret=token_secret))
