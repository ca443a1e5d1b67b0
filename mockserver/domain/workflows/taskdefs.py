"""Task definitions (`/metadata/taskdefs`): the retry and response-timeout policy of a task type.

A registered definition without a field takes Conductor's default (`TaskDef`'s defaults: 3 retries, FIXED,
60 s apart, a response timeout of 3600 s). A SIMPLE task whose type has no registered definition, and whose
workflow task embeds none, has no retries and no response timeout (a conductor-mock choice: Orkes would
create a default definition; the mock keeps such tasks as simple as before).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any

from mockserver.domain.clock import Clock
from mockserver.domain.errors import InvalidRequest
from mockserver.domain.identity import Principal
from mockserver.domain.workflows.records import RetryLogic, TaskDef, WorkflowNotFound

_INT_FIELDS = {"retryCount": "retry_count", "retryDelaySeconds": "retry_delay_seconds",
               "backoffScaleFactor": "backoff_scale_factor", "responseTimeoutSeconds": "response_timeout_seconds",
               "timeoutSeconds": "timeout_seconds"}


def parse_task_def(raw: Mapping[str, Any], *, now: int = 0, created_by: str = "",
                   create_time: int | None = None) -> TaskDef:
    """A `TaskDef` from its JSON, or `InvalidRequest` naming the first wrong field."""
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest("Task definition needs a name")
    values: dict[str, Any] = {}
    for wire_name, field_name in _INT_FIELDS.items():
        value = raw.get(wire_name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidRequest(f"Task definition {name}: {wire_name} must be a whole number >= 0")
        values[field_name] = value
    logic = raw.get("retryLogic")
    if logic is not None:
        try:
            values["retry_logic"] = RetryLogic(str(logic))
        except ValueError:
            raise InvalidRequest(f"Task definition {name}: retryLogic '{logic}' is not one of "
                                 f"{', '.join(RetryLogic)}") from None
    return TaskDef(name=name, raw=copy.deepcopy(dict(raw)), create_time=now if create_time is None else create_time,
                   update_time=now, created_by=created_by, **values)


def retry_delay_seconds(definition: TaskDef, retry_count: int) -> int:
    """How long Conductor waits before attempt `retry_count + 1` (DeciderService.retry's arithmetic)."""
    base = definition.retry_delay_seconds
    if definition.retry_logic is RetryLogic.LINEAR_BACKOFF:
        return base * definition.backoff_scale_factor * (retry_count + 1)
    if definition.retry_logic is RetryLogic.EXPONENTIAL_BACKOFF:
        return int(base * 2 ** retry_count)
    return base


class TaskDefRegistry:
    """The task definitions of one world, by name."""

    def __init__(self, *, clock: Clock, lock: threading.RLock) -> None:
        self._clock = clock
        self._lock = lock
        self._defs: dict[str, TaskDef] = {}

    def register(self, caller: Principal | None, items: list[Mapping[str, Any]]) -> list[TaskDef]:
        """Register (or replace) every definition of `items`; all are checked before any is stored."""
        now = self._clock.now_ms()
        who = caller.id if caller else ""
        with self._lock:
            parsed = [parse_task_def(item, now=now, created_by=who,
                                     create_time=self._create_time(item.get("name"), now)) for item in items]
            for definition in parsed:
                self._defs[definition.name] = definition
            return parsed

    def _create_time(self, name: Any, now: int) -> int:
        existing = self._defs.get(name) if isinstance(name, str) else None
        return existing.create_time if existing else now

    def get(self, name: str) -> TaskDef:
        with self._lock:
            found = self._defs.get(name)
        if found is None:
            raise WorkflowNotFound(f"No such taskType found by name: {name}")
        return found

    def find(self, name: str) -> TaskDef | None:
        with self._lock:
            return self._defs.get(name)

    def all(self) -> list[TaskDef]:
        with self._lock:
            return sorted(self._defs.values(), key=lambda d: d.name)
