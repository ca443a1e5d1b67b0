"""The composition root: the only place that wires the specs (openapi.yaml, control-openapi.yaml), the scenario →
world factory (clock, ids), the handlers, the control plane and the wrapper of every call into an ASGI app.

    build_app(path, ...)        the app of a scenario file (what `conductor-mock serve` runs)
    prepare(path, ...)          a validated scenario and a factory of its world (raises `ScenarioError`)
    create_app(build, ...)      the app over any world factory

Every world lives in a namespace (`mockserver.control.namespaces`): the app holds one `Namespaces` registry,
which makes a namespace on first use with the same factory a reset uses, and the router's `NamespacePrefix`
resolves each call's namespace through it.

Above web/ and control/: it may import every package of mockserver but the contract kit; nothing imports it
but the CLI and tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from mockserver import generate, resources
from mockserver.control.api import control_surface, with_faults
from mockserver.control.faults import FaultRule
from mockserver.control.journal import DEFAULT_CAPACITY
from mockserver.control.namespaces import DEFAULT, DEFAULT_IDLE_S, DEFAULT_MAX, Namespaces
from mockserver.control.plane import ControlPlane, ControlSettings
from mockserver.control.ui import WebInbox
from mockserver.domain import Clock, IdGenerator, ManualClock, SequentialIds, SystemClock, World
from mockserver.domain.clock import FlowingClock
from mockserver.domain.identity import Entropy, fixed_secret, new_secret
from mockserver.replica.log import SharedLog, StoreUrl, open_store
from mockserver.replica.plane import PinnedWall, ReplicatedPlane
from mockserver.replica.registry import SharedNamespaces
from mockserver.scenarios import ClockSettings, Scenario, load_scenario
from mockserver.web.collector import PacedCollections, settle_after_load, settle_new_world
from mockserver.web.errors import error_response
from mockserver.web.handlers import api_surface
from mockserver.web.routing import NamespacePrefix, SurfaceRoutes, namespace_of, routes_from_spec
from mockserver.web.spec import compile_operations
from mockserver.web.state import MockState

log = logging.getLogger("conductor_mock")


# -- a scenario file → a factory of its world ---------------------------------------------------------------------

def make_clock(settings: ClockSettings, wall: Callable[[], int] | None = None) -> Clock:
    """`mode: manual` stands still until moved; otherwise time flows (from `start`, if given, following `wall`)
    and can still be moved forward through the control API."""
    if settings.manual and settings.start_ms is not None:
        return ManualClock(settings.start_ms)
    return FlowingClock(settings.start_ms, wall=wall)


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
    build: Callable[[], World]  # the world of the default namespace
    faults: tuple[FaultRule, ...] = ()  # the scenario's `faults:` block, armed by the control plane
    build_in: Callable[[str], World] | None = None  # the world of a namespace, by name


def token_secret(text: str | None = None, entropy: Entropy = secrets) -> bytes:
    """The secret tokens are signed with: random, unless `text` (`serve --token-secret`) fixes it."""
    return fixed_secret(text) if text is not None else new_secret(entropy)


def _namespace_secret(signing: bytes, namespace: str) -> bytes:
    """Each namespace signs with its own key, derived from the server's: a token of one is refused (401) in
    another, and survives its namespace's reset."""
    return signing if namespace == DEFAULT else hmac.new(signing, namespace.encode(), hashlib.sha256).digest()


