"""Namespaces: independent worlds on one server, for parallel test runs.

`/api/...` and `/_mock/...` address the `default` namespace; `/ns/{name}/api/...` and `/ns/{name}/_mock/...`
address namespace `name` (the router strips the prefix: `web/routing.py`, `NamespacePrefix`). Each namespace is
one `ControlPlane`: its own world (identities, tokens, clock, tasks), journal and fault book, reset, loaded and
exported on its own. A namespace is made on first use by the `make` factory the composition root gives (the same
factory a reset uses).

The registry is the seam a shared backend (Redis) plugs into: the router needs `resolve(name)` only; the control
API adds `listing()` and `drop(name)`; the clock loop `planes()` and `evict_idle()`. Bounded: at most `max_count`
namespaces (a new one past that is refused, 429), and a namespace unused for `idle_s` seconds is dropped
(`evict_idle`, called by the background tick and before refusing a new one). The `default` namespace is never
evicted or dropped.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockserver.control.plane import ControlPlane
from mockserver.control.timeparse import format_instant
from mockserver.domain import ManualClock
from mockserver.web.errors import Refused

log = logging.getLogger("conductor_mock")
DEFAULT = "default"
DEFAULT_IDLE_S = 3600.0
DEFAULT_MAX = 1000
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


def check_name(name: str) -> str:
    """`name` if it is a valid namespace name; else `Refused(400)`."""
    if NAME.fullmatch(name) is None or ".." in name:
        raise Refused(400, f"Invalid namespace name {name[:80]!r}: use 1 to 63 letters, digits, '_', '.' or '-', "
                      "starting with a letter or digit, with no '..'", namespace=name[:80])
    return name


@dataclass
class _Entry:
    plane: ControlPlane
    created_ms: int
    used_ms: int
    used_at: float  # on the monotonic source


class Namespaces:
    """The live namespaces, by name. Thread-safe. `make(name)` builds a new namespace's control plane (and world);
    `monotonic` measures idleness, `wall_ms` stamps `created`/`lastUsed` in the listing."""

    def __init__(self, make: Callable[[str], ControlPlane], *, idle_s: float = DEFAULT_IDLE_S,
                 max_count: int = DEFAULT_MAX, monotonic: Callable[[], float] = time.monotonic,
                 wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000) -> None:
        if max_count < 1:
            raise ValueError("max_count must be 1 or more (the default namespace counts)")
        self._make, self.idle_s, self.max_count = make, idle_s, max_count
        self._monotonic, self._wall_ms = monotonic, wall_ms
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self.resolve(DEFAULT)

    def resolve(self, name: str) -> ControlPlane:
        """The namespace `name`, made on first use and marked used. Raises `Refused` (400: a bad name; 429: full)."""
        entry = self._entries.get(name) if name == DEFAULT else None  # never evicted nor dropped: no lock to take
        if entry is not None:
            entry.used_at, entry.used_ms = self._monotonic(), self._wall_ms()
            return entry.plane
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                entry = self._create(check_name(name))
            entry.used_at, entry.used_ms = self._monotonic(), self._wall_ms()
            return entry.plane

    def get(self, name: str) -> ControlPlane | None:
        """A live namespace, without making or touching it."""
        entry = self._entries.get(name)
        return entry.plane if entry is not None else None

    @property
    def default(self) -> ControlPlane:
        return self._entries[DEFAULT].plane

    def planes(self) -> list[tuple[str, ControlPlane]]:
        with self._lock:
            return [(name, entry.plane) for name, entry in self._entries.items()]

    def __len__(self) -> int:
        return len(self._entries)

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            entries = sorted(self._entries.items())
        return [{"name": name, "tasks": len(e.plane.world.tasks), "created": format_instant(e.created_ms),
                 "lastUsed": format_instant(e.used_ms), "idleSeconds": round(self._monotonic() - e.used_at, 3)}
                for name, e in entries]

    def drop(self, name: str) -> bool:
        """Forget namespace `name` (its world, journal and faults). False if there is none. The default namespace
        cannot be dropped (`Refused(409)`): reset it instead."""
        check_name(name)
        if name == DEFAULT:
            raise Refused(409, "The default namespace cannot be dropped: reset it with POST /_mock/reset")
        with self._lock:
            return self._entries.pop(name, None) is not None

    def evict_idle(self) -> list[str]:
        """Drop every namespace (but the default) unused for `idle_s` seconds; their names."""
        with self._lock:
            return self._evict_idle()

    # -- what the control API and the clock loop await (a shared store's registry does these in Redis) ----------

    async def start(self) -> None:
        """At the server's start (a shared store's registry makes the default namespace there)."""

    async def list_all(self) -> list[dict[str, Any]]:
        return self.listing()

    async def drop_shared(self, name: str) -> bool:
        return self.drop(name)

    async def tick(self) -> None:
        """Evict the idle namespaces, and fire the due timers (SLAs, timeouts) of every world whose clock flows."""
        self.evict_idle()
        for name, plane in self.planes():
            world = plane.world
            if not isinstance(world.clock, ManualClock):  # a manual clock moves only when told to
                try:
                    world.fire_due()
                except Exception:  # a bug must not stop the clock
                    log.exception("firing due timers failed in namespace %s", name)

    # -- internals ------------------------------------------------------------------------------------------

    def _create(self, name: str) -> _Entry:
        if len(self._entries) >= self.max_count:
            self._evict_idle()
        if len(self._entries) >= self.max_count:
            raise Refused(429, f"Too many namespaces: {self.max_count} are live (the server's --max-namespaces). "
                          "Drop one with DELETE /_mock/namespaces/{name}, or wait for idle ones to be evicted "
                          f"(after {self.idle_s:g} s)", namespace=name, maxNamespaces=self.max_count)
        now = self._wall_ms()
        entry = _Entry(self._make(name), created_ms=now, used_ms=now, used_at=self._monotonic())
        self._entries[name] = entry
        return entry

    def _evict_idle(self) -> list[str]:
        cutoff = self._monotonic() - self.idle_s
        idle = [name for name, e in self._entries.items() if name != DEFAULT and e.used_at <= cutoff]
        for name in idle:
            del self._entries[name]
        return idle
