"""Where ids come from. Injected, so two runs of the same scenario give the same ids."""

from __future__ import annotations

import itertools
import threading
import uuid
from typing import Protocol


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A fresh, UUID-shaped id."""
        ...


class SequentialIds:
    """Version-4-shaped UUIDs from a counter (`00000000-0000-4000-8000-SSSSNNNNNNNN`): deterministic and unique."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed & 0xFFFF
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        with self._lock:
            n = next(self._counter)
        high, low = n >> 32, n & 0xFFFF_FFFF
        return str(uuid.UUID(int=(high << 96) | (0x4000 << 64) | (0x8000 << 48) | (self._seed << 32) | low))


class RandomIds:
    """Random UUID4 ids, for a server that must not repeat ids across restarts."""

    def new_id(self) -> str:
        return str(uuid.uuid4())
