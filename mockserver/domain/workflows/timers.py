"""Time-driven behaviour: SLA expiries of unclaimed human tasks and timeouts of workflow tasks.

`due_timers` computes what fell due; `fire` applies one timer. Both run under the world's lock, so a manual
clock replays them deterministically. What may have a timer is kept aside, so the clock never scans every task.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from mockserver.domain.lifecycle import may_escalate
from mockserver.domain.model import HumanTask, LogAction, TaskState
from mockserver.domain.store import TaskStore
from mockserver.domain.workflows.records import TaskRun, TaskStatus, Timer, Workflow, WorkflowStatus

RunOf = Callable[[str], tuple[Workflow, TaskRun]]  # a workflow task id -> (its workflow, the run)


def sla_due(task: HumanTask) -> int | None:
    """When the current assignee's SLA passes, if the task may escalate and its assignment expires."""
    if not may_escalate(task):
        return None
    index = task.assignee_index or 0
    assignments = task.definition.assignments
    if index >= len(assignments) or assignments[index].sla_minutes <= 0:
        return None
    started = next((log.state_start for log in reversed(task.action_logs)
                    if log.action in (LogAction.ASSIGNMENT, LogAction.REASSIGN)), task.created_on)
    return started + assignments[index].sla_minutes * 60_000


class Timers:
    """The SLA heap of human tasks and the set of running workflow tasks with a timeout."""

    def __init__(self) -> None:
        self._sla_due: dict[str, int] = {}  # unclaimed human tasks whose current assignment expires: when
        self._sla_heap: list[tuple[int, str]] = []  # the same, by due time (entries no longer in _sla_due are stale)
        self._timed_ids: set[str] = set()  # workflow tasks with a timeout, while they run
        self._response_ids: set[str] = set()  # SIMPLE tasks held by a worker, with a response timeout

    def track(self, task: HumanTask) -> None:
        """Follow `task`'s SLA after any change to it (or forget it, when it no longer has one)."""
        due = sla_due(task)
        if due is None:
            self._sla_due.pop(task.task_id, None)
        elif self._sla_due.get(task.task_id) != due:
            self._sla_due[task.task_id] = due
            heapq.heappush(self._sla_heap, (due, task.task_id))

    def watch_timeout(self, run: TaskRun) -> None:
        if run.timeout_ms:
            self._timed_ids.add(run.task_id)

    def watch_response(self, run: TaskRun) -> None:
        if run.response_due:
            self._response_ids.add(run.task_id)

    def due_timers(self, until: int, run_of: RunOf) -> list[Timer]:
        """Every SLA expiry, timeout and response timeout due at or before `until`, in firing order."""
        timers = [Timer(due, "sla", task_id) for due, task_id in self._due_slas(until)]
        timers.extend(self._due_responses(until, run_of))
        for task_id in list(self._timed_ids):
            workflow, run = run_of(task_id)
            if run.status is not TaskStatus.IN_PROGRESS or workflow.status is not WorkflowStatus.RUNNING:
                self._timed_ids.discard(task_id)
            elif run.scheduled_time + run.timeout_ms <= until:
                timers.append(Timer(run.scheduled_time + run.timeout_ms, "timeout", task_id))
        return sorted(timers, key=lambda t: (t.due, t.kind != "timeout", t.task_id))

    def _due_responses(self, until: int, run_of: RunOf) -> list[Timer]:
        due: list[Timer] = []
        for task_id in list(self._response_ids):
            workflow, run = run_of(task_id)
            if run.status is not TaskStatus.IN_PROGRESS or workflow.status is not WorkflowStatus.RUNNING:
                self._response_ids.discard(task_id)
            elif run.response_due and not run.queued and run.response_due <= until:
                due.append(Timer(run.response_due, "response", task_id))
        return due

    def _due_slas(self, until: int) -> list[tuple[int, str]]:
        due_now: list[tuple[int, str]] = []
        while self._sla_heap and self._sla_heap[0][0] <= until:
            entry = heapq.heappop(self._sla_heap)
            if self._sla_due.get(entry[1]) == entry[0] and entry not in due_now:  # else stale, or a twin
                due_now.append(entry)
        for entry in due_now:  # only looked at here: `fire` decides
            heapq.heappush(self._sla_heap, entry)
        return due_now


def fire_sla(store: TaskStore, timer: Timer) -> dict[str, Any]:
    """The current assignee's SLA passed: escalate, leave open or terminate; returns what happened."""
    before = store.peek(timer.task_id)
    after = store.expire_assignment(timer.task_id)
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
