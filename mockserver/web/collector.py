"""The garbage collector's settings for a serving process, in one place (`conductor-mock serve` applies them).

Profiled (bench/perf.py, claim -> release at 6,000 tasks): with Python's defaults (700, 10, 10) the collector ran
about 80 times per 6,000 calls, and its rare full collections walked the whole seeded world (40 ms); those pauses
were the claim p99. So, once the world is loaded: collect what loading left behind, freeze the survivors (the
collector never walks them again; they are still freed by reference counting), and collect the young generation
less often (its pauses stay a few ms: what survives a call is small).

A reset, a load or a new namespace builds a new world after that: `settle_new_world` collects and freezes again,
once the new world is in and the old one let go. That is safe because a world holds no reference cycle (the
stores get functions of the parts they need, listeners are weak: `mockserver.domain.weak`; tests/web/
test_collector.py checks that a used world, and a dropped namespace, are freed with the collector off), so a
frozen world that is discarded is still freed at once. Without it, a new world stayed unfrozen, and the
collector's older generations walked it (and the discarded worlds waiting for them) in the middle of later calls:
a gc.callbacks trace of claim -> release after resets at 6,000 tasks showed generation-1 and -2 pauses of
45-150 ms, the claim p99 of bench/RESULTS.md. Its cost is a collection of what is not frozen yet (mostly the new
world): bench/RESULTS.md has the reset time with it.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

THRESHOLDS: Final = (5000, 20, 100)


def settle_after_load() -> None:
    """Collect, freeze what survives, and set `THRESHOLDS`."""
    settle_new_world()
    gc.set_threshold(*THRESHOLDS)


def settle_new_world() -> None:
    """Collect what is not frozen yet (the garbage of the world just let go among it), then freeze what is left."""
    gc.collect()
    gc.freeze()


class PacedCollections:
    """ASGI wrapper: a collection of the young generation after every `every` requests, of the middle one after
    every `every * middles`; a full one once the server has been idle for `idle_s` after some middle ones, or
    after `fulls` middle ones at the latest (under a load that never stops). The automatic ones stay on.

    Why: CPython 3.11 starts a young collection when allocations minus deallocations pass the threshold, and a
    claim or release frees about as many tracked objects (the task's old version, its encoded answer, its log
    dumps) as it makes. So the count hardly moves while the young generation grows: a gc.callbacks trace of
    claim -> release at 6,000 tasks saw young collections of 45,000-52,000 objects (60-100 ms) after a reset,
    and of 8,000-11,000 (5-20 ms) otherwise, about 12 surviving objects per change. Counted in requests, a young
    collection walks a few hundred objects (under 2 ms), a middle one a few thousand (2-8 ms), and the full one
    (which walks everything not frozen, 50-100 ms at 6,000 changed tasks) waits for a pause in the load."""

    def __init__(self, app: ASGIApp, *, every: int = 32, middles: int = 8, fulls: int = 256,
                 idle_s: float = 1.0, collect: Callable[[int], object] = gc.collect) -> None:
        """`collect(generation)`: how a collection is made (`gc.collect`; a test passes a recorder)."""
        self.app = app
        self._gc = collect
        self._every, self._middles, self._fulls, self._idle_s = every, middles, fulls, idle_s
        self._requests = 0
        self._middle_since_full = 0
        self._idle_check: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self._requests += 1
            if self._requests % self._every == 0:
                self._collect(self._requests // self._every)
            if self._idle_check is None and self._middle_since_full:
                self._idle_check = asyncio.get_running_loop().call_later(self._idle_s, self._if_idle, self._requests)

    def _collect(self, young: int) -> None:
        if young % self._middles:
            self._gc(0)
            return
        self._middle_since_full += 1
        if self._middle_since_full < self._fulls:
            self._gc(1)
        else:
            self._full()

    def _if_idle(self, requests_then: int) -> None:
        self._idle_check = None
        if self._requests == requests_then and self._middle_since_full:
            self._full()

    def _full(self) -> None:
        self._middle_since_full = 0
        self._gc(2)
