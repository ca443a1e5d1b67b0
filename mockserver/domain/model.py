"""The human task, its states, and the lifecycle table. Pure data: no I/O, no HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mockserver.domain.errors import InvalidTransition


class TaskState(StrEnum):
    PENDING = "PENDING"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    TIMED_OUT = "TIMED_OUT"
    DELETED = "DELETED"


TERMINAL_STATES = frozenset({TaskState.COMPLETED, TaskState.TIMED_OUT, TaskState.DELETED})


class UserType(StrEnum):
    EXTERNAL_USER = "EXTERNAL_USER"
    EXTERNAL_GROUP = "EXTERNAL_GROUP"
    CONDUCTOR_USER = "CONDUCTOR_USER"
    CONDUCTOR_GROUP = "CONDUCTOR_GROUP"


class CompletionStrategy(StrEnum):
    LEAVE_OPEN = "LEAVE_OPEN"
    TERMINATE = "TERMINATE"


class Action(StrEnum):
    """What someone (or the system) does to a task. The lifecycle is keyed by (state, action)."""

    CLAIM = "claim"
    RELEASE = "release"
    UPDATE = "update"
    COMPLETE = "complete"
    SKIP = "skip"
    REASSIGN = "reassign"
    ESCALATE = "escalate"  # the current assignee's SLA passed; the next assignment takes over
    LEAVE_OPEN = "leave open"  # the last SLA passed with LEAVE_OPEN: open to anyone
    TERMINATE = "terminate"  # the last SLA passed with TERMINATE
    TIME_OUT = "time out"  # the HUMAN task definition's timeoutSeconds passed
    CANCEL = "cancel"  # its workflow was terminated or failed
    DELETE = "delete"


class LogAction(StrEnum):
    """The `action` of an entry in `__humanTaskProcessContext.humanTaskActionLogs`, as Orkes spells it."""

    ASSIGNMENT = "ASSIGNMENT"
    ASSIGNMENTS_COMPLETED = "ASSIGNMENTS_COMPLETED"
    CLAIM = "CLAIM"
    RELEASE = "RELEASE"
    SKIP = "SKIP"
    REASSIGN = "REASSIGN"
    TIMED_OUT = "TIMED_OUT"
    DELETED = "DELETED"


# The whole lifecycle. A (state, action) pair not listed here is refused with a 400.
# PENDING is transient on a real server (a new task is assigned at once); a scenario may still seed it,
# and it then behaves like ASSIGNED. UPDATE keeps the state; COMPLETE is allowed to an admin or owner
# before anyone claimed the task (the guard is "not terminal"); who may act is decided in `policy`.
_OPEN = (TaskState.PENDING, TaskState.ASSIGNED)  # not claimed, not finished
_LIVE = (*_OPEN, TaskState.IN_PROGRESS)  # not finished

TRANSITIONS: dict[tuple[TaskState, Action], TaskState] = {
    **{(state, Action.CLAIM): TaskState.IN_PROGRESS for state in _OPEN},
    (TaskState.IN_PROGRESS, Action.RELEASE): TaskState.ASSIGNED,
    **{(state, Action.UPDATE): state for state in _LIVE},
    **{(state, Action.COMPLETE): TaskState.COMPLETED for state in _LIVE},
    # Assignment policy: only an unclaimed task moves between assignees.
    **{(state, Action.SKIP): TaskState.ASSIGNED for state in _OPEN},
    **{(state, Action.REASSIGN): TaskState.ASSIGNED for state in _OPEN},
    **{(state, Action.ESCALATE): TaskState.ASSIGNED for state in _OPEN},
    **{(state, Action.LEAVE_OPEN): TaskState.ASSIGNED for state in _OPEN},
    **{(state, Action.TERMINATE): TaskState.DELETED for state in _OPEN},
    **{(state, Action.TIME_OUT): TaskState.TIMED_OUT for state in _LIVE},
    **{(state, Action.CANCEL): TaskState.DELETED for state in _LIVE},
    # Delete is the escape hatch for tasks cut off from their workflow: any state, and idempotent.
    **{(state, Action.DELETE): TaskState.DELETED for state in TaskState},
}


@dataclass(frozen=True, slots=True)
class TaskUser:
    """A HumanTaskUser: who a task is assigned to, or who claimed it."""

    user: str
    user_type: UserType

    def __str__(self) -> str:
        return f"{self.user_type}:{self.user}"


@dataclass(frozen=True, slots=True)
class Assignment:
    assignee: TaskUser
    sla_minutes: int = 0


@dataclass(frozen=True, slots=True)
class FormRef:
    """`userFormTemplate`: the user form a task shows. Version 0 means the latest."""

    name: str
    version: int = 0


@dataclass(frozen=True, slots=True)
class HumanTaskDef:
    """`humanTaskDef`, the effective definition of a task (`__humanTaskDefinition` of its workflow task)."""

    assignments: tuple[Assignment, ...] = ()
    completion_strategy: CompletionStrategy = CompletionStrategy.LEAVE_OPEN
    display_name: str | None = None
    form: FormRef | None = None
    triggers: tuple[dict[str, Any], ...] = ()
    auto_claim: bool | None = None


@dataclass(frozen=True, slots=True)
class ActionLog:
    """One entry of `humanTaskActionLogs`."""

    id: str
    state: TaskState
    state_start: int
    action: LogAction
    acted_by: str
    assignee: TaskUser | None = None
    claimant: TaskUser | None = None


@dataclass(frozen=True, slots=True)
class HumanTask:
    """A HumanTaskEntry. Immutable: every change makes a new one (`dataclasses.replace`)."""

    task_id: str
    state: TaskState
    created_on: int
    updated_on: int
    assignee: TaskUser | None = None
    claimant: TaskUser | None = None
    definition_name: str = ""
    display_name: str = ""
    workflow_id: str = ""
    workflow_name: str = ""
    task_ref_name: str = ""
    created_by: str = ""
    updated_by: str = ""
    owner_app: str | None = None
    definition: HumanTaskDef = field(default_factory=HumanTaskDef)
    input: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    action_logs: tuple[ActionLog, ...] = ()
    trigger_log: tuple[dict[str, Any], ...] = ()
    assignee_index: int | None = 0
    skipped_assignee_indexes: tuple[int, ...] = ()
    assignments_completed: bool = False

    @property
    def is_open(self) -> bool:
        """Assigned to no one: any authorized caller may claim it for anyone."""
        return self.assignee is None


@dataclass(frozen=True, slots=True)
class Template:
    """A HumanTaskTemplate (user form)."""

    name: str
    version: int
    json_schema: dict[str, Any]
    template_ui: dict[str, Any]
    tags: tuple[dict[str, Any], ...] = ()
    owner_app: str | None = None
    created_by: str = ""
    create_time: int = 0
    updated_by: str = ""
    update_time: int = 0


def next_state(task: HumanTask, action: Action) -> TaskState:
    """The state `action` leads to from `task.state`, or `InvalidTransition` with a message a person can act on."""
    try:
        return TRANSITIONS[(task.state, action)]
    except KeyError:
        raise InvalidTransition(task.task_id, task.state, action, refusal(task, action)) from None


def refusal(task: HumanTask, action: Action) -> str:
    state, tid = task.state, task.task_id
    if state in TERMINAL_STATES:
        if action in (Action.UPDATE, Action.COMPLETE):
            return f"Task {tid} is already in terminal state {state}"
        return f"Task {tid} is {state} and can no longer be {_PAST[action]}"
    if state is TaskState.IN_PROGRESS and action in (Action.SKIP, Action.REASSIGN, Action.ESCALATE):
        return f"Task {tid} is claimed by {task.claimant}: only an unclaimed task can be {_PAST[action]}"
    if action is Action.CLAIM:
        who = f" by {task.claimant}" if task.claimant else ""
        return f"Task {tid} is already claimed{who}; it cannot be claimed again until it is released"
    if action is Action.RELEASE:
        return f"Task {tid} is not claimed (state {state}): only an IN_PROGRESS task can be released"
    return f"Task {tid} cannot be {_PAST[action]} in state {state}"


_PAST = {
    Action.CLAIM: "claimed",
    Action.RELEASE: "released",
    Action.UPDATE: "updated",
    Action.COMPLETE: "completed",
    Action.SKIP: "skipped",
    Action.REASSIGN: "reassigned",
    Action.ESCALATE: "escalated",
    Action.LEAVE_OPEN: "left open",
    Action.TERMINATE: "terminated",
    Action.TIME_OUT: "timed out",
    Action.CANCEL: "cancelled",
    Action.DELETE: "deleted",
}
