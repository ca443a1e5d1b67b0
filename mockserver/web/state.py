"""What a running app holds: the current world (replaced whole on reset), and how to rebuild it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from starlette.responses import Response

from mockserver.domain import Principal, World


class WorldSource(Protocol):
    """Where a handler finds its world: what the router resolves per call (the call's namespace).

    `shared`: the world is one process's copy of a world kept in a shared log (mockserver/replica); then a call
    first awaits `ready()` (catch up) and sends every change through `submit` (append it to the log and apply it,
    in log order, answering what applying it answered)."""

    @property
    def world(self) -> World: ...

    @property
    def shared(self) -> bool: ...

    async def ready(self) -> None: ...

    async def submit(self, operation_id: str, principal: Principal | None, path: dict[str, Any],
                     query: dict[str, Any], body: Any) -> Response: ...


class MockState:
    """The app's one mutable slot. Handlers read `world`; the control plane swaps it atomically."""

    def __init__(self, build: Callable[[], World]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._watchers: list[Callable[[World], None]] = []
        self._settlers: list[Callable[[], None]] = []
        self.world = build()

    def on_new_world(self, watcher: Callable[[World], None]) -> None:
        """Call `watcher(world)` whenever a new world is swapped in (reset, load)."""
        self._watchers.append(watcher)

    def after_new_world(self, settle: Callable[[], None]) -> None:
        """Call `settle()` once a new world is in and the one it replaced let go (`mockserver.web.collector`)."""
        self._settlers.append(settle)

    def reset(self) -> World:
        with self._lock:
            return self._install(self._build())

    def replace(self, world: World) -> World:
        with self._lock:
            return self._install(world)

    def _install(self, world: World) -> World:
        for watcher in self._watchers:  # before the swap: no change to the new world goes unwatched
            watcher(world)
        self.world = world
        for settle in self._settlers:
            settle()
        return world