def prepare(path: Path, *, id_seed: int = 0, text: str | None = None, generate_tasks: int = 0,
            secret: str | None = None, entropy: Entropy = secrets, wall: Callable[[], int] | None = None) -> Loaded:
    """Validate the scenario (raising `ScenarioError`) and return a factory that builds its world afresh.

    Every world `build` makes signs tokens with one secret, drawn here (from `entropy`, or fixed by `secret`):
    tokens survive a reset, never a restart or the load of another scenario (unless `secret` is given).

    `generate_tasks`: add that many generated tasks (`mockserver.generate`) to the scenario's own. They are made
    once, here, and shared by every world `build` makes (tasks are immutable). They belong to no workflow.

    `wall`: the wall clock of the worlds' flowing clocks and of scenario defaults (a shared log pins it while it
    applies, so every process builds the same world)."""
    source = text if text is not None else path.read_text(encoding="utf-8")
    counted = _CountedIds(SequentialIds(id_seed))
    first = load_scenario(path, ids=counted, now_ms=(wall or SystemClock().now_ms)(), text=source)
    clock = make_clock(first.clock, wall)
    signing = token_secret(secret, entropy)
    generated = generate.generate_tasks(generate_tasks, now_ms=clock.now_ms(), seed=id_seed) if generate_tasks else ()
    if generated:
        gc.freeze()  # they live as long as the process: keep the garbage collector from walking them again and again

    def build(namespace: str = DEFAULT) -> World:
        ids: IdGenerator = SequentialIds(id_seed)
        fresh = make_clock(first.clock, wall)  # a reset starts the clock over too
        if first.clock.start_ms is not None:  # same text, seed and start: the same Seed, so skip parsing (~90% of
            for _ in range(counted.count):    # a reset); draw the ids the load drew, so later ids match
                ids.new_id()
            seed = first.seed
        else:  # defaults depend on the time of loading
            seed = load_scenario(path, ids=ids, now_ms=fresh.now_ms(), text=source).seed
        world = World(seed, clock=fresh, ids=ids, token_secret=_namespace_secret(signing, namespace))
        if generated:  # into the store, not the seed: the workflow engine would adopt each one (~2 KB, ~13 µs)
            world.tasks.replace_all((*generated, *world.tasks.all()))
            world.workflows.track(generate.with_deadlines(generated))
        return world

    return Loaded(first, clock, build, first.faults, build)


@dataclass(frozen=True)
class Loader:
    """The control plane's scenario loader (`ScenarioLoader`): scenarios it loads get the server's id seed."""

    id_seed: int = 0
    token_secret: str | None = None
    namespace: str = DEFAULT  # the worlds it builds are this namespace's
    wall: Callable[[], int] | None = None  # see `prepare`

    def load(self, source: Path, text: str) -> Loaded:
        loaded = prepare(source, id_seed=self.id_seed, text=text, secret=self.token_secret, wall=self.wall)
        assert loaded.build_in is not None
        return dataclasses.replace(loaded, build=functools.partial(loaded.build_in, self.namespace))


def control_settings(loaded: Loaded, *, id_seed: int = 0, journal_size: int = DEFAULT_CAPACITY,
                     token: str | None = None, token_secret: str | None = None,
                     settle: Callable[[], None] | None = None) -> ControlSettings:
    """The control plane of a server started on `loaded` (`settle`: see `ControlSettings`)."""
    return ControlSettings(journal_size=journal_size, token=token, faults=loaded.faults,
                           loader=Loader(id_seed, token_secret), settle=settle)


# -- the app --------------------------------------------------------------------------------------------------------

async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, f"No such endpoint: {request.method} {request.url.path}")


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, f"Internal error: {type(exc).__name__}: this is a conductor-mock bug")


def _clock_loop(namespaces: Namespaces, interval_s: float, store: SharedLog | None) -> Callable[[Starlette],
                                                                       AbstractAsyncContextManager[None]]:
    """With the system clock, SLAs and timeouts fire on their own: look for due timers every `interval_s`, in every
    namespace; and evict the idle namespaces."""

    async def tick() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await namespaces.tick()
            except Exception:  # a bug, or the store away for a moment, must not stop the clock
                log.exception("the clock tick failed")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if store is not None:
            await store.open()
        await namespaces.start()
        task = asyncio.create_task(tick())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if store is not None:
                await store.close()

    return lifespan


@dataclass(frozen=True)
class NamespaceSettings:
    """`idle_s`: a namespace unused that long is dropped; `max_count`: live namespaces at most (default included);
    `monotonic`: the time source of idleness."""

    idle_s: float = DEFAULT_IDLE_S
    max_count: int = DEFAULT_MAX
    monotonic: Callable[[], float] = time.monotonic


