"""The transition journal: every change to a task (and every reset or load of the world), newest last.

A ring buffer of fixed capacity: when it is full the oldest entry goes, so memory stays flat in a long run.
Sequence numbers keep counting across evictions, resets and clears, so `since=` stays a valid cursor.
Pure: standard library and domain only; the caller supplies the time and the request id.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from mockserver.domain import ActionLog, HumanTask, TaskState
from mockserver.domain.model import positional_builder

DEFAULT_CAPACITY = 10_000


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    time: int
    actor: str
    task_id: str | None
    from_state: str | None
    to_state: str | None
    action: str
    request_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "actor": self.actor, "taskId": self.task_id,
                "from": self.from_state, "to": self.to_state, "action": self.action, "requestId": self.request_id}


_entry_of = positional_builder(JournalEntry)  # JournalEntry(...), without a frozen __init__'s setattr per field


def action_of(before: HumanTask, after: HumanTask) -> str:
    """What happened: the first new action log entry (CLAIM, RELEASE, ...) if the log grew; else COMPLETE for a
    task that just became COMPLETED, else UPDATE."""
    new = _new_logs(before, after)
    if new:
        return new[0].action.value
    if after.state is TaskState.COMPLETED and before.state is not TaskState.COMPLETED:
        return "COMPLETE"
    return "UPDATE"


def _new_logs(before: HumanTask, after: HumanTask) -> tuple[ActionLog, ...]:
    """The entries after `before`'s last one (a bounded log drops old entries, so its length may not grow)."""
    kept, logs = before.action_logs, after.action_logs  # read once: a generated task makes its logs when read
    if not kept:
        return logs
    last = kept[-1].id
    for index in range(len(logs) - 1, -1, -1):
        if logs[index].id == last:
            return logs[index + 1:]
    return ()


class Journal:
    """A bounded, thread-safe log of `JournalEntry`s."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("the journal needs room for at least one entry")
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._seq = 0
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    @property
    def last_seq(self) -> int:
        return self._seq

    def __len__(self) -> int:
        return len(self._entries)

    def record_change(self, before: HumanTask, after: HumanTask, *, now_ms: int,
                      request_id: str | None) -> JournalEntry:
        return self._append(now_ms, after.updated_by, after.task_id, before.state.value, after.state.value,
                            action_of(before, after), request_id)

    def record_event(self, action: str, *, now_ms: int, actor: str, request_id: str | None) -> JournalEntry:
        """A world-wide event (RESET, LOAD, MERGE): no task, no states."""
        return self._append(now_ms, actor, None, None, None, action, request_id)

    def entries(self, *, task_id: str | None = None, since: int = 0, limit: int | None = None) -> list[JournalEntry]:
        """Entries with `seq > since` (for `task_id` only, if given), oldest first; with `limit`, the newest
        `limit` of them."""
        with self._lock:
            snapshot = list(self._entries)
        found = [e for e in snapshot if e.seq > since and (task_id is None or e.task_id == task_id)]
        return found[-limit:] if limit is not None and limit < len(found) else found

    def oldest_seq(self) -> int | None:
        with self._lock:
            return self._entries[0].seq if self._entries else None

    def clear(self) -> int:
        with self._lock:
            dropped = len(self._entries)
            self._entries.clear()
            return dropped

    def _append(self, now_ms: int, actor: str, task_id: str | None, from_state: str | None,
                to_state: str | None, action: str, request_id: str | None) -> JournalEntry:
        with self._lock:
            self._seq += 1
            entry: JournalEntry = _entry_of(self._seq, now_ms, actor, task_id, from_state, to_state, action, request_id)
            self._entries.append(entry)
            return entry
