"""Workflow executions: start, advance, schedule, complete, terminate, task updates, and how a HUMAN task's
changes in the task store move its workflow on.

A started workflow runs its tasks in order. A HUMAN task creates a human task (same id) from its
`__humanTaskDefinition` and waits; completing the human task completes the workflow task with its output
and the workflow moves on. SIMPLE and WAIT tasks wait for `/api/tasks` updates. SET_VARIABLE and TERMINATE
do what Conductor does; the other system types listed in `NOOP_TYPES` complete at once with no output.
"""

from __future__ import annotations

from typing import Any

from mockserver.domain.clock import Clock
from mockserver.domain.errors import InvalidRequest
from mockserver.domain.identity import Principal, PrincipalKind
from mockserver.domain.ids import IdGenerator
from mockserver.domain.lifecycle import TERMINAL_STATES, new_task
from mockserver.domain.model import Action, HumanTask, LogAction, TaskState
from mockserver.domain.store import TaskStore
from mockserver.domain.workflows import workers
from mockserver.domain.workflows.definitions import (
    HUMAN_DEF_KEY,
    NOOP_TYPES,
    DefinitionRegistry,
    parse_human_definition,
)
from mockserver.domain.workflows.expressions import context_of, resolve
from mockserver.domain.workflows.records import (
    TASK_TERMINAL,
    TERMINATE_REASON,
    UPDATE_STATUSES,
    TaskRun,
    TaskStatus,
    Workflow,
    WorkflowConflict,
    WorkflowNotFound,
    WorkflowStatus,
)
from mockserver.domain.workflows.taskdefs import TaskDefRegistry
from mockserver.domain.workflows.timers import Timers
from mockserver.domain.workflows.triggers import run_triggers
from mockserver.domain.workflows.workers import WorkQueues


