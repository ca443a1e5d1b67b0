"""The workflow subset of Conductor: definitions, executions, and how HUMAN tasks live inside them.

A started workflow runs its tasks in order. A HUMAN task creates a human task (same id) from its
`__humanTaskDefinition` and waits; completing the human task completes the workflow task with its output
and the workflow moves on. SIMPLE and WAIT tasks wait for `/api/tasks` updates. SET_VARIABLE and TERMINATE
do what Conductor does; the other system types listed in `NOOP_TYPES` complete at once with no output.
Control-flow constructs (forks, switches, loops, sub-workflows) are refused at registration.

Time-driven behaviour (SLA escalation, timeouts) is computed by `due_timers` and applied by `fire`, so a
manual clock can replay it deterministically.
"""

from __future__ import annotations

import copy
import heapq
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mockserver.domain.clock import Clock
from mockserver.domain.errors import DomainError, InvalidRequest, NotFound
from mockserver.domain.identity import Principal, PrincipalKind
from mockserver.domain.ids import IdGenerator
from mockserver.domain.model import (
    TERMINAL_STATES,
    Action,
    Assignment,
    CompletionStrategy,
    FormRef,
    HumanTask,
    HumanTaskDef,
    LogAction,
    TaskState,
    TaskUser,
    UserType,
)
from mockserver.domain.store import TaskStore, new_task


class WorkflowStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    TERMINATED = "TERMINATED"
    PAUSED = "PAUSED"


class TaskStatus(StrEnum):
    """Only the values the Python SDK accepts (it drops a whole workflow on an unknown one)."""

    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    COMPLETED_WITH_ERRORS = "COMPLETED_WITH_ERRORS"
    FAILED = "FAILED"
    FAILED_WITH_TERMINAL_ERROR = "FAILED_WITH_TERMINAL_ERROR"
    CANCELED = "CANCELED"
    TIMED_OUT = "TIMED_OUT"
    SKIPPED = "SKIPPED"


WORKFLOW_TERMINAL = frozenset({WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.TIMED_OUT,
                               WorkflowStatus.TERMINATED})
TASK_TERMINAL = frozenset({TaskStatus.COMPLETED, TaskStatus.COMPLETED_WITH_ERRORS, TaskStatus.FAILED,
                           TaskStatus.FAILED_WITH_TERMINAL_ERROR, TaskStatus.CANCELED, TaskStatus.TIMED_OUT,
                           TaskStatus.SKIPPED})
UPDATE_STATUSES = frozenset({TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.FAILED,
                             TaskStatus.FAILED_WITH_TERMINAL_ERROR})

WAITING_TYPES = frozenset({"HUMAN", "SIMPLE", "WAIT"})
SYSTEM_TYPES = frozenset({"SET_VARIABLE", "TERMINATE"})
NOOP_TYPES = frozenset({"INLINE", "JSON_JQ_TRANSFORM", "LAMBDA", "HTTP", "EVENT", "KAFKA_PUBLISH", "JDBC",
                        "BUSINESS_RULE", "NOOP"})
SUPPORTED_TYPES = WAITING_TYPES | SYSTEM_TYPES | NOOP_TYPES
TERMINATE_REASON = "Task terminated as no more assignments pending and completion strategy is TERMINATE"
HUMAN_DEF_KEY = "__humanTaskDefinition"


class WorkflowNotFound(NotFound):
    def __init__(self, what: str) -> None:
        super().__init__(what)


class WorkflowConflict(DomainError):
    """The request contradicts the current state (an existing definition, a finished workflow)."""


@dataclass(frozen=True, slots=True)
class WorkflowDef:
    name: str
    version: int
    tasks: tuple[dict[str, Any], ...]
    raw: dict[str, Any]
    create_time: int
    update_time: int
    created_by: str = ""

    @property
    def output_parameters(self) -> dict[str, Any]:
        value = self.raw.get("outputParameters")
        return value if isinstance(value, dict) else {}


