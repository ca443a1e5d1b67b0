"""Faults on purpose: the book that arms fault rules and counts calls, so the Nth call of an operation fails,
slows down, or loses its answer.

The rules themselves (`FaultRule`, `parse_rule`, `Operations`) are data of the domain (mockserver/domain/faults.py)
and are re-exported here. The `FaultBook` counts matching calls per rule, so a run is deterministic: the same
calls in the same order fire the same faults. Pure: standard library and the domain only.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any

from mockserver.domain.faults import (
    FIELDS,
    MAX_LATENCY_MS,
    FaultInvalid,
    FaultProblem,
    FaultRule,
    Operations,
    did_you_mean,
    operations_of,
    parse_rule,
)

__all__ = ["FIELDS", "MAX_LATENCY_MS", "Fault", "FaultBook", "FaultInvalid", "FaultProblem", "FaultRule",
           "Operations", "did_you_mean", "operations_of", "parse_rule"]


@dataclass(slots=True)
class Fault:
    """An armed rule and its counters. `calls`: matching calls seen; `fired`: calls it acted on."""

    id: str
    rule: FaultRule
    origin: str
    calls: int = 0
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        return self.rule.times != 0 and self.calls >= self.rule.nth + self.rule.times - 1

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.rule.to_json(), "origin": self.origin, "calls": self.calls,
                "fired": self.fired, "exhausted": self.exhausted}


class FaultBook:
    """The armed faults, in the order they were declared. Thread-safe."""

    def __init__(self, operations: Operations) -> None:
        self.operations = operations
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._faults)

    def __len__(self) -> int:
        return len(self._faults)

    def add(self, rule: FaultRule, origin: str = "runtime") -> Fault:
        with self._lock:
            fault = Fault(f"f{next(self._ids)}", rule, origin)
            self._faults.append(fault)
            return fault

    def replace(self, rules: tuple[FaultRule, ...], origin: str = "scenario") -> list[Fault]:
        """Disarm every fault, then arm `rules` (a reset or a load does this with the scenario's faults)."""
        with self._lock:
            self._faults = [Fault(f"f{next(self._ids)}", rule, origin) for rule in rules]
            return list(self._faults)

    def get(self, fault_id: str) -> Fault | None:
        return next((f for f in self._faults if f.id == fault_id), None)

    def remove(self, fault_id: str) -> Fault | None:
        with self._lock:
            fault = self.get(fault_id)
            if fault is not None:
                self._faults = [f for f in self._faults if f is not fault]
            return fault

    def clear(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults = []
            return count

    def all(self) -> list[Fault]:
        return list(self._faults)

    def ids(self) -> list[str]:
        return [f.id for f in self._faults]

    def on_call(self, operation_id: str, task_id: str | None) -> FaultRule | None:
        """Count this call against every matching fault; return the rule of the first that fires, if any."""
        chosen: FaultRule | None = None
        with self._lock:
            for fault in self._faults:
                rule = fault.rule
                if rule.operation_id != operation_id or (rule.task_id is not None and rule.task_id != task_id):
                    continue
                fault.calls += 1
                if chosen is None and rule.fires_on(fault.calls):
                    fault.fired += 1
                    chosen = rule
        return chosen