def namespace_factory(build_world: Callable[[], World], spec: Mapping[str, Any], control: ControlSettings | None,
                      build_in: Callable[[str], World] | None) -> Callable[[str], ControlPlane]:
    """How a namespace is made: its control plane over a world of `build_in(name)` (the default namespace's, and
    every namespace's without `build_in`, from `build_world()`), with a loader that loads into it."""
    settings = control or ControlSettings()

    def make(name: str) -> ControlPlane:
        build = build_world if name == DEFAULT or build_in is None else functools.partial(build_in, name)
        own = settings
        if isinstance(settings.loader, Loader):
            own = dataclasses.replace(settings, loader=dataclasses.replace(settings.loader, namespace=name))
        return ControlPlane(MockState(build), spec, own)

    return make


@dataclass(frozen=True)
class SharedStore:
    """A shared store (`serve --store redis://...`, mockserver/replica): its log, this process's name in it, and
    the start scenario every namespace is made from (`{"source": path, "text": text}`)."""

    log: SharedLog
    start: dict[str, str]
    origin: str = dataclasses.field(default_factory=lambda: secrets.token_hex(8))


def shared_factory(store: SharedStore, spec: Mapping[str, Any], control: ControlSettings,
                   max_count: int) -> Callable[[str], ControlPlane]:
    """How a process makes its copy of namespace `name` of a shared store: a `ReplicatedPlane` whose worlds are
    built by the control plane's loader, on a wall clock of its own that applying pins."""
    loader = control.loader
    assert isinstance(loader, Loader), "a shared store builds its worlds from scenario texts"

    def make(name: str) -> ControlPlane:
        wall = PinnedWall(SystemClock().now_ms)
        own = dataclasses.replace(loader, namespace=name, wall=wall)

        def build(payload: dict[str, str]) -> tuple[World, tuple[FaultRule, ...]]:
            loaded = own.load(Path(payload["source"]), payload["text"])
            return loaded.build(), loaded.faults

        return ReplicatedPlane(name, spec, dataclasses.replace(control, loader=own), log=store.log, wall=wall,
                               start=store.start, build=build, origin=store.origin, max_count=max_count,
                               placeholder=lambda: build(store.start)[0])

    return make


def create_app(build_world: Callable[[], World], *, spec: Mapping[str, Any], tick_s: float = 1.0,
               control: ControlSettings | None = None, build_in: Callable[[str], World] | None = None,
               namespaces: NamespaceSettings | None = None, shared: SharedStore | None = None) -> Starlette:
    """An app serving `spec` over the world `build_world()` makes (called again on every reset), with the
    control API under /_mock (`control`: its settings; see mockserver.control), and the same under
    /ns/{name}/api and /ns/{name}/_mock for namespace `name` (its worlds from `build_in(name)`).

    `shared`: keep every namespace in a shared store instead (its worlds built by `control`'s loader)."""
    limits = namespaces or NamespaceSettings()
    registry: Namespaces
    if shared is None:
        registry = Namespaces(namespace_factory(build_world, spec, control, build_in), idle_s=limits.idle_s,
                              max_count=limits.max_count, monotonic=limits.monotonic)
    else:
        assert control is not None, "a shared store needs the control settings (their loader builds its worlds)"
        registry = SharedNamespaces(shared_factory(shared, spec, control, limits.max_count), log=shared.log,
                                    origin=shared.origin, idle_s=limits.idle_s, max_count=limits.max_count,
                                    monotonic=limits.monotonic)
    api = api_surface(spec, compile_operations(spec), namespace_of, wrap=with_faults)
    token = control.token if control is not None else None
    inbox = WebInbox(token, registry)  # the web inbox at /_mock/ui/ (its GETs before the control API's routes)
    app = Starlette(routes=[SurfaceRoutes(routes_from_spec(api)), *inbox.routes(),
                            SurfaceRoutes(routes_from_spec(control_surface(registry, token, inbox.handlers)))],
                    middleware=[Middleware(NamespacePrefix, resolve=registry.resolve)],
                    exception_handlers={404: _not_found, 500: _server_error},
                    lifespan=_clock_loop(registry, tick_s, shared.log if shared is not None else None))
    app.state.namespaces = registry
    app.state.mock = registry.default.state
    app.state.control = registry.default
    return app


