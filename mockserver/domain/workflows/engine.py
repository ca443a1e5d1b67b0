"""`WorkflowEngine`: the facade over definitions, executions, timers and seeding that World, web and control use.

Store and engine: the engine calls the task store (insert, complete, finish, expire, record a trigger); the
store knows nothing of workflows and only announces each change to its listeners. The engine subscribes,
because a human task changed through the human-task API (a web handler calling the store directly) must move
its workflow on in the same atomic step. Making that strictly one-way would route every human-task change
through the engine, which changes the API the web handlers use; so the listener stays, and both run under
the world's one lock (a re-entrant lock: a listener may call the store again, e.g. to record a trigger).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from mockserver.domain.clock import Clock
from mockserver.domain.identity import Principal
from mockserver.domain.ids import IdGenerator
from mockserver.domain.model import HumanTask
from mockserver.domain.store import TaskStore
from mockserver.domain.weak import weak_method
from mockserver.domain.workflows import definitions, seeding
from mockserver.domain.workflows.definitions import DefinitionRegistry
from mockserver.domain.workflows.execution import Executions
from mockserver.domain.workflows.records import (
    WORKFLOW_TERMINAL,
    TaskDef,
    TaskRun,
    TaskStatus,
    Timer,
    Workflow,
    WorkflowConflict,
    WorkflowDef,
    WorkflowNotFound,
)
from mockserver.domain.workflows.taskdefs import TaskDefRegistry
from mockserver.domain.workflows.timers import Timers, fire_sla
from mockserver.domain.workflows.workers import QueueListener, WorkQueues, add_log


class WorkflowEngine:
    """Workflow definitions and executions of one world. Shares the world's lock with the task store."""

    def __init__(self, store: TaskStore, *, clock: Clock, ids: IdGenerator, lock: threading.RLock) -> None:
        self._store = store
        self._lock = lock
        self._registry = DefinitionRegistry(clock=clock, lock=lock)
        self._clock = clock
        self._timers = Timers()
        self._task_defs = TaskDefRegistry(clock=clock, lock=lock)
        self._runs = Executions(store, self._registry, self._timers, clock=clock, ids=ids,
                                task_defs=self._task_defs, queues=WorkQueues())
        store.subscribe(weak_method(self._runs.on_human_task_change))  # no cycle runs -> store -> runs

    # -- definitions -------------------------------------------------------------------------------------

    def register(self, caller: Principal | None, raw: dict[str, Any], *, overwrite: bool = True) -> WorkflowDef:
        return self._registry.register(caller, raw, overwrite=overwrite)

    @staticmethod
    def check_definition(raw: Mapping[str, Any]) -> tuple[str, int, list[dict[str, Any]]]:
        """(name, version, tasks) of a definition conductor-mock can run, or `InvalidRequest` naming the problem."""
        return definitions.check_definition(raw)

    def definition(self, name: str, version: int | None = None) -> WorkflowDef:
        return self._registry.definition(name, version)

    def definitions(self) -> list[WorkflowDef]:
        return self._registry.definitions()

    # -- executions --------------------------------------------------------------------------------------

    def start(self, caller: Principal, name: str, *, version: int | None = None, workflow_input: Any = None,
              correlation_id: str | None = None, priority: int = 0, workflow_id: str | None = None,
              task_to_domain: dict[str, str] | None = None) -> str:
        with self._lock:
            return self._runs.start(caller, name, version=version, workflow_input=workflow_input,
                                    correlation_id=correlation_id, priority=priority, workflow_id=workflow_id,
                                    task_to_domain=task_to_domain)

    def get(self, workflow_id: str) -> Workflow:
        """A snapshot of the workflow (safe to serialize outside the lock)."""
        with self._lock:
            return copy.deepcopy(self._runs.get(workflow_id))

    def all(self) -> list[Workflow]:
        with self._lock:
            return [copy.deepcopy(w) for w in self._runs.workflows.values()]

    def terminate(self, caller: Principal, workflow_id: str, reason: str | None = None) -> None:
        with self._lock:
            workflow = self._runs.get(workflow_id)
            if workflow.status in WORKFLOW_TERMINAL:
                raise WorkflowConflict(f"Workflow {workflow_id} is already {workflow.status}")
            self._runs.terminate(workflow, reason or f"Terminated by {caller.id}")

    def task(self, task_id: str) -> tuple[TaskRun, Workflow]:
        with self._lock:
            if task_id not in self._runs.task_owner:
                raise WorkflowNotFound(f"No such task: {task_id}")
            workflow, run = self._runs.run_of(task_id)
            return copy.deepcopy(run), copy.deepcopy(workflow)

    def update_task(self, caller: Principal, workflow_id: str, task_id: str, status: TaskStatus,
                    output: Mapping[str, Any] | None = None, reason: str | None = None,
                    worker_id: str | None = None, callback_after_seconds: int = 0,
                    logs: Iterable[str] = ()) -> str:
        """A TaskResult from a worker (`POST /api/tasks`): update the task and move the workflow on."""
        with self._lock:
            workflow = self._runs.get(workflow_id)
            run = next((t for t in workflow.tasks if t.task_id == task_id), None)
            if run is None:
                raise WorkflowNotFound(f"No task {task_id} in workflow {workflow_id}")
            result = self._runs.apply_result(caller, workflow, run, status, dict(output or {}), reason, worker_id,
                                             callback_after_seconds)
            for message in logs:
                add_log(run, message, self._clock.now_ms())
            return result

    def update_task_by_ref(self, caller: Principal, workflow_id: str, ref: str, status: TaskStatus,
                           output: Mapping[str, Any] | None = None, worker_id: str | None = None) -> str:
        with self._lock:
            workflow = self._runs.get(workflow_id)
            run = self._runs.latest(workflow, ref)
            return self._runs.apply_result(caller, workflow, run, status, dict(output or {}), None, worker_id)

    def human_task_for_ref(self, workflow_id: str, ref: str) -> str:
        """The id of the (latest) HUMAN task `ref` of a workflow: `/human/tasks/update/taskRef`."""
        with self._lock:
            workflow = self._runs.get(workflow_id)
            run = self._runs.latest(workflow, ref)
            if run.task_type != "HUMAN":
                raise WorkflowNotFound(f"Task {ref} of workflow {workflow_id} is a {run.task_type} task, not HUMAN")
            return run.task_id

    # -- the clock ---------------------------------------------------------------------------------------

    def track(self, tasks: Iterable[HumanTask]) -> None:
        """Watch these human tasks' SLAs (tasks put into the store directly, e.g. generated ones)."""
        with self._lock:
            for task in tasks:
                self._timers.track(task)

    # -- workers -----------------------------------------------------------------------------------------

    def poll(self, task_type: str, *, worker_id: str | None = None, domain: str | None = None,
             count: int = 1) -> list[tuple[TaskRun, Workflow]]:
        """Hand up to `count` queued tasks of `task_type` (and `domain`) to a worker, without waiting."""
        with self._lock:
            runs = self._runs.poll(task_type, worker_id, domain or None, count)
            return [(copy.deepcopy(run), copy.deepcopy(self._runs.run_of(run.task_id)[0])) for run in runs]

    def has_queued(self, task_type: str, *, domain: str | None = None) -> bool:
        """Whether a poll of `task_type` (and `domain`) would get a task now."""
        with self._lock:
            return self._runs.queues.has_ready(task_type, domain or None, self._clock.now_ms(), self._runs.run_of)

    def on_queued(self, listener: QueueListener) -> None:
        """Call `listener(task type)` whenever a task is queued for workers (under the world's lock)."""
        with self._lock:
            self._runs.queues.subscribe(listener)

    def queue_sizes(self, task_types: Iterable[str] = ()) -> dict[str, int]:
        with self._lock:
            return self._runs.queues.sizes(task_types, self._runs.run_of)

    def add_log(self, task_id: str, message: str) -> None:
        with self._lock:
            add_log(self._known(task_id), message, self._clock.now_ms())

    def logs(self, task_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._known(task_id).logs)

    def _known(self, task_id: str) -> TaskRun:
        if task_id not in self._runs.task_owner:
            raise WorkflowNotFound(f"No such task: {task_id}")
        return self._runs.run_of(task_id)[1]

    def register_task_defs(self, caller: Principal | None, items: list[Mapping[str, Any]]) -> list[TaskDef]:
        return self._task_defs.register(caller, items)

    def task_def(self, name: str) -> TaskDef:
        return self._task_defs.get(name)

    def find_task_def(self, name: str) -> TaskDef | None:
        """The registered definition of task type `name`, or None."""
        return self._task_defs.find(name)

    def task_defs(self) -> list[TaskDef]:
        return self._task_defs.all()

    # -- timers --------------------------------------------------------------------------------------------

    def due_timers(self, until: int) -> list[Timer]:
        """Every SLA expiry and timeout due at or before `until`, in firing order."""
        with self._lock:
            return self._timers.due_timers(until, self._runs.run_of)

    def fire(self, timer: Timer) -> dict[str, Any]:
        """Apply one due timer; returns what happened, for the clock endpoint's answer."""
        with self._lock:
            if timer.kind == "timeout":
                return self._runs.time_out(timer.task_id)
            if timer.kind == "response":
                return self._runs.response_timed_out(timer.task_id)
            return fire_sla(self._store, timer)

    # -- seeding -----------------------------------------------------------------------------------------

    def adopt(self, tasks: list[HumanTask]) -> None:
        """Give scenario-seeded human tasks the workflows they belong to (generated from the tasks when not
        declared), so completing one moves its workflow on. Tasks sharing a workflowId share a workflow."""
        with self._lock:
            for workflow_id, members in seeding.by_workflow(tasks).items():
                if workflow_id not in self._runs.workflows:
                    self._runs.workflows[workflow_id] = seeding.seeded_workflow(workflow_id, members)
                    self._runs.task_owner.update((task.task_id, workflow_id) for task in members)
                for task in members:
                    self._timers.track(task)
