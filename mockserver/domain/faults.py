"""Fault rules as data: which calls of an operation a rule acts on and what it does, parsed from their JSON/YAML
form with every problem named by its field. A rule names an operationId of openapi.yaml (and optionally one
task), when it fires (`nth`, `times`) and what it does: reply with an error `status` (the handler does not run),
wait `latencyMs` first, or `drop` the connection after the handler ran.

Used by the scenario loader (a scenario's `faults:` block) and the control plane (which arms and counts them:
mockserver/control/faults.py). Pure: standard library and the domain only.
"""

from __future__ import annotations

import difflib
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
    else:
        problems += _unknown_operation(operation, operations, at)
    task_id = data.get("taskId")
    if task_id is not None:
        if not isinstance(task_id, str) or not task_id:
            problem("taskId", f"expected a non-empty string, got {show_value(task_id)}")
        else:
            problems += _task_without_path(operation, operations, at)
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


def operation_problems(data: Mapping[str, Any], operations: Operations, at: Path = ()) -> list[FaultProblem]:
    """What is wrong with a rule's `operationId` and `taskId` against `operations`: an unknown operation, or a
    taskId for an operation without a `{taskId}`. Values of the wrong type are left to the caller's shape check."""
    operation, task_id = data.get("operationId"), data.get("taskId")
    if not isinstance(operation, str) or not operation:
        return []
    problems = _unknown_operation(operation, operations, at)
    if isinstance(task_id, str) and task_id:
        problems += _task_without_path(operation, operations, at)
    return problems


def _unknown_operation(operation: str, operations: Operations, at: Path) -> list[FaultProblem]:
    if operation in operations:
        return []
    message = f"unknown operation {operation!r}.{did_you_mean(operation, operations.all())}".rstrip(".")
    return [FaultProblem((*at, "operationId"), message, _operations_hint(operations))]


def _task_without_path(operation: object, operations: Operations, at: Path) -> list[FaultProblem]:
    if not isinstance(operation, str) or operation not in operations.without_task:
        return []
    hint = f"leave taskId out, or use one of: {', '.join(sorted(operations.with_task))}"
    return [FaultProblem((*at, "taskId"), f"operation {operation!r} has no {{taskId}} in its path, so no call of it "
                         "is for one task", hint)]


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