@dataclass(slots=True)
class TaskRun:
    """A Conductor task of a workflow execution."""

    task_id: str
    task_type: str
    ref: str
    def_name: str
    status: TaskStatus
    seq: int
    workflow_task: dict[str, Any]
    input_data: dict[str, Any]
    scheduled_time: int
    start_time: int = 0
    end_time: int = 0
    update_time: int = 0
    output_data: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    worker_id: str | None = None

    @property
    def timeout_ms(self) -> int:
        definition = self.workflow_task.get("taskDefinition") or {}
        seconds = definition.get("timeoutSeconds") if isinstance(definition, dict) else None
        return int(seconds) * 1000 if isinstance(seconds, int) and seconds > 0 else 0


@dataclass(slots=True)
class Workflow:
    workflow_id: str
    definition: WorkflowDef
    status: WorkflowStatus
    input: dict[str, Any]
    created_by: str
    create_time: int
    owner_app: str | None = None
    correlation_id: str | None = None
    priority: int = 0
    tasks: list[TaskRun] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    update_time: int = 0
    end_time: int = 0
    reason: str | None = None
    next_index: int = 0


@dataclass(frozen=True, slots=True)
class Timer:
    due: int
    kind: str  # "sla" or "timeout"
    task_id: str


# -- expressions ---------------------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{([^}]+)\}")


