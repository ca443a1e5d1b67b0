"""Human task triggers: a change of a human task (state, assignee, claimant) starts the workflows its
definition's `taskTriggers` name for that event, and the attempt is recorded on the task."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mockserver.domain.clock import Clock
from mockserver.domain.errors import DomainError
from mockserver.domain.identity import Principal, PrincipalKind
from mockserver.domain.model import HumanTask

StartWorkflow = Callable[[Principal, dict[str, Any]], str]  # (owner, startWorkflowRequest) -> workflow id
RecordTrigger = Callable[[str, dict[str, Any]], object]  # (task id, trigger log entry)


def run_triggers(before: HumanTask | None, after: HumanTask, *, clock: Clock, start: StartWorkflow,
                 record: RecordTrigger) -> None:
    if not after.definition.triggers:
        return  # most tasks have none: no events to work out
    events = set(events_of(before, after))
    for trigger in after.definition.triggers:
        trigger_type = trigger.get("triggerType")
        if trigger_type not in events:
            continue
        request = trigger.get("startWorkflowRequest") or {}
        entry: dict[str, Any] = {"triggerType": trigger_type, "time": clock.now_ms()}
        owner = Principal(after.created_by or "system", _kind_of(after))
        try:
            entry["workflowId"] = start(owner, request)
        except DomainError as error:
            entry["error"] = error.message
        record(after.task_id, entry)


def events_of(before: HumanTask | None, after: HumanTask) -> Iterator[str]:
    """The trigger events of one change (`before` is None for a new task)."""
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


def _kind_of(task: HumanTask) -> PrincipalKind:
    return PrincipalKind.APPLICATION if task.owner_app and task.owner_app == task.created_by else PrincipalKind.USER
