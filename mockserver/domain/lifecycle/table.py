"""The lifecycle table: which (state, action) pairs are allowed, where they lead, and the refusal texts.

The state sets are defined here once: OPEN (not claimed, not finished), LIVE (not finished), TERMINAL.
"""

from __future__ import annotations

from mockserver.domain.errors import InvalidTransition
from mockserver.domain.model import Action, HumanTask, TaskState

OPEN_STATES = frozenset({TaskState.PENDING, TaskState.ASSIGNED})  # not claimed, not finished: claimable
LIVE_STATES = OPEN_STATES | {TaskState.IN_PROGRESS}  # not finished
TERMINAL_STATES = frozenset({TaskState.COMPLETED, TaskState.TIMED_OUT, TaskState.DELETED})

# The whole lifecycle. A (state, action) pair not listed here is refused with a 400.
# PENDING is transient on a real server (a new task is assigned at once); a scenario may still seed it,
# and it then behaves like ASSIGNED. UPDATE keeps the state; COMPLETE is allowed to an admin or owner
# before anyone claimed the task (the guard is "not terminal"); who may act is decided in `rights`.
TRANSITIONS: dict[tuple[TaskState, Action], TaskState] = {
    **{(state, Action.CLAIM): TaskState.IN_PROGRESS for state in OPEN_STATES},
    (TaskState.IN_PROGRESS, Action.RELEASE): TaskState.ASSIGNED,
    **{(state, Action.UPDATE): state for state in LIVE_STATES},
    **{(state, Action.COMPLETE): TaskState.COMPLETED for state in LIVE_STATES},
    # Assignment policy: only an unclaimed task moves between assignees.
    **{(state, Action.SKIP): TaskState.ASSIGNED for state in OPEN_STATES},
    **{(state, Action.REASSIGN): TaskState.ASSIGNED for state in OPEN_STATES},
    **{(state, Action.ESCALATE): TaskState.ASSIGNED for state in OPEN_STATES},
    **{(state, Action.LEAVE_OPEN): TaskState.ASSIGNED for state in OPEN_STATES},
    **{(state, Action.TERMINATE): TaskState.DELETED for state in OPEN_STATES},
    **{(state, Action.TIME_OUT): TaskState.TIMED_OUT for state in LIVE_STATES},
    **{(state, Action.CANCEL): TaskState.DELETED for state in LIVE_STATES},
    # Delete is the escape hatch for tasks cut off from their workflow: any state, and idempotent.
    **{(state, Action.DELETE): TaskState.DELETED for state in TaskState},
}


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
        return f"Task {tid} is {state} and can no longer be {PAST[action]}"
    if state is TaskState.IN_PROGRESS and action in (Action.SKIP, Action.REASSIGN, Action.ESCALATE):
        return f"Task {tid} is claimed by {task.claimant}: only an unclaimed task can be {PAST[action]}"
    if action is Action.CLAIM:
        who = f" by {task.claimant}" if task.claimant else ""
        return f"Task {tid} is already claimed{who}; it cannot be claimed again until it is released"
    if action is Action.RELEASE:
        return f"Task {tid} is not claimed (state {state}): only an IN_PROGRESS task can be released"
    return f"Task {tid} cannot be {PAST[action]} in state {state}"


def may_escalate(task: HumanTask) -> bool:
    """Only an unclaimed, unfinished task with an assignee moves on when its assignee's SLA passes."""
    return task.state in OPEN_STATES and task.assignee is not None


PAST = {
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
