"""What a running app holds: the current world (replaced whole on reset), and how to rebuild it."""

from __future__ import annotations

import threading
from collections.abc import Callable

from mockserver.domain import World


class MockState:
    """The app's one mutable slot. Handlers read `world`; the control plane swaps it atomically."""

    def __init__(self, build: Callable[[], World]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self.world = build()

    def reset(self) -> World:
        with self._lock:
            self.world = self._build()
            return self.world
