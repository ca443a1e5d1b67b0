"""The namespaces of a shared store: what `mockserver.control.namespaces.Namespaces` is in memory, with the store
deciding. A namespace exists once for all processes (made in Redis on first use, its count capped there); each
process keeps copies of the namespaces it has served (`ReplicatedPlane`), and forgets a copy it has not used for
the idle time (the store keeps the namespace). One process at a time (a lease in Redis) fires due timers and
evicts namespaces idle everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mockserver.control.namespaces import DEFAULT, DEFAULT_IDLE_S, DEFAULT_MAX, Namespaces, _Entry, check_name
from mockserver.control.plane import ControlPlane
from mockserver.control.timeparse import format_instant
from mockserver.domain import ManualClock
from mockserver.replica.log import NoNamespace, SharedLog
from mockserver.replica.plane import ReplicatedPlane
from mockserver.web.errors import Refused

LEASE_MS = 5_000


class SharedNamespaces(Namespaces):
    """`make(name)` builds this process's copy of namespace `name` (a `ReplicatedPlane`); `origin` names this
    process in the store (the ticker's lease)."""

    def __init__(self, make: Callable[[str], ControlPlane], *, log: SharedLog, origin: str,
                 idle_s: float = DEFAULT_IDLE_S, max_count: int = DEFAULT_MAX,
                 monotonic: Callable[[], float] = time.monotonic,
                 wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000) -> None:
        self._log, self._origin = log, origin
        super().__init__(make, idle_s=idle_s, max_count=max_count, monotonic=monotonic, wall_ms=wall_ms)

    def _create(self, name: str) -> _Entry:
        """A local copy only: the store makes the namespace (or refuses one too many, 429) when it is first read."""
        now = self._wall_ms()
        entry = _Entry(self._make(name), created_ms=now, used_ms=now, used_at=self._monotonic())
        self._entries[name] = entry
        return entry

    def _replica(self, name: str) -> ReplicatedPlane:
        with self._lock:
            entry = self._entries.get(name) or self._create(name)
        plane = entry.plane
        assert isinstance(plane, ReplicatedPlane)
        return plane

    async def start(self) -> None:
        await self._replica(DEFAULT).ready()

    async def list_all(self) -> list[dict[str, Any]]:
        await self._replica(DEFAULT).ready()  # made at start (unless the app runs without its lifespan)
        now, rows = self._wall_ms(), []
        for name, created, used in await self._log.namespaces():
            plane = self._replica(name)
            try:
                await plane.peek()
            except NoNamespace:  # dropped meanwhile
                continue
            rows.append({"name": name, "tasks": len(plane.world.tasks), "created": format_instant(created),
                         "lastUsed": format_instant(used), "idleSeconds": round(max(now - used, 0) / 1000, 3)})
        return rows

    async def drop_shared(self, name: str) -> bool:
        check_name(name)
        if name == DEFAULT:
            raise Refused(409, "The default namespace cannot be dropped: reset it with POST /_mock/reset")
        with self._lock:
            self._entries.pop(name, None)
        return await self._log.drop(name)

    async def tick(self) -> None:
        """Forget local copies idle here; and, holding the lease, evict namespaces idle everywhere and fire the due
        timers of every namespace whose clock flows."""
        self.evict_idle()
        if not await self._log.lease(self._origin, LEASE_MS):
            return
        cutoff = self._wall_ms() - int(self.idle_s * 1000)
        for name in await self._log.idle(cutoff):
            if name != DEFAULT:
                await self._log.drop(name, idle_before=cutoff)
                with self._lock:
                    self._entries.pop(name, None)
        for name, _, _ in await self._log.namespaces():
            await self._fire_due(self._replica(name))

    @staticmethod
    async def _fire_due(plane: ReplicatedPlane) -> None:
        try:
            await plane.peek()
        except NoNamespace:
            return
        world = plane.world
        if isinstance(world.clock, ManualClock):
            return
        if world.workflows.due_timers(world.clock.now_ms()):
            await plane.tick()