def resolve(value: Any, context: Mapping[str, Any]) -> Any:
    """Resolve `${workflow.input.x}` / `${ref.output.x}` expressions in `value` (recursively)."""
    if isinstance(value, str):
        whole = _EXPRESSION.fullmatch(value)
        if whole:
            return _lookup(context, whole.group(1))
        return _EXPRESSION.sub(lambda m: _stringify(_lookup(context, m.group(1))), value)
    if isinstance(value, dict):
        return {k: resolve(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, context) for v in value]
    return value


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    current: Any = context
    for part in path.strip().split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _stringify(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- human task definitions ------------------------------------------------------------------------------

def parse_human_definition(raw: Any, where: str) -> HumanTaskDef:
    """`__humanTaskDefinition` as the SDKs write it: `assignments`, or the JS builder's single `assignee`,
    with the Python builder's nulls (`displayName: null`, `userFormTemplate: {name: null, version: 0}`)."""
    data = raw if isinstance(raw, dict) else {}
    items = data.get("assignments")
    if items is None and isinstance(data.get("assignee"), dict):
        items = [{"assignee": data["assignee"], "slaMinutes": data.get("slaMinutes") or 0}]
    assignments = []
    for n, item in enumerate(items or []):
        assignee = item.get("assignee") if isinstance(item, dict) else None
        if not isinstance(assignee, dict) or not assignee.get("user"):
            raise InvalidRequest(f"{where}.assignments[{n}].assignee: needs {{user, userType}}")
        try:
            user_type = UserType(str(assignee.get("userType")))
        except ValueError:
            raise InvalidRequest(f"{where}.assignments[{n}].assignee.userType: '{assignee.get('userType')}' is not "
                                 f"one of {', '.join(UserType)}") from None
        sla = item.get("slaMinutes") or 0
        if not isinstance(sla, int) or sla < 0:
            raise InvalidRequest(f"{where}.assignments[{n}].slaMinutes: expected a whole number of minutes >= 0")
        assignments.append(Assignment(TaskUser(str(assignee["user"]), user_type), sla))
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
    return HumanTaskDef(assignments=tuple(assignments), completion_strategy=strategy,
                        display_name=data.get("displayName") or None, form=form, triggers=triggers,
                        auto_claim=auto_claim if isinstance(auto_claim, bool) else None)


# -- the engine ----------------------------------------------------------------------------------------

class WorkflowEngine:
    """Workflow definitions and executions of one world. Shares the world's lock with the task store."""

    def __init__(self, store: TaskStore, *, clock: Clock, ids: IdGenerator, lock: threading.RLock) -> None:
        self._store = store
        self._clock = clock
        self._ids = ids
        self._lock = lock
        self._definitions: dict[tuple[str, int], WorkflowDef] = {}
        self._workflows: dict[str, Workflow] = {}
        self._task_owner: dict[str, str] = {}  # Conductor task id -> workflow id
        # What may have a timer, so that the clock never scans every task (1M tasks: 0.5 s a scan)
        self._sla_due: dict[str, int] = {}  # unclaimed human tasks whose current assignment expires: when
        self._sla_heap: list[tuple[int, str]] = []  # the same, by due time (entries no longer in _sla_due are stale)
        self._timed_ids: set[str] = set()  # workflow tasks with a timeout, while they run
        store.subscribe(self._on_human_task_change)

    # -- definitions -------------------------------------------------------------------------------------

    def register(self, caller: Principal | None, raw: dict[str, Any], *, overwrite: bool = True) -> WorkflowDef:
        name, version, tasks = self.check_definition(raw)
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

    @staticmethod
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
            WorkflowEngine._check_task(name, n, task, seen)
        return name, version, tasks

    @staticmethod
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

    # -- executions --------------------------------------------------------------------------------------

    def start(self, caller: Principal, name: str, *, version: int | None = None, workflow_input: Any = None,
              correlation_id: str | None = None, priority: int = 0, workflow_id: str | None = None) -> str:
        with self._lock:
            definition = self.definition(name, version)
            if workflow_id is not None and workflow_id in self._workflows:
                raise WorkflowConflict(f"Workflow {workflow_id} already exists")
            now = self._clock.now_ms()
            workflow = Workflow(
                workflow_id=workflow_id or self._ids.new_id(), definition=definition, status=WorkflowStatus.RUNNING,
                input=dict(workflow_input) if isinstance(workflow_input, dict) else {}, created_by=caller.id,
                create_time=now, update_time=now, correlation_id=correlation_id, priority=priority,
                owner_app=caller.id if caller.kind is PrincipalKind.APPLICATION else None)
            self._workflows[workflow.workflow_id] = workflow
            self._advance(workflow)
            return workflow.workflow_id

    def get(self, workflow_id: str) -> Workflow:
        """A snapshot of the workflow (safe to serialize outside the lock)."""
        with self._lock:
            return copy.deepcopy(self._get(workflow_id))

    def all(self) -> list[Workflow]:
        with self._lock:
            return [copy.deepcopy(w) for w in self._workflows.values()]

    def terminate(self, caller: Principal, workflow_id: str, reason: str | None = None) -> None:
        with self._lock:
            workflow = self._get(workflow_id)
            if workflow.status in WORKFLOW_TERMINAL:
                raise WorkflowConflict(f"Workflow {workflow_id} is already {workflow.status}")
            self._end(workflow, WorkflowStatus.TERMINATED, reason or f"Terminated by {caller.id}")

    def task(self, task_id: str) -> tuple[TaskRun, Workflow]:
        with self._lock:
            workflow_id = self._task_owner.get(task_id)
            if workflow_id is None:
                raise WorkflowNotFound(f"No such task: {task_id}")
            workflow = self._workflows[workflow_id]
            run = next(t for t in workflow.tasks if t.task_id == task_id)
            return copy.deepcopy(run), copy.deepcopy(workflow)

    def update_task(self, caller: Principal, workflow_id: str, task_id: str, status: TaskStatus,
                    output: Mapping[str, Any] | None = None, reason: str | None = None,
                    worker_id: str | None = None) -> str:
        """A TaskResult from a worker (`POST /api/tasks`): update the task and move the workflow on."""
        with self._lock:
            workflow = self._get(workflow_id)
            run = next((t for t in workflow.tasks if t.task_id == task_id), None)
            if run is None:
                raise WorkflowNotFound(f"No task {task_id} in workflow {workflow_id}")
            return self._apply_result(caller, workflow, run, status, dict(output or {}), reason, worker_id)

    def update_task_by_ref(self, caller: Principal, workflow_id: str, ref: str, status: TaskStatus,
                           output: Mapping[str, Any] | None = None, worker_id: str | None = None) -> str:
        with self._lock:
            workflow = self._get(workflow_id)
            run = self._latest(workflow, ref)
            return self._apply_result(caller, workflow, run, status, dict(output or {}), None, worker_id)

    def human_task_for_ref(self, workflow_id: str, ref: str) -> str:
        """The id of the (latest) HUMAN task `ref` of a workflow: `/human/tasks/update/taskRef`."""
        with self._lock:
            workflow = self._get(workflow_id)
            run = self._latest(workflow, ref)
            if run.task_type != "HUMAN":
                raise WorkflowNotFound(f"Task {ref} of workflow {workflow_id} is a {run.task_type} task, not HUMAN")
            return run.task_id

    # -- the clock ---------------------------------------------------------------------------------------

    def track(self, tasks: Iterable[HumanTask]) -> None:
        """Watch these human tasks' SLAs (tasks put into the store directly, e.g. generated ones)."""
        with self._lock:
            for task in tasks:
                self._track(task)

    def _track(self, task: HumanTask) -> None:
        due = _sla_due(task)
        if due is None:
            self._sla_due.pop(task.task_id, None)
        elif self._sla_due.get(task.task_id) != due:
            self._sla_due[task.task_id] = due
            heapq.heappush(self._sla_heap, (due, task.task_id))

    def due_timers(self, until: int) -> list[Timer]:
        """Every SLA expiry and timeout due at or before `until`, in firing order."""
        timers: list[Timer] = []
        with self._lock:
            due_now: list[tuple[int, str]] = []
            while self._sla_heap and self._sla_heap[0][0] <= until:
                entry = heapq.heappop(self._sla_heap)
                if self._sla_due.get(entry[1]) == entry[0] and entry not in due_now:  # else stale, or a twin
                    due_now.append(entry)
            for entry in due_now:  # only looked at here: `fire` decides
                heapq.heappush(self._sla_heap, entry)
                timers.append(Timer(entry[0], "sla", entry[1]))
            for task_id in list(self._timed_ids):
                workflow = self._workflows[self._task_owner[task_id]]
                run = next(t for t in workflow.tasks if t.task_id == task_id)
                if run.status is not TaskStatus.IN_PROGRESS or workflow.status is not WorkflowStatus.RUNNING:
                    self._timed_ids.discard(task_id)
                elif run.scheduled_time + run.timeout_ms <= until:
                    timers.append(Timer(run.scheduled_time + run.timeout_ms, "timeout", task_id))
        return sorted(timers, key=lambda t: (t.due, t.kind != "timeout", t.task_id))

    def fire(self, timer: Timer) -> dict[str, Any]:
        """Apply one due timer; returns what happened, for the clock endpoint's answer."""
        with self._lock:
            if timer.kind == "timeout":
                return self._time_out(timer.task_id)
            before = self._store.peek(timer.task_id)
            after = self._store.expire_assignment(timer.task_id)
            event: dict[str, Any] = {"at": timer.due, "taskId": timer.task_id, "event": "SLA_EXPIRED",
                                     "from": str(before.assignee) if before.assignee else None}
            if after.state is TaskState.DELETED:
                event["result"] = "TERMINATED"
            elif after.assignee is None:
                event["result"] = "LEFT_OPEN"
            else:
                event["result"] = "ESCALATED"
                event["to"] = str(after.assignee)
            return event

    # -- seeding -----------------------------------------------------------------------------------------

    def adopt(self, tasks: list[HumanTask]) -> None:
        """Give scenario-seeded human tasks the workflows they belong to (generated from the tasks when not
        declared), so completing one moves its workflow on. Tasks sharing a workflowId share a workflow."""
        by_workflow: dict[str, list[HumanTask]] = {}
        for task in sorted(tasks, key=lambda t: (t.created_on, t.task_id)):
            by_workflow.setdefault(task.workflow_id, []).append(task)
        with self._lock:
            for workflow_id, members in by_workflow.items():
                if workflow_id not in self._workflows:
                    self._workflows[workflow_id] = self._seeded_workflow(workflow_id, members)
                for task in members:
                    self._track(task)

    def _seeded_workflow(self, workflow_id: str, members: list[HumanTask]) -> Workflow:
        first, last = members[0], max(members, key=lambda t: t.updated_on)
        name = first.workflow_name or "scenario_workflow"
        runs, workflow_tasks = [], []
        for seq, task in enumerate(members, start=1):
            ref = task.task_ref_name or task.task_id
            workflow_task: dict[str, Any] = {"name": task.definition_name or ref, "taskReferenceName": ref,
                                             "type": "HUMAN", "inputParameters": {HUMAN_DEF_KEY: {}}}
            status = _SEEDED_STATUS.get(task.state, TaskStatus.IN_PROGRESS)
            runs.append(TaskRun(task_id=task.task_id, task_type="HUMAN", ref=ref, def_name=workflow_task["name"],
                                status=status, seq=seq, workflow_task=workflow_task, input_data=dict(task.input),
                                scheduled_time=task.created_on, start_time=task.created_on,
                                update_time=task.updated_on, output_data=dict(task.output),
                                end_time=task.updated_on if status is not TaskStatus.IN_PROGRESS else 0))
            workflow_tasks.append(workflow_task)
            self._task_owner[task.task_id] = workflow_id
        definition = WorkflowDef(name=name, version=1, tasks=tuple(workflow_tasks),
                                 raw={"name": name, "version": 1, "tasks": workflow_tasks},
                                 create_time=first.created_on, update_time=first.created_on)
        statuses = {run.status for run in runs}
        if TaskStatus.IN_PROGRESS in statuses:
            wf_status = WorkflowStatus.RUNNING
        elif TaskStatus.TIMED_OUT in statuses:
            wf_status = WorkflowStatus.TIMED_OUT
        elif TaskStatus.CANCELED in statuses:
            wf_status = WorkflowStatus.TERMINATED
        else:
            wf_status = WorkflowStatus.COMPLETED
        finished = wf_status is not WorkflowStatus.RUNNING
        return Workflow(workflow_id=workflow_id, definition=definition, status=wf_status, input={},
                        created_by=first.created_by, create_time=first.created_on, owner_app=first.owner_app,
                        tasks=runs, update_time=last.updated_on, next_index=len(runs),
                        output=dict(last.output) if wf_status is WorkflowStatus.COMPLETED else {},
                        end_time=last.updated_on if finished else 0)

    # -- internals -----------------------------------------------------------------------------------------

    def _get(self, workflow_id: str) -> Workflow:
        workflow = self._workflows.get(workflow_id)
        if workflow is None:
            raise WorkflowNotFound(f"No such workflow: {workflow_id}")
        return workflow

    @staticmethod
    def _latest(workflow: Workflow, ref: str) -> TaskRun:
        runs = [t for t in workflow.tasks if t.ref == ref]
        if not runs:
            raise WorkflowNotFound(f"No task with reference name {ref} in workflow {workflow.workflow_id}")
        return runs[-1]

    def _context(self, workflow: Workflow) -> dict[str, Any]:
        context: dict[str, Any] = {
            "workflow": {"input": workflow.input, "variables": workflow.variables, "output": workflow.output,
                         "workflowId": workflow.workflow_id, "correlationId": workflow.correlation_id,
                         "workflowType": workflow.definition.name, "version": workflow.definition.version,
                         "createdBy": workflow.created_by},
        }
        for run in workflow.tasks:
            context[run.ref] = {"input": run.input_data, "output": run.output_data, "taskId": run.task_id,
                                "status": run.status.value}
        return context

    def _advance(self, workflow: Workflow) -> None:
        """Schedule tasks in order until one must wait, or the workflow ends."""
        tasks = workflow.definition.tasks
        while workflow.status is WorkflowStatus.RUNNING:
            if any(run.status not in TASK_TERMINAL for run in workflow.tasks):
                return  # a task is waiting (for a person, a worker, or an update)
            if workflow.next_index >= len(tasks):
                # as in Conductor: with no outputParameters, the workflow's output is its last task's output
                parameters = workflow.definition.output_parameters
                workflow.output = resolve(parameters, self._context(workflow)) if parameters else dict(
                    workflow.tasks[-1].output_data if workflow.tasks else {})
                self._end(workflow, WorkflowStatus.COMPLETED, None)
                return
            workflow_task = tasks[workflow.next_index]
            workflow.next_index += 1
            self._schedule(workflow, workflow_task)

    def _schedule(self, workflow: Workflow, workflow_task: dict[str, Any]) -> None:
        now = self._clock.now_ms()
        task_type = workflow_task.get("type") or "SIMPLE"
        inputs = resolve(workflow_task.get("inputParameters") or {}, self._context(workflow))
        run = TaskRun(task_id=self._ids.new_id(), task_type=task_type, ref=workflow_task["taskReferenceName"],
                      def_name=workflow_task.get("name") or workflow_task["taskReferenceName"],
                      status=TaskStatus.SCHEDULED, seq=len(workflow.tasks) + 1, workflow_task=workflow_task,
                      input_data=inputs if isinstance(inputs, dict) else {}, scheduled_time=now, update_time=now)
        workflow.tasks.append(run)
        workflow.update_time = now
        self._task_owner[run.task_id] = workflow.workflow_id
        if task_type == "HUMAN":
            run.status, run.start_time = TaskStatus.IN_PROGRESS, now
            if run.timeout_ms:
                self._timed_ids.add(run.task_id)
            self._create_human_task(workflow, run)
        elif task_type == "SET_VARIABLE":
            workflow.variables.update(run.input_data)
            self._complete_run(run, {})
        elif task_type == "TERMINATE":
            run.output_data = dict(run.input_data.get("workflowOutput") or {})
            self._complete_run(run, run.output_data)
            status_name = str(run.input_data.get("terminationStatus") or "COMPLETED")
            status = WorkflowStatus.FAILED if status_name == "FAILED" else (
                WorkflowStatus.TERMINATED if status_name == "TERMINATED" else WorkflowStatus.COMPLETED)
            workflow.output = run.output_data
            self._end(workflow, status, run.input_data.get("terminationReason"))
        elif task_type in NOOP_TYPES:
            self._complete_run(run, {})

    def _create_human_task(self, workflow: Workflow, run: TaskRun) -> None:
        inputs = dict(run.input_data)
        definition = parse_human_definition(inputs.pop(HUMAN_DEF_KEY, None), run.ref)
        run.input_data = {**inputs, HUMAN_DEF_KEY: run.workflow_task.get("inputParameters", {}).get(HUMAN_DEF_KEY)}
        task = new_task(run.task_id, definition, now=run.scheduled_time, ids=self._ids,
                        definition_name=run.def_name, display_name=definition.display_name or run.def_name,
                        task_ref_name=run.ref, workflow_id=workflow.workflow_id,
                        workflow_name=workflow.definition.name, created_by=workflow.created_by,
                        updated_by=workflow.created_by, owner_app=workflow.owner_app, input=inputs)
        self._store.insert(task)
        self._track(task)
        self._triggers(None, task)

    def _complete_run(self, run: TaskRun, output: dict[str, Any]) -> None:
        now = self._clock.now_ms()
        run.status, run.output_data = TaskStatus.COMPLETED, output
        run.start_time = run.start_time or now
        run.end_time = run.update_time = now

    def _end(self, workflow: Workflow, status: WorkflowStatus, reason: str | None) -> None:
        now = self._clock.now_ms()
        workflow.status, workflow.reason = status, reason
        workflow.end_time = workflow.update_time = now
        if status is WorkflowStatus.COMPLETED:
            return
        for run in workflow.tasks:
            if run.status not in TASK_TERMINAL:
                run.status, run.end_time, run.update_time = TaskStatus.CANCELED, now, now
            if run.task_type == "HUMAN" and self._store.peek(run.task_id).state not in TERMINAL_STATES:
                self._store.finish_by_system(run.task_id, Action.CANCEL)  # a person can no longer act on it

    def _apply_result(self, caller: Principal, workflow: Workflow, run: TaskRun, status: TaskStatus,
                      output: dict[str, Any], reason: str | None, worker_id: str | None) -> str:
        if status not in UPDATE_STATUSES:
            raise InvalidRequest(f"Task status {status} cannot be set by an update; use one of "
                                 f"{', '.join(sorted(UPDATE_STATUSES))}")
        if run.status in TASK_TERMINAL or workflow.status is not WorkflowStatus.RUNNING:
            raise WorkflowConflict(f"Task {run.task_id} is already {run.status} (workflow {workflow.status})")
        run.worker_id = worker_id or run.worker_id
        if run.task_type == "HUMAN" and status is TaskStatus.COMPLETED:
            # the human task completes, and its listener completes this run and moves the workflow on
            self._store.complete_by_system(run.task_id, output, caller.id)
            return run.task_id
        now = self._clock.now_ms()
        run.output_data = {**run.output_data, **output}
        run.update_time = now
        if status is TaskStatus.IN_PROGRESS:
            run.status, run.start_time = TaskStatus.IN_PROGRESS, run.start_time or now
            if run.timeout_ms:
                self._timed_ids.add(run.task_id)
            return run.task_id
        if status is TaskStatus.COMPLETED:
            self._complete_run(run, run.output_data)
            self._advance(workflow)
            return run.task_id
        run.status, run.end_time, run.reason = status, now, reason
        self._end(workflow, WorkflowStatus.FAILED, reason or f"Task {run.ref} failed")
        return run.task_id

    def _time_out(self, task_id: str) -> dict[str, Any]:
        workflow = self._workflows[self._task_owner[task_id]]
        run = next(t for t in workflow.tasks if t.task_id == task_id)
        now = self._clock.now_ms()
        run.status, run.end_time, run.update_time = TaskStatus.TIMED_OUT, now, now
        run.reason = f"Task timed out after {run.timeout_ms // 1000} seconds"
        if run.task_type == "HUMAN" and self._store.peek(task_id).state not in TERMINAL_STATES:
            self._store.finish_by_system(task_id, Action.TIME_OUT)
        self._end(workflow, WorkflowStatus.TIMED_OUT, run.reason)
        return {"at": now, "taskId": task_id, "event": "TIMED_OUT", "workflowId": workflow.workflow_id}

    def _on_human_task_change(self, before: HumanTask, after: HumanTask) -> None:
        self._track(after)
        self._triggers(before, after)
        workflow_id = self._task_owner.get(after.task_id)
        if workflow_id is None or before.state is after.state:
            return
        workflow = self._workflows[workflow_id]
        run = next(t for t in workflow.tasks if t.task_id == after.task_id)
        if after.state is TaskState.COMPLETED and run.status not in TASK_TERMINAL:
            self._complete_run(run, dict(after.output))
            if workflow.status is WorkflowStatus.RUNNING:
                self._advance(workflow)
        elif after.state is TaskState.DELETED and before.state not in TERMINAL_STATES and \
                after.action_logs and after.action_logs[-1].action is LogAction.ASSIGNMENTS_COMPLETED:
            # the last SLA passed with TERMINATE
            if run.status not in TASK_TERMINAL:
                now = self._clock.now_ms()
                run.status, run.end_time, run.update_time, run.reason = TaskStatus.CANCELED, now, now, TERMINATE_REASON
            if workflow.status is WorkflowStatus.RUNNING:
                self._end(workflow, WorkflowStatus.FAILED, TERMINATE_REASON)

    def _triggers(self, before: HumanTask | None, after: HumanTask) -> None:
        events = set(_events(before, after))
        for trigger in after.definition.triggers:
            trigger_type = trigger.get("triggerType")
            if trigger_type not in events:
                continue
            request = trigger.get("startWorkflowRequest") or {}
            entry: dict[str, Any] = {"triggerType": trigger_type, "time": self._clock.now_ms()}
            owner = Principal(after.created_by or "system", _kind_of(after))
            try:
                entry["workflowId"] = self.start(owner, str(request.get("name")), version=request.get("version"),
                                                 workflow_input=request.get("input"),
                                                 correlation_id=request.get("correlationId"))
            except DomainError as error:
                entry["error"] = error.message
            self._store.record_trigger(after.task_id, entry)


_SEEDED_STATUS = {TaskState.COMPLETED: TaskStatus.COMPLETED, TaskState.TIMED_OUT: TaskStatus.TIMED_OUT,
                  TaskState.DELETED: TaskStatus.CANCELED}


def _kind_of(task: HumanTask) -> PrincipalKind:
    return PrincipalKind.APPLICATION if task.owner_app and task.owner_app == task.created_by else PrincipalKind.USER


def _events(before: HumanTask | None, after: HumanTask) -> Iterator[str]:
    if before is None:
        yield "PENDING"
        yield after.state.value
        if after.assignee is not None:
            yield "ASSIGNEE_CHANGED"
        return
    if before.state is not after.state:
        yield after.state.value
    if before.assignee != after.assignee:
        yield "ASSIGNEE_CHANGED"
    if before.claimant != after.claimant:
        yield "CLAIMANT_CHANGED"


def _sla_due(task: HumanTask) -> int | None:
    """When the current assignee's SLA passes, if the task is unclaimed and the assignment expires."""
    if task.state not in (TaskState.PENDING, TaskState.ASSIGNED) or task.assignee is None:
        return None
    index = task.assignee_index or 0
    assignments = task.definition.assignments
    if index >= len(assignments) or assignments[index].sla_minutes <= 0:
        return None
    started = next((log.state_start for log in reversed(task.action_logs)
                    if log.action in (LogAction.ASSIGNMENT, LogAction.REASSIGN)), task.created_on)
    return started + assignments[index].sla_minutes * 60_000