def build_app(path: Path | None = None, *, id_seed: int = 0, generate_tasks: int = 0,
              journal_size: int = DEFAULT_CAPACITY, control_token: str | None = None,
              spec: Mapping[str, Any] | None = None, namespaces: NamespaceSettings | None = None,
              token_secret: str | None = None, store: StoreUrl | None = None,
              settle: Callable[[], None] | None = None) -> Starlette:
    """The app for a scenario (default: the shipped default). Pass `spec` to reuse a parsed openapi.yaml;
    `token_secret` to sign tokens with a fixed secret (see `prepare`); `store` to keep the worlds in Redis
    (mockserver/replica); `settle` to run after each new world is in (see `ControlSettings`).
    Raises `ScenarioError` (the scenario has problems), `OSError` (it cannot be read), `StoreProblem` (the store
    cannot be used), `ValueError` (generated tasks on a shared store)."""
    path = path or resources.default_scenario()
    text = path.read_text(encoding="utf-8")
    shared = None
    if store is not None:
        if generate_tasks:
            raise ValueError("--generate-tasks works with --store memory only (the generated tasks are not in the "
                             "scenario text every process builds its worlds from)")
        root = open_store(store, config=store_config(id_seed, token_secret))
        token_secret = token_secret if token_secret is not None else root
        shared = SharedStore(SharedLog(store), {"source": str(path), "text": text})
    loaded = prepare(path, id_seed=id_seed, generate_tasks=generate_tasks, secret=token_secret, text=text)
    return create_app(loaded.build, spec=spec if spec is not None else resources.openapi_document(),
                      control=control_settings(loaded, id_seed=id_seed, journal_size=journal_size, token=control_token,
                                               token_secret=token_secret, settle=settle),
                      build_in=loaded.build_in, namespaces=namespaces, shared=shared)


def store_config(id_seed: int, token_secret: str | None) -> dict[str, Any]:
    """What every process of one shared store must agree on (checked at start-up)."""
    fixed = hashlib.sha256(token_secret.encode()).hexdigest()[:16] if token_secret is not None else None
    return {"seed": id_seed, "tokenSecret": fixed}


# -- `serve`: the app of the command line's settings (in each worker process too) ---------------------------------

SERVE_ENV = "CONDUCTOR_MOCK_SERVE"  # the settings of `serve --workers N`, for the worker processes


@dataclass(frozen=True)
class ServeSettings:
    """What `conductor-mock serve` builds its app from: passed to worker processes as JSON in `SERVE_ENV`."""

    scenario: str
    seed: int = 0
    journal_size: int = DEFAULT_CAPACITY
    control_token: str | None = None
    token_secret: str | None = None
    max_namespaces: int = DEFAULT_MAX
    namespace_idle_seconds: float = DEFAULT_IDLE_S
    store: str | None = None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeSettings:
        return cls(**json.loads(text))

    def app(self) -> Starlette:
        limits = NamespaceSettings(idle_s=self.namespace_idle_seconds, max_count=self.max_namespaces)
        return build_app(Path(self.scenario), id_seed=self.seed, journal_size=self.journal_size,
                         control_token=self.control_token, token_secret=self.token_secret, namespaces=limits,
                         store=StoreUrl.parse(self.store) if self.store else None, settle=settle_new_world)


def served_app() -> ASGIApp:
    """The app of one worker process of `serve --workers N` (uvicorn's factory)."""
    return as_served(ServeSettings.from_json(os.environ[SERVE_ENV]).app())


def as_served(app: Starlette) -> ASGIApp:
    """`app` as a serving process runs it, whatever builds it (`serve`, each of its workers, bench/perf.py): the
    collector settled on the loaded world (`web/collector`), its collections paced by requests, and the connection
    reachable for the `drop` fault (outermost). Build `app` with `settle=settle_new_world` (as `ServeSettings.app`
    does), so that each later world is settled too."""
    from mockserver.control.drop import DropConnections

    settle_after_load()
    return DropConnections(PacedCollections(app))
