"""Workflow definitions: what conductor-mock can run (`check_definition`), HUMAN task definitions
(`parse_human_definition`), and the registry of one world's definitions by (name, version)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any

from mockserver.domain.clock import Clock
from mockserver.domain.errors import InvalidRequest
from mockserver.domain.identity import Principal
from mockserver.domain.model import Assignment, CompletionStrategy, FormRef, HumanTaskDef, TaskUser, UserType
from mockserver.domain.workflows.records import WorkflowConflict, WorkflowDef, WorkflowNotFound

WAITING_TYPES = frozenset({"HUMAN", "SIMPLE", "WAIT"})
SYSTEM_TYPES = frozenset({"SET_VARIABLE", "TERMINATE"})
NOOP_TYPES = frozenset({"INLINE", "JSON_JQ_TRANSFORM", "LAMBDA", "HTTP", "EVENT", "KAFKA_PUBLISH", "JDBC",
                        "BUSINESS_RULE", "NOOP"})
SUPPORTED_TYPES = WAITING_TYPES | SYSTEM_TYPES | NOOP_TYPES
HUMAN_DEF_KEY = "__humanTaskDefinition"


def parse_human_definition(raw: Any, where: str) -> HumanTaskDef:
    """`__humanTaskDefinition` as the SDKs write it: `assignments`, or the JS builder's single `assignee`,
    with the Python builder's nulls (`displayName: null`, `userFormTemplate: {name: null, version: 0}`)."""
    data = raw if isinstance(raw, dict) else {}
    items = data.get("assignments")
    if items is None and isinstance(data.get("assignee"), dict):
        items = [{"assignee": data["assignee"], "slaMinutes": data.get("slaMinutes") or 0}]
    assignments = tuple(_assignment(item, f"{where}.assignments[{n}]") for n, item in enumerate(items or []))
    strategy_name = data.get("assignmentCompletionStrategy") or "LEAVE_OPEN"
    try:
        strategy = CompletionStrategy(strategy_name)
    except ValueError:
        raise InvalidRequest(f"{where}.assignmentCompletionStrategy: '{strategy_name}' is not LEAVE_OPEN or "
                             "TERMINATE") from None
    form_raw = data.get("userFormTemplate")
    form = None
    if isinstance(form_raw, dict) and form_raw.get("name"):
        form = FormRef(str(form_raw["name"]), int(form_raw.get("version") or 0))
    triggers = tuple(t for t in data.get("taskTriggers") or () if isinstance(t, dict))
    auto_claim = data.get("autoClaim")
    return HumanTaskDef(assignments=assignments, completion_strategy=strategy,
                        display_name=data.get("displayName") or None, form=form, triggers=triggers,
                        auto_claim=auto_claim if isinstance(auto_claim, bool) else None)


def _assignment(item: Any, where: str) -> Assignment:
    assignee = item.get("assignee") if isinstance(item, dict) else None
    if not isinstance(assignee, dict) or not assignee.get("user"):
        raise InvalidRequest(f"{where}.assignee: needs {{user, userType}}")
    try:
        user_type = UserType(str(assignee.get("userType")))
    except ValueError:
        raise InvalidRequest(f"{where}.assignee.userType: '{assignee.get('userType')}' is not "
                             f"one of {', '.join(UserType)}") from None
    sla = item.get("slaMinutes") or 0
    if not isinstance(sla, int) or sla < 0:
        raise InvalidRequest(f"{where}.slaMinutes: expected a whole number of minutes >= 0")
    return Assignment(TaskUser(str(assignee["user"]), user_type), sla)


def check_definition(raw: Mapping[str, Any]) -> tuple[str, int, list[dict[str, Any]]]:
    """(name, version, tasks) of a definition conductor-mock can run, or `InvalidRequest` naming the problem."""
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest("Workflow definition needs a name")
    version = raw.get("version") or 1
    if not isinstance(version, int) or version < 1:
        raise InvalidRequest(f"Workflow definition {name}: version must be a positive integer")
    tasks = raw.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise InvalidRequest(f"Workflow definition {name} has no tasks")
    seen: set[str] = set()
    for n, task in enumerate(tasks):
        _check_task(name, n, task, seen)
    return name, version, tasks


def _check_task(workflow: str, n: int, task: Any, seen: set[str]) -> None:
    where = f"tasks[{n}]"
    if not isinstance(task, dict):
        raise InvalidRequest(f"Workflow {workflow}: {where} is not an object")
    ref = task.get("taskReferenceName")
    if not isinstance(ref, str) or not ref:
        raise InvalidRequest(f"Workflow {workflow}: {where} needs a taskReferenceName")
    if ref in seen:
        raise InvalidRequest(f"Workflow {workflow}: taskReferenceName '{ref}' is used twice")
    seen.add(ref)
    task_type = task.get("type") or "SIMPLE"
    if task_type not in SUPPORTED_TYPES:
        raise InvalidRequest(
            f"Workflow {workflow}: {where} ({ref}) has type {task_type}, which conductor-mock does not run. "
            f"Supported: {', '.join(sorted(WAITING_TYPES | SYSTEM_TYPES))}; accepted as no-ops: "
            f"{', '.join(sorted(NOOP_TYPES))}")
    if task_type == "HUMAN":
        inputs = task.get("inputParameters") or {}
        parse_human_definition(inputs.get(HUMAN_DEF_KEY) if isinstance(inputs, dict) else None,
                               f"Workflow {workflow}: {where}.inputParameters.{HUMAN_DEF_KEY}")


class DefinitionRegistry:
    """The workflow definitions of one world, by (name, version)."""

    def __init__(self, *, clock: Clock, lock: threading.RLock) -> None:
        self._clock = clock
        self._lock = lock
        self._definitions: dict[tuple[str, int], WorkflowDef] = {}

    def register(self, caller: Principal | None, raw: dict[str, Any], *, overwrite: bool = True) -> WorkflowDef:
        name, version, tasks = check_definition(raw)
        with self._lock:
            existing = self._definitions.get((name, version))
            if existing is not None and not overwrite:
                raise WorkflowConflict(f"Workflow {name} version {version} already exists (use overwrite=true)")
            now = self._clock.now_ms()
            definition = WorkflowDef(
                name=name, version=version, tasks=tuple(copy.deepcopy(tasks)), raw=copy.deepcopy(raw),
                create_time=existing.create_time if existing else now, update_time=now,
                created_by=caller.id if caller else "")
            self._definitions[(name, version)] = definition
            return definition

    def definition(self, name: str, version: int | None = None) -> WorkflowDef:
        with self._lock:
            if version is not None:
                found = self._definitions.get((name, version))
            else:
                versions = [v for (n, v) in self._definitions if n == name]
                found = self._definitions[(name, max(versions))] if versions else None
        if found is None:
            suffix = f" version {version}" if version is not None else ""
            raise WorkflowNotFound(f"No such workflow definition: {name}{suffix}")
        return found

    def definitions(self) -> list[WorkflowDef]:
        with self._lock:
            return sorted(self._definitions.values(), key=lambda d: (d.name, d.version))
