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
        self._middle = f"-0000-4000-8000-{self._seed:04x}"  # what every id of this seed has between its counters
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        """`str(uuid.UUID(int=(n >> 32 << 96) | (0x4000 << 64) | (0x8000 << 48) | (seed << 32) | n & 0xFFFF_FFFF))`,
        spelled out: the counter's high 32 bits, then the fixed middle, then its low 32 bits."""
        with self._lock:
            n = next(self._counter)
        if n >> 64:
            raise ValueError("int is out of range (need a 128-bit value)")  # as uuid.UUID says: 2**64 ids drawn
        return f"{n >> 32:08x}{self._middle}{n & 0xFFFF_FFFF:08x}"


class RandomIds:
    """Random UUID4 ids, for a server that must not repeat ids across restarts."""

    def new_id(self) -> str:
        return str(uuid.uuid4())