class Executions:
    """The workflow executions of one world. Not locked itself: `WorkflowEngine` calls it under the world's lock."""

    def __init__(self, store: TaskStore, definitions: DefinitionRegistry, timers: Timers, *, clock: Clock,
                 ids: IdGenerator, task_defs: TaskDefRegistry, queues: WorkQueues) -> None:
        self._store = store
        self._definitions = definitions
        self._timers = timers
        self._task_defs = task_defs
        self.queues = queues
        self._clock = clock
        self._ids = ids
        self.workflows: dict[str, Workflow] = {}
        self.task_owner: dict[str, str] = {}  # Conductor task id -> workflow id

    # -- lookups -------------------------------------------------------------------------------------------

    def get(self, workflow_id: str) -> Workflow:
        workflow = self.workflows.get(workflow_id)
        if workflow is None:
            raise WorkflowNotFound(f"No such workflow: {workflow_id}")
        return workflow

    def run_of(self, task_id: str) -> tuple[Workflow, TaskRun]:
        """The workflow and run of a Conductor task id known to belong to a workflow."""
        workflow = self.workflows[self.task_owner[task_id]]
        return workflow, next(t for t in workflow.tasks if t.task_id == task_id)

    @staticmethod
    def latest(workflow: Workflow, ref: str) -> TaskRun:
        runs = [t for t in workflow.tasks if t.ref == ref]
        if not runs:
            raise WorkflowNotFound(f"No task with reference name {ref} in workflow {workflow.workflow_id}")
        return runs[-1]

    # -- changes ---------------------------------------------------------------------------------------------

    def start(self, caller: Principal, name: str, *, version: int | None = None, workflow_input: Any = None,
              correlation_id: str | None = None, priority: int = 0, workflow_id: str | None = None,
              task_to_domain: dict[str, str] | None = None) -> str:
        definition = self._definitions.definition(name, version)
        if workflow_id is not None and workflow_id in self.workflows:
            raise WorkflowConflict(f"Workflow {workflow_id} already exists")
        now = self._clock.now_ms()
        workflow = Workflow(
            workflow_id=workflow_id or self._ids.new_id(), definition=definition, status=WorkflowStatus.RUNNING,
            input=dict(workflow_input) if isinstance(workflow_input, dict) else {}, created_by=caller.id,
            create_time=now, update_time=now, correlation_id=correlation_id, priority=priority,
            owner_app=caller.id if caller.kind is PrincipalKind.APPLICATION else None,
            task_to_domain=dict(task_to_domain or {}))
        self.workflows[workflow.workflow_id] = workflow
        self._advance(workflow)
        return workflow.workflow_id

    def terminate(self, workflow: Workflow, reason: str) -> None:
        self._end(workflow, WorkflowStatus.TERMINATED, reason)

    def apply_result(self, caller: Principal, workflow: Workflow, run: TaskRun, status: TaskStatus,
                     output: dict[str, Any], reason: str | None, worker_id: str | None,
                     callback_after_seconds: int = 0) -> str:
        """A TaskResult from a worker: update the run and move the workflow on."""
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
        self.queues.discard(run)
        if status is TaskStatus.IN_PROGRESS:
            run.status, run.start_time = TaskStatus.IN_PROGRESS, run.start_time or now
            run.callback_after_seconds = callback_after_seconds
            self._timers.watch_timeout(run)
            if run.task_type != "HUMAN":  # Conductor postpones it in its queue: polled again after the callback
                self.queues.push(run, now, callback_after_seconds)
        elif status is TaskStatus.COMPLETED:
            self._complete_run(run, run.output_data)
            self._advance(workflow)
        else:
            run.status, run.end_time, run.reason = status, now, reason
            self._retry_or_end(workflow, run, WorkflowStatus.FAILED, status is TaskStatus.FAILED)
        return run.task_id

    def _retry_or_end(self, workflow: Workflow, run: TaskRun, end_status: WorkflowStatus, retryable: bool) -> None:
        """A new attempt of the failed (or timed-out) `run` when its definition allows one, else the end."""
        if retryable and workers.may_retry(run):
            now = self._clock.now_ms()
            attempt, delay = workers.next_attempt(run, workflow, self._ids.new_id(), now)
            workflow.tasks.append(attempt)
            workflow.update_time = now
            self.task_owner[attempt.task_id] = workflow.workflow_id
            self.queues.push(attempt, now, delay)
            return
        self._end(workflow, end_status, run.reason or f"Task {run.ref} failed")

    def poll(self, task_type: str, worker_id: str | None, domain: str | None, count: int) -> list[TaskRun]:
        now = self._clock.now_ms()
        taken = self.queues.take(task_type, domain, count, now, self.run_of)
        for run in taken:
            workers.start_attempt(run, worker_id, now)
            self._timers.watch_timeout(run)
            self._timers.watch_response(run)
        return taken

    def response_timed_out(self, task_id: str) -> dict[str, Any]:
        """The worker holding the task went silent past `responseTimeoutSeconds`: the attempt times out and,
        with retries left, a new one is queued (else the workflow times out)."""
        workflow, run = self.run_of(task_id)
        now = self._clock.now_ms()
        seconds = run.task_def.response_timeout_seconds if run.task_def else 0
        run.status, run.end_time, run.update_time, run.response_due = TaskStatus.TIMED_OUT, now, now, 0
        run.reason = f"responseTimeout: {seconds} exceeded for the taskId: {task_id} with Task Definition: " \
                     f"{run.def_name}"
        self._retry_or_end(workflow, run, WorkflowStatus.TIMED_OUT, True)
        retry = workflow.tasks[-1] if workflow.tasks[-1].retried_task_id == task_id else None
        return {"at": now, "taskId": task_id, "event": "RESPONSE_TIMED_OUT", "workflowId": workflow.workflow_id,
                "retryTaskId": retry.task_id if retry else None}

    def time_out(self, task_id: str) -> dict[str, Any]:
        workflow, run = self.run_of(task_id)
        now = self._clock.now_ms()
        run.status, run.end_time, run.update_time = TaskStatus.TIMED_OUT, now, now
        run.reason = f"Task timed out after {run.timeout_ms // 1000} seconds"
        if run.task_type == "HUMAN" and self._store.peek(task_id).state not in TERMINAL_STATES:
            self._store.finish_by_system(task_id, Action.TIME_OUT)
        self._end(workflow, WorkflowStatus.TIMED_OUT, run.reason)
        return {"at": now, "taskId": task_id, "event": "TIMED_OUT", "workflowId": workflow.workflow_id}

    def on_human_task_change(self, before: HumanTask, after: HumanTask) -> None:
        """The task store's listener: follow the SLA, run triggers, and move the task's workflow on."""
        self._timers.track(after)
        self._triggers(before, after)
        workflow_id = self.task_owner.get(after.task_id)
        if workflow_id is None or before.state is after.state:
            return
        workflow, run = self.run_of(after.task_id)
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

    # -- internals -----------------------------------------------------------------------------------------

    def _advance(self, workflow: Workflow) -> None:
        """Schedule tasks in order until one must wait, or the workflow ends."""
        tasks = workflow.definition.tasks
        while workflow.status is WorkflowStatus.RUNNING:
            if any(run.status not in TASK_TERMINAL for run in workflow.tasks):
                return  # a task is waiting (for a person, a worker, or an update)
            if workflow.next_index >= len(tasks):
                # as in Conductor: with no outputParameters, the workflow's output is its last task's output
                parameters = workflow.definition.output_parameters
                workflow.output = resolve(parameters, context_of(workflow)) if parameters else dict(
                    workflow.tasks[-1].output_data if workflow.tasks else {})
                self._end(workflow, WorkflowStatus.COMPLETED, None)
                return
            workflow_task = tasks[workflow.next_index]
            workflow.next_index += 1
            self._schedule(workflow, workflow_task)

    def _schedule(self, workflow: Workflow, workflow_task: dict[str, Any]) -> None:
        now = self._clock.now_ms()
        task_type = workflow_task.get("type") or "SIMPLE"
        inputs = resolve(workflow_task.get("inputParameters") or {}, context_of(workflow))
        run = TaskRun(task_id=self._ids.new_id(), task_type=task_type, ref=workflow_task["taskReferenceName"],
                      def_name=workflow_task.get("name") or workflow_task["taskReferenceName"],
                      status=TaskStatus.SCHEDULED, seq=len(workflow.tasks) + 1, workflow_task=workflow_task,
                      input_data=inputs if isinstance(inputs, dict) else {}, scheduled_time=now, update_time=now)
        workflow.tasks.append(run)
        workflow.update_time = now
        self.task_owner[run.task_id] = workflow.workflow_id
        if task_type == "HUMAN":
            run.status, run.start_time = TaskStatus.IN_PROGRESS, now
            self._timers.watch_timeout(run)
            self._create_human_task(workflow, run)
        elif task_type == "SET_VARIABLE":
            workflow.variables.update(run.input_data)
            self._complete_run(run, {})
        elif task_type == "TERMINATE":
            self._terminate_task(workflow, run)
        elif task_type in NOOP_TYPES:
            self._complete_run(run, {})
        elif task_type == "SIMPLE":
            run.task_def = workers.task_def_of(workflow_task, self._task_defs.find)
            run.domain = workers.domain_of(workflow, run.def_name)
            self.queues.push(run, now)

    def _terminate_task(self, workflow: Workflow, run: TaskRun) -> None:
        run.output_data = dict(run.input_data.get("workflowOutput") or {})
        self._complete_run(run, run.output_data)
        status_name = str(run.input_data.get("terminationStatus") or "COMPLETED")
        status = WorkflowStatus.FAILED if status_name == "FAILED" else (
            WorkflowStatus.TERMINATED if status_name == "TERMINATED" else WorkflowStatus.COMPLETED)
        workflow.output = run.output_data
        self._end(workflow, status, run.input_data.get("terminationReason"))

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
        self._timers.track(task)
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

    def _triggers(self, before: HumanTask | None, after: HumanTask) -> None:
        run_triggers(before, after, clock=self._clock, start=self._start_triggered, record=self._store.record_trigger)

    def _start_triggered(self, owner: Principal, request: dict[str, Any]) -> str:
        return self.start(owner, str(request.get("name")), version=request.get("version"),
                          workflow_input=request.get("input"), correlation_id=request.get("correlationId"))
