"""Bounded memos of the encoded answers `wire` hands out again (task JSON, search entries, log entries,
definitions). Each memo is bounded in bytes, not in count: a memo charges each entry its `cost` (the encoded size,
times a factor for a dict) and drops the least recently used entries once the total passes its budget, so a few
huge tasks cannot hold more memory than many small ones.

An entry is kept under a stable key (a task's id) together with the object it was made from; a lookup hits only
when the object is the very same one. A rewritten task (a new immutable object under the same id) therefore
replaces its old entry instead of adding one: a memo holds current versions only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

MIB: Final = 1024 * 1024
MEMO_BYTES: Final = 64 * MIB  # the default budget of all of `wire`'s memos together (documented in README)


class ByteMemo(Generic[K, V]):
    """What a pure function made of an immutable object, under a stable key, bounded by `max_bytes`."""

    def __init__(self, max_bytes: int, cost: Callable[[V], int]) -> None:
        self._max_bytes = max_bytes
        self._cost = cost
        self._entries: OrderedDict[Hashable, tuple[K, V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        """The sum of the kept entries' costs (never more than `max_bytes`)."""
        return self._bytes

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key: Hashable) -> tuple[K, V] | None:
        """The (source, value) kept under `key`, whatever its source (to build the next value from), or None."""
        with self._lock:
            hit = self._entries.get(key)
        return None if hit is None else (hit[0], hit[1])

    def get(self, key: Hashable, source: K, make: Callable[[K], V]) -> V:
        """`make(source)`, kept under `key` while `source` is the object stored there."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] is source:
                self._entries.move_to_end(key)
                return hit[1]
        value = make(source)
        self._put(key, source, value, self._cost(value))
        return value

    def _put(self, key: Hashable, source: K, value: V, cost: int) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            if cost > self._max_bytes:
                return  # larger than the whole budget: handed out, not kept
            self._entries[key] = (source, value, cost)
            self._bytes += cost
            while self._bytes > self._max_bytes:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
