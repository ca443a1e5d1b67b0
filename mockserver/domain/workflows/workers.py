"""The worker side of SIMPLE tasks: queues by task type, polls, requeues, retries, task logs.

A scheduled SIMPLE task waits in the queue of its task type (the workflow task's `name`), with the domain the
start request's `taskToDomain` gave it. A poll takes the oldest available tasks of the type and domain (SCHEDULED
→ IN_PROGRESS, `pollCount`+1, `workerId`, `startTime`). A worker's IN_PROGRESS result puts the task back in the
queue after `callbackAfterSeconds` (Conductor's `postpone`). A FAILED result with retries left (see `taskdefs`)
ends the attempt and queues a new one (`retryCount`+1, `retriedTaskId`) after the retry delay; so does a
response timeout. Listeners hear the task type of every task queued, so a long poll can wake at once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from mockserver.domain.workflows.records import TASK_TERMINAL, TaskRun, TaskStatus, Workflow, WorkflowStatus
from mockserver.domain.workflows.taskdefs import parse_task_def, retry_delay_seconds

RunOf = Callable[[str], tuple[Workflow, TaskRun]]
QueueListener = Callable[[str], None]  # (task type) -> None, called under the world's lock


class WorkQueues:
    """The queued SIMPLE tasks of one world, by task type, in the order they were queued."""

    def __init__(self) -> None:
        self._queued: dict[str, dict[str, None]] = {}  # task type -> task ids (an ordered set)
        self._listeners: list[QueueListener] = []

    def subscribe(self, listener: QueueListener) -> None:
        self._listeners.append(listener)

    def push(self, run: TaskRun, now: int, delay_seconds: int = 0) -> None:
        run.queued, run.available_at, run.response_due = True, now + max(delay_seconds, 0) * 1000, 0
        self._queued.setdefault(run.def_name, {})[run.task_id] = None
        for listener in list(self._listeners):
            listener(run.def_name)

    def discard(self, run: TaskRun) -> None:
        run.queued = False
        self._queued.get(run.def_name, {}).pop(run.task_id, None)

    def take(self, task_type: str, domain: str | None, count: int, now: int, run_of: RunOf) -> list[TaskRun]:
        """Up to `count` tasks of `task_type` and `domain` available at `now`, out of the queue."""
        taken: list[TaskRun] = []
        queue = self._queued.get(task_type, {})
        for task_id in list(queue):
            if len(taken) >= count:
                break
            workflow, run = run_of(task_id)
            if not run.queued or run.status in TASK_TERMINAL or workflow.status is not WorkflowStatus.RUNNING:
                queue.pop(task_id, None)  # finished while queued
            elif run.domain == domain and run.available_at <= now:
                queue.pop(task_id, None)
                run.queued = False
                taken.append(run)
        return taken

    def has_ready(self, task_type: str, domain: str | None, now: int, run_of: RunOf) -> bool:
        """Whether `take` would hand out a task of `task_type` and `domain` at `now` (it changes nothing)."""
        for task_id in self._queued.get(task_type, {}):
            workflow, run = run_of(task_id)
            if _waiting((workflow, run)) and run.domain == domain and run.available_at <= now:
                return True
        return False

    def sizes(self, task_types: Iterable[str], run_of: RunOf) -> dict[str, int]:
        """How many tasks wait in each queue (all queues when `task_types` is empty)."""
        names = list(task_types) or sorted(self._queued)
        return {name: sum(1 for task_id in self._queued.get(name, {}) if _waiting(run_of(task_id))) for name in names}


def _waiting(pair: tuple[Workflow, TaskRun]) -> bool:
    workflow, run = pair
    return run.queued and run.status not in TASK_TERMINAL and workflow.status is WorkflowStatus.RUNNING


def start_attempt(run: TaskRun, worker_id: str | None, now: int) -> None:
    """A poll hands `run` to a worker."""
    run.status, run.poll_count = TaskStatus.IN_PROGRESS, run.poll_count + 1
    run.worker_id = worker_id or run.worker_id
    run.start_time, run.update_time = run.start_time or now, now
    watch_response(run, now)


def watch_response(run: TaskRun, now: int) -> None:
    """The worker holding `run` must report within the definition's response timeout."""
    seconds = run.task_def.response_timeout_seconds if run.task_def is not None else 0
    run.response_due = now + seconds * 1000 if seconds > 0 else 0


def may_retry(run: TaskRun) -> bool:
    return run.task_def is not None and run.retry_count < run.task_def.retry_count


def next_attempt(run: TaskRun, workflow: Workflow, new_id: str, now: int) -> tuple[TaskRun, int]:
    """The attempt that replaces the failed or timed-out `run`, and the seconds it waits before a poll."""
    assert run.task_def is not None
    run.retried = True
    attempt = TaskRun(task_id=new_id, task_type=run.task_type, ref=run.ref, def_name=run.def_name,
                      status=TaskStatus.SCHEDULED, seq=len(workflow.tasks) + 1, workflow_task=run.workflow_task,
                      input_data=copy.deepcopy(run.input_data), scheduled_time=now, update_time=now,
                      task_def=run.task_def, domain=run.domain, retry_count=run.retry_count + 1,
                      retried_task_id=run.task_id)
    return attempt, retry_delay_seconds(run.task_def, run.retry_count)


def task_def_of(workflow_task: dict[str, Any], registered: Callable[[str], Any]) -> Any:
    """The workflow task's embedded `taskDefinition`, else the registered definition of its name, else None."""
    embedded = workflow_task.get("taskDefinition")
    name = str(workflow_task.get("name") or workflow_task.get("taskReferenceName"))
    if isinstance(embedded, dict):
        return parse_task_def({**embedded, "name": embedded.get("name") or name})
    return registered(name)


def domain_of(workflow: Workflow, task_name: str) -> str | None:
    mapping = workflow.task_to_domain
    return mapping.get(task_name) or mapping.get("*") or None


def add_log(run: TaskRun, message: str, now: int) -> None:
    run.logs.append({"log": message, "taskId": run.task_id, "createdTime": now})
