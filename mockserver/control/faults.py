"""Faults on purpose: rules that make the Nth call of an operation fail, slow down, or lose its answer.

A rule names an operationId of openapi.yaml (and optionally one task), when it fires (`nth`, `times`) and what
it does: reply with an error `status` (the handler does not run), wait `latencyMs` first, or `drop` the
connection after the handler ran. The `FaultBook` counts matching calls per rule, so a run is deterministic:
the same calls in the same order fire the same faults. Pure: standard library only.
"""

from __future__ import annotations

import difflib
import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.domain.errors import show_value

MAX_LATENCY_MS = 300_000
FIELDS = ("operationId", "taskId", "nth", "times", "status", "message", "latencyMs", "drop")

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One declared fault. `times == 0` means every matching call from the `nth` on."""

    operation_id: str
    task_id: str | None = None
    nth: int = 1
    times: int = 1
    status: int | None = None
    message: str | None = None
    latency_ms: int | None = None
    drop: bool = False

    def fires_on(self, call: int) -> bool:
        return call >= self.nth and (self.times == 0 or call < self.nth + self.times)

    def reply_message(self) -> str:
        return self.message or f"Injected fault: status {self.status} for {self.operation_id}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operationId": self.operation_id}
        if self.task_id is not None:
            out["taskId"] = self.task_id
        out["nth"], out["times"] = self.nth, self.times
        if self.status is not None:
            out["status"] = self.status
            out["message"] = self.reply_message()
        if self.latency_ms is not None:
            out["latencyMs"] = self.latency_ms
        if self.drop:
            out["drop"] = True
        return out


@dataclass(frozen=True, slots=True)
class FaultProblem:
    path: Path
    message: str
    hint: str | None = None


class FaultInvalid(Exception):
    """A fault declaration that cannot be armed; `problems` name the offending fields."""

    def __init__(self, problems: list[FaultProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


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


@dataclass(frozen=True, slots=True)
class Operations:
    """The operationIds faults may name, and which of them have a `{taskId}` in their path."""

    with_task: frozenset[str]
    without_task: frozenset[str] = field(default_factory=frozenset)

    def __contains__(self, operation_id: object) -> bool:
        return operation_id in self.with_task or operation_id in self.without_task

    def all(self) -> list[str]:
        return sorted(self.with_task | self.without_task)


def parse_rule(data: Any, operations: Operations, at: Path = ()) -> FaultRule:
    """A `FaultRule` from its JSON/YAML form, or `FaultInvalid` listing every problem (paths start at `at`)."""
    if not isinstance(data, dict):
        raise FaultInvalid([FaultProblem(at, f"a fault is a mapping of {', '.join(FIELDS)}, got {show_value(data)}")])
    problems: list[FaultProblem] = []

    def problem(key: str, message: str, hint: str | None = None) -> None:
        problems.append(FaultProblem((*at, key), message, hint))

    for key in data:
        if key not in FIELDS:
            problem(str(key), f"unknown key {key!r}.{did_you_mean(str(key), FIELDS)}".rstrip("."),
                    f"Valid keys: {', '.join(FIELDS)}")
    operation = data.get("operationId")
    if operation is None:
        problem("operationId", "missing required key 'operationId'", _operations_hint(operations))
    elif not isinstance(operation, str) or not operation:
        problem("operationId", f"expected a non-empty string, got {show_value(operation)}")
    elif operation not in operations:
        problem("operationId", f"unknown operation {operation!r}.{did_you_mean(operation, operations.all())}"
                .rstrip("."), _operations_hint(operations))
    task_id = data.get("taskId")
    if task_id is not None:
        if not isinstance(task_id, str) or not task_id:
            problem("taskId", f"expected a non-empty string, got {show_value(task_id)}")
        elif isinstance(operation, str) and operation in operations.without_task:
            problem("taskId", f"operation {operation!r} has no {{taskId}} in its path, so no call of it is for "
                    "one task", f"leave taskId out, or use one of: {', '.join(sorted(operations.with_task))}")
    nth = _integer(data, "nth", 1, 1, None, problem)
    times = _integer(data, "times", 1, 0, None, problem)
    status = _integer(data, "status", None, 400, 599, problem)
    latency = _integer(data, "latencyMs", None, 1, MAX_LATENCY_MS, problem)
    message = data.get("message")
    if message is not None and (not isinstance(message, str) or not message):
        problem("message", f"expected a non-empty string, got {show_value(message)}")
    elif message is not None and "status" not in data:
        problem("message", "a message goes with a status", "add `status: 503` (or another 4xx/5xx)")
    drop = data.get("drop", False)
    if not isinstance(drop, bool):
        problem("drop", f"expected true or false, got {show_value(drop)}")
        drop = False
    if "status" in data and drop:
        problem("drop", "a fault either replies with a status or drops the connection, not both",
                "split it into two faults")
    if not problems and status is None and latency is None and not drop:
        problems.append(FaultProblem(at, "a fault needs an effect: `status` (with an optional `message`), "
                                     "`latencyMs`, or `drop: true`"))
    if problems:
        raise FaultInvalid(problems)
    assert isinstance(operation, str) and nth is not None and times is not None
    return FaultRule(operation, task_id, nth, times, status, message, latency, drop)


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


def did_you_mean(value: str, choices: Any) -> str:
    match = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {match[0]!r}?" if match else ""


def _operations_hint(operations: Operations) -> str:
    return f"operationIds of openapi.yaml: {', '.join(operations.all())}"


def _integer(data: Mapping[str, Any], key: str, default: int | None, low: int, high: int | None,
             problem: Callable[[str, str], None]) -> int | None:
    value = data.get(key)
    if value is None:  # absent, or null in JSON
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        problem(key, f"expected an integer, got {show_value(value)}")
        return default
    if value < low or (high is not None and value > high):
        problem(key, f"must be between {low} and {high}, got {value}" if high is not None
                else f"must be at least {low}, got {value}")
        return default
    return value


def operations_of(document: Mapping[str, Any]) -> Operations:
    """The operations of an OpenAPI document, split by whether their path has a `{taskId}`."""
    with_task: set[str] = set()
    without_task: set[str] = set()
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in _HTTP_METHODS and "operationId" in operation:
                (with_task if "{taskId}" in path else without_task).add(operation["operationId"])
    return Operations(frozenset(with_task), frozenset(without_task))


_HTTP_METHODS = frozenset({"get", "put", "post", "patch", "delete", "head", "options"})
