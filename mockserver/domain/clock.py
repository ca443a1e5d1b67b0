"""Where time comes from. The store never calls `time.time()` itself: it asks an injected `Clock`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


class SystemClock:
    """The wall clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class FlowingClock:
    """The wall clock's pace, from a chosen start, that can also be moved forward: time passes on its own
    (SLAs fire by themselves) and a test can still jump ahead."""

    def __init__(self, start_ms: int | None = None, *, wall: Callable[[], int] | None = None) -> None:
        """`wall`: the wall clock it follows (default: the system's; a shared log pins it while it applies)."""
        self._wall = wall or _wall_ms
        self._offset = 0 if start_ms is None else start_ms - self._wall()
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self._wall() + self._offset

    def advance(self, ms: int) -> int:
        return self.set(self.now_ms() + ms)

    def set(self, now_ms: int) -> int:
        with self._lock:
            if now_ms < self.now_ms():
                raise ValueError("a clock cannot go backwards")
            self._offset = now_ms - self._wall()
            return now_ms


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to: tests and scenarios with a fixed start time use it."""

    def __init__(self, start_ms: int) -> None:
        self._now = start_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> int:
        if ms < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += ms
            return self._now

    def set(self, now_ms: int) -> int:
        with self._lock:
            if now_ms < self._now:
                raise ValueError("a clock cannot go backwards")
            self._now = now_ms
            return self._now
